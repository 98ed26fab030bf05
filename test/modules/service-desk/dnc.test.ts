// The do-not-call list (issue 4 item 6) as a supervisor and an agent rely on it:
// numbers in any format kept by their digits, a number listed once, disable/enable with
// a version check, every change audited, the list's search, filter and pages, the
// import with its preview, the call screen's warning and today's calls flagging them.
import t from 'tap'
import { formatter } from '../../../src/platform/format.ts'
import { seedOffice, signIn, testApp, type Client } from '../../helpers/app.ts'
import { assertCovered, assertUnchanged, matrixClients, runMatrix, type MatrixRoute, type Who } from '../../helpers/matrix.ts'
import { createViaForm } from '../customers/helpers.ts'
import { csv, multipart, xlsx } from '../customers/io-helpers.ts'
import { auditOf, msg, tokenOf } from './helpers.ts'

type App = Awaited<ReturnType<typeof testApp>>
const TABLES = ['dnc_numbers', 'dnc_imports']

/** adds a number through the list page's form; returns the response */
async function addNumber(c: Client, phone: string, reason: string) {
  const page = await c.get('/service/dnc')
  return c.post('/service/dnc', { form_token: tokenOf(page.body), phone, reason })
}
const numberRow = (app: App, digits: string) => app.db.selectFrom('dnc_numbers').selectAll().where('phone', '=', digits).executeTakeFirstOrThrow()
const listedPhones = (body: string) => [...body.matchAll(/<tr id="dnc-\d+"[^>]*>\s*<td>([^<]+)</g)].map((m) => m[1].trim())

async function uploadFile(c: Client, filename: string, data: Buffer | string) {
  await c.get('/service/dnc/import')
  const m = multipart({ _csrf: c.csrf }, { name: 'file', filename, data })
  return c.request('POST', '/service/dnc/import', { payload: m.payload, headers: { 'content-type': m.contentType }, csrf: false })
}
const importIdOf = (location: unknown) => Number(/^\/service\/dnc\/import\/(\d+)$/.exec(String(location ?? ''))?.[1])
const count = (body: string, name: string) => Number(new RegExp(`data-count="${name}">([\\d,]+)<`).exec(body)?.[1]?.replace(/,/g, '') ?? NaN)
const changesOf = (r: { changes: unknown }) => (typeof r.changes === 'string' ? JSON.parse(r.changes) : r.changes) as Record<string, unknown>
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

