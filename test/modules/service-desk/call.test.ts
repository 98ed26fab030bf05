import t from 'tap'
import { normalizePhone } from '../../../src/platform/phone.ts'
import { auditRows, seedOffice, signIn, testApp } from '../../helpers/app.ts'
import { createViaForm } from '../customers/helpers.ts'
import { logCall, msg } from './helpers.ts'

t.test('phone normalisation', async (t) => {
  const cases: [string, string][] = [
    ['+86 138-0013-8000', '13800138000'], ['0086 13800138000', '13800138000'], ['8613800138000', '13800138000'],
    ['(010) 6552 1234', '01065521234'], ['010-65521234 转 808', '01065521234'], ['010-65521234 ext. 12', '01065521234'],
    ['138 0013 8000', '13800138000'], ['', '']
  ]
  for (const [raw, want] of cases) t.equal(normalizePhone(raw), want, raw)
})

t.test('call screen: screen pop, known caller, save with lead and callback', async (t) => {
  const app = await testApp(t)
  await seedOffice(app)
  const rep = await signIn(app, 'rep')
  const cid = await createViaForm(rep, { name: '深圳华强电子有限公司', phone: '0755-8888 1234' })
  await rep.post(`/customers/${cid}/contacts`, { name: '王五', mobile: '139 1234 5678', valid: 'on' })
  const agent = await signIn(app, 'agent')

  const pop = await agent.get('/service/calls/new?phone=%2B86%20139-1234-5678')
  t.equal(pop.statusCode, 200)
  t.match(pop.body, '深圳华强电子有限公司', 'the caller is found from a +86 number with dashes')
  t.match(pop.body, '王五')
  t.match(pop.body, `name="customer_id" value="${cid}"`, 'one known caller is linked without a click')

  const frag = await agent.get('/service/calls/lookup?caller_phone=88881234', { 'hx-request': 'true' })
  t.match(frag.body, '深圳华强电子有限公司', 'a landline typed without its area code matches')
  t.match(frag.body, 'hx-swap-oob', 'the form\'s customer link is refreshed out of band')
  t.notMatch(frag.body, '<html')

  const token = /name="form_token" value="([^"]+)"/.exec(pop.body)![1]
  const contactId = /name="contact_id" value="(\d+)"/.exec(pop.body)![1]
  const save = await agent.post('/service/requests', {
    form_token: token, caller_phone: '+86 139-1234-5678', customer_id: String(cid), contact_id: contactId, channel: 'phone',
    subject: '询问新产品价格', content: '想了解X100型号报价', answer: '已告知价格', status: 'answered', priority: 'normal',
    is_lead: 'on', lead_note: '有采购意向', book_callback: 'on', callback_at: '2026-12-01T10:00', callback_purpose: '回访报价'
  })
  t.equal(save.statusCode, 303)
  const id = Number(/\/service\/requests\/(\d+)/.exec(String(save.headers.location))![1])
  const r = await app.db.selectFrom('service_requests').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
  t.match(r.number, /^SR-\d{8}-\d{4}$/)
  t.equal(r.caller_phone_norm, '13912345678')
  t.equal(r.status, 'answered')
  t.ok(r.answered_at)
  const lead = await app.db.selectFrom('leads').selectAll().where('request_id', '=', id).executeTakeFirst()
  t.ok(lead, 'a lead was created')
  const appt = await app.db.selectFrom('appointments').selectAll().where('request_id', '=', id).executeTakeFirstOrThrow()
  t.equal(appt.scheduled_at.toISOString(), '2026-12-01T02:00:00.000Z', 'callback time is read in the office time zone')
  const tl = await app.db.selectFrom('customer_timeline').select('title').where('customer_id', '=', cid).where('kind', '=', 'request.created').execute()
  t.equal(tl.length, 1, 'the request shows on the customer timeline')
  t.equal((await auditRows(app, { entity: 'service_request', entityId: id })).length, 1)

  const again = await agent.post('/service/requests', { form_token: token, channel: 'phone', subject: 'x', status: 'received', priority: 'normal' })
  t.equal(again.headers.location, save.headers.location, 'a double submit returns the first request')

  t.test('status flow refuses illegal transitions', async (t) => {
    const page = await agent.get(`/service/requests/${id}`)
    t.equal(page.statusCode, 200)
    const version = /name="version" value="(\d+)"/.exec(page.body)![1]
    const bad = await agent.post(`/service/requests/${id}/status`, { version, to: 'received' })
    t.equal(bad.statusCode, 422)
    const ok = await agent.post(`/service/requests/${id}/status`, { version, to: 'archived' })
    t.equal(ok.statusCode, 303)
    const done = await app.db.selectFrom('service_requests').select(['status', 'archived_at']).where('id', '=', id).executeTakeFirstOrThrow()
    t.equal(done.status, 'archived')
    const stale = await agent.post(`/service/requests/${id}/status`, { version, to: 'in_progress' })
    t.equal(stale.statusCode, 422, 'archived is final')
  })

  t.test('unknown caller is logged, then linked later', async (t) => {
    const page = await agent.get('/service/calls/new?phone=021-5555-0000')
    t.match(page.body, 'class="unknown-caller"')
    const tok = /name="form_token" value="([^"]+)"/.exec(page.body)![1]
    const s = await agent.post('/service/requests', { form_token: tok, caller_phone: '021-5555-0000', caller_name: '陌生人', channel: 'phone', subject: '咨询地址', status: 'received', priority: 'high' })
    t.equal(s.statusCode, 303)
    const rid = Number(/\/service\/requests\/(\d+)/.exec(String(s.headers.location))![1])
    const again = await agent.get('/service/calls/new?phone=02155550000')
    t.match(again.body, '咨询地址', 'a repeat unknown caller shows his earlier requests')
    const p = await agent.get(`/service/requests/${rid}`)
    const v = /name="version" value="(\d+)"/.exec(p.body)![1]
    const link = await agent.post(`/service/requests/${rid}/link`, { version: v, customer_id: String(cid) })
    t.equal(link.statusCode, 303)
    const linked = await app.db.selectFrom('service_requests').select('customer_id').where('id', '=', rid).executeTakeFirstOrThrow()
    t.equal(linked.customer_id, cid)
  })

  t.test('lists and scope', async (t) => {
    const mine = await agent.get('/service/requests?view=mine')
    t.equal(mine.statusCode, 200)
    t.match(mine.body, '咨询地址')
    const other = await signIn(app, 'other')
    t.equal((await other.get(`/service/requests/${id}`)).statusCode, 404, 'another user\'s request is not found')
    t.equal((await other.get('/service/calls/new')).statusCode, 403, 'ordinary users cannot take calls')
    t.equal((await agent.get('/service/requests?view=bogus')).statusCode, 400)
  })
})

