// Adds the service desk to a seeded benchmark database, incrementally: the customers
// (minutes to seed at a million) stay, and the service tables get 10 requests per
// customer over three years with their follow-up log, a customer_timeline row per
// request with a customer, the agents' appointments and a do-not-call list
// (seed-service-sql.ts). A marker table of its own (bench_service_seed) records the
// parameters: a database seeded before the service desk existed, or with other
// service parameters, gets (only) its service data made again. As in seed.ts the
// indexes and foreign keys of the filled tables are dropped for the load and rebuilt.
//
// search_grams and search_text are computed in SQL from pieces the app's own
// functions made (cjkGrams and the Latin residue per template and per name); a
// sample of rows is compared with searchColumns() after seeding and on every reuse.
import type { Config } from '../src/config.ts'
import type { ScriptRunner, Store } from '../src/db/index.ts'
import { cjkGrams } from '../src/platform/cjk.ts'
import { normalizePhone } from '../src/platform/phone.ts'
import { searchColumns } from '../src/modules/service-desk/requests-service.ts'
import { dropIndexes, restoreIndexes, secs, timed } from './seed.ts'
import { appointmentsSql, countersSql, dncSql, followupsSql, requestDaysSql, requestsSql, timelineSql, zone, type ServiceSizes } from './seed-service-sql.ts'
import { APPOINTMENT_PURPOSES, APPOINTMENT_RESULTS, FOLLOWUP_NOTES, GIVEN, REQUEST_TEMPLATES, SURNAMES } from './vocab.ts'

/** bump when the service seed SQL or its words change: the service data (only) is made again */
export const SERVICE_SEED_VERSION = 1
export const REQUESTS_PER_CUSTOMER = 10
const DAYS = 3 * 365 + 1
// customer_timeline keeps its index and foreign keys: it is the customers' table, read
// by whoever uses the database meanwhile, and rows sorted by customer go in cheaply
const FILLED = ['service_requests', 'request_followups', 'appointments']
const CATEGORY_WEIGHT: Record<string, number> = { PRODUCT: 30, PRICE: 20, ORDER: 20, TECH: 25, OTHER: 5 }

export interface ServiceParams { version: number; customers: number; requests: number }
export interface ServiceInfo {
  params: ServiceParams
  seededAt: string
  seconds: { requests: number; followups: number; timeline: number; appointments: number; index: number; vacuum: number; total: number }
  counts: Record<string, number>
  /** the last ids the seeding made: rows above them are the bench's own saves, removed after each run */
  maxIds: { requests: number; followups: number; timeline: number }
}

type Log = (m: string) => void
const DNC_REASONS = ['客户本人要求不再来电', '多次投诉推销电话', '号码已转让他人']

/** 'YYYY-MM-DD' of an instant in the office's time zone */
export const officeDay = (t: number | Date, timeZone: string) =>
  new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(t))
export const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10)

/** the Latin part of a text as searchColumns() keeps it: lower case, CJK runs out, single spaces */
const latin = (s: string) => s.toLowerCase().replace(/[\u3400-\u9fff\uf900-\ufaff]+/g, ' ').replace(/\s+/g, ' ').trim()

export async function serviceInfo(store: Store): Promise<ServiceInfo | null> {
  const r = await store.runner()
  try {
    const [t] = await r.query<{ t: string | null }>(`select to_regclass('bench_service_seed')::text as t`)
    if (!t?.t) return null
    const [row] = await r.query<{ info: ServiceInfo | string }>('select info from bench_service_seed')
    return row ? (typeof row.info === 'string' ? JSON.parse(row.info) : row.info) : null
  } finally {
    await r.release()
  }
}

