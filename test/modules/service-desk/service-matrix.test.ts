// Every call, request and lead route × anonymous, each built-in role, a supervisor
// whose service.update / service.assign / leads.assign were revoked, and a disabled
// user (security.md S1/S2): the expected status, and no change from a refused write.
// A request the agent took (created and held by the service department) is out of
// the sales supervisor's and the reps' scope: 404, as if it did not exist. Allowed
// writes get input that fails validation (422), so the matrix itself changes nothing;
// a second test makes each change for real and checks its page and its one audit row.
import t from 'tap'
import { seedOffice, signIn, testApp, type Office, type Teardown } from '../../helpers/app.ts'
import { assertCovered, matrixClients, runMatrix, type MatrixRoute, type Who } from '../../helpers/matrix.ts'
import { createViaForm } from '../customers/helpers.ts'
import { auditOf, logCall, tokenOf, versionOf } from './helpers.ts'

interface Ctx extends Office { rAgent: number; rTeam: number; leadNew: number; leadRep: number; leadOther: number }

const TABLES = ['service_requests', 'request_followups', 'leads', 'appointments', 'request_articles', 'customer_timeline', 'form_tokens']

async function setup(t: Teardown) {
  const app = await testApp(t)
  const office = await seedOffice(app)
  const db = app.db
  const agent = await signIn(app, 'agent')
  const sup = await signIn(app, 'super')
  const boss = await signIn(app, 'boss')
  // the agent's own request and lead (service department), and one he raised that the boss gave to 赵六
  const rAgent = await logCall(agent, { caller_phone: '021-5555 0000', subject: '坐席受理的咨询', is_lead: 'on' })
  const rOther = await logCall(agent, { caller_phone: '021-5555 0001', subject: '给赵六的线索', is_lead: 'on' })
  // the supervisor's request, held by his rep, with a lead assigned to that rep
  const rTeam = await logCall(sup, { caller_phone: '0571-8888 6666', subject: '销售部的咨询', is_lead: 'on' })
  await sup.post(`/service/requests/${rTeam}/assign`, { version: await versionOf(sup, rTeam), assignee_id: String(office.users.rep.id) })
  const lead = async (request: number) => (await db.selectFrom('leads').select('id').where('request_id', '=', request).executeTakeFirstOrThrow()).id
  const [leadNew, leadRep, leadOther] = [await lead(rAgent), await lead(rTeam), await lead(rOther)]
  await sup.post(`/service/leads/${leadRep}/assign`, { version: '1', assigned_to: String(office.users.rep.id) })
  await boss.get('/service/leads')
  await boss.post(`/service/leads/${leadOther}/assign`, { version: '1', assigned_to: String(office.users.other.id) })
  return { app, office, ctx: { ...office, rAgent, rTeam, leadNew, leadRep, leadOther } as Ctx }
}

