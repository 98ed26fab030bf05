// The security and reliability goals of security.md §5 that the call, request and lead
// routes must meet: no indirect leak of out-of-scope requests (S3), fields not in a
// form cannot be set (S4), stored text is shown as text (S5), search and filter
// parameters cannot reach SQL (S7), concurrent saves lose nothing and number without
// duplicates (R1, R6), a double submit makes one request (R5), and no input makes a
// 500 (R10). CSRF on these routes is walked by test/platform/csrf.test.ts.
import crypto from 'node:crypto'
import t from 'tap'
import { seedOffice, signIn, testApp, type Client } from '../../helpers/app.ts'
import { assertUnchanged } from '../../helpers/matrix.ts'
import { createViaForm } from '../customers/helpers.ts'
import { listedIds, logCall, msg, requestIdOf, tokenOf, versionOf } from './helpers.ts'

const token = () => crypto.randomBytes(18).toString('base64url')
const TABLES = ['service_requests', 'request_followups', 'leads', 'customer_timeline']

t.test('S3: an out-of-scope request shows up nowhere', async (t) => {
  const app = await testApp(t)
  const office = await seedOffice(app)
  const agent = await signIn(app, 'agent')
  const boss = await signIn(app, 'boss')
  const CANARY = 'KANARIE金丝雀'
  const id = await logCall(agent, { caller_phone: '13912340000', caller_name: CANARY, subject: `${CANARY} 主题`, content: CANARY, answer: CANARY, status: 'answered', is_lead: 'on', lead_note: CANARY })
  await logCall(agent, { caller_phone: '13912340000', subject: `${CANARY} 二`, status: 'received', priority: 'urgent' })
  await app.db.updateTable('service_requests').set({ due_at: new Date(Date.now() - 3_600_000) }).execute()
  // the lead goes to 赵六 (service department): outside the sales supervisor's scope too
  const lead = await app.db.selectFrom('leads').select(['id', 'version']).executeTakeFirstOrThrow()
  await boss.get('/service/leads')
  t.equal((await boss.post(`/service/leads/${lead.id}/assign`, { version: String(lead.version), assigned_to: String(office.users.other.id) })).statusCode, 303)
  await agent.post(`/service/requests/${id}/notes`, { note: CANARY })

  const sup = await signIn(app, 'super')
  const rep = await signIn(app, 'rep')
  const own = await logCall(sup, { caller_phone: '13912340000', subject: '主管自己的来电' })
  const q = encodeURIComponent(CANARY), q2 = encodeURIComponent('金丝')
  for (const [who, c] of [['supervisor', sup], ['rep', rep]] as const) {
    const urls = ['/', '/service/leads', '/service/leads?status=assigned', `/service/requests/${id}`, `/service/requests/${id}/link-candidates?q=${q}`]
    for (const view of ['mine', 'team', 'unassigned', 'overdue', 'archived', 'all']) urls.push(`/service/requests?view=${view}`, `/service/requests?view=${view}&q=${q}`, `/service/requests?view=${view}&q=${q2}`, `/service/requests?view=${view}&q=13912340000`)
    if (who === 'supervisor') urls.push('/service/calls/new?phone=13912340000', '/service/calls/lookup?caller_phone=13912340000', `/service/requests/${own}`, `/service/requests/${own}/link-candidates?q=${q}`)
    for (const url of urls) {
      const res = await c.get(url, url.includes('lookup') || url.includes('candidates') ? { 'hx-request': 'true' } : undefined)
      t.ok([200, 403, 404].includes(res.statusCode), `${who} ${url}: ${res.statusCode}`)
      // what the user typed comes back in the search box (and "nothing matches …"); anything else would be a leak
      const body = res.body.replace(/name="q" value="[^"]*"/g, '').replace(msg('serviceRequests.noMatch', { q: CANARY }), '')
      t.notMatch(body, /KANARIE|金丝雀/, `${who} ${url}: no trace of it`)
    }
  }
})