/** the words of the service seed as small unlogged tables (templates with their grams, names, notes…) */
export async function loadServiceWords(r: ScriptRunner) {
  await r.exec(`drop table if exists bench_sr_tpl, bench_sr_names, bench_sr_words;
    create unlogged table bench_sr_tpl (i int primary key, category text, subject text, content text, answer text,
      g11 text[], g10 text[], g01 text[], g00 text[], tok_s text, tok_c text, tok_a text);
    create unlogged table bench_sr_names (i int, name text primary key, grams text[]);
    create unlogged table bench_sr_words (kind text, i int, word text)`)
  const T = REQUEST_TEMPLATES
  const g = (...x: string[]) => cjkGrams(...x).join(' ')
  await r.query(`insert into bench_sr_tpl select i, c, s, t, a, string_to_array(g11, ' '), string_to_array(g10, ' '), string_to_array(g01, ' '),
      string_to_array(g00, ' '), ts, tc, ta
    from unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])
      as u(i, c, s, t, a, g11, g10, g01, g00, ts, tc, ta)`, [
    T.map((_, i) => i + 1), T.map((t) => t.category), T.map((t) => t.subject), T.map((t) => t.content), T.map((t) => t.answer),
    T.map((t) => g(t.subject, t.content, t.answer)), T.map((t) => g(t.subject, t.content)), T.map((t) => g(t.subject, t.answer)), T.map((t) => g(t.subject)),
    T.map((t) => latin(t.subject)), T.map((t) => latin(t.content)), T.map((t) => latin(t.answer))])
  const names = SURNAMES.flatMap((s) => GIVEN.map((n) => s + n))
  await r.query(`insert into bench_sr_names select i, n, string_to_array(gr, ' ') from unnest($1::int[], $2::text[], $3::text[]) as u(i, n, gr)`,
    [names.map((_, i) => i + 1), names, names.map((n) => g(n))])
  const words: Array<[string, string[]]> = [['note', FOLLOWUP_NOTES], ['purpose', APPOINTMENT_PURPOSES], ['dnc', DNC_REASONS],
    ...Object.entries(APPOINTMENT_RESULTS)]
  const rows = words.flatMap(([kind, list]) => list.map((w, i) => [kind, i + 1, w] as const))
  await r.query(`insert into bench_sr_words select * from unnest($1::text[], $2::int[], $3::text[])`, [rows.map((x) => x[0]), rows.map((x) => x[1]), rows.map((x) => x[2])])
}

/** template ids, each category's share of 100 slots spread over its templates */
function templatePick(): number[] {
  const out: number[] = []
  for (const [cat, w] of Object.entries(CATEGORY_WEIGHT)) {
    const ids = REQUEST_TEMPLATES.map((t, i) => (t.category === cat ? i + 1 : 0)).filter(Boolean)
    for (let k = 0; k < w; k++) out.push(ids[k % ids.length])
  }
  return out
}

async function agentIds(r: ScriptRunner): Promise<number[]> {
  return (await r.query<{ id: number }>(`select id from users where login like 'bench-agent-%' order by login`)).map((x) => Number(x.id))
}

/** removes every service row (a different service seed version or size, or a failed seeding); the append-only audit log keeps its rows */
async function clearService(r: ScriptRunner, log: Log) {
  const [n] = await r.query<{ n: number }>(`select count(*)::int as n from (select 1 from service_requests limit 1) x`)
  await r.exec(`drop table if exists bench_service_seed`)
  if (!Number(n.n)) return
  log('  removing the earlier service data')
  await r.exec(`truncate request_articles, leads, request_followups, appointments, service_requests, dnc_numbers, daily_counters restart identity;
    delete from customer_timeline where kind like 'request.%' or kind like 'appointment.%';
    delete from form_tokens where user_id in (select id from users where login like 'bench-agent-%')`)
}

