// The baseline the app is measured against (performance.md probe c): a bare Fastify
// route, no plugins, no session, no logging, that reads 50 customers with a plain
// keyset query as a named prepared statement on a `pg` pool of its own (on PGlite:
// the same SQL straight on the PGlite instance) and renders the app's own customer
// table template (/customers/_table, which includes /customers/_rows) with the same
// Eta instance, inside a minimal page. Whatever the real list page costs beyond this
// is the price of the framework around it: sessions, permissions, scope, the layout,
// Kysely, logging.
//
// POST /baseline/save is the reference for saving a service request (issue 4): the
// same form body the call screen posts, and one bare transaction on the same `pg`
// pool (named statements; on PGlite, the instance itself) inserting the rows the
// app's save inserts: the request (with the same search columns), its first status
// row, the customer's timeline row and an audit row of the same size; then a 303
// like the app's. What it leaves out is what the app adds around the rows: session,
// CSRF, validation, the customer/contact/category checks, the daily number, the
// one-time form token, Kysely and logging. It is an HTTP route driven by the same
// load driver with the same connections rather than a loop of transactions in this
// process, so that both sides pay the same HTTP parsing and share the 2 cores with
// the same load generator: the ratio is then the app's own cost, not HTTP's.
import crypto from 'node:crypto'
import type { AddressInfo } from 'node:net'
import Fastify, { type FastifyInstance } from 'fastify'
import pg from 'pg'
import type { Store } from '../src/db/index.ts'
import { codeLists, lookupHelpers } from '../src/modules/customers/lookups.ts'
import { DEFAULT_COLUMNS, PAGE_SIZE } from '../src/modules/customers/queries.ts'
import { DUE_HOURS, searchColumns } from '../src/modules/service-desk/requests-service.ts'
import type { Priority } from '../src/modules/service-desk/tables.ts'
import { formatter } from '../src/platform/format.ts'
import { normalizePhone } from '../src/platform/phone.ts'
import { translator } from '../src/platform/i18n.ts'
import { eta } from '../src/platform/render.ts'

// the columns and joins of listCustomers() (queries.ts), without the scope filter
export const BASELINE_SQL = `
select c.id, c.code, c.name, c.short_name, c.grade, c.status, c.phone, c.industry, c.region_code, c.source, c.tags,
  c.created_at, c.review_state, c.name_initials, c.owner_id, c.deleted_at, c.version, o.name as owner_name, k.name as contact_name
from customers c left join users o on o.id = c.owner_id left join contacts k on k.id = c.main_contact_id
where c.deleted_at is null and c.merged_into is null and c.id < $1
order by c.id desc limit ${PAGE_SIZE + 1}`

export interface Baseline { url: string; close(): Promise<void> }

const SAVE_SQL = [
  `insert into service_requests (number, channel, caller_phone, caller_phone_norm, caller_name, customer_id, contact_id, category, subject,
     content, answer, status, priority, assignee_id, created_by, due_at, is_lead, answered_at, search_grams, search_text)
   values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $15, false, $16, $17, $18) returning id`,
  `insert into request_followups (request_id, user_id, kind, to_status) values ($1, $2, 'status', $3)`,
  `insert into customer_timeline (customer_id, kind, ref_id, title, href, user_id) values ($1, 'request.created', $2, $3, $4, $5)`,
  `insert into audit_log (user_id, user_name, ip, request_id, action, entity, entity_id, summary, changes) values ($1, $2, $3, $4, 'create', 'service_request', $5, $6, $7)`
]

