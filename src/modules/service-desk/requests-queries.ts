// The request lists an agent and a supervisor work from: mine, my team's,
// unassigned, overdue, archived (with search). Keyset pages of 50, newest first
// (overdue: most overdue first), counts capped like the customer list.
import { sql, type Kysely } from 'kysely'
import { z } from 'zod'
import { dbWithGenericPlans } from '../../db/index.ts'
import type { Database } from '../../db/types.ts'
import { officeTime } from '../../platform/format.ts'
import type { Principal } from '../../platform/principal.ts'
import { inScope } from '../../platform/scope.ts'
import { hasCjk, termGrams } from '../../platform/cjk.ts'
import { requestScope } from './requests-service.ts'
import { CHANNELS, PRIORITIES, STATUSES } from './schemas.ts'

export const VIEWS = ['mine', 'team', 'unassigned', 'overdue', 'archived', 'all'] as const
/** an open request, written into the statement's text: partial indexes (0007, 0011) carry it, and a generic plan must see it to use them */
export const OPEN = sql<boolean>`r.status in ('received', 'in_progress')`
export const PAGE = 50

/** 2026-02-30 has the right shape but is no day: refused as a bad filter, not a 500 */
const realDay = (v: string) => {
  const d = new Date(`${v}T00:00:00Z`)
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v
}
const opt = <T extends z.ZodType>(s: T) => z.preprocess((v) => (v === '' || v === undefined ? undefined : v), s.optional())
export const requestListSchema = z.object({
  view: opt(z.enum(VIEWS)),
  q: opt(z.string().max(100).regex(/^[^\u0000]*$/)),
  status: opt(z.enum(STATUSES)),
  priority: opt(z.enum(PRIORITIES)),
  channel: opt(z.enum(CHANNELS)),
  category: opt(z.string().regex(/^[A-Za-z0-9_-]{1,40}$/)),
  assignee: opt(z.coerce.number().int().positive().max(2_147_483_647)),
  from: opt(z.string().regex(/^\d{4}-\d{2}-\d{2}$/).refine(realDay)),
  to: opt(z.string().regex(/^\d{4}-\d{2}-\d{2}$/).refine(realDay)),
  // a cursor: the last id, or "due time|id" on the overdue list (a time that is no time is refused, not sent to SQL)
  after: opt(z.string().regex(/^\d{1,10}$|^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z\|\d{1,10}$/).refine((v) => !v.includes('|') || !Number.isNaN(Date.parse(v.split('|')[0]))))
})
export type RequestListQuery = z.output<typeof requestListSchema>
/** every filter of the schema but the view and the cursor, so that a filter added there counts here too */
const FILTERS = Object.keys(requestListSchema.shape).filter((k) => k !== 'view' && k !== 'after') as (keyof RequestListQuery)[]

export async function listRequests(db: Kysely<Database>, user: Principal, f: RequestListQuery, tz: string) {
  const { query, view, overdueOrder, tooShort } = requestListQuery(db, user, f, tz)
  const rows = await query.execute()
  const more = rows.length > PAGE
  const page = rows.slice(0, PAGE)
  const last = page[page.length - 1]
  const next = more && last ? (overdueOrder ? `${last.due_key}|${last.id}` : String(last.id)) : null
  return { rows: page, next, view, tooShort }
}

