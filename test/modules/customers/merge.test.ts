import t from 'tap'
import { sql } from 'kysely'
import { assertUnchanged } from '../../helpers/matrix.ts'
import { auditRows, seedOffice, signIn, testApp } from '../../helpers/app.ts'
import { registerMergeHandler } from '../../../src/modules/customers/merge-service.ts'
import { createViaForm } from './helpers.ts'

const TABLES = ['customers', 'contacts', 'demand_records', 'communications', 'customer_timeline', 'customer_phones']

t.test('merge two customers: every contact and record ends on the survivor', async (t) => {
  const app = await testApp(t)
  await seedOffice(app)
  const rep = await signIn(app, 'rep')
  const sup = await signIn(app, 'super')
  const other = await signIn(app, 'other')

  // A: the survivor, entered by the rep; B: the duplicate with its own contacts and history
  const a = await createViaForm(rep, { name: '北京科技有限公司', phone: '010-6552 1234', email: '', tags: '重点' })
  const b = await createViaForm(rep, { name: '北京科技公司', phone: '010-8888 0000', email: 'sales@bjkj.cn', legal_rep: '刘备', tags: '华北, 重点' })
  const c = await createViaForm(other, { name: '别的部门的公司' })
  for (const [cid, name, mobile] of [[a, '张三', '13800000001'], [b, '李四', '13900000002'], [b, '王五', '13700000003']] as const) {
    t.equal((await rep.post(`/customers/${cid}/contacts`, { name, mobile, valid: 'on' })).statusCode, 303)
  }
  const wangwu = await app.db.selectFrom('contacts').select('id').where('name', '=', '王五').executeTakeFirstOrThrow()
  t.equal((await rep.post(`/customers/${b}/contacts/${wangwu.id}/delete`)).statusCode, 303, 'a deleted contact moves too')
  t.equal((await rep.post(`/customers/${b}/demands`, { kind: 'ADS', description: 'B的广告需求', valid_from: '2026-01-01' })).statusCode, 303)
  t.equal((await rep.post(`/customers/${b}/communications`, { kind: 'call', summary: 'B的电话记录', next_step: '回电', next_date: '2026-12-01' })).statusCode, 303)
  t.equal((await rep.post(`/customers/${a}/communications`, { kind: 'visit', summary: 'A的拜访' })).statusCode, 303)

  const count = async (table: 'contacts' | 'demand_records' | 'communications' | 'customer_timeline', id: number) =>
    Number((await app.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).where('customer_id', '=', id).executeTakeFirstOrThrow()).n)
  const before = {
    contacts: (await count('contacts', a)) + (await count('contacts', b)),
    demands: (await count('demand_records', a)) + (await count('demand_records', b)),
    comms: (await count('communications', a)) + (await count('communications', b)),
    timeline: (await count('customer_timeline', a)) + (await count('customer_timeline', b))
  }
  const codeB = (await app.db.selectFrom('customers').select('code').where('id', '=', b).executeTakeFirstOrThrow()).code

  t.test('who may open the merge page', async (t) => {
    t.equal((await rep.get(`/customers/merge?a=${a}&b=${b}`)).statusCode, 403, 'a rep may not merge')
    t.equal((await (await signIn(app, 'agent')).get(`/customers/merge?a=${a}&b=${b}`)).statusCode, 403, 'nor an agent')
    const show = await sup.get(`/customers/${a}`)
    t.match(show.body, 'action="/customers/merge"', 'the customer page offers "merge with code…" to a supervisor')
    t.notMatch((await rep.get(`/customers/${a}`)).body, 'action="/customers/merge"', 'but not to a rep')
    const pick = await sup.get('/customers/merge')
    t.equal(pick.statusCode, 200, 'without a pair: a form asking for two codes')
    t.match(pick.body, 'name="b"')
  })

  t.test('out of scope reads as not found; the same customer twice is refused', async (t) => {
    const oos = await sup.get(`/customers/merge?a=${a}&b=${c}`)
    t.equal(oos.statusCode, 404)
    const none = await sup.get(`/customers/merge?a=${a}&b=99999`)
    t.equal(none.statusCode, 404)
    t.equal(oos.body.replace(/request-id|[0-9a-f-]{6,}/g, ''), none.body.replace(/request-id|[0-9a-f-]{6,}/g, '').replace('99999', String(c)), 'same page as a customer that does not exist')
    const same = await sup.get(`/customers/merge?a=${a}&b=${a}`)
    t.equal(same.statusCode, 422)
    t.match(same.body, '请选择两个不同的客户')
    const post = await assertUnchanged(t, app, TABLES, () => sup.post('/customers/merge', { a: String(a), b: String(c), va: '1', vb: '1' }))
    t.equal(post.statusCode, 404, 'posting an out-of-scope pair changes nothing')
  })

  t.test('the side-by-side page, reached by code', async (t) => {
    const page = await sup.get(`/customers/merge?a=${a}&b=${encodeURIComponent(codeB.toLowerCase())}`)
    t.equal(page.statusCode, 200)
    t.match(page.body, '北京科技有限公司')
    t.match(page.body, '北京科技公司')
    t.match(page.body, /name="p_name" value="a" checked/, 'the survivor\'s value by default')
    t.match(page.body, /name="p_email" value="b" checked/, 'the other value where the survivor has none')
    t.match(page.body, /name="p_legal_rep" value="b" checked/)
    t.match(page.body, 'data-confirm=', 'the merge asks for confirmation')
  })

  const form = async (over: Record<string, string> = {}) => {
    const page = await sup.get(`/customers/merge?a=${a}&b=${b}`)
    const va = /name="va" value="(\d+)"/.exec(page.body)![1], vb = /name="vb" value="(\d+)"/.exec(page.body)![1]
    return { a: String(a), b: String(b), va, vb, p_name: 'a', p_phone: 'b', p_email: 'b', p_legal_rep: 'b', ...over }
  }

  t.test('invalid choices and stale versions change nothing', async (t) => {
    const bad = await assertUnchanged(t, app, TABLES, async () => sup.post('/customers/merge', await form({ p_name: 'c' })))
    t.equal(bad.statusCode, 422)
    const dup = await assertUnchanged(t, app, TABLES, async () => sup.post('/customers/merge', { ...(await form()), p_phone: ['a', 'b'] }))
    t.equal(dup.statusCode, 422, 'a duplicated parameter is refused')
    // the rep edits B after the supervisor opened the merge page
    const opened = await form()
    const edit = await rep.get(`/customers/${b}/edit`)
    const version = /name="version" value="(\d+)"/.exec(edit.body)![1]
    t.equal((await rep.post(`/customers/${b}`, { customer_type: 'A', name: '北京科技公司', grade: 'B', status: 'potential', phone: '010-8888 0000', email: 'sales@bjkj.cn', legal_rep: '刘备', tags: '华北, 重点', version })).statusCode, 303)
    const stale = await assertUnchanged(t, app, TABLES, () => sup.post('/customers/merge', opened))
    t.equal(stale.statusCode, 409)
    t.match(stale.body, '合并未完成')
    t.match(stale.body, '张三', 'who changed it')
    const selfMerge = await assertUnchanged(t, app, TABLES, async () => sup.post('/customers/merge', await form({ b: String(a) })))
    t.equal(selfMerge.statusCode, 422)
  })

  t.test('merge', async (t) => {
    const seen: [number, number][] = []
    registerMergeHandler(async (trx, fromId, toId) => {
      // a later module's hook runs inside the merge's transaction
      const n = await sql<{ n: number }>`select count(*)::int as n from customers where id = ${fromId} and merged_into is null`.execute(trx)
      seen.push([fromId, toId])
      return { test_refs: [n.rows[0].n] }
    })
    const bBefore = await app.db.selectFrom('customers').selectAll().where('id', '=', b).executeTakeFirstOrThrow()
    const res = await sup.post('/customers/merge', await form())
    t.equal(res.statusCode, 303)
    t.equal(res.headers.location, `/customers/${a}`)
    t.same(seen, [[b, a]], 'the registered handler was called with (from, to)')

    t.equal(await count('contacts', b), 0)
    t.equal(await count('demand_records', b), 0)
    t.equal(await count('communications', b), 0)
    t.equal(await count('customer_timeline', b), 0)
    t.equal(await count('contacts', a), before.contacts, 'every contact is on the survivor, the deleted one too')
    t.equal(await count('demand_records', a), before.demands)
    t.equal(await count('communications', a), before.comms)
    t.equal(await count('customer_timeline', a), before.timeline + 1, 'all timeline rows plus the merge entry')

    const A = await app.db.selectFrom('customers').selectAll().where('id', '=', a).executeTakeFirstOrThrow()
    const B = await app.db.selectFrom('customers').selectAll().where('id', '=', b).executeTakeFirstOrThrow()
    t.equal(A.name, '北京科技有限公司', 'kept the survivor\'s name')
    t.equal(A.phone, '010-8888 0000', 'took the chosen phone')
    t.equal(A.email, 'sales@bjkj.cn')
    t.equal(A.legal_rep, '刘备')
    t.same([...A.tags].sort(), ['华北', '重点'].sort(), 'tags of both')
    t.equal(B.merged_into, a)
    t.ok(B.deleted_at, 'the absorbed customer is marked deleted')
    t.ok(A.search_grams.includes('李四'), 'moved contacts are searchable on the survivor')
    const phones = (await app.db.selectFrom('customer_phones').select(['customer_id', 'phone']).where('customer_id', 'in', [a, b]).execute())
    t.ok(phones.every((p) => p.customer_id === a), 'no phone leads to the absorbed customer')
    t.ok(phones.some((p) => p.phone === '13900000002'), 'the moved contact\'s mobile finds the survivor')

    const auditA = await auditRows(app, { entity: 'customer', entityId: a, action: 'merge' })
    const auditB = await auditRows(app, { entity: 'customer', entityId: b, action: 'merge' })
    t.equal(auditA.length, 1)
    t.equal(auditB.length, 1)
    const d = auditB[0].changes as { absorbed_before: Record<string, unknown>; choices: Record<string, string>; moved: Record<string, unknown>; merged_into: number }
    t.equal(d.merged_into, a)
    t.equal(d.absorbed_before.name, bBefore.name, 'the full before-image of the absorbed customer')
    t.equal(d.absorbed_before.phone, bBefore.phone)
    t.equal(d.absorbed_before.version, bBefore.version)
    t.equal(d.choices.phone, 'b')
    t.equal(d.choices.name, 'a')
    t.equal((d.moved.contacts as number[]).length, 2)
    t.same(d.moved.others, [{ test_refs: [1] }], 'the hook\'s summary is in the log')
    const dA = auditA[0].changes as { changes: Record<string, unknown>; survivor_before: Record<string, unknown>; absorbed_before: Record<string, unknown> }
    t.same(dA.changes.phone, ['010-6552 1234', '010-8888 0000'], 'field-level before/after on the survivor')
    t.equal(dA.absorbed_before.name, bBefore.name)

    const old = await sup.get(`/customers/${b}`)
    t.equal(old.statusCode, 303, 'the absorbed customer\'s old address leads to the survivor')
    t.equal(old.headers.location, `/customers/${a}`)
    const show = await sup.get(`/customers/${a}`)
    t.match(show.body, '李四')
    t.match(show.body, 'B的广告需求')
    t.match(show.body, 'B的电话记录')
    t.match(show.body, `合并了客户 ${codeB}`)
    const again = await assertUnchanged(t, app, TABLES, () => sup.post('/customers/merge', { a: String(a), b: String(b), va: String(A.version), vb: String(B.version) }))
    t.equal(again.statusCode, 404, 'a merged customer cannot be merged again')
    t.notMatch((await sup.get('/customers')).body, '北京科技公司<', 'the absorbed customer is gone from the list')
  })
})
