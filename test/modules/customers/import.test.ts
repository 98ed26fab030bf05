import ExcelJS from 'exceljs'
import t from 'tap'
import { sql } from 'kysely'
import { auditRows, seedOffice, signIn, testApp } from '../../helpers/app.ts'
import { createViaForm } from './helpers.ts'
import { csv, jobIdOf, mappingForm, upload, uploadAndCheck, waitForJob, xlsx } from './io-helpers.ts'

const count = async (app: Awaited<ReturnType<typeof testApp>>) =>
  Number((await app.db.selectFrom('customers').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n)

t.test('customer import', async (t) => {
  const app = await testApp(t)
  await seedOffice(app)
  const rep = await signIn(app, 'rep')
  const sup = await signIn(app, 'super')

  t.test('the mapping is guessed from Chinese and English headers and remembered per user', async (t) => {
    const file = csv([
      ['企业名称*', 'Phone', '所属行业', '联系人', '联系人手机号', '所在区域', '备注', 'Foo'],
      ['映射测试公司', '010-88886666', '制造业', '王五', '13911112222', '广东省深圳市南山区', '说明', 'x']
    ])
    const res = await upload(rep, '客户.csv', file)
    t.equal(res.statusCode, 303, 'upload accepted')
    const id = jobIdOf(res)
    const page = await rep.get(`/customers/import/${id}/mapping`)
    t.equal(page.statusCode, 200)
    t.same(mappingForm(page.body), {
      col_0: 'name', col_1: 'phone', col_2: 'industry', col_3: 'contact_name', col_4: 'contact_mobile', col_5: 'region', col_6: 'remarks', col_7: ''
    }, 'each column guessed; an unknown one left out')
    t.match(page.body, '映射测试公司', 'sample values shown')

    // the user moves the remarks to the unknown column
    const check = await rep.post(`/customers/import/${id}/mapping`, { ...mappingForm(page.body), col_6: '', col_7: 'remarks' })
    t.equal(check.statusCode, 303)
    await waitForJob(rep, id)
    const again = await rep.get(`/customers/import/${jobIdOf(await upload(rep, 'again.csv', file))}/mapping`)
    t.equal(mappingForm(again.body).col_7, 'remarks', 'the choice is remembered for the same header')
    t.equal(mappingForm(again.body).col_6, '', 'and the column left out stays out')
    const other = await signIn(app, 'rep2')
    const theirs = await other.get(`/customers/import/${jobIdOf(await upload(other, 'x.csv', file))}/mapping`)
    t.equal(mappingForm(theirs.body).col_6, 'remarks', 'another user gets the plain guess')
    t.equal((await other.get(`/customers/import/${id}`)).statusCode, 404, "another user's job does not exist for him")

    const bad = await rep.post(`/customers/import/${id}/mapping`, { col_0: 'phone', col_1: 'phone' })
    t.equal(bad.statusCode, 422, 'a field mapped twice / no name column is refused')
  })

  t.test('bad rows are reported with their row numbers and nothing is written', async (t) => {
    const before = await count(app)
    const { id, page } = await uploadAndCheck(rep, 'bad.csv', csv([
      ['企业名称', '电子邮箱', '行业', '客户等级', '所在区域', '负责业务员', '手机'],
      ['好公司一', 'a@b.cn', '制造业', 'A', '广东省 深圳市 南山区', '', ''],
      ['坏邮箱公司', 'not-mail', '', '', '', '', ''],
      ['坏行业公司', '', '制造业X', '', '', '', ''],
      ['', 'x@y.cn', '', '', '', '', ''],
      ['坏等级公司', '', '', 'Z', '火星', 'rep2', '13x'],
      [],
      ['好公司二', '', 'Manufacturing', 'b', '440305', '张三', '']
    ]))
    t.match(page.body, /id="n-total">6</, 'six data rows (the empty line is skipped)')
    t.match(page.body, /id="n-errors">4</)
    for (const [row, text] of [['3', '请输入有效的电子邮箱'], ['4', '请从列表中选择'], ['5', '此项必填'], ['6', '没有修改此项的权限'], ['6', '联系人：此项必填']] as const) {
      t.match(page.body, new RegExp(`<td class="num">${row}</td>[\\s\\S]*?${text}`), `row ${row}: ${text}`)
    }
    t.match(page.body, '找不到该区域', 'an unknown region is explained')
    t.match(page.body, 'not-mail', 'the offending value is shown')
    t.notMatch(page.body, 'name="skip_duplicates"')
    t.notMatch(page.body, 'action="/customers/import/' + id + '/run"', 'no import button while rows have errors')
    const run = await rep.post(`/customers/import/${id}/run`, {})
    t.equal(run.statusCode, 409, 'the write is refused')
    t.equal(await count(app), before, 'no customer written')

    const res = await app.inject({ method: 'GET', url: `/customers/import/${id}/errors.xlsx`, headers: { cookie: [...rep.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } })
    t.equal(res.statusCode, 200)
    t.match(String(res.headers['content-disposition']), /^attachment; filename="import-errors-\d+\.xlsx"; filename\*=UTF-8''/)
    const book = new ExcelJS.Workbook()
    await book.xlsx.load(res.rawPayload as never)
    const rows = book.worksheets[0].getSheetValues().filter(Boolean) as unknown[][]
    t.same(rows.slice(1).map((r) => r[1]), [3, 4, 5, 6], 'one line per bad row, with its row number')
    t.equal(rows[1][4], 'not-mail', 'original values kept')
    t.match(String(rows[1][2]), '电子邮箱')
  })

  t.test('labels, regions and owners are resolved; the write is complete and audited', async (t) => {
    const { id, page } = await uploadAndCheck(sup, 'ok.csv', csv([
      ['企业名称', '客户类型', '客户状态', '行业', '所在区域', '负责业务员', '标签', '信息登记日期', '联系人', '手机', '电话'],
      ['深圳导入科技有限公司', '经销商', '意向', '制造业', '广东省深圳市南山区', 'rep', '重点，华南', '2026/3/5', '陈七', '+86 139-0000-1111', '0755-2666 8888'],
      ['北京导入贸易有限公司', 'A', 'won', 'FIN', '110105', '张三', '', '2026年1月2日', '', '', '']
    ]))
    t.match(page.body, /id="n-errors">0</)
    const before = await count(app)
    const auditBefore = (await auditRows(app, { action: 'create', entity: 'customer' })).length
    const run = await sup.post(`/customers/import/${id}/run`, {})
    t.equal(run.statusCode, 303)
    const done = await waitForJob(sup, id)
    t.match(done.body, '已导入 2 个客户')
    t.equal(await count(app), before + 2)
    const c = await app.db.selectFrom('customers').selectAll().where('name', '=', '深圳导入科技有限公司').executeTakeFirstOrThrow()
    const { users } = { users: Object.fromEntries((await app.db.selectFrom('users').select(['id', 'login']).execute()).map((u) => [u.login, u.id])) }
    t.match(c, { customer_type: 'B', status: 'interested', industry: 'MFG', region_code: '440305', owner_id: users.rep, registered_on: '2026-03-05', review_state: 'approved', tags: ['重点', '华南'] })
    t.match(c.code, /^B-\d{6}$/, 'code from the sequence, by type')
    t.ok(c.search_text.startsWith(c.code.toLowerCase()), 'the code is searchable')
    t.ok(c.search_grams.includes('导入'), 'Chinese grams derived')
    t.equal(c.name_initials, 'szdrkjyxgs')
    const k = await app.db.selectFrom('contacts').selectAll().where('customer_id', '=', c.id).execute()
    t.same(k.map((x) => [x.name, x.mobile, x.id === c.main_contact_id]), [['陈七', '+86 139-0000-1111', true]], 'first contact is the main contact')
    const phones = await app.db.selectFrom('customer_phones').select(['phone', 'contact_id']).where('customer_id', '=', c.id).orderBy('phone').execute()
    t.same(phones, [{ phone: '075526668888', contact_id: null }, { phone: '13900001111', contact_id: k[0].id }], 'phones indexed')
    const b = await app.db.selectFrom('customers').selectAll().where('name', '=', '北京导入贸易有限公司').executeTakeFirstOrThrow()
    t.match(b, { owner_id: users.rep, status: 'won', registered_on: '2026-01-02', region_code: '110105' }, 'owner found by name too')
    const audits = await auditRows(app, { action: 'create', entity: 'customer' })
    t.equal(audits.length - auditBefore, 2, 'one audit row per customer')
    const a = audits.find((r) => r.entity_id === String(c.id))!
    t.match(a.changes, { name: [null, '深圳导入科技有限公司'], code: [null, c.code], import_job: [null, id] })
    t.equal((await auditRows(app, { action: 'import', entity: 'customer_import', entityId: id })).length, 1, 'and one for the import job')
    const tl = await app.db.selectFrom('customer_timeline').select('kind').where('customer_id', '=', c.id).execute()
    t.same(tl.map((x) => x.kind), ['customer.created'])
    const job = await app.db.withTables<{ import_jobs: { id: number; file: Buffer | null } }>().selectFrom('import_jobs').select('file').where('id', '=', id).executeTakeFirstOrThrow()
    t.equal(job.file, null, 'the uploaded file is removed after the import')
    t.equal((await sup.post(`/customers/import/${id}/run`, {})).statusCode, 409, 'a second click writes nothing more')
    t.equal(await count(app), before + 2)
    const found = await sup.get(`/customers?q=${encodeURIComponent(c.code)}`)
    t.match(found.body, '深圳导入科技有限公司', 'imported customers are found by the search box')
    const byFragment = await sup.get(`/customers?q=${encodeURIComponent('导入科')}`)
    t.match(byFragment.body, '深圳导入科技有限公司', 'and by a fragment of the Chinese name, through the merged index')
    t.notMatch(byFragment.body, '北京导入贸易有限公司')
    const limit = await sql<{ gin_pending_list_limit: string }>`show gin_pending_list_limit`.execute(app.db)
    t.equal(limit.rows[0].gin_pending_list_limit, '128kB', "the write's larger pending list ended with its transaction")
  })

  t.test("an ordinary user's rows are his and wait for review; naming another owner is refused", async (t) => {
    const { page } = await uploadAndCheck(rep, 'own.csv', csv([['企业名称', '负责业务员'], ['越权公司', 'rep2'], ['自己的公司', '张三']]))
    t.match(page.body, /<td class="num">2<\/td>[\s\S]*?您没有修改此项的权限/, 'another owner refused for a user without customers.assign')
    const { page: p2 } = await uploadAndCheck(sup, 'scope.csv', csv([['企业名称', '负责业务员'], ['越界公司', 'other']]))
    t.match(p2.body, /<td class="num">2<\/td>[\s\S]*?请从列表中选择/, "a supervisor cannot give a customer to someone outside his scope")
    const { id } = await uploadAndCheck(rep, 'mine.csv', csv([['企业名称'], ['代表导入公司']]))
    await rep.post(`/customers/import/${id}/run`, {})
    await waitForJob(rep, id)
    const c = await app.db.selectFrom('customers').select(['owner_id', 'review_state', 'entered_by']).where('name', '=', '代表导入公司').executeTakeFirstOrThrow()
    const repId = (await app.db.selectFrom('users').select('id').where('login', '=', 'rep').executeTakeFirstOrThrow()).id
    t.same(c, { owner_id: repId, review_state: 'pending', entered_by: repId })
  })

  t.test('duplicates of existing customers and of earlier rows are flagged, and skipped on request', async (t) => {
    await createViaForm(sup, { name: '已存在重复公司', phone: '021-5555 0001' })
    const { id, page } = await uploadAndCheck(sup, 'dups.csv', csv([
      ['企业名称', '电话'],
      ['已存在重复公司', ''],
      ['新公司甲', '(021) 55550001'],
      ['新公司乙', '021-77770000'],
      ['新公司乙', ''],
      ['新公司丙', '021 7777 0000'],
      ['新公司丁', '']
    ]))
    t.match(page.body, /id="n-duplicates">4</)
    t.match(page.body, /<td class="num">2<\/td>[\s\S]*?与已有客户 A-\d+ 已存在重复公司 同名/)
    t.match(page.body, /<td class="num">3<\/td>[\s\S]*?电话相同/)
    t.match(page.body, /<td class="num">5<\/td>[\s\S]*?与第 4 行同名/)
    t.match(page.body, /<td class="num">6<\/td>[\s\S]*?与第 4 行电话相同/)
    t.match(page.body, 'name="skip_duplicates"')
    const before = await count(app)
    await sup.post(`/customers/import/${id}/run`, { skip_duplicates: 'on' })
    await waitForJob(sup, id)
    t.equal(await count(app), before + 2, 'only the first 新公司乙 and 新公司丁 are written')
    const names = (await app.db.selectFrom('customers').select('name').where('name', 'like', '新公司%').orderBy('name').execute()).map((r) => r.name)
    t.same(names.sort(), ['新公司丁', '新公司乙'].sort())
  })

  t.test('formula cells are stored as text', async (t) => {
    const { id } = await uploadAndCheck(sup, 'f.csv', csv([
      ['企业名称', '简称', '备注', '详细地址'],
      ['=1+2', '@SUM(1)', '=HYPERLINK("http://x.test","y")', "'-5"]
    ]))
    await sup.post(`/customers/import/${id}/run`, {})
    await waitForJob(sup, id)
    const c = await app.db.selectFrom('customers').select(['name', 'short_name', 'remarks', 'address']).where('name', '=', '=1+2').executeTakeFirstOrThrow()
    t.same(c, { name: '=1+2', short_name: '@SUM(1)', remarks: '=HYPERLINK("http://x.test","y")', address: '-5' }, "kept as typed (our own export's ' prefix removed)")

    const book = await xlsx([
      ['企业名称', '简称', '备注', '电话'],
      ['公式表格公司', { formula: 'A2&"x"', result: '显示结果' }, '+SUM(A1:A2)', 13800138000]
    ])
    const r2 = await uploadAndCheck(sup, 'f.xlsx', book)
    t.match(r2.page.body, /id="n-errors">0</)
    await sup.post(`/customers/import/${r2.id}/run`, {})
    await waitForJob(sup, r2.id)
    const x = await app.db.selectFrom('customers').select(['short_name', 'remarks', 'phone']).where('name', '=', '公式表格公司').executeTakeFirstOrThrow()
    t.same(x, { short_name: '显示结果', remarks: '+SUM(A1:A2)', phone: '13800138000' }, 'a formula gives the text Excel showed; nothing is evaluated')
  })

  t.test('a GBK CSV from Excel on Chinese Windows is read', async (t) => {
    const gbk = Buffer.from('c6f3d2b5c3fbb3c62cb5e7bbb02cd0d0d2b50d0ab2e2cad4b9abcbbebcd72c3031302d31323334353637382cd6c6d4ecd2b50d0a', 'hex')
    const { mapPage, page } = await uploadAndCheck(sup, 'gbk.csv', gbk)
    t.same(mappingForm(mapPage), { col_0: 'name', col_1: 'phone', col_2: 'industry' })
    t.match(page.body, /id="n-valid">1</)
    t.match(mapPage, '测试公司甲')
  })
})
