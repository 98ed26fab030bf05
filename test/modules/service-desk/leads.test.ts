// The lead inbox (issue 4 item 3): an agent marks a call as a sales lead, a supervisor
// assigns it to a rep, the rep sees it in his inbox and on his workbench and closes it.
// Among reps only the assigned one sees a lead; refused changes change nothing.
import t from 'tap'
import { seedOffice, signIn, testApp } from '../../helpers/app.ts'
import { assertUnchanged } from '../../helpers/matrix.ts'
import { createViaForm } from '../customers/helpers.ts'
import { auditOf, logCall, msg, versionOf } from './helpers.ts'

const TABLES = ['leads', 'service_requests']
const XSS = '<script>window.__x=1</script>'

t.test('lead inbox: raise, assign, see on the workbench, close', async (t) => {
  const app = await testApp(t)
  const office = await seedOffice(app)
  const [repId, rep2Id, agentId] = [office.users.rep.id, office.users.rep2.id, office.users.agent.id]
  const rep = await signIn(app, 'rep')
  const rep2 = await signIn(app, 'rep2')
  const sup = await signIn(app, 'super')
  const boss = await signIn(app, 'boss')
  const agent = await signIn(app, 'agent')
  const cid = await createViaForm(rep, { name: '杭州云端科技有限公司', phone: '0571-8888 6666' })

  const raised = await auditOf(app, () => logCall(agent, { caller_phone: '0571-8888 6666', customer_id: String(cid), subject: '咨询批量采购', is_lead: 'on', lead_note: `想买200台 ${XSS}` }))
  const requestId = raised.result
  const lead = await app.db.selectFrom('leads').selectAll().where('request_id', '=', requestId).executeTakeFirstOrThrow()
  t.match(lead, { status: 'new', customer_id: cid, assigned_to: null, created_by: agentId })
  t.same(raised.rows.map((r) => `${r.action} ${r.entity}`).sort(), ['create lead', 'create service_request'], 'the request and the lead each have their audit row')
  const unknownReq = await logCall(agent, { caller_phone: '13700001111', caller_name: '周女士', subject: '想做代理', is_lead: 'on' })
  const unknown = await app.db.selectFrom('leads').selectAll().where('request_id', '=', unknownReq).executeTakeFirstOrThrow()

  // who sees the new leads
  t.equal((await agent.get('/service/leads')).statusCode, 403, 'agents raise leads but have no inbox')
  const inbox = await sup.get('/service/leads')
  t.equal(inbox.statusCode, 200)
  t.match(inbox.body, '<a href="/service/leads" aria-current="page">', 'the tab of open leads is the current one')
  t.match(inbox.body, `<a href="/customers/${cid}">杭州云端科技有限公司</a>`, 'with the customer linked')
  t.match(inbox.body, new RegExp(`<a href="/service/requests/${requestId}">SR-\\d{8}-\\d{4}</a> 咨询批量采购`), 'and the request')
  t.match(inbox.body, `想买200台 &lt;script&gt;window.__x=1&lt;/script&gt;`, 'the note, escaped')
  t.notMatch(inbox.body, XSS)
  t.match(inbox.body, `action="/service/leads/${unknown.id}/assign"`, 'the unknown caller\'s lead too')
  t.match((await boss.get('/service/leads')).body, `action="/service/leads/${lead.id}/assign"`)
  const none = await rep.get('/service/leads')
  t.match(none.body, msg('service.noLeads'), 'a rep sees no lead that is not his')
  t.notMatch(none.body, '咨询批量采购')

  // assign to a rep: his inbox and his workbench
  const assign = async (to: number | string, version?: string) => sup.post(`/service/leads/${lead.id}/assign`, { version: version ?? String((await app.db.selectFrom('leads').select('version').where('id', '=', lead.id).executeTakeFirstOrThrow()).version), assigned_to: String(to) })
  const given = await auditOf(app, () => assign(repId))
  t.equal(given.result.statusCode, 303)
  t.equal(given.result.headers.location, '/service/leads')
  t.same(given.rows.map((r) => [r.action, r.entity, r.entity_id]), [['assign', 'lead', String(lead.id)]], 'one audit row')
  t.match(await app.db.selectFrom('leads').selectAll().where('id', '=', lead.id).executeTakeFirstOrThrow(), { status: 'assigned', assigned_to: repId, version: 2 })
  const mine = await rep.get('/service/leads')
  t.match(mine.body, '咨询批量采购')
  t.match(mine.body, `action="/service/leads/${lead.id}/close"`, 'he can close it')
  t.notMatch(mine.body, '想做代理', 'only his lead')
  const bench = await rep.get('/')
  t.match(bench.body, msg('service.reminder.lead'))
  t.match(bench.body, '<a href="/service/leads">杭州云端科技有限公司 咨询批量采购</a>', 'on his workbench')
  t.notMatch((await rep2.get('/')).body, '咨询批量采购', 'not on his teammate\'s')
  t.notMatch((await rep2.get('/service/leads')).body, '咨询批量采购')
  const notHis = await assertUnchanged(t, app, TABLES, () => rep2.post(`/service/leads/${lead.id}/close`, { version: '2', status: 'dropped' }))
  t.equal(notHis.statusCode, 404, 'a teammate cannot close it')

  // refusals re-render the inbox with the message on that row and change nothing
  const outside = await assertUnchanged(t, app, TABLES, () => assign(agentId))
  t.equal(outside.statusCode, 422, 'a user outside the supervisor\'s scope cannot be chosen')
  t.match(outside.body, `<p class="field-error" id="e-lead-${lead.id}" role="alert">${msg('errors.invalidChoice')}</p>`)
  const blank = await assertUnchanged(t, app, TABLES, () => assign(''))
  t.equal(blank.statusCode, 422)
  t.match(blank.body, `id="e-lead-${lead.id}" role="alert">${msg('errors.required')}`)
  const stale = await assertUnchanged(t, app, TABLES, () => assign(rep2Id, '1'))
  t.equal(stale.statusCode, 409)
  t.match(stale.body, msg('service.errors.leadChanged'))
  t.match(stale.body, `<option value="${rep2Id}" selected>`, 'the rep chosen is kept')
  const byRep = await assertUnchanged(t, app, TABLES, () => rep.post(`/service/leads/${lead.id}/assign`, { version: '2', assigned_to: String(repId) }))
  t.equal(byRep.statusCode, 403, 'reps do not assign')

  // reassign
  t.equal((await assign(rep2Id)).statusCode, 303)
  t.notMatch((await rep.get('/')).body, '咨询批量采购', 'off the first rep\'s workbench')
  t.match((await rep2.get('/')).body, '杭州云端科技有限公司 咨询批量采购', 'on the new rep\'s')
  t.equal((await rep.post(`/service/leads/${lead.id}/close`, { version: '3', status: 'converted' })).statusCode, 404)

  // the rep closes it
  const badStatus = await assertUnchanged(t, app, TABLES, () => rep2.post(`/service/leads/${lead.id}/close`, { version: '3', status: 'won' }))
  t.equal(badStatus.statusCode, 422)
  t.match(badStatus.body, `id="e-lead-${lead.id}" role="alert">`)
  const closed = await auditOf(app, () => rep2.post(`/service/leads/${lead.id}/close`, { version: '3', status: 'converted' }))
  t.equal(closed.result.statusCode, 303)
  t.same(closed.rows.map((r) => [r.action, r.entity, r.entity_id]), [['status', 'lead', String(lead.id)]])
  t.notMatch((await rep2.get('/service/leads')).body, '咨询批量采购', 'off the open list')
  t.match((await rep2.get('/service/leads?status=converted')).body, '咨询批量采购', 'under converted')
  t.notMatch((await rep2.get('/')).body, '咨询批量采购', 'off the workbench')
  const again = await assertUnchanged(t, app, TABLES, () => rep2.post(`/service/leads/${lead.id}/close`, { version: '4', status: 'dropped' }))
  t.equal(again.statusCode, 409, 'a converted lead stays converted')
  t.match(again.body, msg('serviceRequests.leadClosed'))
  const revive = await assertUnchanged(t, app, TABLES, () => assign(repId))
  t.equal(revive.statusCode, 409, 'and is not assigned again')
  t.equal((await sup.get('/service/leads?status=bogus')).statusCode, 400)

  // the unknown caller's lead gets its customer when the request is linked
  const pick = await agent.post(`/service/requests/${unknownReq}/link`, { version: await versionOf(agent, unknownReq), customer_id: String(cid) })
  t.equal(pick.statusCode, 303)
  t.match(await app.db.selectFrom('leads').selectAll().where('id', '=', unknown.id).executeTakeFirstOrThrow(), { customer_id: cid, version: 2 })
  t.match((await sup.get('/service/leads')).body, new RegExp(`<a href="/customers/${cid}">杭州云端科技有限公司</a></td>\\s*<td><a href="/service/requests/${unknownReq}">`), 'the lead shows the customer now')
  t.equal((await app.db.selectFrom('audit_log').select('id').where('entity', '=', 'lead').where('entity_id', '=', String(unknown.id)).where('action', '=', 'link').execute()).length, 1, 'with its audit row')
})

t.test('a lead whose request has a payload subject shows it escaped everywhere', async (t) => {
  const app = await testApp(t)
  const office = await seedOffice(app)
  const agent = await signIn(app, 'agent')
  const sup = await signIn(app, 'super')
  const rep = await signIn(app, 'rep')
  const payloads = [XSS, '"><img src=x onerror=window.__x=1>', '<div hx-get="/admin/users" hx-trigger="load">x</div>']
  for (const p of payloads) await logCall(agent, { subject: p, is_lead: 'on', lead_note: p })
  for (const l of await app.db.selectFrom('leads').select(['id', 'version']).execute()) {
    t.equal((await sup.post(`/service/leads/${l.id}/assign`, { version: String(l.version), assigned_to: String(office.users.rep.id) })).statusCode, 303)
  }
  for (const [where, res] of [['inbox', await rep.get('/service/leads')], ['workbench', await rep.get('/')]] as const) {
    for (const p of payloads) t.notMatch(res.body, p, `${where}: no raw payload`)
    t.notMatch(res.body, /<img src=x|<div hx-get="\/admin/, `${where}: no element made from data`)
    t.match(res.body, '&lt;script&gt;window.__x=1&lt;/script&gt;', `${where}: shown as text`)
  }
})
