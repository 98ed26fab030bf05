// The service desk's scenarios (issue 4, "Scale and speed"), on the data seed-service.ts
// adds: ten requests per customer over three years, the agents' appointments.
//   call-lookup      GET /service/calls/lookup?caller_phone=… (htmx), as the call screen
//                    sends it while a number is typed or popped: numbers in every format,
//                    with and without the area code, a fragment typed so far, an office
//                    line with its extension, the last four digits, repeat unknown
//                    callers, new numbers
//   today-calls      GET /service/appointments/today, each agent his own list
//   overdue-list     GET /service/requests?view=overdue, the whole desk's (agents see all)
//   request-save     POST /service/requests: a known caller's request as the call screen
//                    posts it (CSRF, a new one-time form token each time), from 20 desks
//                    (each a signed-in session of one of the five agents)
//   baseline-save    the same bodies to POST /baseline/save (baseline.ts): the bare
//                    transaction inserting the same rows, run before and after
// The three reads are also measured paced (each connection one request a second), as
// ten agents at work see them, next to the saturated run the targets are read from.
// The saves are removed afterwards (and any left by an earlier run that stopped), so
// every run starts from the seeded data; today's appointments are brought up to date.
import { sql } from 'kysely'
import { freshenAppointments } from './seed-service.ts'
import { withoutFkChecks } from './seed.ts'
import { csrfOf, FORM_TOKEN, p95AtMost, ratioAtLeast, signIn, type Scenario } from './scenario.ts'
import type { Target } from './targets.ts'
import { REQUEST_TEMPLATES } from './vocab.ts'

export const SERVICE_SCENARIOS = ['call-lookup', 'today-calls', 'overdue-list', 'baseline-save', 'request-save', 'baseline-save-end']

interface Ctx { appUrl: string; target: Target; log: (m: string) => void; connections: number; searchConnections: number }

/** the paced run of the reads: each of the connections ("agents") one request a second, far above a person's pace */
export const PACE_PER_AGENT = 1

const shuffle = <T>(a: T[]): T[] => {
  for (let i = a.length - 1; i > 0; i--) { const j = Math.floor(Math.random() * (i + 1)); [a[i], a[j]] = [a[j], a[i]] }
  return a
}
const enc = encodeURIComponent

/**
 * deletes what the bench's saves added beyond the seeded rows; their audit rows stay,
 * as the audit log is append-only (a trigger refuses deletes): it grows by one row a save
 */
export async function removeSaves(target: Target) {
  const { requests, timeline } = target.service.maxIds
  const r = await target.store.runner()
  try {
    if (target.kind === 'postgres') await r.exec('set statement_timeout = 0')
    await withoutFkChecks(r, async () => {
      await r.query(`delete from customer_timeline where id > $1 and kind like 'request.%'`, [timeline])
      await r.query('delete from request_followups where request_id > $1', [requests])
      await r.query('delete from request_articles where request_id > $1', [requests])
      await r.query('delete from service_requests where id > $1', [requests])
    })
    await r.exec(`delete from form_tokens where user_id in (select id from users where login like 'bench-agent-%')`)
  } finally {
    await r.release()
  }
}

/** what an agent types into the number field: real numbers in their shapes, fragments, unknown callers */
async function lookupTerms(target: Target, n = 400): Promise<string[]> {
  const db = target.store.db
  const customers = target.info.params.customers
  const ids = Array.from({ length: n }, () => 1 + Math.floor(Math.random() * customers))
  const contacts = await db.selectFrom('contacts').select(['mobile', 'office_phone']).where('customer_id', 'in', ids).execute()
  const phones = (await db.selectFrom('customers').select('phone').where('id', 'in', ids).execute()).map((c) => c.phone).filter((p): p is string => !!p)
  const unknown = (await sql<{ p: string }>`select caller_phone as p from service_requests
    where customer_id is null and caller_phone is not null and id > ${Math.floor(Math.random() * target.service.params.requests * 0.9)} limit ${n}`.execute(db)).rows.map((r) => r.p)
  const mobiles = contacts.map((c) => c.mobile).filter((p): p is string => !!p)
  const offices = contacts.map((c) => c.office_phone).filter((p): p is string => !!p)
  const pick = <T>(a: T[]) => a[Math.floor(Math.random() * a.length)]
  const out: string[] = []
  for (let i = 0; i < n; i++) {
    const x = Math.random()
    if (x < 0.35) out.push(pick(mobiles)) // 13812345678, 138-1234-5678, +86 138 1234 5678
    else if (x < 0.5) out.push(pick(phones)) // 010-12345678
    else if (x < 0.6) out.push(pick(phones).split('-')[1]) // the local number, without the area code
    else if (x < 0.75) out.push(pick(mobiles).replace(/\D/g, '').replace(/^86/, '').slice(0, 7)) // the first digits typed so far
    else if (x < 0.8) out.push(pick(offices)) // 010-12345678转808
    else if (x < 0.85) out.push(pick(mobiles).replace(/\D/g, '').slice(-4)) // "my number ends in 5678"
    else if (x < 0.97 && unknown.length) out.push(pick(unknown)) // an unknown caller who called before
    else out.push(`15${String(Math.floor(Math.random() * 1e9)).padStart(9, '0')}`) // a number nobody has
  }
  return out
}