t.test('S4: fields that are not in a form cannot be set through it', async (t) => {
  const app = await testApp(t)
  const office = await seedOffice(app)
  const agent = await signIn(app, 'agent')
  const rep = await signIn(app, 'rep')
  const cid = await createViaForm(rep, { name: '测试客户' })
  const extra = {
    id: '999', number: 'SR-19990101-9999', assignee_id: String(office.users.rep.id), created_by: String(office.users.boss.id), version: '42',
    deleted_at: '2020-01-01', due_at: '2099-01-01', received_at: '2000-01-01', answered_at: '2000-01-01', archived_at: '2000-01-01',
    search_grams: '{x}', search_text: 'x', is_admin: 'true', '__proto__[status]': 'archived', 'constructor[prototype][x]': '1'
  }
  const res = await agent.post('/service/requests', { form_token: tokenOf((await agent.get('/service/calls/new')).body), channel: 'phone', subject: '字段测试', status: 'received', priority: 'normal', ...extra })
  const id = requestIdOf(res)
  const r = await app.db.selectFrom('service_requests').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
  t.match(r, { assignee_id: office.users.agent.id, created_by: office.users.agent.id, version: 1, deleted_at: null, archived_at: null, answered_at: null, status: 'received' })
  t.match(r.number, /^SR-\d{8}-0001$/)
  t.ok(r.due_at.getTime() < Date.now() + 25 * 3_600_000, 'due time from the priority, not the form')
  t.equal(({} as Record<string, unknown>).x, undefined, 'no prototype pollution')

  const v = await versionOf(agent, id)
  await agent.post(`/service/requests/${id}/status`, { ...extra, version: v, to: 'in_progress', customer_id: String(cid), subject: '改主题' })
  await agent.post(`/service/requests/${id}/notes`, { note: '跟进', request_id: '1', user_id: String(office.users.boss.id), kind: 'status' })
  await agent.post(`/service/requests/${id}/link`, { version: String(Number(v) + 1), customer_id: String(cid), subject: '改主题', assignee_id: String(office.users.rep.id), status: 'archived' })
  const after = await app.db.selectFrom('service_requests').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
  t.match(after, { subject: '字段测试', assignee_id: office.users.agent.id, created_by: office.users.agent.id, status: 'in_progress', customer_id: cid, version: 3 })
  const note = await app.db.selectFrom('request_followups').selectAll().where('kind', '=', 'note').executeTakeFirstOrThrow()
  t.match(note, { request_id: id, user_id: office.users.agent.id })

  const twice: [string, string, Record<string, string | string[]>][] = [
    ['subject twice', '/service/requests', { form_token: token(), channel: 'phone', subject: ['甲', '乙'] }],
    ['status twice', `/service/requests/${id}/status`, { version: String(after.version), to: ['answered', 'archived'], answer: '答' }],
    ['version twice', `/service/requests/${id}/status`, { version: [String(after.version), '1'], to: 'answered', answer: '答' }],
    ['customer twice', `/service/requests/${id}/link`, { version: String(after.version), customer_id: [String(cid), '1'] }]
  ]
  for (const [what, url, form] of twice) {
    const res = await assertUnchanged(t, app, TABLES, () => agent.post(url, form))
    t.equal(res.statusCode, 422, `${what}: refused, not guessed at`)
  }
})

const PAYLOADS = ['<script>window.__x=1</script>', '"><img src=x onerror=window.__x=1>', '<svg/onload=window.__x=1>', '<base href="https://evil.example/">',
  '<input value=<><iframe/src=javascript:alert(1)>', '<div hx-get="/admin/users" hx-trigger="load">x</div>', "javascript:alert('x')", '<% it %> {{7*7}}']
const ELEMENTS = /<script>window|<img src=x|<svg\/onload|<base href="https:\/\/evil|<iframe\/src|<div hx-get="\/admin/

