// Code lists: items added, edited, disabled and deleted; an item that records use
// can only be disabled; drop-downs (codeOptions) follow at once.
import t from 'tap'
import { sql } from 'kysely'
import { registerCodeUsage } from '../../../src/platform/code-usage.ts'
import { codeOptions } from '../../../src/platform/codes.ts'
import { escapeHtml } from '../../../src/platform/render.ts'
import { translator } from '../../../src/platform/i18n.ts'
import { auditRows, seedOffice, signIn, testApp } from '../../helpers/app.ts'
import { assertUnchanged } from '../../helpers/matrix.ts'

const tr = translator('zh-CN')
const says = (body: string, key: string, params?: Record<string, string | number>) => body.includes(escapeHtml(tr(key, params)))
const TABLES = ['code_items', 'code_kinds']

// Records of a kind of our own, kept in a table made for this test, so the counts
// do not depend on which modules have registered counters for the real kinds.
registerCodeUsage('test_fruit', async (db, code) =>
  Number((await sql<{ n: number }>`select count(*)::int as n from test_fruit_orders where fruit = ${code}`.execute(db)).rows[0].n))

t.test('code lists', async (t) => {
  const app = await testApp(t)
  await seedOffice(app)
  await app.db.insertInto('code_kinds').values({ kind: 'test_fruit', name_zh: '水果', name_en: 'Fruit', sort: 999 }).execute()
  await sql`create table test_fruit_orders (id serial primary key, fruit varchar(40) not null)`.execute(app.db)
  const admin = await signIn(app, 'admin')
  const item = (code: string) => app.db.selectFrom('code_items').selectAll().where('kind', '=', 'test_fruit').where('code', '=', code).executeTakeFirst()
  const add = async (form: Record<string, string>) => {
    await admin.get('/admin/codes/test_fruit')
    return admin.post('/admin/codes/test_fruit', form)
  }

  t.test('the kinds and their items are listed', async (t) => {
    const kinds = await admin.get('/admin/codes')
    t.equal(kinds.statusCode, 200)
    t.match(kinds.body, '行业')
    t.match(kinds.body, 'href="/admin/codes/test_fruit"')
    const empty = await admin.get('/admin/codes/test_fruit')
    t.ok(says(empty.body, 'admin.codes.empty'), 'an empty list says what to do')
    const industry = await admin.get('/admin/codes/industry')
    t.match(industry.body, '信息技术')
    t.equal((await admin.get('/admin/codes/no_such_kind')).statusCode, 404)
    t.equal((await admin.get('/admin/codes/Bad%20Kind')).statusCode, 404)
  })

  t.test('add: one audit row; drop-downs list enabled items in order', async (t) => {
    const count = (await auditRows(app)).length
    t.equal((await add({ code: 'APPLE', label_zh: '苹果', label_en: 'Apple', sort: '20', enabled: 'on' })).statusCode, 303)
    const rows = await auditRows(app)
    t.equal(rows.length, count + 1)
    t.match(rows[rows.length - 1], { action: 'create', entity: 'code_item', summary: 'test_fruit:APPLE' })
    t.equal((await add({ code: 'pear_2', label_zh: '梨', label_en: '', sort: '10', enabled: 'on' })).statusCode, 303)
    t.equal((await add({ code: 'OLD-1', label_zh: '旧品种', sort: '5' })).statusCode, 303, 'added disabled (box left unticked)')
    t.equal((await item('OLD-1'))!.enabled, false)
    t.same((await codeOptions(app.db, 'test_fruit')).map((o) => o.code), ['pear_2', 'APPLE'], 'enabled only, by sort')
    t.same((await codeOptions(app.db, 'test_fruit', { keep: 'OLD-1' })).map((o) => o.code), ['OLD-1', 'pear_2', 'APPLE'], 'a record\'s retired value is kept')
  })

  t.test('bad input is refused with a message and nothing changes', async (t) => {
    const base = { code: 'KIWI', label_zh: '猕猴桃', label_en: 'Kiwi', sort: '30', enabled: 'on' }
    const cases: [Record<string, string>, string, Record<string, string | number>?][] = [
      [{ code: 'APPLE' }, 'admin.codes.codeTaken', { code: 'APPLE' }],
      [{ code: 'KI WI' }, 'admin.codes.codeChars'],
      [{ code: '猕猴桃' }, 'admin.codes.codeChars'],
      [{ code: '<script>' }, 'admin.codes.codeChars'],
      [{ code: 'K'.repeat(41) }, 'errors.tooLong', { max: 40 }],
      [{ code: '' }, 'errors.required'],
      [{ label_zh: '长'.repeat(101) }, 'errors.tooLong', { max: 100 }],
      [{ label_zh: '' }, 'errors.required'],
      [{ sort: '-1' }, 'admin.codes.sortRange'],
      [{ sort: '1.5' }, 'admin.codes.sortRange'],
      [{ sort: 'abc' }, 'admin.codes.sortRange']
    ]
    for (const [over, key, params] of cases) {
      await admin.get('/admin/codes/test_fruit')
      const res = await assertUnchanged(t, app, TABLES, () => admin.post('/admin/codes/test_fruit', { ...base, ...over }))
      t.equal(res.statusCode, 422, key)
      t.ok(says(res.body, key, params), `says ${tr(key, params)}`)
    }
  })

  t.test('edit, with a stale form refused', async (t) => {
    const apple = (await item('APPLE'))!
    const page = await admin.get(`/admin/codes/test_fruit/${apple.id}`)
    t.equal(page.statusCode, 200)
    const count = (await auditRows(app)).length
    const res = await admin.post(`/admin/codes/test_fruit/${apple.id}`, { code: 'APPLE', label_zh: '红苹果', label_en: 'Apple', sort: '20', enabled: 'on', version: '1' })
    t.equal(res.statusCode, 303)
    t.equal((await item('APPLE'))!.label_zh, '红苹果')
    const rows = await auditRows(app)
    t.equal(rows.length, count + 1)
    t.same((rows[rows.length - 1].changes as Record<string, unknown>).label_zh, ['苹果', '红苹果'])
    const stale = await assertUnchanged(t, app, TABLES, () => admin.post(`/admin/codes/test_fruit/${apple.id}`, { code: 'APPLE', label_zh: '青苹果', label_en: 'Apple', sort: '20', enabled: 'on', version: '1' }))
    t.equal(stale.statusCode, 409)
    t.match(stale.body, '红苹果', 'the saved label is shown')
    // an unused item's code may be corrected
    t.equal((await admin.post(`/admin/codes/test_fruit/${apple.id}`, { code: 'APPLE_1', label_zh: '红苹果', label_en: 'Apple', sort: '20', enabled: 'on', version: '2' })).statusCode, 303)
    t.ok(await item('APPLE_1'))
  })

  t.test('an item in use can be disabled but not deleted or recoded', async (t) => {
    await sql`insert into test_fruit_orders (fruit) values ('APPLE_1'), ('APPLE_1'), ('APPLE_1')`.execute(app.db)
    const apple = (await item('APPLE_1'))!
    const page = await admin.get(`/admin/codes/test_fruit/${apple.id}`)
    t.ok(says(page.body, 'admin.codes.inUseHint', { n: 3 }), 'the page says why it cannot be deleted')
    t.notMatch(page.body, `/admin/codes/test_fruit/${apple.id}/delete`, 'no delete button')
    const del = await assertUnchanged(t, app, TABLES, () => admin.post(`/admin/codes/test_fruit/${apple.id}/delete`))
    t.equal(del.statusCode, 422)
    t.ok(says(del.body, 'admin.codes.inUse', { n: 3, code: 'APPLE_1' }), 'says how many records use it')
    const recode = await assertUnchanged(t, app, TABLES, () => admin.post(`/admin/codes/test_fruit/${apple.id}`, { code: 'APPLE_2', label_zh: '红苹果', label_en: 'Apple', sort: '20', enabled: 'on', version: String(apple.version) }))
    t.equal(recode.statusCode, 422)
    t.ok(says(recode.body, 'admin.codes.codeInUse', { n: 3 }))
    const off = await admin.post(`/admin/codes/test_fruit/${apple.id}`, { code: 'APPLE_1', label_zh: '红苹果', label_en: 'Apple', sort: '20', version: String(apple.version) })
    t.equal(off.statusCode, 303, 'disabling is allowed')
    t.equal((await item('APPLE_1'))!.enabled, false)
    t.same((await codeOptions(app.db, 'test_fruit')).map((o) => o.code), ['pear_2'], 'gone from the drop-downs')
    t.match((await auditRows(app)).at(-1), { action: 'update', entity: 'code_item', entity_id: String(apple.id) })
  })

  t.test('an unused item is deleted with one audit row', async (t) => {
    const old = (await item('OLD-1'))!
    const count = (await auditRows(app)).length
    const res = await admin.post(`/admin/codes/test_fruit/${old.id}/delete`)
    t.equal(res.statusCode, 303)
    t.notOk(await item('OLD-1'))
    const rows = await auditRows(app)
    t.equal(rows.length, count + 1)
    t.match(rows[rows.length - 1], { action: 'delete', entity: 'code_item', entity_id: String(old.id) })
    t.equal((await admin.post(`/admin/codes/industry/${old.id}/delete`)).statusCode, 404, 'an item is found only under its own kind')
  })
})