t.test('adding numbers: any format, kept by digits, listed once, reason required, audited', async (t) => {
  const app = await testApp(t)
  await seedOffice(app)
  const sup = await signIn(app, 'super')

  const empty = await sup.get('/service/dnc')
  t.equal(empty.statusCode, 200)
  t.match(empty.body, msg('serviceDnc.emptyNone'), 'an empty list explains itself')
  t.match(empty.body, 'href="/service/dnc"', 'the menu has the entry')

  const add = await auditOf(app, () => addNumber(sup, '+86 139-1234-5678', '客户本人要求不再来电'))
  t.equal(add.result.statusCode, 303)
  t.equal(add.result.headers.location, '/service/dnc')
  const row = await numberRow(app, '13912345678')
  t.match(row, { phone_display: '+86 139-1234-5678', reason: '客户本人要求不再来电', enabled: true, version: 1 }, 'kept as written, matched by digits')
  t.equal(add.rows.length, 1, 'one audit row')
  t.match(add.rows[0], { action: 'create', entity: 'dnc_number', entity_id: String(row.id), user_name: '李主管' })
  t.same(changesOf(add.rows[0]).phone, [null, '13912345678'])
  const after = await sup.get('/service/dnc')
  t.match(after.body, msg('serviceDnc.added'), 'the flash says so')
  t.same(listedPhones(after.body), ['+86 139-1234-5678'])

  const ext = await addNumber(sup, '(010) 6552 1234 转 808', '律师函要求停止电话联系')
  t.equal(ext.statusCode, 303)
  t.equal((await numberRow(app, '01065521234')).phone_display, '(010) 6552 1234 转 808', 'an extension is not part of the number')

  const again = await assertUnchanged(t, app, TABLES, () => addNumber(sup, '139 1234 5678', '重复'), 'an existing number is not listed twice')
  t.equal(again.statusCode, 422)
  t.match(again.body, msg('serviceDnc.errors.listed', { number: '+86 139-1234-5678', reason: '客户本人要求不再来电' }), 'the existing entry is reported')
  t.match(again.body, 'value="139 1234 5678"', 'what was typed is kept')
  t.match(again.body, 'value="重复"')

  for (const [phone, reason, field, key, params] of [
    ['12345', '太短', 'phone', 'serviceDnc.errors.tooShort', { min: 7 }],
    ['call me maybe', '不是号码', 'phone', 'errors.phone', undefined],
    ['13800138000', '', 'reason', 'errors.required', undefined],
    ['', '没有号码', 'phone', 'errors.required', undefined]
  ] as const) {
    const res = await assertUnchanged(t, app, TABLES, () => addNumber(sup, phone, reason), `${phone || '(empty)'}: nothing written`)
    t.equal(res.statusCode, 422, `${phone || '(empty)'} / ${reason || '(no reason)'} → 422`)
    t.match(res.body, `<p class="field-error" id="e-${field}">${msg(key, params)}</p>`, `the ${field} field says why`)
    t.match(res.body, `value="${phone}"`, 'the number typed is kept')
  }

  // a double submit of the same form gives the first result, not "already listed"
  const page = await sup.get('/service/dnc')
  const form = { form_token: tokenOf(page.body), phone: '021-5555-0000', reason: '多次投诉推销电话' }
  const first = await sup.post('/service/dnc', form)
  const second = await sup.post('/service/dnc', form)
  t.equal(first.statusCode, 303)
  t.equal(second.statusCode, 303, 'the second post is answered like the first')
  t.equal((await app.db.selectFrom('dnc_numbers').select('id').where('phone', '=', '02155550000').execute()).length, 1, 'one row')

  t.test('search, filter, newest first, more rows', async (t) => {
    const list = await sup.get('/service/dnc')
    t.same(listedPhones(list.body), ['021-5555-0000', '(010) 6552 1234 转 808', '+86 139-1234-5678'], 'newest first')
    t.same(listedPhones((await sup.get('/service/dnc?q=5678')).body), ['+86 139-1234-5678'], 'a fragment of the digits')
    t.same(listedPhones((await sup.get('/service/dnc?q=' + encodeURIComponent('6552-1234'))).body), ['(010) 6552 1234 转 808'], 'a fragment typed with its separators')
    t.same(listedPhones((await sup.get('/service/dnc?q=' + encodeURIComponent('推销'))).body), ['021-5555-0000'], 'words search the reasons')
    const short = await sup.get('/service/dnc?q=13')
    t.match(short.body, msg('serviceDnc.searchTooShort'), 'two digits are too few')
    t.same(listedPhones(short.body), [])
    t.match((await sup.get('/service/dnc?q=99999')).body, msg('serviceDnc.noHitsFor', { q: '99999' }))
    t.equal((await sup.get('/service/dnc?state=bogus')).statusCode, 400)
    const frag = await sup.get('/service/dnc?q=5678', { 'hx-request': 'true' })
    t.notMatch(frag.body, '<html', 'the filters swap the table only')
    t.match(frag.body, '+86 139-1234-5678')

    const rows = Array.from({ length: 60 }, (_, i) => ({ phone: `1370000${String(i).padStart(4, '0')}`, phone_display: `137-0000-${String(i).padStart(4, '0')}`, reason: `批量${i}`, created_by: 1 }))
    await app.db.insertInto('dnc_numbers').values(rows).execute()
    const p1 = await sup.get('/service/dnc?q=1370000')
    t.equal(listedPhones(p1.body).length, 50, 'fifty a page')
    t.equal(listedPhones(p1.body)[0], '137-0000-0059')
    const more = /hx-get="([^"]+after=\d+)"/.exec(p1.body)![1].replace(/&amp;/g, '&')
    t.match(more, 'q=1370000', 'the next page keeps the search')
    const p2 = await sup.get(more, { 'hx-request': 'true' })
    t.notMatch(p2.body, '<table', 'htmx gets the rows alone')
    t.same(listedPhones(p2.body), Array.from({ length: 10 }, (_, i) => `137-0000-${String(9 - i).padStart(4, '0')}`), 'the rest, still newest first')
    t.notMatch(p2.body, 'id="dnc-more"', 'no more after the last page')
  })
})