t.test('service desk permission matrix', async (t) => {
  const { app, office, ctx } = await setup(t)
  const db = app.db
  const clients = await matrixClients(app)
  const roles = Object.fromEntries((await db.selectFrom('roles').select(['id', 'code']).execute()).map((r) => [r.code, r.id]))
  const hash = (await db.selectFrom('users').select('password_hash').where('login', '=', 'rep').executeTakeFirstOrThrow()).password_hash
  await db.insertInto('users').values([
    { login: 'revoked', name: '受限主管', department_id: office.departments.sales, role_id: roles.supervisor, password_hash: hash, revokes: ['service.update', 'service.assign', 'leads.assign'] },
    { login: 'gone', name: '离职坐席', department_id: office.departments.service, role_id: roles.agent, password_hash: hash }
  ]).execute()
  clients.set('revoked', await signIn(app, 'revoked'))
  clients.set('disabled', await signIn(app, 'gone'))
  await db.updateTable('users').set({ active: false }).where('login', '=', 'gone').execute()
  t.equal((await clients.get('disabled')!.get('/service/requests')).statusCode, 303, 'a disabled user is signed out')
  await clients.get('disabled')!.get('/login')

  const CREATE: Who[] = ['admin', 'decision', 'supervisor', 'agent', 'revoked']
  const READ: Who[] = ['admin', 'decision', 'supervisor', 'user', 'agent', 'revoked']
  const UPDATE: Who[] = ['admin', 'decision', 'supervisor', 'agent']
  const ASSIGN: Who[] = ['admin', 'decision', 'supervisor']
  const LEADS: Who[] = ['admin', 'decision', 'supervisor', 'user', 'revoked']
  // the agent's request: the sales supervisor (and his revoked twin) and the rep cannot see it
  const hidden = { supervisor: 404, user: 404, revoked: 404 }
  const bad = { version: '1', to: 'reopened' }

  const rows: MatrixRoute<Ctx>[] = [
    // the call screen
    { method: 'GET', url: '/service/calls/new', allow: CREATE },
    { method: 'GET', url: '/service/calls/new?phone=%2B86%20138-0013-8000', allow: CREATE },
    { method: 'GET', url: '/service/calls/lookup?caller_phone=02155550000', allow: CREATE },
    { method: 'POST', url: '/service/requests', form: { channel: 'phone', subject: '', form_token: 'x'.repeat(24) }, allow: CREATE, ok: 422 },
    // lists and the request page
    { method: 'GET', url: '/service/requests', allow: READ },
    { method: 'GET', url: '/service/requests?view=overdue&q=%E5%92%A8%E8%AF%A2', allow: READ },
    { method: 'GET', url: '/service/requests?view=archived', allow: READ },
    { method: 'GET', url: '/service/requests?view=nope', allow: READ, ok: 400 },
    { method: 'GET', url: (c) => `/service/requests/${c.rAgent}`, allow: ['admin', 'decision', 'agent'], expect: hidden },
    { method: 'GET', url: (c) => `/service/requests/${c.rTeam}`, allow: READ },
    { method: 'GET', url: '/service/requests/99999', allow: READ, ok: 404 },
    { method: 'GET', url: '/service/requests/abc', allow: READ, ok: 404 },
    // status, assignment, follow-ups, linking, articles
    { method: 'POST', url: (c) => `/service/requests/${c.rAgent}/status`, form: bad, allow: UPDATE, ok: 422, expect: { supervisor: 404 } },
    { method: 'POST', url: (c) => `/service/requests/${c.rTeam}/status`, form: bad, allow: UPDATE, ok: 422 },
    { method: 'POST', url: '/service/requests/99999/status', form: bad, allow: UPDATE, ok: 404 },
    { method: 'POST', url: (c) => `/service/requests/${c.rAgent}/assign`, form: { version: '1', assignee_id: 'x' }, allow: ASSIGN, ok: 422, expect: { supervisor: 404 } },
    { method: 'POST', url: (c) => `/service/requests/${c.rTeam}/assign`, form: { version: '1', assignee_id: 'x' }, allow: ASSIGN, ok: 422 },
    { method: 'POST', url: (c) => `/service/requests/${c.rAgent}/notes`, form: { note: ' ' }, allow: UPDATE, ok: 422, expect: { supervisor: 404 } },
    { method: 'POST', url: (c) => `/service/requests/${c.rTeam}/notes`, form: { note: ' ' }, allow: UPDATE, ok: 422 },
    { method: 'POST', url: (c) => `/service/requests/${c.rAgent}/link`, form: { version: '1', customer_id: '' }, allow: UPDATE, ok: 422, expect: { supervisor: 404 } },
    { method: 'POST', url: (c) => `/service/requests/${c.rTeam}/link`, form: { version: '2', customer_id: 'x' }, allow: UPDATE, ok: 422 },
    { method: 'GET', url: (c) => `/service/requests/${c.rAgent}/link-candidates?q=%E4%B8%8A%E6%B5%B7`, allow: UPDATE, expect: { supervisor: 404 } },
    { method: 'GET', url: (c) => `/service/requests/${c.rTeam}/link-candidates`, allow: UPDATE },
    { method: 'GET', url: '/service/requests/99999/link-candidates', allow: UPDATE, ok: 404 },
    { method: 'POST', url: (c) => `/service/requests/${c.rAgent}/articles`, form: { article_id: 'x' }, allow: UPDATE, ok: 422, expect: { supervisor: 404 } },
    // the lead inbox: a rep may close only what was given to him; the supervisor cannot reach 赵六's lead
    { method: 'GET', url: '/service/leads', allow: LEADS },
    { method: 'GET', url: '/service/leads?status=converted', allow: LEADS },
    { method: 'POST', url: (c) => `/service/leads/${c.leadNew}/assign`, form: { version: '1', assigned_to: 'x' }, allow: ASSIGN, ok: 422 },
    { method: 'POST', url: (c) => `/service/leads/${c.leadOther}/assign`, form: { version: '2', assigned_to: 'x' }, allow: ASSIGN, ok: 422, expect: { supervisor: 404 } },
    { method: 'POST', url: '/service/leads/99999/assign', form: { version: '1', assigned_to: '1' }, allow: ASSIGN, ok: 404 },
    { method: 'POST', url: (c) => `/service/leads/${c.leadNew}/close`, form: { version: '1', status: 'won' }, allow: LEADS, ok: 422, expect: { user: 404, revoked: 404 } },
    { method: 'POST', url: (c) => `/service/leads/${c.leadRep}/close`, form: { version: '2', status: 'won' }, allow: LEADS, ok: 422, expect: { revoked: 404 } },
    { method: 'POST', url: (c) => `/service/leads/${c.leadOther}/close`, form: { version: '2', status: 'won' }, allow: LEADS, ok: 422, expect: { supervisor: 404, user: 404, revoked: 404 } }
  ]
  const routes = rows.map((r) => ({ ...r, expect: { disabled: r.method === 'GET' ? 303 : 401, ...r.expect } }))
  await runMatrix(t, app, { routes, ctx, clients, tables: TABLES })
  for (const prefix of ['/service/calls', '/service/requests', '/service/leads']) assertCovered(t, app, routes, ctx, prefix)

  // out of scope looks exactly like nothing at all
  const rep = clients.get('user')!
  // what may differ: the request id shown, the CSRF token, the page to come back to after switching language
  const strip = (s: string) => s.replace(/name="back" value="[^"]*"/g, '').replace(/<code>[^<]*<\/code>/g, '')
    .replace(/value="[^"]{20,}"|&quot;X-CSRF-Token&quot;:&quot;[^&]+&quot;/g, '')
  for (const path of ['', '/link-candidates']) {
    const [hiddenRes, missing] = [await rep.get(`/service/requests/${ctx.rAgent}${path}`), await rep.get(`/service/requests/99999${path}`)]
    t.equal(hiddenRes.statusCode, missing.statusCode)
    t.equal(strip(hiddenRes.body), strip(missing.body), `${path || 'page'}: the same answer as a request that does not exist`)
  }
  const sup = clients.get('supervisor')!
  const leak = await sup.post(`/service/requests/${ctx.rAgent}/notes`, { note: '' })
  const none = await sup.post('/service/requests/99999/notes', { note: '' })
  t.equal(leak.statusCode, 404)
  t.equal(strip(leak.body), strip(none.body), 'a refused write too')
  const untouched = await db.selectFrom('service_requests').select(['version']).where('id', '=', ctx.rAgent).executeTakeFirstOrThrow()
  t.equal(untouched.version, 1, 'the agent\'s request never changed')
})

