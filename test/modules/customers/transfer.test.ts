import t from 'tap'
import { assertUnchanged } from '../../helpers/matrix.ts'
import { auditRows, seedOffice, signIn, testApp } from '../../helpers/app.ts'
import { createViaForm } from './helpers.ts'

const TABLES = ['customers', 'customer_timeline']

t.test('transfer a leaving rep\'s customers to another rep', async (t) => {
  const app = await testApp(t)
  const office = await seedOffice(app)
  const { rep, rep2, other } = office.users
  const repC = await signIn(app, 'rep')
  const sup = await signIn(app, 'super')
  const otherC = await signIn(app, 'other')

  const ids: number[] = []
  for (const name of ['转移甲公司', '转移乙公司', '转移丙公司', '转移丁公司']) ids.push(await createViaForm(repC, { name }))
  const foreign = await createViaForm(otherC, { name: '客服部客户' })
  // the rep leaves: his account is disabled, his customers stay his until transferred
  await app.db.updateTable('users').set({ active: false }).where('id', '=', rep.id).execute()
  const owners = async () => (await app.db.selectFrom('customers').select('owner_id').where('id', 'in', ids).execute()).map((r) => r.owner_id)

  t.test('the transfer page', async (t) => {
    const page = await sup.get('/customers/transfer')
    t.equal(page.statusCode, 200)
    t.match(page.body, '张三 (rep) · 已停用', 'a disabled rep can be chosen as the one who leaves')
    t.notMatch(page.body, '赵六', 'people outside the supervisor\'s scope are not offered')
    const preview = await sup.get(`/customers/transfer?from=${rep.id}`)
    t.match(preview.body, '张三 名下共有 4 个客户')
    t.match(preview.body, '转移甲公司')
    t.match(preview.body, '请选择新负责人')
    t.notMatch(preview.body, 'action="/customers/bulk/apply"', 'no apply without a new owner')
    const ready = await sup.get(`/customers/transfer?from=${rep.id}&to=${rep2.id}`)
    t.match(ready.body, 'action="/customers/bulk/apply"')
    t.match(ready.body, 'name="expected" value="4"')
    t.match(ready.body, '把 4 个客户从 张三 转给 李四')
    const toDisabled = await sup.get(`/customers/transfer?from=${rep2.id}&to=${rep.id}`)
    t.equal(toDisabled.statusCode, 422, 'a disabled user cannot receive customers')
    const toOutside = await sup.get(`/customers/transfer?from=${rep.id}&to=${other.id}`)
    t.equal(toOutside.statusCode, 422, 'nor someone outside the scope')
    const same = await sup.get(`/customers/transfer?from=${rep2.id}&to=${rep2.id}`)
    t.equal(same.statusCode, 422)
    t.match(same.body, '新负责人不能与原负责人相同')
    t.equal((await (await signIn(app, 'rep2')).get('/customers/transfer')).statusCode, 403, 'a rep may not transfer')
  })

  const apply = (over: Record<string, string | string[]> = {}) => ({
    target: 'filter', filter: `owner=${rep.id}`, action: 'transfer', owner_id: String(rep2.id), expected: '4', ...over
  })

  t.test('refusals write nothing', async (t) => {
    const r1 = await assertUnchanged(t, app, TABLES, () => sup.post('/customers/bulk/apply', apply({ owner_id: String(rep.id) })))
    t.equal(r1.statusCode, 422, 'new owner disabled')
    const r2 = await assertUnchanged(t, app, TABLES, () => sup.post('/customers/bulk/apply', apply({ owner_id: String(other.id) })))
    t.equal(r2.statusCode, 422, 'new owner out of scope')
    const r3 = await assertUnchanged(t, app, TABLES, () => sup.post('/customers/bulk/apply', apply({ expected: '3' })))
    t.equal(r3.statusCode, 409, 'the count changed since the preview')
    const r4 = await assertUnchanged(t, app, TABLES, () => sup.post('/customers/bulk/apply', { target: 'selected', ids: [String(ids[0]), String(foreign)], action: 'transfer', owner_id: String(rep2.id), expected: '2' }))
    t.equal(r4.statusCode, 404, 'a ticked customer out of scope')
    const rep2C = await signIn(app, 'rep2')
    const r5 = await assertUnchanged(t, app, TABLES, () => rep2C.post('/customers/bulk/apply', apply()))
    t.equal(r5.statusCode, 403, 'a rep lacks customers.assign')
    const r6 = await assertUnchanged(t, app, TABLES, () => otherC.post('/customers/bulk/apply', apply()))
    t.equal(r6.statusCode, 403)
    t.same(await owners(), ids.map(() => rep.id))
  })

  t.test('apply', async (t) => {
    const before = await app.db.selectFrom('customers').select(['id', 'version']).where('id', 'in', ids).orderBy('id').execute()
    const res = await sup.post('/customers/bulk/apply', apply())
    t.equal(res.statusCode, 303)
    t.same(await owners(), ids.map(() => rep2.id), 'every customer now belongs to the new owner')
    const after = await app.db.selectFrom('customers').select(['id', 'version']).where('id', 'in', ids).orderBy('id').execute()
    t.same(after.map((r) => r.version), before.map((r) => r.version + 1), 'versions bumped')
    const audit = await auditRows(app, { entity: 'customer', action: 'transfer' })
    t.equal(audit.length, 4, 'one audit row per customer')
    t.same(audit.map((a) => (a.changes as Record<string, unknown>).owner_id), ids.map(() => [rep.id, rep2.id]))
    t.same(audit.map((a) => Number(a.entity_id)).sort(), [...ids].sort())
    const tl = await app.db.selectFrom('customer_timeline').select(['customer_id', 'title']).where('kind', '=', 'customer.transfer').execute()
    t.equal(tl.length, 4)
    t.equal(tl[0].title, '负责人由 张三 转给 李四')
    const bulk = await auditRows(app, { entity: 'customer_bulk' })
    t.equal(bulk.length, 1, 'and one row for the operation')
    const done = await sup.get(String(res.headers.location))
    t.match(done.body, '已修改 4 个客户')
    t.match(done.body, `href="/customers?owner=${rep2.id}"`)
    const rep2C = await signIn(app, 'rep2')
    t.match((await rep2C.get('/customers')).body, '转移甲公司', 'the new owner sees them')
    t.equal((await sup.get(`/customers/transfer?from=${rep.id}`)).statusCode, 200)
    t.match((await sup.get(`/customers/transfer?from=${rep.id}`)).body, '张三 名下没有您范围内的客户')
    t.equal((await app.db.selectFrom('customers').select('owner_id').where('id', '=', foreign).executeTakeFirstOrThrow()).owner_id, other.id)
  })
})