t.test('disable and enable: confirmation, version check, audit; never deleted; who may', async (t) => {
  const app = await testApp(t)
  await seedOffice(app)
  const sup = await signIn(app, 'super')
  const boss = await signIn(app, 'boss')
  const agent = await signIn(app, 'agent')
  await addNumber(sup, '138 0013 8000', '号码已转让他人')
  const row = await numberRow(app, '13800138000')

  const page = await sup.get('/service/dnc')
  t.match(page.body, `action="/service/dnc/${row.id}/disable" class="inline" data-confirm="${msg('serviceDnc.confirmDisable', { number: '138 0013 8000' })}"`, 'disabling asks first')
  t.notMatch(page.body, '/delete', 'there is no delete')
  t.equal((await sup.post(`/service/dnc/${row.id}/delete`, { version: '1' })).statusCode, 404)

  const off = await auditOf(app, () => sup.post(`/service/dnc/${row.id}/disable`, { version: '1', q: '8000' }))
  t.equal(off.result.statusCode, 303)
  t.equal(off.result.headers.location, '/service/dnc?q=8000', 'back to the list as it was filtered')
  t.match(await numberRow(app, '13800138000'), { enabled: false, version: 2 })
  t.equal(off.rows.length, 1)
  t.match(off.rows[0], { action: 'disable', entity: 'dnc_number', entity_id: String(row.id), user_name: '李主管' })
  t.same(changesOf(off.rows[0]), { enabled: [true, false] })
  const listed = await sup.get('/service/dnc?state=disabled')
  t.same(listedPhones(listed.body), ['138 0013 8000'], 'filter: disabled')
  t.match(listed.body, msg('serviceDnc.disabled'))
  t.same(listedPhones((await sup.get('/service/dnc?state=enabled')).body), [], 'filter: enabled')

  const twice = await auditOf(app, () => sup.post(`/service/dnc/${row.id}/disable`, { version: '1' }))
  t.equal(twice.result.statusCode, 303, 'a second click is no error')
  t.equal(twice.rows.length, 0, 'and changes nothing')

  const stale = await assertUnchanged(t, app, TABLES, () => boss.post(`/service/dnc/${row.id}/enable`, { version: '1' }), 'a stale version changes nothing')
  t.equal(stale.statusCode, 409)
  t.match(stale.body, msg('serviceDnc.errors.conflict', { name: '李主管' }), 'says who changed it')
  t.match(stale.body, `<tr id="dnc-${row.id}" class="muted has-error">`, 'the number is shown as it is now')
  t.equal((await boss.post(`/service/dnc/${row.id}/enable`, { version: 'x' })).statusCode, 422)

  const on = await auditOf(app, () => boss.post(`/service/dnc/${row.id}/enable`, { version: '2' }))
  t.equal(on.result.statusCode, 303)
  t.match(on.rows[0], { action: 'enable', user_name: '王总' })
  t.equal((await numberRow(app, '13800138000')).enabled, true)
  t.equal((await sup.post('/service/dnc/99999/disable', { version: '1' })).statusCode, 404)

  const read = await agent.get('/service/dnc')
  t.equal(read.statusCode, 200, 'agents read the list')
  t.match(read.body, '138 0013 8000')
  t.notMatch(read.body, 'method="post" action="/service/dnc"', 'but have no add form')
  t.notMatch(read.body, '/disable"', 'nor buttons')
  t.equal((await assertUnchanged(t, app, TABLES, () => agent.post(`/service/dnc/${row.id}/disable`, { version: '3' }))).statusCode, 403)
  t.equal((await assertUnchanged(t, app, TABLES, () => agent.post('/service/dnc', { phone: '13911112222', reason: 'x' }))).statusCode, 403)
})

