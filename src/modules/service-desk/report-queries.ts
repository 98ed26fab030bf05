// The supervisor's service figures for a period: requests per agent per day, open and
// overdue requests by category, average time to answer. Every figure is a GROUP BY in
// the database over the requests received in the period (office days), within the
// caller's data scope exactly as the request lists apply it (creator or assignee);
// JavaScript only lays the grouped rows out.
//
// "The agent" of a request is its assignee, or whoever took it while it is unassigned:
// the person answerable for it, so a reassigned request counts for the new agent.
import { sql } from 'kysely'
import type { DB } from '../../db/index.ts'
import type { Principal } from '../../platform/principal.ts'
import { dayStart, OPEN } from './requests-queries.ts'
import { requestScope } from './requests-service.ts'

export interface ReportFilter {
  from: string
  to: string
  /** a department (with its sub-departments): the agents' department */
  dept?: { id: number; name: string; path: string }
}

/** longest period one report covers: a year, so the day columns stay a sane number */
export const MAX_DAYS = 366
/** day columns per printed block (A4 landscape) */
export const BLOCK_DAYS = 16

/** 'YYYY-MM-DD' plus n days (calendar arithmetic, no time zone involved) */
export function addDays(day: string, n: number): string {
  const [y, m, d] = day.split('-').map(Number)
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10)
}

/** every day from `from` to `to`, both included */
export function daysOf(from: string, to: string): string[] {
  const out: string[] = []
  for (let d = from; d <= to && out.length <= MAX_DAYS; d = addDays(d, 1)) out.push(d)
  return out
}

const AGENT = sql<number>`coalesce(r.assignee_id, r.created_by)`

function received(db: DB, user: Principal, f: ReportFilter, tz: string) {
  let q = db.selectFrom('service_requests as r').where('r.deleted_at', 'is', null).where(requestScope(user))
    .where('r.received_at', '>=', dayStart(f.from, tz)).where('r.received_at', '<', dayStart(addDays(f.to, 1), tz))
  if (f.dept) {
    q = q.where(sql<boolean>`${AGENT} in (select u.id from users u join departments d on d.id = u.department_id where d.path like ${f.dept.path + '%'})`)
  }
  return q
}

// GROUP BY ordinals: the time zone is a parameter, and PostgreSQL does not see two
// parameters as the same expression in SELECT and GROUP BY.
async function perAgentDay(db: DB, user: Principal, f: ReportFilter, tz: string) {
  return received(db, user, f, tz)
    .select([AGENT.as('agent_id'), sql<string>`to_char(r.received_at at time zone ${tz}, 'YYYY-MM-DD')`.as('day'), sql<number>`count(*)::int`.as('n')])
    .groupBy([sql`1`, sql`2`]).execute()
}

const ANSWER_SECONDS = sql<number | null>`avg(extract(epoch from (r.answered_at - r.received_at)))::float8`

async function perAgent(db: DB, user: Principal, f: ReportFilter, tz: string) {
  const x = received(db, user, f, tz)
    .select([AGENT.as('agent_id'), sql<number>`count(*)::int`.as('n'), sql<number>`count(r.answered_at)::int`.as('answered'), ANSWER_SECONDS.as('avg_seconds')])
    .groupBy(sql`1`)
  return db.selectFrom(x.as('x')).innerJoin('users as u', 'u.id', 'x.agent_id').leftJoin('departments as d', 'd.id', 'u.department_id')
    .select(['x.agent_id', 'u.name', 'd.name as dept_name', 'x.n', 'x.answered', 'x.avg_seconds'])
    .orderBy('u.name').orderBy('x.agent_id').execute()
}

async function overall(db: DB, user: Principal, f: ReportFilter, tz: string) {
  return received(db, user, f, tz)
    .select([sql<number>`count(*)::int`.as('n'), sql<number>`count(r.answered_at)::int`.as('answered'), ANSWER_SECONDS.as('avg_seconds')])
    .executeTakeFirstOrThrow()
}

async function byCategory(db: DB, user: Principal, f: ReportFilter, tz: string, now: Date) {
  const x = received(db, user, f, tz)
    .select(['r.category', sql<number>`count(*)::int`.as('n'), sql<number>`(count(*) filter (where ${OPEN}))::int`.as('open'),
      sql<number>`(count(*) filter (where ${OPEN} and r.due_at < ${now}))::int`.as('overdue')])
    .groupBy('r.category')
  return db.selectFrom(x.as('x'))
    .leftJoin('code_items as ci', (j) => j.on('ci.kind', '=', 'consult_category').onRef('ci.code', '=', 'x.category'))
    .select(['x.category', 'ci.label_zh', 'ci.label_en', 'x.n', 'x.open', 'x.overdue'])
    .orderBy(sql`ci.sort nulls last`).orderBy(sql`x.category nulls last`).execute()
}

export type AgentRow = Awaited<ReturnType<typeof perAgent>>[number]
export type CategoryRow = Awaited<ReturnType<typeof byCategory>>[number]

export interface ServiceReport {
  days: string[]
  agents: AgentRow[]
  /** requests per `${agentId}|${day}`; a missing key is none */
  cells: Map<string, number>
  dayTotals: Map<string, number>
  categories: CategoryRow[]
  categoryTotal: { n: number; open: number; overdue: number }
  overall: { n: number; answered: number; avg_seconds: number | null }
  /** the instant "overdue" was measured against */
  now: Date
}

export async function serviceReport(db: DB, user: Principal, f: ReportFilter, tz: string): Promise<ServiceReport> {
  const now = new Date()
  const [grid, agents, categories, all] = await Promise.all([
    perAgentDay(db, user, f, tz), perAgent(db, user, f, tz), byCategory(db, user, f, tz, now), overall(db, user, f, tz)
  ])
  const cells = new Map<string, number>()
  const dayTotals = new Map<string, number>()
  for (const c of grid) {
    cells.set(`${c.agent_id}|${c.day}`, c.n)
    dayTotals.set(c.day, (dayTotals.get(c.day) ?? 0) + c.n)
  }
  const categoryTotal = { n: 0, open: 0, overdue: 0 }
  for (const c of categories) { categoryTotal.n += c.n; categoryTotal.open += c.open; categoryTotal.overdue += c.overdue }
  return { days: daysOf(f.from, f.to), agents, cells, dayTotals, categories, categoryTotal, overall: all, now }
}

/** the day columns in printable blocks of at most BLOCK_DAYS */
export function dayBlocks(days: string[]): string[][] {
  const out: string[][] = []
  for (let i = 0; i < days.length; i += BLOCK_DAYS) out.push(days.slice(i, i + BLOCK_DAYS))
  return out
}