t.test('a plain call (no lead, callback or article) is one statement: saved once however often it is posted', async (t) => {
  const app = await testApp(t)
  await seedOffice(app)
  const rep = await signIn(app, 'rep')
  const cid = await createViaForm(rep, { name: '杭州西湖茶叶有限公司', phone: '0571-8765 4321' })
  const agent = await signIn(app, 'agent')
  const tokenOf = async () => /name="form_token" value="([^"]+)"/.exec((await agent.get('/service/calls/new?phone=057187654321')).body)![1]
  const countRequests = async () => Number((await app.db.selectFrom('service_requests').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)
  const form = (token: string, extra: Record<string, string> = {}) => ({
    form_token: token, caller_phone: '0571-8765 4321', customer_id: String(cid), channel: 'phone', subject: '询问发货时间',
    status: 'answered', priority: 'normal', answer: '明天发货', ...extra
  })

  const refused = await agent.post('/service/requests', form(await tokenOf(), { category: 'no-such-category' }))
  t.equal(refused.statusCode, 422, 'a category outside the code list is refused')
  t.match(refused.body, '询问发货时间', 'the form comes back with what was typed')
  t.equal(await countRequests(), 0, 'nothing saved')
  const first = await agent.post('/service/requests', form(await tokenOf(), { subject: '询问付款方式' }))
  const firstId = Number(/\/service\/requests\/(\d+)/.exec(String(first.headers.location))![1])
  const firstNumber = (await app.db.selectFrom('service_requests').select('number').where('id', '=', firstId).executeTakeFirstOrThrow()).number
  t.match(firstNumber, /-0001$/, 'the refused form took no number: the next saved request is number 1 of the day')

  const token = await tokenOf()
  const [a, b] = await Promise.all([agent.post('/service/requests', form(token)), agent.post('/service/requests', form(token))])
  t.equal(a.statusCode, 303)
  t.equal(b.headers.location, a.headers.location, 'two posts at once: both see the same request')
  const again = await agent.post('/service/requests', form(token))
  t.equal(again.headers.location, a.headers.location, 'a later repeat too')
  t.equal(await countRequests(), 2, 'one request more')
  const id = Number(/\/service\/requests\/(\d+)/.exec(String(a.headers.location))![1])
  const r = await app.db.selectFrom('service_requests').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
  t.equal(r.customer_id, cid)
  t.equal((await auditRows(app, { entity: 'service_request', entityId: id })).length, 1, 'one audit row')
  const followups = await app.db.selectFrom('request_followups').select('to_status').where('request_id', '=', id).execute()
  t.same(followups.map((f) => f.to_status), ['answered'], 'its first status row')
  const tl = await app.db.selectFrom('customer_timeline').select('ref_id').where('customer_id', '=', cid).where('kind', '=', 'request.created').where('ref_id', '=', String(id)).execute()
  t.equal(tl.length, 1, 'one timeline row')

  const page = await agent.get(String(a.headers.location))
  t.match(page.body, 'class="flash ok"', 'the request page says it was saved')
  const next = await agent.get(String(a.headers.location))
  t.notMatch(next.body, 'class="flash ok"', 'once')
})