/** call-screen posts for known callers, each tied to one desk's session (its CSRF token goes in the body) */
async function saveBodies(target: Target, desks: Array<{ cookie: string; csrf: string }>, n = 2000) {
  const customers = target.info.params.customers
  const ids = [...new Set(Array.from({ length: n }, () => 1 + Math.floor(Math.random() * customers)))]
  const contacts = await target.store.db.selectFrom('contacts').select(['id', 'customer_id', 'name', 'mobile'])
    .where('id', 'in', ids.map((id) => 2 * id - 1)).where('deleted_at', 'is', null).execute()
  const bodies: string[] = [], cookies: string[] = []
  contacts.forEach((k, i) => {
    const t = REQUEST_TEMPLATES[i % REQUEST_TEMPLATES.length]
    const answered = Math.random() < 0.6
    const desk = desks[i % desks.length]
    const form: Record<string, string> = {
      _csrf: desk.csrf, form_token: FORM_TOKEN, channel: 'phone', caller_phone: k.mobile ?? '', caller_name: k.name,
      customer_id: String(k.customer_id), contact_id: String(k.id), category: t.category, subject: t.subject, content: t.content,
      answer: answered ? t.answer : '', status: answered ? 'answered' : 'received', priority: 'normal',
      lead_note: '', callback_at: '', callback_purpose: '', kb_q: '', article_id: ''
    }
    bodies.push(new URLSearchParams(form).toString())
    cookies.push(desk.cookie)
  })
  return { bodies, cookies }
}

export async function serviceScenarios(ctx: Ctx): Promise<{ scenarios: Scenario[]; cleanup: () => Promise<void> }> {
  const { target, appUrl, log } = ctx
  await removeSaves(target)
  await freshenAppointments(target.store, target.config, target.info.params.customers, log)
  // one signed-in session per simulated desk: the five agents at four desks each
  const desks: Array<{ cookie: string; csrf: string; agent: number }> = []
  for (let d = 0; d < Math.max(ctx.connections, 5); d++) {
    const cookie = await signIn(appUrl, `bench-agent-${(d % 5) + 1}`)
    const csrf = csrfOf(await (await fetch(`${appUrl}/service/calls/new`, { headers: { cookie } })).text())
    if (!csrf) throw new Error('no CSRF token on the call screen')
    desks.push({ cookie, csrf, agent: (d % 5) + 1 })
  }
  const s = target.service
  const db = target.store.db
  const overdue = Number((await sql<{ n: number }>`select count(*)::int as n from (select 1 from service_requests
    where status in ('received', 'in_progress') and deleted_at is null and due_at < now() limit 1000000) x`.execute(db)).rows[0].n)
  const today = Number((await sql<{ n: number }>`select count(*)::int as n from appointments a join users u on u.id = a.caller_id
    where u.login = 'bench-agent-1' and a.status = 'scheduled' and a.scheduled_at < now() + interval '1 day'`.execute(db)).rows[0].n)
  log(`service desk: ${s.params.requests.toLocaleString('en')} requests seeded ${s.seededAt}, ${overdue.toLocaleString('en')} overdue now; ` +
    `bench-agent-1 has ~${today} scheduled calls up to tomorrow this time`)
  const terms = await lookupTerms(target)
  const saves = await saveBodies(target, desks)
  const perAgent = desks.slice(0, 5).map((d) => d.cookie)
  const pace = ctx.searchConnections * PACE_PER_AGENT
  const scenarios: Scenario[] = [
    { name: 'call-lookup', what: 'GET /service/calls/lookup?caller_phone= (htmx, as typed or popped), numbers in all shapes and fragments', who: 'agent', hx: true,
      connections: ctx.searchConnections, paths: shuffle(terms.map((t) => `/service/calls/lookup?caller_phone=${enc(t)}`)), checks: [p95AtMost(30)], pace },
    { name: 'today-calls', what: "GET /service/appointments/today, each agent's own list (~30 today + missed ones)", who: 'agent',
      connections: ctx.searchConnections, paths: ['/service/appointments/today'], cookies: perAgent, checks: [p95AtMost(30)], pace },
    { name: 'overdue-list', what: 'GET /service/requests?view=overdue, full page, the desk\'s most overdue 50', who: 'agent',
      connections: ctx.searchConnections, paths: ['/service/requests?view=overdue'], checks: [p95AtMost(30)], pace },
    { name: 'baseline-save', what: 'POST /baseline/save: bare pg transaction, request + status row + timeline + audit', who: null, baseline: true, group: 'save',
      connections: ctx.connections, paths: ['/baseline/save'], bodies: saves.bodies, cookies: saves.cookies, checks: [] },
    { name: 'request-save', what: 'POST /service/requests: call screen form, known caller, new form token each', who: 'agent', group: 'save',
      connections: ctx.connections, paths: ['/service/requests'], bodies: saves.bodies, cookies: saves.cookies, checks: [ratioAtLeast(0.6)] },
    { name: 'baseline-save-end', what: 'the bare save transaction again', who: null, baseline: true, group: 'save',
      connections: ctx.connections, paths: ['/baseline/save'], bodies: saves.bodies, cookies: saves.cookies, checks: [] }
  ]
  return { scenarios, cleanup: () => removeSaves(target) }
}