async function seedService(store: Store, config: Config, params: ServiceParams, log: Log): Promise<ServiceInfo> {
  const tAll = performance.now()
  log(`seeding the service desk: ${params.requests.toLocaleString('en')} requests over ${params.customers.toLocaleString('en')} customers on ${store.kind}`)
  const r = await store.runner()
  try {
    if (store.kind === 'postgres') await r.exec(`set statement_timeout = 0; set synchronous_commit = off; set maintenance_work_mem = '512MB'; set work_mem = '256MB'`)
    else await r.exec(`set maintenance_work_mem = '256MB'; set work_mem = '64MB'`)
    await clearService(r, log)
    await loadServiceWords(r)
    const saved = await dropIndexes(r, FILLED)
    const tz = config.timeZone
    const nowMs = Math.floor(Date.now() / 1000) * 1000
    const step = Math.floor((DAYS * 86_400_000) / params.requests)
    const t0 = nowMs - params.requests * step
    const sizes: ServiceSizes = {
      requests: params.requests, customers: params.customers, t0, step, timeZone: tz,
      firstDay: officeDay(t0, tz), lastDay: officeDay(nowMs, tz), templatePick: templatePick(), notes: FOLLOWUP_NOTES.length
    }
    const [, requests] = await timed(log, 'service_requests (with search columns)', () => r.exec(requestDaysSql(sizes) + requestsSql(sizes)))
    const [, followups] = await timed(log, 'request_followups', () => r.exec(followupsSql(sizes)))
    const [, timeline] = await timed(log, 'customer_timeline (request.created)', () => r.exec(timelineSql(sizes)))
    const today = officeDay(nowMs, tz)
    const [, appointments] = await timed(log, 'appointments, do-not-call list, daily counters', async () => {
      await r.exec(appointmentsSql({ customers: params.customers, timeZone: tz, from: sizes.firstDay, to: addDays(today, 14), today, now: nowMs }))
      await r.exec(dncSql() + countersSql(sizes))
    })
    await r.exec(`drop table bench_sr_days, bench_sr_tpl, bench_sr_names, bench_sr_words;
      select setval('service_requests_id_seq', (select max(id) from service_requests))`)
    const tIndex = performance.now()
    await restoreIndexes(r, saved, log)
    const index = secs(tIndex)
    log(`  indexes and foreign keys: ${index.toFixed(1)} s`)
    const [, vacuum] = await timed(log, 'vacuum analyze', () => r.exec(`vacuum analyze ${FILLED.join(', ')}, customer_timeline, dnc_numbers, daily_counters`))
    const counts: Record<string, number> = {}
    for (const t of ['service_requests', 'request_followups', 'appointments', 'dnc_numbers']) counts[t] = Number((await r.query<{ n: number }>(`select count(*)::int as n from ${t}`))[0].n)
    const [m] = await r.query<{ r: number; f: number; t: number }>(`select (select max(id) from service_requests)::int as r,
      (select max(id) from request_followups)::int as f, (select max(id) from customer_timeline)::bigint as t`)
    const [open] = await r.query<{ open: number; overdue: number }>(`select count(*)::int as open, count(*) filter (where due_at < now())::int as overdue
      from service_requests where status in ('received', 'in_progress') and deleted_at is null`)
    counts.open = Number(open.open)
    counts.overdue = Number(open.overdue)
    const info: ServiceInfo = {
      params, seededAt: new Date().toISOString(), counts, maxIds: { requests: Number(m.r), followups: Number(m.f), timeline: Number(m.t) },
      seconds: { requests, followups, timeline, appointments, index, vacuum, total: secs(tAll) }
    }
    await r.exec(`create table bench_service_seed (info jsonb not null)`)
    await r.query(`insert into bench_service_seed (info) values ($1::jsonb)`, [JSON.stringify(info)])
    log(`service desk seeded in ${info.seconds.total.toFixed(1)} s (${Object.entries(counts).map(([k, v]) => `${k} ${v.toLocaleString('en')}`).join(', ')})`)
    return info
  } finally {
    await r.release()
  }
}

/** compares the SQL-made search columns, phone and number of `sample` requests with what the app computes */
export async function verifyService(store: Store, info: ServiceInfo, timeZone: string, sample = 100): Promise<{ checked: number; problems: string[] }> {
  const ids = new Set<number>()
  while (ids.size < Math.min(sample, info.params.requests)) ids.add(1 + Math.floor(Math.random() * info.params.requests))
  const rows = await store.db.selectFrom('service_requests').select(['id', 'number', 'received_at', 'subject', 'content', 'answer', 'caller_name',
    'caller_phone', 'caller_phone_norm', 'customer_id', 'search_grams', 'search_text']).where('id', 'in', [...ids]).execute()
  const logged = new Set((await store.db.selectFrom('request_followups').select('request_id').where('request_id', 'in', [...ids]).where('kind', '=', 'status').execute()).map((f) => f.request_id))
  const problems: string[] = []
  for (const x of rows) {
    const want = searchColumns({ ...x, number: x.number })
    const diff = (what: string, a: unknown, b: unknown) => { if (JSON.stringify(a) !== JSON.stringify(b)) problems.push(`request ${x.id} ${what}: SQL ${JSON.stringify(a)} ≠ app ${JSON.stringify(b)}`) }
    diff('search_grams', [...x.search_grams].sort(), [...want.search_grams].sort())
    diff('search_text', x.search_text, want.search_text)
    diff('caller_phone_norm', x.caller_phone_norm, normalizePhone(x.caller_phone) || null)
    diff('number day', x.number.slice(3, 11), officeDay(x.received_at, timeZone).replaceAll('-', ''))
    if (!logged.has(x.id)) problems.push(`request ${x.id} has no status row in its follow-up log`)
  }
  return { checked: rows.length, problems }
}

