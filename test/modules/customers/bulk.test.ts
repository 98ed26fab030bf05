import t from 'tap'
import { assertUnchanged } from '../../helpers/matrix.ts'
import { auditRows, seedOffice, signIn, testApp } from '../../helpers/app.ts'
import { createViaForm } from './helpers.ts'

const TABLES = ['customers', 'contacts', 'customer_timeline']

t.test('bulk update of grade, status and tags', async (t) => {
  const app = await testApp(t)
  await seedOffice(app)
  const rep = await signIn(app, 'rep')
  const sup = await signIn(app, 'super')
  const other = await signIn(app, 'other')

  const ids = [
    await createViaForm(rep, { name: '华为代理甲公司', grade: 'B', tags: '华东' }),
    await createViaForm(rep, { name: '华为代理乙公司', grade: 'B' }),
    await createViaForm(rep, { name: '丙贸易公司', grade: 'A', status: 'won' })
  ]
  const foreign = await createViaForm(other, { name: '客服部的公司', grade: 'B' })
  const rows = () => app.db.selectFrom('customers').select(['id', 'grade', 'status', 'tags', 'version', 'name', 'owner_id']).where('id', 'in', ids).orderBy('id').execute()

  t.test('the list carries the bulk bar', async (t) => {
    const list = await rep.get('/customers')
    t.match(list.body, 'id="bulk-form"')
    t.match(list.body, 'name="ids"')
    t.match(list.body, 'value="grade"')
    t.notMatch(list.body, 'value="transfer"', 'a rep cannot transfer')
    const supList = await sup.get('/customers')
    t.match(supList.body, 'value="transfer"')
    t.match(supList.body, 'href="/customers/transfer"')
  })

  t.test('preview of the ticked rows', async (t) => {
    const res = await rep.post('/customers/bulk', { ids: ids.map(String), action: 'grade', grade: 'A', target: 'selected' })
    t.equal(res.statusCode, 200)
    t.match(res.body, '已选中 3 个客户')
    t.match(res.body, '华为代理甲公司')
    t.match(res.body, 'action="/customers/bulk/apply"')
    t.match(res.body, 'name="expected" value="3"')
    t.match(res.body, /value="grade" checked/, 'the chosen action stays chosen')
    const oos = await assertUnchanged(t, app, TABLES, () => rep.post('/customers/bulk', { ids: [String(ids[0]), String(foreign)], action: 'grade', grade: 'A' }))
    t.equal(oos.statusCode, 404, 'a ticked customer out of scope: 404')
    const none = await rep.post('/customers/bulk', { action: 'grade', grade: 'A' })
    t.equal(none.statusCode, 422)
    t.match(none.body, '请先在列表中勾选客户')
    const junk = await rep.post('/customers/bulk', { ids: ['1 or 1=1'], action: 'grade' })
    t.equal(junk.statusCode, 404)
    const forbidden = await assertUnchanged(t, app, TABLES, () => rep.post('/customers/bulk', { ids: ids.map(String), action: 'transfer' }))
    t.equal(forbidden.statusCode, 403, 'transfer needs customers.assign')
  })

  t.test('invalid input is refused with a message and nothing changes', async (t) => {
    const form = { ids: ids.map(String), target: 'selected', expected: '3' }
    const cases: [string, Record<string, string | string[]>, string][] = [
      ['no action', {}, '此项必填'],
      ['no grade', { action: 'grade' }, '此项必填'],
      ['unknown grade', { action: 'grade', grade: 'Z' }, '格式不正确'],
      ['unknown status', { action: 'status', status: 'happy' }, '格式不正确'],
      ['empty tag', { action: 'tag_add', tag: ' , ' }, '此项必填'],
      ['long tag', { action: 'tag_add', tag: 'x'.repeat(21) }, '不能超过 20 个字符'],
      ['duplicated action', { action: ['grade', 'status'], grade: 'A', status: 'won' }, '格式不正确'],
      ['no expected count', { action: 'grade', grade: 'A', expected: '' }, '']
    ]
    for (const [what, extra, msg] of cases) {
      const res = await assertUnchanged(t, app, [...TABLES, 'audit_log'], () => rep.post('/customers/bulk/apply', { ...form, ...extra }), `${what}: nothing changed`)
      t.equal(res.statusCode, 422, what)
      if (msg) t.match(res.body, msg, `${what}: message`)
    }
  })

  t.test('apply a grade to the ticked rows', async (t) => {
    const res = await rep.post('/customers/bulk/apply', {
      ids: ids.map(String), target: 'selected', action: 'grade', grade: 'A', expected: '3',
      // fields that do not belong to the action are ignored, whatever is posted
      name: '篡改', owner_id: '1', status: 'dead', version: '1', 'constructor[prototype][x]': 'y', '__proto__[x]': 'y'
    })
    t.equal(res.statusCode, 303)
    t.match(String(res.headers.location), /^\/customers\/bulk\/done\/\d+$/)
    const now = await rows()
    t.same(now.map((r) => r.grade), ['A', 'A', 'A'])
    t.same(now.map((r) => r.status), ['potential', 'potential', 'won'], 'status untouched')
    t.ok(now.every((r) => !r.name.includes('篡改')), 'name untouched')
    t.same(now.map((r) => r.version), [2, 2, 1], 'versions bumped where something changed')
    const audit = await auditRows(app, { entity: 'customer', action: 'update' })
    t.equal(audit.length, 2, 'one audit row per customer changed (the third was already A)')
    t.same(audit.map((a) => (a.changes as Record<string, unknown>).grade), [['B', 'A'], ['B', 'A']])
    const tl = await app.db.selectFrom('customer_timeline').select(['customer_id', 'title']).where('kind', '=', 'customer.status').orderBy('id').execute()
    t.same(tl.map((r) => r.customer_id), ids.slice(0, 2))
    t.equal(tl[0].title, 'B/potential → A/potential')
    const done = await rep.get(String(res.headers.location))
    t.equal(done.statusCode, 200)
    t.match(done.body, '已修改 2 个客户')
    t.match(done.body, '另有 1 个客户原本就是该值')
    t.equal((await sup.get(String(res.headers.location))).statusCode, 404, 'the report is its author\'s')
  })

  t.test('add and remove a tag', async (t) => {
    t.equal((await rep.post('/customers/bulk/apply', { ids: ids.map(String), action: 'tag_add', tag: '华东', expected: '3' })).statusCode, 303)
    t.same((await rows()).map((r) => r.tags), [['华东'], ['华东'], ['华东']], 'added once, not twice')
    t.equal((await rep.post('/customers/bulk/apply', { ids: [String(ids[0])], action: 'tag_remove', tag: '华东', expected: '1' })).statusCode, 303)
    t.same((await rows()).map((r) => r.tags), [[], ['华东'], ['华东']])
  })

  t.test('all customers of the current filter', async (t) => {
    const res = await rep.post('/customers/bulk', { target: 'filter', filter: 'q=华为&sort=name', action: 'status', status: 'interested' })
    t.equal(res.statusCode, 200)
    t.match(res.body, '当前筛选条件下的全部客户：2 个')
    t.notMatch(res.body, '丙贸易公司')
    t.match(res.body, 'name="filter" value="q=')
    const bad = await rep.post('/customers/bulk', { target: 'filter', filter: 'grade=Z' })
    t.equal(bad.statusCode, 422, 'an invalid filter is refused')
    // someone else adds a customer that matches before the user applies
    const stale = { target: 'filter', filter: 'q=华为', action: 'status', status: 'interested', expected: '2' }
    await createViaForm(rep, { name: '华为代理丁公司' })
    const changed = await assertUnchanged(t, app, TABLES, () => rep.post('/customers/bulk/apply', stale))
    t.equal(changed.statusCode, 409, 'the targets changed since the preview: nothing written')
    t.match(changed.body, '现在符合条件的是 3 个')
    t.match(changed.body, 'name="expected" value="3"')
    const ok = await rep.post('/customers/bulk/apply', { ...stale, expected: '3' })
    t.equal(ok.statusCode, 303)
    const st = await app.db.selectFrom('customers').select(['name', 'status']).where('name', 'like', '华为代理%').orderBy('id').execute()
    t.ok(st.every((r) => r.status === 'interested'), 'every filtered customer changed')
    t.equal((await app.db.selectFrom('customers').select('status').where('id', '=', ids[2]).executeTakeFirstOrThrow()).status, 'won', 'the others not')
    const foreignNow = await app.db.selectFrom('customers').select('status').where('id', '=', foreign).executeTakeFirstOrThrow()
    t.equal(foreignNow.status, 'potential', 'nothing outside the rep\'s scope')
  })
})