/** one page's statement of a request list (exported so a test can EXPLAIN what runs) */
export function requestListQuery(db: Kysely<Database>, user: Principal, f: RequestListQuery, tz: string) {
  const view = f.view ?? 'mine'
  // The desk's overdue list, unfiltered, for someone who sees every request: the same
  // plan whatever the time and cursor (the open requests' due-time index), made once.
  // Planned afresh it took 0.71 ms against 0.60 ms running it (pg_stat_statements).
  // Filters and narrower scopes stay planned for their values.
  const unfiltered = FILTERS.every((k) => f[k] === undefined)
  if (view === 'overdue' && unfiltered && user.scope === 'all') db = dbWithGenericPlans(db)
  let q = db.selectFrom('service_requests as r').where('r.deleted_at', 'is', null).where(requestScope(user))
  if (view === 'mine') q = q.where('r.assignee_id', '=', user.id).where('r.status', '<>', 'archived')
  else if (view === 'team') q = q.where(inScope({ ...user, scope: user.scope === 'own' ? 'own' : 'subtree' }, 'r.assignee_id')).where('r.status', '<>', 'archived')
  else if (view === 'unassigned') q = q.where('r.assignee_id', 'is', null).where('r.status', '<>', 'archived')
  else if (view === 'overdue') q = q.where(OPEN).where('r.due_at', '<', new Date())
  else if (view === 'archived') q = q.where('r.status', '=', 'archived')
  if (f.status) q = q.where('r.status', '=', f.status)
  if (f.priority) q = q.where('r.priority', '=', f.priority)
  if (f.channel) q = q.where('r.channel', '=', f.channel)
  if (f.category) q = q.where('r.category', '=', f.category)
  if (f.assignee) q = q.where('r.assignee_id', '=', f.assignee)
  if (f.from) q = q.where('r.received_at', '>=', dayStart(f.from, tz))
  if (f.to) q = q.where('r.received_at', '<', new Date(dayStart(f.to, tz).getTime() + 86_400_000))
  let tooShort = false
  if (f.q?.trim()) {
    let term = f.q.trim()
    // a phone fragment typed with its separators (5555-0000) is searched by its digits
    if (/^[\d\s+\-()]+$/.test(term) && /\d{3}/.test(term.replace(/\D/g, ''))) term = term.replace(/\D/g, '')
    if (/^SR-\d{8}-\d{1,6}$/i.test(term)) q = q.where('r.number', '=', term.toUpperCase())
    else if (hasCjk(term)) {
      const grams = termGrams(term)
      q = q.where(sql<boolean>`r.search_grams @> ${sql.val(grams)}::text[]`)
        .where(sql<boolean>`(r.subject || ' ' || coalesce(r.content, '') || ' ' || coalesce(r.answer, '') || ' ' || coalesce(r.caller_name, '')) like ${'%' + term.replace(/[\\%_]/g, '\\$&') + '%'}`)
    } else if (term.length >= 3) q = q.where(sql<boolean>`r.search_text like ${'%' + term.toLowerCase().replace(/[\\%_]/g, '\\$&') + '%'}`)
    else {
      // too short for the trigram index: match nothing and say so, rather than ignore the term and list everything
      tooShort = true
      q = q.where(sql<boolean>`false`)
    }
  }
  const overdueOrder = view === 'overdue'
  if (f.after) {
    if (overdueOrder && f.after.includes('|')) {
      const [at, id] = f.after.split('|')
      q = q.where(sql<boolean>`(r.due_at, r.id) > (${at}::timestamptz, ${Number(id)})`)
    } else if (!f.after.includes('|')) q = q.where('r.id', '<', Number(f.after))
  }
  q = overdueOrder ? q.orderBy('r.due_at').orderBy('r.id') : q.orderBy('r.id', 'desc')
  const query = q.leftJoin('customers as c', 'c.id', 'r.customer_id').leftJoin('users as a', 'a.id', 'r.assignee_id')
    .select(['r.id', 'r.number', 'r.received_at', 'r.channel', 'r.caller_phone', 'r.caller_name', 'r.subject', 'r.status', 'r.priority',
      'r.due_at', 'r.category', 'r.is_lead', 'r.customer_id', 'c.name as customer_name', 'a.name as assignee_name',
      // the cursor keeps the due time to the microsecond: a JS Date would round it to the
      // millisecond and PostgreSQL would hand the last row of a page out again
      sql<string>`to_char(r.due_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('due_key')])
    .limit(PAGE + 1)
  return { query, view, overdueOrder, tooShort }
}

/** midnight at the start of `day` in the office's time zone */
export const dayStart = (day: string, tz: string) => officeTime(`${day}T00:00`, tz)