/** the service data of this database, seeded now if it is missing or was made with other parameters */
export async function ensureServiceSeed(store: Store, config: Config, customers: number, log: Log): Promise<ServiceInfo> {
  const params: ServiceParams = { version: SERVICE_SEED_VERSION, customers, requests: customers * REQUESTS_PER_CUSTOMER }
  const found = await serviceInfo(store)
  const same = found && (Object.keys(params) as Array<keyof ServiceParams>).every((k) => found.params[k] === params[k])
  if (found && same) {
    const v = await verifyService(store, found, config.timeZone, 100)
    if (!v.problems.length) {
      log(`reusing the service desk data seeded ${found.seededAt} (${found.seconds.total} s to seed); search columns still match searchColumns() on ${v.checked} requests`)
      return found
    }
    log(`the seeded requests no longer match the app (${v.problems[0]}…): seeding the service desk again`)
  } else if (found) log('the service desk data was seeded with other parameters: seeding it again')
  const info = await seedService(store, config, params, log)
  const v = await verifyService(store, info, config.timeZone, 300)
  if (v.problems.length) throw new Error(`SQL-made request columns differ from the app's:\n  ${v.problems.slice(0, 10).join('\n  ')}`)
  log(`  checked ${v.checked} random requests: search_grams, search_text, caller_phone_norm and the number's day equal the app's, each has its status log`)
  return info
}

/**
 * Keeps "today's calls" a working day's list whenever the bench runs: the days since
 * the last seeded one up to two weeks ahead are added as seed-service-sql.ts makes
 * them, then the agents' appointments of earlier days still scheduled are closed, all
 * before the day before yesterday and 85 % of the last two days' (by id, so running
 * twice closes nothing more): the rest are the missed calls on today's list.
 */
export async function freshenAppointments(store: Store, config: Config, customers: number, log: Log) {
  const tz = config.timeZone
  const today = officeDay(Date.now(), tz)
  const r = await store.runner()
  try {
    const agents = await agentIds(r)
    const [last] = await r.query<{ d: string | null }>(`select max((scheduled_at at time zone ${zone(tz)})::date)::text as d from appointments where caller_id = any($1::int[])`, [agents])
    const from = last.d ? addDays(last.d, 1) : addDays(today, -30)
    const to = addDays(today, 14)
    if (from <= to) {
      await loadServiceWords(r)
      await r.exec(appointmentsSql({ customers, timeZone: tz, from, to, today, now: Date.now() }))
      await r.exec('drop table bench_sr_tpl, bench_sr_names, bench_sr_words')
    }
    const [closed] = await r.query<{ n: number }>(`with x as (
        update appointments set status = case when id % 7 = 0 then 'no_answer' else 'done' end, version = version + 1,
          result = case when id % 7 = 0 then '无人接听' else '客户已确认，无其他问题' end, updated_at = scheduled_at + interval '3 minutes'
        where caller_id = any($1::int[]) and status = 'scheduled' and scheduled_at < ($2::date::timestamp at time zone ${zone(tz)})
          and (scheduled_at < ($2::date::timestamp at time zone ${zone(tz)}) - interval '2 days' or id % 100 >= 15)
        returning 1) select count(*)::int as n from x`, [agents, today])
    if (Number(closed.n) || from <= to) {
      await r.exec('analyze appointments')
      log(`appointments brought up to ${today}: ${Number(closed.n)} missed ones of earlier days closed${from <= to ? `, days ${from} to ${to} added` : ''}`)
    }
  } finally {
    await r.release()
  }
}