export async function startBaseline(store: Store, databaseUrl: string | undefined, timeZone: string): Promise<Baseline> {
  const pool = store.kind === 'postgres' ? new pg.Pool({ connectionString: databaseUrl, max: 10, idleTimeoutMillis: 0 }) : null
  const query = async (after: number): Promise<Record<string, unknown>[]> => {
    if (pool) return (await pool.query({ name: 'bench_baseline', text: BASELINE_SQL, values: [after] })).rows
    return (await store.pglite!.query<Record<string, unknown>>(BASELINE_SQL, [after])).rows
  }
  // what the real page's view context provides, made once
  const fixed = {
    t: translator('zh-CN'), lang: 'zh-CN', fmt: formatter('zh-CN', timeZone), can: () => true, csrf: 'baseline',
    lk: lookupHelpers(await codeLists(store.db), 'zh-CN'), cols: new Set<string>(DEFAULT_COLUMNS), count: null, qs: ''
  }
  const app: FastifyInstance = Fastify({ logger: false })
  app.get('/baseline', async (req, reply) => {
    const after = Number((req.query as { after?: string }).after) || 2_147_483_647
    const rows = await query(after)
    const more = rows.length > PAGE_SIZE
    const page = rows.slice(0, PAGE_SIZE)
    const next = more ? `|${page[page.length - 1].id}` : null
    const table = eta.render('/customers/_table', { ...fixed, rows: page, next, nextQs: next ? `after=${encodeURIComponent(next)}` : '' })
    return reply.type('text/html; charset=utf-8')
      .send(`<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>客户</title><link rel="stylesheet" href="/public/app.css"></head><body><main>${table}</main></body></html>`)
  })
  const agent = await store.db.selectFrom('users').select(['id', 'name']).where('login', '=', 'bench-agent-1').executeTakeFirstOrThrow()
  const tag = crypto.randomBytes(3).toString('base64url').replace(/[-_]/g, 'x')
  let n = 0
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))))
  app.post('/baseline/save', async (req, reply) => {
    const f = req.body as Record<string, string | undefined>
    const v = (k: string) => (f[k]?.trim() ? f[k]!.trim() : null)
    const now = new Date()
    // numbers apart from the app's (SB-, a tag per run): unique without a counter row
    const number = `SB-${fixed.fmt.today().replaceAll('-', '')}-${tag}${++n}`
    const priority = (v('priority') ?? 'normal') as Priority
    const status = v('status') ?? 'received'
    const phoneNorm = normalizePhone(v('caller_phone')) || null
    const customerId = v('customer_id') ? Number(v('customer_id')) : null
    const cols = searchColumns({ subject: v('subject') ?? '', content: v('content'), answer: v('answer'), caller_name: v('caller_name'), caller_phone_norm: phoneNorm, number })
    const row = {
      number, channel: v('channel') ?? 'phone', caller_phone: v('caller_phone'), caller_phone_norm: phoneNorm, caller_name: v('caller_name'),
      customer_id: customerId, contact_id: v('contact_id') ? Number(v('contact_id')) : null, category: v('category'), subject: v('subject') ?? '',
      content: v('content'), answer: v('answer'), status, priority, assignee_id: agent.id, created_by: agent.id,
      due_at: new Date(now.getTime() + DUE_HOURS[priority] * 3_600_000), is_lead: false, answered_at: status === 'answered' ? now : null
    }
    const params = [number, row.channel, row.caller_phone, phoneNorm, row.caller_name, customerId, row.contact_id, row.category, row.subject,
      row.content, row.answer, status, priority, agent.id, row.due_at, row.answered_at, cols.search_grams, cols.search_text]
    // the audit row as audit() makes it for a new request: every field as [null, value]
    const audit = (id: number) => [agent.id, agent.name, req.ip, String(req.id), String(id), `${number} ${row.subject}`.slice(0, 300),
      JSON.stringify(Object.fromEntries(Object.entries({ id, ...row }).filter(([, x]) => x !== null).map(([k, x]) => [k, [null, x instanceof Date ? x.toISOString() : x]])))]
    const rest = (id: number) => [[id, agent.id, status], [customerId, String(id), `${number} ${row.subject}`, `/service/requests/${id}`, agent.id], audit(id)]
    let id: number
    if (pool) {
      const c = await pool.connect()
      try {
        await c.query('begin')
        id = (await c.query<{ id: number }>({ name: 'bench_save_0', text: SAVE_SQL[0], values: params })).rows[0].id
        const more = rest(id)
        await c.query({ name: 'bench_save_1', text: SAVE_SQL[1], values: more[0] })
        if (customerId) await c.query({ name: 'bench_save_2', text: SAVE_SQL[2], values: more[1] })
        await c.query({ name: 'bench_save_3', text: SAVE_SQL[3], values: more[2] })
        await c.query('commit')
      } catch (e) {
        await c.query('rollback').catch(() => {})
        throw e
      } finally {
        c.release()
      }
    } else {
      id = await store.pglite!.transaction(async (tx) => {
        const rid = (await tx.query<{ id: number }>(SAVE_SQL[0], params)).rows[0].id
        const more = rest(rid)
        await tx.query(SAVE_SQL[1], more[0])
        if (customerId) await tx.query(SAVE_SQL[2], more[1])
        await tx.query(SAVE_SQL[3], more[2])
        return rid
      })
    }
    return reply.code(303).header('location', `/service/requests/${id}`).send()
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  return {
    url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    async close() { await app.close(); await pool?.end() }
  }
}
