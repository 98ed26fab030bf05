import t from 'tap'
import { auditRows, seedOffice, signIn, testApp } from '../../helpers/app.ts'
import { createViaForm, customerForm } from './helpers.ts'

t.test('customer create, show, edit, delete, restore', async (t) => {
  const app = await testApp(t)
  await seedOffice(app)
  const rep = await signIn(app, 'rep')
  const sup = await signIn(app, 'super')

  const id = await createViaForm(rep, { name: '上海华为技术有限公司', tags: '重点, 华东' })
  const row = await app.db.selectFrom('customers').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
  t.match(row.code, /^A-\d{6}$/, 'code is type + sequence')
  t.equal(row.review_state, 'pending', 'an ordinary user\'s entry waits for review')
  t.same(row.tags, ['重点', '华东'])
  t.equal(row.name_initials, 'shhwjsyxgs')
  t.ok(row.search_grams.includes('华为'))
  const phones = await app.db.selectFrom('customer_phones').selectAll().where('customer_id', '=', id).execute()
  t.same(phones.map((p) => p.phone), ['01065521234'])
  t.equal((await auditRows(app, { entity: 'customer', entityId: id, action: 'create' })).length, 1)

  const show = await rep.get(`/customers/${id}`)
  t.equal(show.statusCode, 200)
  t.match(show.body, '上海华为技术有限公司')
  t.match(show.body, row.code)

  const supCreated = await createViaForm(sup, { name: '主管录入公司' })
  const sc = await app.db.selectFrom('customers').select('review_state').where('id', '=', supCreated).executeTakeFirstOrThrow()
  t.equal(sc.review_state, 'approved', 'a supervisor\'s entry needs no review')

  t.test('invalid input is refused with the values kept', async (t) => {
    const page = await rep.get('/customers/new')
    const token = /name="form_token" value="([^"]+)"/.exec(page.body)![1]
    const before = await app.db.selectFrom('customers').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
    const res = await rep.post('/customers', { ...customerForm({ name: '', email: 'not-mail', industry: 'NOPE', phone: 'abc', legal_rep: 'x'.repeat(61) }), form_token: token })
    t.equal(res.statusCode, 422)
    t.match(res.body, 'field-error')
    t.match(res.body, 'value="not-mail"', 'typed values are kept')
    const after = await app.db.selectFrom('customers').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
    t.equal(after.n, before.n, 'nothing created')
  })

  t.test('double submit makes one customer', async (t) => {
    const page = await rep.get('/customers/new')
    const token = /name="form_token" value="([^"]+)"/.exec(page.body)![1]
    const form = { ...customerForm({ name: '双击测试公司' }), form_token: token }
    const results = await Promise.all(Array.from({ length: 10 }, () => rep.post('/customers', form)))
    const locations = new Set(results.map((r) => r.headers.location))
    t.equal(locations.size, 1, 'every post points to the same customer')
    const n = await app.db.selectFrom('customers').select((eb) => eb.fn.countAll<number>().as('n')).where('name', '=', '双击测试公司').executeTakeFirstOrThrow()
    t.equal(n.n, 1)
    const other = await signIn(app, 'rep2')
    const stolen = await other.post('/customers', form)
    t.equal(stolen.statusCode, 409, 'another user cannot replay the token')
  })

  t.test('stale edit is refused and shows the other change', async (t) => {
    const edit1 = await rep.get(`/customers/${id}/edit`)
    const version = /name="version" value="(\d+)"/.exec(edit1.body)![1]
    const ok = await rep.post(`/customers/${id}`, { ...customerForm({ name: '上海华为技术有限公司', grade: 'A' }), version })
    t.equal(ok.statusCode, 303)
    const stale = await rep.post(`/customers/${id}`, { ...customerForm({ name: '改名公司', grade: 'C' }), version })
    t.equal(stale.statusCode, 409)
    t.match(stale.body, 'value="改名公司"', 'my input kept')
    t.match(stale.body, 'class="before">A<', 'their grade shown')
    const now = await app.db.selectFrom('customers').select(['name', 'grade', 'version']).where('id', '=', id).executeTakeFirstOrThrow()
    t.same([now.name, now.grade], ['上海华为技术有限公司', 'A'], 'nothing overwritten')
    t.equal((await auditRows(app, { entity: 'customer', entityId: id, action: 'update' })).length, 1)
  })

  t.test('contacts, communications, demand records', async (t) => {
    const k = await rep.post(`/customers/${id}/contacts`, { name: '张三', mobile: '+86 138-0013-8000', position: 'GM', valid: 'on', birthday: '1980-05-06' })
    t.equal(k.statusCode, 303)
    const cust = await app.db.selectFrom('customers').select(['main_contact_id', 'search_grams']).where('id', '=', id).executeTakeFirstOrThrow()
    t.ok(cust.main_contact_id, 'first contact became the main contact')
    t.ok(cust.search_grams.includes('张三'), 'contact names are searchable')
    const ph = await app.db.selectFrom('customer_phones').select('phone').where('customer_id', '=', id).execute()
    t.ok(ph.some((p) => p.phone === '13800138000'), 'contact mobile normalised')

    const m = await rep.hx('POST', `/customers/${id}/communications`, { kind: 'call', summary: '询问报价', next_step: '发送报价单', next_date: '2026-12-01', contact_id: String(cust.main_contact_id) })
    t.equal(m.statusCode, 200, 'htmx gets the section back')
    t.match(m.body, '询问报价')
    t.notMatch(m.body, '<html', 'a fragment, not a page')
    const bad = await rep.hx('POST', `/customers/${id}/communications`, { kind: 'call', summary: '' })
    t.equal(bad.statusCode, 422)

    const d = await rep.post(`/customers/${id}/demands`, { kind: 'ADS', description: '年度广告投放', valid_from: '2026-01-01', valid_to: '2025-01-01' })
    t.equal(d.statusCode, 422, 'end before start refused')
    const d2 = await rep.post(`/customers/${id}/demands`, { kind: 'ADS', description: '年度广告投放', valid_from: '2026-01-01', valid_to: '2027-01-01' })
    t.equal(d2.statusCode, 303)
    const page = await rep.get(`/customers/${id}`)
    t.match(page.body, '年度广告投放')
    t.match(page.body, '询问报价')
  })

  t.test('scope: another rep gets 404, supervisor sees the subtree', async (t) => {
    const other = await signIn(app, 'other')
    for (const url of [`/customers/${id}`, `/customers/${id}/edit`]) t.equal((await other.get(url)).statusCode, 404, url)
    const post = await other.post(`/customers/${id}`, { ...customerForm(), version: '1' })
    t.equal(post.statusCode, 404)
    t.equal((await sup.get(`/customers/${id}`)).statusCode, 200)
    const list = await other.get('/customers')
    t.notMatch(list.body, '上海华为技术有限公司')
    const repList = await rep.get('/customers')
    t.match(repList.body, '上海华为技术有限公司')
  })

  t.test('soft delete and restore', async (t) => {
    t.equal((await rep.post(`/customers/${id}/delete`)).statusCode, 403, 'reps cannot delete')
    t.equal((await sup.post(`/customers/${id}/delete`)).statusCode, 303)
    t.equal((await rep.get(`/customers/${id}`)).statusCode, 404)
    const trash = await sup.get('/customers?deleted=1')
    t.match(trash.body, '上海华为技术有限公司')
    t.equal((await sup.post(`/customers/${id}/restore`)).statusCode, 303)
    t.equal((await rep.get(`/customers/${id}`)).statusCode, 200)
    t.equal((await auditRows(app, { entity: 'customer', entityId: id, action: 'delete' })).length, 1)
    t.equal((await auditRows(app, { entity: 'customer', entityId: id, action: 'restore' })).length, 1)
  })
})
