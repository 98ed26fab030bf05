import t from 'tap'
import { assertUnchanged } from '../../helpers/matrix.ts'
import { auditRows, seedOffice, signIn, testApp } from '../../helpers/app.ts'
import { createViaForm, customerForm } from './helpers.ts'

const TABLES = ['customers', 'customer_timeline']
const versionOf = (body: string, id: number) => new RegExp(`action="/customers/${id}/approve"[\\s\\S]*?name="version" value="(\\d+)"`).exec(body)?.[1]

t.test('review: queue, reject with a reason, resubmit, approve', async (t) => {
  const app = await testApp(t)
  await seedOffice(app)
  const rep = await signIn(app, 'rep')
  const sup = await signIn(app, 'super')
  const boss = await signIn(app, 'boss')
  const other = await signIn(app, 'other')

  const id = await createViaForm(rep, { name: '待审核科技有限公司' })
  const otherId = await createViaForm(other, { name: '客服部录入公司' })
  const row = () => app.db.selectFrom('customers').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
  t.equal((await row()).review_state, 'pending')

  t.test('the queue shows the customers in the reviewer\'s scope, oldest first', async (t) => {
    const q = await sup.get('/customers/review')
    t.equal(q.statusCode, 200)
    t.match(q.body, '待审核科技有限公司')
    t.match(q.body, `id="c${id}"`, 'rows carry the anchor the customer page links to')
    t.notMatch(q.body, '客服部录入公司', 'another department\'s customer is not in the supervisor\'s queue')
    const all = await boss.get('/customers/review')
    t.ok(all.body.indexOf('待审核科技有限公司') < all.body.indexOf('客服部录入公司'), 'oldest first')
    const home = await sup.get('/')
    t.match(home.body, '1 个客户等待审核', 'the supervisor\'s workbench counts the queue')
    t.match(home.body, 'href="/customers/review"')
    t.notMatch((await rep.get('/')).body, '等待审核', 'a rep gets no review reminder')
    t.equal((await rep.get('/customers/review')).statusCode, 403)
  })

  t.test('reject needs a reason; nothing changes without one', async (t) => {
    const q = await sup.get('/customers/review')
    const version = versionOf(q.body, id)!
    const res = await assertUnchanged(t, app, TABLES, () => sup.post(`/customers/${id}/reject`, { version, reason: '   ' }))
    t.equal(res.statusCode, 422)
    t.match(res.body, 'field-error')
    t.match(res.body, '请填写退回原因')
    const long = await assertUnchanged(t, app, TABLES, () => sup.post(`/customers/${id}/reject`, { version, reason: 'x'.repeat(301) }))
    t.equal(long.statusCode, 422)
  })

  t.test('a stale version is refused', async (t) => {
    const res = await assertUnchanged(t, app, TABLES, () => sup.post(`/customers/${id}/approve`, { version: '99' }))
    t.equal(res.statusCode, 409)
    t.match(res.body, '操作未完成')
  })

  t.test('out of scope is 404 and changes nothing', async (t) => {
    const res = await assertUnchanged(t, app, TABLES, () => sup.post(`/customers/${otherId}/approve`, { version: '1' }))
    t.equal(res.statusCode, 404)
    const res2 = await assertUnchanged(t, app, TABLES, () => rep.post(`/customers/${id}/approve`, { version: '1' }))
    t.equal(res2.statusCode, 403, 'a rep cannot approve his own customer')
  })

  t.test('rejected: goes back to the owner with the reason', async (t) => {
    const version = versionOf((await sup.get('/customers/review')).body, id)!
    const res = await sup.post(`/customers/${id}/reject`, { version, reason: '缺少营业执照信息' })
    t.equal(res.statusCode, 303)
    t.equal(res.headers.location, '/customers/review')
    const r = await row()
    t.equal(r.review_state, 'rejected')
    t.equal(r.review_note, '缺少营业执照信息')
    t.equal(r.version, Number(version) + 1)
    const a = await auditRows(app, { entity: 'customer', entityId: id, action: 'reject' })
    t.equal(a.length, 1)
    t.same((a[0].changes as Record<string, unknown>).review_state, ['pending', 'rejected'])
    const tl = await app.db.selectFrom('customer_timeline').selectAll().where('customer_id', '=', id).where('kind', '=', 'customer.rejected').execute()
    t.equal(tl.length, 1)
    t.match(tl[0].title, '缺少营业执照信息')
    t.notMatch((await sup.get('/customers/review')).body, '待审核科技有限公司', 'it left the queue')
    const show = await rep.get(`/customers/${id}`)
    t.match(show.body, '缺少营业执照信息', 'the owner sees the reason on the customer page')
    const home = await rep.get('/')
    t.match(home.body, '您的客户 待审核科技有限公司 被退回：缺少营业执照信息', 'and on his workbench')
    t.match(home.body, `href="/customers/${id}"`)
  })

  t.test('the owner\'s next save resubmits it', async (t) => {
    const edit = await rep.get(`/customers/${id}/edit`)
    const version = /name="version" value="(\d+)"/.exec(edit.body)![1]
    const res = await rep.post(`/customers/${id}`, { ...customerForm({ name: '待审核科技有限公司', legal_rep: '王五' }), version })
    t.equal(res.statusCode, 303)
    t.equal((await row()).review_state, 'pending')
    const tl = await app.db.selectFrom('customer_timeline').select('kind').where('customer_id', '=', id).where('kind', '=', 'customer.resubmitted').execute()
    t.equal(tl.length, 1)
    const q = await sup.get('/customers/review')
    t.match(q.body, '待审核科技有限公司')
    t.match(q.body, '曾被退回：缺少营业执照信息', 'the reviewer sees why it came back')
    t.notMatch((await rep.get('/')).body, '被退回', 'the owner\'s reminder is gone')
  })

  t.test('approve', async (t) => {
    const version = versionOf((await sup.get('/customers/review')).body, id)!
    const res = await sup.post(`/customers/${id}/approve`, { version })
    t.equal(res.statusCode, 303)
    const r = await row()
    t.equal(r.review_state, 'approved')
    t.equal(r.review_note, null)
    t.ok(r.reviewed_at)
    const sid = (await app.db.selectFrom('users').select('id').where('login', '=', 'super').executeTakeFirstOrThrow()).id
    t.equal(r.reviewed_by, sid)
    t.equal((await auditRows(app, { entity: 'customer', entityId: id, action: 'approve' })).length, 1)
    t.equal((await app.db.selectFrom('customer_timeline').select('id').where('customer_id', '=', id).where('kind', '=', 'customer.approved').execute()).length, 1)
    const again = await assertUnchanged(t, app, TABLES, () => sup.post(`/customers/${id}/approve`, { version: String(r.version) }))
    t.equal(again.statusCode, 409, 'an approved customer is not approved twice')
    const home = await sup.get('/')
    t.notMatch(home.body, '个客户等待审核', 'nothing waits in the supervisor\'s scope now')
    const flash = await sup.get('/customers/review')
    t.match(flash.body, '没有等待审核的客户', 'the empty queue says what will appear')
  })
})