t.test('the call screen warns; today\'s calls flag and offer no start-call', async (t) => {
  const app = await testApp(t)
  await seedOffice(app)
  const sup = await signIn(app, 'super')
  const agent = await signIn(app, 'agent')
  const rep = await signIn(app, 'rep')
  const cid = await createViaForm(rep, { name: '深圳华强电子有限公司', phone: '0755-8888 1234' })
  await rep.post(`/customers/${cid}/contacts`, { name: '王五', mobile: '139 1234 5678', valid: 'on' })
  const contactId = (await app.db.selectFrom('contacts').select('id').where('customer_id', '=', cid).executeTakeFirstOrThrow()).id

  const warning = msg('service.dncWarning')
  t.notMatch((await agent.get('/service/calls/new?phone=13912345678')).body, warning, 'no warning before the number is listed')
  await addNumber(sup, '+86 139-1234-5678', '客户本人要求不再来电')
  await addNumber(sup, '021 5555 0000', '陌生号码多次骚扰')
  const pop = await agent.get('/service/calls/new?phone=' + encodeURIComponent('139 1234 5678'))
  t.match(pop.body, warning, 'a known caller\'s number warns')
  t.match(pop.body, '客户本人要求不再来电', 'with the reason')
  t.match(pop.body, '深圳华强电子有限公司', 'and the caller is still found')
  const frag = await agent.get('/service/calls/lookup?caller_phone=' + encodeURIComponent('+86 13912345678'), { 'hx-request': 'true' })
  t.match(frag.body, warning, 'typing the number warns too')
  t.match((await agent.get('/service/calls/new?phone=02155550000')).body, warning, 'an unknown caller\'s number warns')

  // today's calls: one appointment with the listed contact, one on the customer's own number
  const now = new Date()
  const at = formatter('zh-CN', app.config.timeZone).dateTime(new Date(now.getTime() - 3600_000)).replace(' ', 'T')
  const book = async (form: Record<string, string>) => {
    const p = await agent.get(`/service/appointments/new?customer_id=${cid}`)
    const res = await agent.post('/service/appointments', { form_token: tokenOf(p.body), customer_id: String(cid), kind: 'callback', scheduled_at: at, confirm_clash: 'on', ...form })
    t.equal(res.statusCode, 303)
  }
  await book({ contact_id: String(contactId), purpose: '回访王五' })
  await book({ purpose: '回访前台' })
  const today = async () => (await agent.get('/service/appointments/today')).body
  const rowOf = (body: string, purpose: string) => new RegExp(`<tr[^>]*>(?:(?!</tr>)[\\s\\S])*${purpose}(?:(?!</tr>)[\\s\\S])*</tr>`).exec(body)?.[0] ?? ''
  let body = await today()
  t.match(rowOf(body, '回访王五'), `<span class="badge danger">${msg('service.dnc')}</span>`, 'the listed contact is flagged')
  t.notMatch(rowOf(body, '回访王五'), '/service/calls/new', 'and has no start-call link')
  // the customer's own number is not listed, but his contact's is: no call to this customer either
  t.match(rowOf(body, '回访前台'), msg('service.dnc'), 'an appointment without a contact is flagged when any of the customer\'s numbers is listed')

  const row = await numberRow(app, '13912345678')
  t.equal((await sup.post(`/service/dnc/${row.id}/disable`, { version: String(row.version) })).statusCode, 303)
  t.notMatch((await agent.get('/service/calls/new?phone=13912345678')).body, warning, 'a disabled number no longer warns')
  body = await today()
  t.notMatch(rowOf(body, '回访王五'), msg('service.dnc'), 'nor is flagged')
  t.match(rowOf(body, '回访王五'), `href="/service/calls/new?phone=139%201234%205678"`, 'the start-call link is back, with the phone')
  t.match(rowOf(body, '回访前台'), `href="/service/calls/new?phone=0755-8888%201234"`)

  // the customer's own number listed: both flagged again
  await addNumber(sup, '0755 88881234', '公司总机拒绝推销')
  body = await today()
  t.match(rowOf(body, '回访前台'), msg('service.dnc'))
  t.match(rowOf(body, '回访王五'), msg('service.dnc'), 'the customer\'s own number is one a contact\'s call may reach')
  const supList = await sup.get('/service/appointments')
  t.equal(supList.statusCode, 200)
})