t.test('each change: its page or redirect and exactly its audit row', async (t) => {
  const { app, office, ctx } = await setup(t)
  const agent = await signIn(app, 'agent')
  const sup = await signIn(app, 'super')
  const rep = await signIn(app, 'rep')
  const cid = await createViaForm(rep, { name: '上海申通物流有限公司', phone: '021-5555 0000' })
  const one = async (what: string, fn: () => Promise<{ statusCode: number; headers: Record<string, unknown> }>, location: RegExp | string, action: string, entity: string, entityId?: number) => {
    const { result, rows } = await auditOf(app, fn)
    t.equal(result.statusCode, 303, `${what}: redirected`)
    t.match(String(result.headers.location), location, `${what}: to the right page`)
    t.same(rows.map((r) => [r.action, r.entity]), [[action, entity]], `${what}: exactly one audit row`)
    if (entityId) t.equal(rows[0]?.entity_id, String(entityId), `${what}: about the record changed`)
    t.ok(rows[0]?.user_id && rows[0]?.user_name, `${what}: by whom`)
    return result
  }

  const page = await agent.get('/service/calls/new')
  const created = await one('create', () => agent.post('/service/requests', { form_token: tokenOf(page.body), channel: 'visit', subject: '来访咨询', status: 'received', priority: 'high' }),
    /^\/service\/requests\/\d+\?saved=1$/, 'create', 'service_request')
  const id = Number(/(\d+)\?/.exec(String(created.headers.location))![1])
  t.match((await agent.get(String(created.headers.location))).body, '来访咨询', 'the new request is shown')
  const saveNew = await agent.post('/service/requests', { form_token: tokenOf((await agent.get('/service/calls/new')).body), channel: 'phone', subject: '下一个', next: 'new' })
  t.match(String(saveNew.headers.location), /^\/service\/calls\/new\?saved=\d+$/, 'save and new goes back to an empty call screen')

  await one('status', async () => agent.post(`/service/requests/${id}/status`, { version: await versionOf(agent, id), to: 'in_progress' }), `/service/requests/${id}`, 'status', 'service_request', id)
  await one('note', () => agent.post(`/service/requests/${id}/notes`, { note: '已电话联系' }), `/service/requests/${id}#log`, 'create', 'request_followup')
  const later = await logCall(agent, { caller_phone: '021-5555 0000', subject: '后来关联的来电' })
  await one('link', async () => agent.post(`/service/requests/${later}/link`, { version: await versionOf(agent, later), customer_id: String(cid) }), `/service/requests/${later}`, 'link', 'service_request', later)
  t.match(await app.db.selectFrom('customer_timeline').selectAll().where('customer_id', '=', cid).where('kind', '=', 'request.linked').executeTakeFirstOrThrow(),
    { href: `/service/requests/${later}` }, 'the linked request is on the customer\'s timeline')
  await one('assign', async () => sup.post(`/service/requests/${ctx.rTeam}/assign`, { version: await versionOf(sup, ctx.rTeam), assignee_id: String(office.users.rep2.id) }), `/service/requests/${ctx.rTeam}`, 'assign', 'service_request', ctx.rTeam)
  await one('lead assign', () => sup.post(`/service/leads/${ctx.leadRep}/assign`, { version: '2', assigned_to: String(office.users.rep2.id) }), '/service/leads', 'assign', 'lead', ctx.leadRep)
  const rep2 = await signIn(app, 'rep2')
  await one('lead close', () => rep2.post(`/service/leads/${ctx.leadRep}/close`, { version: '3', status: 'dropped' }), '/service/leads', 'status', 'lead', ctx.leadRep)

  // htmx posts get HX-Redirect instead of a 303
  const hx = await agent.hx('POST', `/service/requests/${id}/notes`, { note: '经 htmx 提交' })
  t.equal(hx.statusCode, 204)
  t.equal(hx.headers['hx-redirect'], `/service/requests/${id}#log`)
  // reading writes nothing
  const reads = await auditOf(app, async () => {
    for (const url of ['/service/requests', `/service/requests/${id}`, '/service/leads', '/service/calls/new', `/service/requests/${id}/link-candidates?q=%E4%B8%8A%E6%B5%B7`]) {
      t.equal((await sup.get(url)).statusCode, url.includes(String(id)) ? 404 : 200, url)
    }
  })
  t.same(reads.rows, [], 'pages and searches are not audited')
})