t.test('the caller card shows his newest open requests and counts the rest', async (t) => {
  const app = await testApp(t)
  await seedOffice(app)
  const rep = await signIn(app, 'rep')
  const cid = await createViaForm(rep, { name: '宁波海曙纺织有限公司', phone: '0574-8722 6600' })
  const agent = await signIn(app, 'agent')
  const card = async () => (await agent.get('/service/calls/lookup?caller_phone=057487226600', { 'hx-request': 'true' })).body
  const numbers = async (ids: number[]) => (await app.db.selectFrom('service_requests').select(['id', 'number']).where('id', 'in', ids).execute())
  const ids: number[] = []
  for (let i = 1; i <= 5; i++) ids.push(await logCall(agent, { caller_phone: '0574-8722 6600', customer_id: String(cid), subject: `第${i}次来电` }))
  const five = await card()
  const byId = new Map((await numbers(ids)).map((r) => [r.id, r.number]))
  for (const id of ids.slice(2)) t.match(five, `<a href="/service/requests/${id}" target="_blank">${byId.get(id)}</a>`, `the newest three: ${byId.get(id)}`)
  for (const id of ids.slice(0, 2)) t.notMatch(five, `/service/requests/${id}"`, `not the older ${byId.get(id)}`)
  t.match(five, msg('service.moreOpen', { n: '2' }), 'and how many more there are')
  t.equal([...five.matchAll(/<a href="\/service\/requests\//g)].length, 3, 'three links on the agent\'s Tab path, however many are open')

  for (let i = 6; i <= 12; i++) ids.push(await logCall(agent, { caller_phone: '0574-8722 6600', customer_id: String(cid), subject: `第${i}次来电` }))
  t.match(await card(), msg('service.moreOpen', { n: '7+' }), 'beyond ten, "7+" more')
  await app.db.updateTable('service_requests').set({ status: 'archived', archived_at: new Date() }).where('id', 'not in', ids.slice(0, 3)).execute()
  const left = await card()
  t.equal([...left.matchAll(/<a href="\/service\/requests\//g)].length, 3, 'three open: all three shown')
  t.notMatch(left, 'class="muted more-open"', 'and no count')
})