t.test('import: preview with every row\'s problem, then all valid new numbers at once', async (t) => {
  const app = await testApp(t)
  await seedOffice(app)
  const sup = await signIn(app, 'super')
  const boss = await signIn(app, 'boss')
  await addNumber(sup, '13900000001', '已在名单')
  await addNumber(sup, '13900000002', '已停用的')
  const d = await numberRow(app, '13900000002')
  await sup.post(`/service/dnc/${d.id}/disable`, { version: '1' })

  const file = csv([
    ['号码', '原因', '备注'],
    ['+86 138-0013-8000', '客户要求', 'x'],
    ['(010) 6552 1234 转 808', '律师函', ''],
    ['abc', '不是号码', ''],
    ['12345', '太短', ''],
    ['13700000000', '', ''],
    ['138 0013 8000', '同一号码', ''],
    ['13900000001', '已在名单', ''],
    ['13900000002', '已停用', ''],
    ['', '', ''],
    ['', '没有号码', '']
  ])
  const up = await uploadFile(sup, '黑名单.csv', file)
  t.equal(up.statusCode, 303)
  const id = importIdOf(up.headers.location)
  t.ok(id)
  const prev = await sup.get(`/service/dnc/import/${id}`)
  t.equal(prev.statusCode, 200)
  t.equal(count(prev.body, 'total'), 9, 'data rows (the blank line is not one)')
  t.equal(count(prev.body, 'fresh'), 2, 'two new numbers')
  t.equal(count(prev.body, 'listed'), 2, 'two already listed')
  t.equal(count(prev.body, 'problems'), 5, 'five rows with errors')
  for (const [row, text] of [
    [4, msg('serviceDnc.import.row.badNumber')], [5, msg('serviceDnc.import.row.tooShort', { min: 7 })], [6, msg('serviceDnc.import.row.noReason')],
    [7, msg('serviceDnc.import.row.dupInFile', { row: 2 })], [8, msg('serviceDnc.import.row.listed')], [9, msg('serviceDnc.import.row.listedDisabled')],
    [11, msg('serviceDnc.import.row.noNumber')]
  ] as const) t.match(prev.body, new RegExp(`<tr><td>${row}</td>.*${escapeRe(text)}</td></tr>`), `row ${row}: ${text}`)
  t.equal((await app.db.selectFrom('dnc_numbers').select('id').execute()).length, 2, 'the preview writes nothing')
  t.equal((await boss.get(`/service/dnc/import/${id}`)).statusCode, 404, 'someone else\'s import does not exist for him')
  t.equal((await assertUnchanged(t, app, TABLES, () => boss.post(`/service/dnc/import/${id}`))).statusCode, 404)

  const write = await auditOf(app, () => sup.post(`/service/dnc/import/${id}`))
  t.equal(write.result.statusCode, 303)
  t.equal(write.result.headers.location, `/service/dnc/import/${id}`)
  const added = await app.db.selectFrom('dnc_numbers').selectAll().where('phone', 'in', ['13800138000', '01065521234']).orderBy('phone').execute()
  t.same(added.map((r) => [r.phone_display, r.reason]), [['(010) 6552 1234 转 808', '律师函'], ['+86 138-0013-8000', '客户要求']], 'the valid new rows, as written')
  t.equal(write.rows.length, 2, 'one audit row per number')
  t.ok(write.rows.every((r) => r.action === 'create' && r.entity === 'dnc_number' && r.user_name === '李主管'))
  t.same(write.rows.map((r) => r.entity_id).sort(), added.map((r) => String(r.id)).sort())
  const done = await sup.get(`/service/dnc/import/${id}`)
  t.match(done.body, new RegExp(escapeRe(msg('serviceDnc.import.done', { n: 2, when: '@@' })).replace('@@', '[\\d\\- :]+')), 'the result is shown')
  const repeat = await auditOf(app, () => sup.post(`/service/dnc/import/${id}`))
  t.equal(repeat.result.statusCode, 303, 'a second post is answered like the first')
  t.equal(repeat.rows.length, 0, 'and writes nothing')
  t.match((await sup.get('/service/dnc/import')).body, msg('serviceDnc.import.doneN', { n: 2 }), 'the upload page lists the import')

  t.test('XLSX with English headers; nothing new is refused', async (t) => {
    const book = await xlsx([['Phone', 'Reason'], ['13600000000', 'opted out'], [13500000000, 'complaint'], ['13800138000', 'again']])
    const res = await uploadFile(sup, 'dnc.xlsx', book)
    t.equal(res.statusCode, 303)
    const xid = importIdOf(res.headers.location)
    const p = await sup.get(`/service/dnc/import/${xid}`)
    t.equal(count(p.body, 'fresh'), 2, 'a number stored as a number cell is read too')
    t.equal((await sup.post(`/service/dnc/import/${xid}`)).statusCode, 303)
    t.ok(await numberRow(app, '13500000000'))
    const none = await uploadFile(sup, 'again.csv', csv([['phone', 'reason'], ['13600000000', 'again']]))
    const nid = importIdOf(none.headers.location)
    const refused = await assertUnchanged(t, app, ['dnc_numbers'], () => sup.post(`/service/dnc/import/${nid}`))
    t.equal(refused.statusCode, 422)
    t.match(refused.body, msg('serviceDnc.import.nothing'))
  })

  t.test('refused uploads say why', async (t) => {
    for (const [name, data, key, params] of [
      ['a.csv', csv([['姓名', '地址'], ['张三', '北京']]), 'serviceDnc.import.err.header', undefined],
      ['a.csv', csv([['号码', '原因']]), 'serviceDnc.import.err.noRows', undefined],
      ['a.xls', Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0]), 'serviceDnc.import.sheet.oldExcel', undefined],
      ['a.xlsx', 'not a zip', 'serviceDnc.import.sheet.notXlsx', undefined],
      ['a.csv', csv([['号码', '原因'], ...Array.from({ length: 20_001 }, (_, i) => [`13${String(i).padStart(9, '0')}`, 'x'])]), 'serviceDnc.import.err.tooManyRows', { n: 20000 }]
    ] as const) {
      const res = await assertUnchanged(t, app, TABLES, () => uploadFile(sup, name, data))
      t.equal(res.statusCode, 422, `${name}: 422`)
      t.match(res.body, msg(key, params), key)
      t.match(res.body, 'enctype="multipart/form-data"', 'the upload form is shown again')
    }
    await sup.get('/service/dnc/import')
    const m = multipart({ _csrf: sup.csrf })
    const noFile = await sup.request('POST', '/service/dnc/import', { payload: m.payload, headers: { 'content-type': m.contentType }, csrf: false })
    t.equal(noFile.statusCode, 422)
    t.match(noFile.body, msg('serviceDnc.import.err.noFile'))
    const exactly = await uploadFile(sup, 'cap.csv', csv([['号码', '原因'], ...Array.from({ length: 20_000 }, (_, i) => [`13${String(i).padStart(9, '0')}`, 'x'])]))
    t.equal(exactly.statusCode, 303, '20,000 rows are accepted')
    const forged = multipart({ _csrf: 'forged-token-value' }, { name: 'file', filename: 'a.csv', data: file })
    const res = await sup.request('POST', '/service/dnc/import', { payload: forged.payload, headers: { 'content-type': forged.contentType }, csrf: false })
    t.equal(res.statusCode, 403, 'the CSRF token is checked on uploads too')
  })
})