t.test('S5: stored text is shown as text on every page that shows it', async (t) => {
  const app = await testApp(t)
  const office = await seedOffice(app)
  const agent = await signIn(app, 'agent')
  const boss = await signIn(app, 'boss')
  const rep = await signIn(app, 'rep')
  const cid = await createViaForm(rep, { name: '载荷客户', phone: '0755-8888 1234' })
  const ids: number[] = []
  for (const [i, p] of PAYLOADS.entries()) {
    const id = await logCall(agent, { caller_phone: '13800000000', caller_name: p.slice(0, 60), customer_id: i % 2 ? String(cid) : '', subject: p, content: p, answer: p, status: 'answered', is_lead: 'on', lead_note: p })
    await agent.post(`/service/requests/${id}/notes`, { note: p })
    ids.push(id)
  }
  for (const l of await app.db.selectFrom('leads').select(['id', 'version']).execute()) {
    await boss.post(`/service/leads/${l.id}/assign`, { version: String(l.version), assigned_to: String(office.users.rep.id) })
  }
  const pages: [string, Client, string, Record<string, string>?][] = [
    ['list', agent, '/service/requests?view=mine'], ['search', agent, `/service/requests?view=all&q=${encodeURIComponent('window')}`],
    ['call screen', agent, '/service/calls/new?phone=13800000000'], ['lookup', agent, '/service/calls/lookup?caller_phone=13800000000', { 'hx-request': 'true' }],
    ['customer page', rep, `/customers/${cid}`], ['lead inbox', rep, '/service/leads'], ['workbench', rep, '/'], ['customer caller panel', agent, '/service/calls/new?phone=0755-8888-1234'],
    ...ids.map((id): [string, Client, string] => [`request ${id}`, agent, `/service/requests/${id}`])
  ]
  for (const [what, c, url, headers] of pages) {
    const res = await c.get(url, headers)
    t.equal(res.statusCode, 200, `${what}: shown`)
    t.notMatch(res.body, ELEMENTS, `${what}: no element made from stored text`)
    t.notMatch(res.body, '<% it %>', `${what}: no template evaluated`)
  }
  const one = (await agent.get(`/service/requests/${ids[0]}`)).body
  t.match(one, '&lt;script&gt;window.__x=1&lt;/script&gt;', 'shown escaped, as typed')
})

t.test('S7: list, search and lookup parameters never reach SQL as code', async (t) => {
  const app = await testApp(t)
  await seedOffice(app)
  const agent = await signIn(app, 'agent')
  const sup = await signIn(app, 'super')
  const id = await logCall(agent, { caller_phone: '021-5555 0000', subject: '注入测试' })
  const supId = await logCall(sup, { caller_phone: '021-5555 0000', subject: '注入测试二' })
  const corpus = ["'", '\\', '%', '_', '%%', "\\,))", "') AND (SELECT pg_sleep(3)) AND ('", "1' OR '1'='1", '(SELECT CASE WHEN 1=1 THEN 1 END)', 'name desc; --', 'x'.repeat(10_000), '华为\'--', '\u0000', 'abc\u0000def', '华为\u0000手机', '021\u00005555']
  for (const v of corpus) {
    const e = encodeURIComponent(v)
    for (const url of [`/service/requests?q=${e}`, `/service/requests?view=all&q=${e}`, `/service/requests?view=overdue&after=${e}`, `/service/requests?status=${e}`,
      `/service/requests?assignee=${e}`, `/service/requests?category=${e}`, `/service/requests?from=${e}`, `/service/requests?sort=${e}&dir=${e}`,
      `/service/calls/lookup?caller_phone=${e}`, `/service/calls/new?phone=${e}`, `/service/requests/${id}/link-candidates?q=${e}`, `/service/leads?status=${e}`]) {
      const res = await (url.startsWith('/service/leads') ? sup : agent).get(url, url.includes('lookup') || url.includes('candidates') ? { 'hx-request': 'true' } : undefined)
      t.ok([200, 400].includes(res.statusCode), `${url.slice(0, 80)} → ${res.statusCode}`)
    }
    t.ok([200].includes((await sup.get(`/service/requests/${supId}/link-candidates?q=${e}`, { 'hx-request': 'true' })).statusCode), 'scoped picker search')
  }
  t.equal((await agent.get('/service/requests?status=received&status=answered')).statusCode, 400, 'two values where one belongs')
})