t.test('review queue pages by keyset, oldest first', async (t) => {
  const app = await testApp(t)
  const office = await seedOffice(app)
  // 55 pending customers of the rep, written directly: this test is about paging
  await app.db.insertInto('customers').values(Array.from({ length: 55 }, (_, i) => ({
    code: `A-9${String(i).padStart(5, '0')}`, customer_type: 'A', name: `分页客户${i}`, owner_id: office.users.rep.id, review_state: 'pending' as const
  }))).execute()
  const sup = await signIn(app, 'super')
  const p1 = await sup.get('/customers/review')
  t.match(p1.body, '共 55 个客户等待审核')
  t.match(p1.body, '分页客户0<')
  t.match(p1.body, '分页客户49<')
  t.notMatch(p1.body, '分页客户50<')
  const next = /href="(\/customers\/review\?after=\d+)"/.exec(p1.body)![1]
  const p2 = await sup.get(next)
  t.match(p2.body, '分页客户50<')
  t.match(p2.body, '分页客户54<')
  t.notMatch(p2.body, '分页客户49<')
  t.notMatch(p2.body, 'review?after=', 'no further page')
  const bad = await sup.get('/customers/review?after=abc')
  t.equal(bad.statusCode, 200, 'a malformed cursor starts from the beginning')
})