t.test('who may use each do-not-call route', async (t) => {
  const app = await testApp(t)
  await seedOffice(app)
  const sup = await signIn(app, 'super')
  await addNumber(sup, '13912345678', '客户要求')
  const id = (await numberRow(app, '13912345678')).id
  const up = await uploadFile(sup, 'bad.csv', csv([['号码', '原因'], ['abc', '']]))
  const importId = importIdOf(up.headers.location)
  const clients = await matrixClients(app)
  const READ: Who[] = ['admin', 'decision', 'supervisor', 'agent']
  const UPDATE: Who[] = ['admin', 'decision', 'supervisor']
  const rows: MatrixRoute<{ id: number; importId: number }>[] = [
    { method: 'GET', url: '/service/dnc', allow: READ },
    { method: 'GET', url: '/service/dnc?q=1234&state=enabled&after=5', allow: READ },
    { method: 'POST', url: '/service/dnc', form: { phone: '', reason: '' }, allow: UPDATE, ok: 422 },
    { method: 'POST', url: (c) => `/service/dnc/${c.id}/disable`, form: { version: '' }, allow: UPDATE, ok: 422 },
    { method: 'POST', url: (c) => `/service/dnc/${c.id}/enable`, form: { version: '' }, allow: UPDATE, ok: 422 },
    { method: 'POST', url: '/service/dnc/99999/disable', form: { version: '1' }, allow: UPDATE, ok: 404 },
    { method: 'GET', url: '/service/dnc/import', allow: UPDATE },
    { method: 'POST', url: '/service/dnc/import', form: {}, allow: UPDATE, ok: 422 },
    { method: 'GET', url: (c) => `/service/dnc/import/${c.importId}`, allow: UPDATE, expect: { admin: 404, decision: 404 } },
    { method: 'POST', url: (c) => `/service/dnc/import/${c.importId}`, form: {}, allow: UPDATE, ok: 422, expect: { admin: 404, decision: 404 } }
  ]
  await runMatrix(t, app, { routes: rows, ctx: { id, importId }, clients, tables: TABLES })
  assertCovered(t, app, rows, { id, importId }, '/service/dnc')
  t.same((await app.db.selectFrom('dnc_numbers').select(['phone', 'enabled', 'version']).execute()), [{ phone: '13912345678', enabled: true, version: 1 }], 'the matrix changed nothing')
})