t.test('R1/R6/R5: concurrent saves and double submits', async (t) => {
  const app = await testApp(t)
  await seedOffice(app)
  const agent = await signIn(app, 'agent')
  await agent.get('/service/calls/new')
  const post = (tok: string, i: number) => agent.post('/service/requests', { form_token: tok, channel: 'phone', subject: `并发${i}`, status: 'received', priority: 'normal', is_lead: 'on' })

  const many = await Promise.all(Array.from({ length: 20 }, (_, i) => post(token(), i)))
  const ids = many.map(requestIdOf)
  t.equal(new Set(ids).size, 20, 'twenty requests')
  const rows = await app.db.selectFrom('service_requests').select(['id', 'number', 'version']).where('id', 'in', ids).execute()
  t.equal(new Set(rows.map((r) => r.number)).size, 20, 'no duplicate numbers')
  t.ok(rows.every((r) => r.version === 1), 'each whole: version 1')
  const audits = await app.db.selectFrom('audit_log').select('entity_id').where('entity', '=', 'service_request').where('action', '=', 'create').execute()
  t.same(audits.map((a) => Number(a.entity_id)).sort((a, b) => a - b), [...ids].sort((a, b) => a - b), 'each with its one audit row')
  const follow = await app.db.selectFrom('request_followups').select('request_id').where('request_id', 'in', ids).execute()
  t.equal(follow.length, 20, 'each with its first log entry')

  const once = token()
  const before = (await app.db.selectFrom('service_requests').select('id').execute()).length
  const same = await Promise.all(Array.from({ length: 20 }, () => post(once, 0)))
  t.equal((await app.db.selectFrom('service_requests').select('id').execute()).length, before + 1, 'twenty posts of one form make one request')
  t.equal(new Set(same.map((r) => r.headers.location)).size, 1, 'and every answer points to it')
  const first = requestIdOf(same[0])
  t.equal((await app.db.selectFrom('leads').select('id').where('request_id', '=', first).execute()).length, 1, 'with one lead')
})

t.test('R10: no input makes a 500', async (t) => {
  const app = await testApp(t)
  await seedOffice(app)
  const agent = await signIn(app, 'agent')
  const boss = await signIn(app, 'boss')
  const id = await logCall(agent, { subject: '健壮性' })
  const leadReq = await logCall(agent, { subject: '线索', is_lead: 'on' })
  const lead = (await app.db.selectFrom('leads').select('id').where('request_id', '=', leadReq).executeTakeFirstOrThrow()).id
  await boss.get('/service/leads')
  // a seeded generator: the same runs every time
  let seed = 20261122
  const rnd = () => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31 }
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]
  const atoms = ['', ' ', '0', '-1', '1', '2147483648', '99999999999', 'abc', '华为', 'on', 'received', 'answered', 'archived', 'urgent', 'phone', 'PRODUCT',
    '2026-12-01T10:00', '2026-02-30T25:61', '<b>', '\u0000', 'x'.repeat(9000), '１３８', '+86 138-0013-8000', '%', "'"]
  const value = () => (rnd() < 0.1 ? [pick(atoms), pick(atoms)] : pick(atoms))
  const fields = ['channel', 'caller_phone', 'caller_name', 'customer_id', 'contact_id', 'category', 'subject', 'content', 'answer', 'status', 'priority',
    'is_lead', 'lead_note', 'book_callback', 'callback_at', 'callback_purpose', 'article_id', 'next', 'version', 'to', 'note', 'assignee_id', 'assigned_to']
  const targets: [Client, string][] = [[agent, '/service/requests'], [agent, `/service/requests/${id}/status`], [boss, `/service/requests/${id}/assign`],
    [agent, `/service/requests/${id}/notes`], [agent, `/service/requests/${id}/link`], [boss, `/service/leads/${lead}/assign`], [boss, `/service/leads/${lead}/close`]]
  const seen = new Map<number, number>()
  for (let run = 0; run < 210; run++) {
    const [c, url] = targets[run % targets.length]
    const form: Record<string, string | string[]> = url === '/service/requests' ? { form_token: token() } : {}
    for (const f of fields) if (rnd() < 0.5) form[f] = value()
    const res = await c.post(url, form)
    seen.set(res.statusCode, (seen.get(res.statusCode) ?? 0) + 1)
    if (res.statusCode >= 500) t.fail(`${url} ${JSON.stringify(form).slice(0, 300)} → ${res.statusCode}`)
  }
  t.ok([...seen.keys()].every((s) => [303, 400, 409, 422].includes(s)), `only 303/400/409/422: ${JSON.stringify([...seen])}`)
  t.ok(seen.get(422), 'bad input was refused with its messages')
  t.same(listedIds((await agent.get('/service/requests?view=all&q=%E5%81%A5%E5%A3%AE')).body), [id], 'and the list still works')
})
