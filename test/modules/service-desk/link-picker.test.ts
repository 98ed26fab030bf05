// Linking an unknown caller's request to a customer later (issue 4 item 1): a search-as-
// you-type picker instead of a raw customer id. Candidates come from the customer
// search, only customers in the user's scope, the caller's number's first, each with its
// contacts; the post stays customer_id + contact_id + version. Works without JavaScript
// (the search button loads the page with the matches) and has no inline script.
import t from 'tap'
import { seedOffice, signIn, testApp } from '../../helpers/app.ts'
import { assertUnchanged } from '../../helpers/matrix.ts'
import { createViaForm } from '../customers/helpers.ts'
import { auditOf, logCall, msg, versionOf } from './helpers.ts'

const TABLES = ['service_requests', 'request_followups', 'leads', 'customer_timeline']
/** customer ids of the radio choices, in order */
const choices = (html: string) => [...html.matchAll(/name="customer_id" value="(\d+)"/g)].map((m) => Number(m[1]))

t.test('link picker', async (t) => {
  const app = await testApp(t)
  await seedOffice(app)
  const agent = await signIn(app, 'agent')
  const sup = await signIn(app, 'super')
  const rep = await signIn(app, 'rep')
  const other = await signIn(app, 'other')
  // the calls come in before anyone has entered the callers as customers
  const rid = await logCall(agent, { caller_phone: '021-5555 0000', caller_name: '陈先生', subject: '咨询物流时效' })
  const supRid = await logCall(sup, { caller_phone: '021-5555 0000', subject: '销售部接到的来电' })
  const a = await createViaForm(rep, { name: '上海申通物流有限公司', phone: '021-5555 0000' })
  await rep.post(`/customers/${a}/contacts`, { name: '陈先生', mobile: '139 1111 2222', valid: 'on' })
  const b = await createViaForm(rep, { name: '上海申华贸易有限公司', phone: '021-6666 7777' })
  await rep.post(`/customers/${b}/contacts`, { name: '刘经理', mobile: '139 3333 4444', valid: 'on' })
  const c = await createViaForm(other, { name: '上海申达机电有限公司', phone: '021-8888 9999' })
  const chen = (await app.db.selectFrom('contacts').select('id').where('name', '=', '陈先生').executeTakeFirstOrThrow()).id
  const candidates = (c: typeof agent, id: number, q: string) => c.get(`/service/requests/${id}/link-candidates?q=${encodeURIComponent(q)}`, { 'hx-request': 'true' })

  t.test('the picker on the request page', async (t) => {
    const page = (await agent.get(`/service/requests/${rid}`)).body
    t.match(page, `<input id="link-q" type="search" name="q"`, 'a search box')
    t.match(page, `<label for="link-q">${msg('serviceRequests.findCustomer')}</label>`, 'with its label')
    t.match(page, `hx-get="/service/requests/${rid}/link-candidates" hx-trigger="input changed delay:300ms, search" hx-target="#link-candidates"`, 'that searches as one types')
    t.notMatch(page, 'inputmode="numeric"', 'no raw customer id to type')
    t.same(choices(page), [a], 'the customer with the caller\'s number is offered before anything is typed')
    t.match(page, msg('serviceRequests.phoneMatch'))
    t.match(page, `name="contact_id" value="${chen}"`, 'with his contacts')
    t.match(page, '<legend>' + msg('service.chooseCustomer') + '</legend>', 'choices are radios in a fieldset with a legend')
    t.notMatch(page, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script')
    t.notMatch(page, /\son[a-z]+=/i, 'no event attributes')
  })

  t.test('search as you type', async (t) => {
    const res = await candidates(agent, rid, '上海')
    t.equal(res.statusCode, 200)
    t.notMatch(res.body, '<html', 'a fragment')
    t.same(choices(res.body), [a, b, c], 'the caller\'s number first, then the other matches')
    t.match(res.body, '刘经理', 'each with its contacts')
    t.same(choices((await candidates(agent, rid, '申华')).body), [b])
    t.same(choices((await candidates(agent, rid, '021-8888 9999')).body), [c], 'by phone')
    t.match((await candidates(agent, rid, 'x')).body, msg('serviceRequests.tooShort'))
    const none = await candidates(agent, rid, '<b>无此公司</b>')
    t.same(choices(none.body), [])
    t.match(none.body, msg('serviceRequests.noMatch', { q: '<b>无此公司</b>' }), 'says nothing matched, escaped')
    t.notMatch(none.body, '<b>无此公司')
  })

  t.test('only customers in the user\'s scope', async (t) => {
    t.same(choices((await candidates(sup, supRid, '上海')).body), [a, b], 'another department\'s customer is not offered')
    t.same(choices((await candidates(sup, supRid, '上海申达机电有限公司')).body), [])
    const res = await assertUnchanged(t, app, TABLES, async () => sup.post(`/service/requests/${supRid}/link`, { version: await versionOf(sup, supRid), customer_id: String(c) }))
    t.equal(res.statusCode, 422, 'nor accepted when posted')
    t.match(res.body, msg('errors.invalidChoice'))
  })

  t.test('without JavaScript', async (t) => {
    const res = await agent.get(`/service/requests/${rid}/link-candidates?q=${encodeURIComponent('申华')}`)
    t.equal(res.statusCode, 200)
    t.match(res.body, '<html', 'the whole request page')
    t.match(res.body, 'value="申华"', 'with the term kept')
    t.same(choices(res.body), [b], 'and the matches to choose from')
  })

  t.test('refused choices keep what was chosen', async (t) => {
    const v = await versionOf(agent, rid)
    const wrong = await assertUnchanged(t, app, TABLES, () => agent.post(`/service/requests/${rid}/link`, { version: v, customer_id: String(b), contact_id: String(chen) }))
    t.equal(wrong.statusCode, 422, 'a contact of another customer')
    t.match(wrong.body, `<p class="field-error" id="e-link">${msg('serviceRequests.contactOfOther')}</p>`)
    t.match(wrong.body, `name="customer_id" value="${b}" required checked`, 'the customer chosen is still there, checked')
    t.match(wrong.body, `name="contact_id" value="${chen}" checked`)
    const nothing = await assertUnchanged(t, app, TABLES, () => agent.post(`/service/requests/${rid}/link`, { version: v, contact_id: '' }))
    t.equal(nothing.statusCode, 422, 'no customer chosen')
    t.match(nothing.body, `id="e-link">${msg('errors.required')}`)
  })

  t.test('linking', async (t) => {
    const received = (await app.db.selectFrom('service_requests').select('received_at').where('id', '=', rid).executeTakeFirstOrThrow()).received_at
    const { result, rows } = await auditOf(app, async () => agent.post(`/service/requests/${rid}/link`, { version: await versionOf(agent, rid), customer_id: String(a), contact_id: String(chen) }))
    t.equal(result.statusCode, 303)
    t.same(rows.map((r) => [r.action, r.entity, r.entity_id]), [['link', 'service_request', String(rid)]])
    t.match(await app.db.selectFrom('service_requests').selectAll().where('id', '=', rid).executeTakeFirstOrThrow(), { customer_id: a, contact_id: chen, version: 2 })
    const page = (await agent.get(`/service/requests/${rid}`)).body
    t.match(page, `<a href="/customers/${a}">上海申通物流有限公司</a>`)
    t.match(page, '小陈 · 关联客户 上海申通物流有限公司', 'the log names the customer')
    t.notMatch(page, 'id="link-q"', 'no picker once linked')
    const tl = await app.db.selectFrom('customer_timeline').selectAll().where('customer_id', '=', a).where('kind', '=', 'request.linked').executeTakeFirstOrThrow()
    t.equal(tl.at.toISOString(), received.toISOString(), 'on the customer\'s timeline at the time of the call')
    t.match((await rep.get(`/customers/${a}`)).body, /SR-\d{8}-\d{4} 咨询物流时效/, 'the owner sees it on the customer page')

    t.match((await candidates(agent, rid, '上海')).body, msg('serviceRequests.alreadyLinked'))
    const again = await assertUnchanged(t, app, TABLES, async () => agent.post(`/service/requests/${rid}/link`, { version: await versionOf(agent, rid), customer_id: String(b) }))
    t.equal(again.statusCode, 409, 'a linked request is not moved to another customer')
    t.match(again.body, msg('serviceRequests.alreadyLinked'))
  })
})
