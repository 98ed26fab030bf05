// The customer list: every filter in SQL, keyset pagination (never OFFSET), a
// capped count ("1000+") instead of an exact count(*) over a big table. The search
// box (`q`) is one more filter: the capped candidate ids of search.ts, in scope.
import { createQueryId, sql, type Kysely, type RawBuilder, type SelectQueryBuilder } from 'kysely'
import { z } from 'zod'
import type { Database } from '../../db/types.ts'
import type { Principal } from '../../platform/principal.ts'
import { inScope } from '../../platform/scope.ts'
import { GRADES, STATUSES } from './schemas.ts'
import { searchIdsSql, withSearchSettings } from './search.ts'
import { dbWithGenericPlans } from '../../db/index.ts'
import { savedFiltersJson, type SavedFilter } from './saved-filters.ts'

export const PAGE_SIZE = 50
export const COUNT_CAP = 1000
export const SORTS = ['new', 'name', 'grade'] as const
/** optional list columns a user may show or hide */
export const OPTIONAL_COLUMNS = ['short_name', 'phone', 'industry', 'region', 'source', 'tags', 'created', 'review'] as const
export const DEFAULT_COLUMNS = ['phone', 'industry', 'created'] as const
/** the optional columns a list page shows: the ones asked for, else the default ones */
export const shownColumns = (f: { cols?: readonly string[] }) => new Set<string>(f.cols ?? DEFAULT_COLUMNS)

const opt = <T extends z.ZodType>(s: T) => z.preprocess((v) => (v === '' || v === undefined ? undefined : v), s.optional())
const codeParam = opt(z.string().max(40).regex(/^[A-Za-z0-9_-]+$/))
const dateParam = opt(z.string().regex(/^\d{4}-\d{2}-\d{2}$/))

// Query-string filters. Anything outside these shapes is a 400, never SQL.
export const listQuerySchema = z.object({
  // a blank search box is no filter (not "match nothing")
  q: z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), z.string().max(100).optional()),
  status: opt(z.enum(STATUSES)),
  grade: opt(z.enum(GRADES)),
  owner: opt(z.coerce.number().int().positive().max(2_147_483_647)),
  dept: opt(z.coerce.number().int().positive().max(2_147_483_647)),
  region: opt(z.string().regex(/^\d{2,6}$/)),
  industry: codeParam,
  source: codeParam,
  type: codeParam,
  tag: opt(z.string().max(20)),
  review: opt(z.enum(['pending', 'approved', 'rejected'])),
  from: dateParam,
  to: dateParam,
  letter: opt(z.string().regex(/^[A-Z#]$/)),
  deleted: opt(z.enum(['1'])),
  sort: opt(z.enum(SORTS)),
  after: opt(z.string().max(300)),
  cols: opt(z.preprocess((v) => (typeof v === 'string' ? v.split(',') : v), z.array(z.enum(OPTIONAL_COLUMNS)).max(OPTIONAL_COLUMNS.length)))
})
export type ListQuery = z.output<typeof listQuerySchema>

type Q = SelectQueryBuilder<Database & { c: Database['customers'] }, 'c', object>

/**
 * filters shared by the list, its count, export and bulk actions on "all filtered".
 * `searchIds`: a subquery of the search term's candidates that the statement has
 * already found (a CTE: pageQuery, searchOnlyQuery), instead of running the search here.
 */
export function applyFilters(q: Q, user: Principal, f: ListQuery, searchIds?: RawBuilder<unknown>): Q {
  q = q.where(inScope(user, 'c.owner_id')).where('c.merged_into', 'is', null)
  q = f.deleted ? q.where('c.deleted_at', 'is not', null) : q.where('c.deleted_at', 'is', null)
  if (f.status) q = q.where('c.status', '=', f.status)
  if (f.grade) q = q.where('c.grade', '=', f.grade)
  if (f.owner) q = q.where('c.owner_id', '=', f.owner)
  if (f.dept) {
    q = q.where('c.owner_id', 'in', (eb) => eb.selectFrom('users as u').innerJoin('departments as d', 'd.id', 'u.department_id')
      .select('u.id').where('d.path', 'like', eb.selectFrom('departments').select(sql<string>`path || '%'`.as('p')).where('id', '=', f.dept!)))
  }
  if (f.region) q = q.where('c.region_code', 'like', `${f.region.replace(/0+$/, '')}%`)
  if (f.industry) q = q.where('c.industry', '=', f.industry)
  if (f.source) q = q.where('c.source', '=', f.source)
  if (f.type) q = q.where('c.customer_type', '=', f.type)
  if (f.tag) q = q.where(sql<boolean>`c.tags @> ${sql.val([f.tag])}::text[]`)
  if (f.review) q = q.where('c.review_state', '=', f.review)
  if (f.from) q = q.where('c.created_at', '>=', new Date(`${f.from}T00:00:00+08:00`))
  if (f.to) q = q.where('c.created_at', '<', new Date(new Date(`${f.to}T00:00:00+08:00`).getTime() + 86_400_000))
  if (f.letter) q = q.where('c.first_letter', '=', f.letter)
  if (f.q !== undefined && searchIds) q = q.where(sql<boolean>`c.id = any(array(${searchIds}))`)
  else if (f.q !== undefined) {
    // a term too short to search matches nothing (the page says why), never everything.
    // `= any(array(…))`: the candidates are computed once (an InitPlan) and fetched by
    // primary key; a plain `in (…)` may be planned as a join reading all customers.
    const ids = searchIdsSql(user, f.q, { deleted: !!f.deleted })
    q = q.where(ids ? sql<boolean>`c.id = any(array(${ids}))` : sql<boolean>`false`)
  }
  return q
}

/**
 * List queries with a search term run with the search's timeout and plan settings; the
 * plain list (scope, sort and cursor only: a page every user opens and scrolls all day)
 * with the plan it keeps for every user and page (dbWithGenericPlans). A filter stays
 * planned for its value: a rare status or a region's prefix may want another index.
 */
function run<T>(db: Kysely<Database>, f: ListQuery, fn: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  if (f.q !== undefined) return withSearchSettings(db, fn)
  return fn(plainList(f) ? dbWithGenericPlans(db) : db)
}

/** scope, sort and cursor only: no filter, no search (run() has sent those elsewhere), not the trash */
const plainList = (f: ListQuery) => f.q === undefined && !f.deleted && OTHER_FILTERS.every((k) => f[k] === undefined)

function cursor(sort: ListQuery['sort'], after: string | undefined): { v: string; id: number } | null {
  if (!after) return null
  const i = after.lastIndexOf('|')
  const id = Number(after.slice(i + 1))
  if (i < 0 || !Number.isSafeInteger(id)) return null
  return { v: after.slice(0, i), id }
}

/** one page of the list as a query (exported so a test can EXPLAIN what runs) */
export function listQuery(db: Kysely<Database>, user: Principal, f: ListQuery, searchIds?: RawBuilder<unknown>) {
  let q = applyFilters(db.selectFrom('customers as c'), user, f, searchIds)
  const sort = f.sort ?? 'new'
  const c = cursor(sort, f.after)
  // With a search term the rows come from at most a few thousand candidates: order by
  // expressions no index provides ("fenced"), so the planner sorts those candidates
  // instead of walking an index over the whole table hoping to meet them early.
  const fence = f.q !== undefined
  const id = fence ? sql<number>`c.id + 0` : sql<number>`c.id`
  if (sort === 'new') {
    if (c) q = q.where('c.id', '<', c.id)
    q = q.orderBy(id, 'desc')
  } else if (sort === 'name') {
    if (c) q = q.where(sql<boolean>`(c.name_initials, c.id) > (${c.v}, ${c.id})`)
    q = q.orderBy(fence ? sql`c.name_initials || ''` : sql`c.name_initials`).orderBy(id)
  } else {
    if (c) q = q.where(sql<boolean>`(c.grade, c.id) < (${c.v}, ${c.id})`)
    // A first: ascending grade letter, newest first within a grade, as one keyset (grade desc flipped)
    q = q.orderBy(fence ? sql`c.grade || ''` : sql`c.grade`, 'desc').orderBy(id, 'desc')
  }
  // Only the columns the page shows (and the cursor needs): every value is parsed into
  // a JavaScript one per row, and reading and parsing the rows was an eighth of the
  // list page's time in Node (CPU profile; the tags array and the dates the most).
  const cols = shownColumns(f)
  return q
    .leftJoin('users as o', 'o.id', 'c.owner_id')
    .leftJoin('contacts as k', 'k.id', 'c.main_contact_id')
    .select(['c.id', 'c.code', 'c.name', 'c.grade', 'c.status', 'c.review_state', 'c.deleted_at', 'o.name as owner_name', 'k.name as contact_name'])
    .$if(sort === 'name', (q) => q.select('c.name_initials'))
    .$if(cols.has('short_name'), (q) => q.select('c.short_name'))
    .$if(cols.has('phone'), (q) => q.select('c.phone'))
    .$if(cols.has('industry'), (q) => q.select('c.industry'))
    .$if(cols.has('region'), (q) => q.select('c.region_code'))
    .$if(cols.has('source'), (q) => q.select('c.source'))
    .$if(cols.has('tags'), (q) => q.select('c.tags'))
    .$if(cols.has('created'), (q) => q.select('c.created_at'))
    .limit(PAGE_SIZE + 1)
}

/**
 * One page of the list; with `count`, the filter's capped count too, computed by the
 * same statement (a scalar subquery the planner runs once): on the hottest page of the
 * product a statement less is a round trip less to the database (with a search term,
 * a whole transaction less), which costs more here than the count itself.
 */
export async function listCustomers(db: Kysely<Database>, user: Principal, f: ListQuery, opts: { count?: boolean; savedFilters?: boolean } = {}) {
  const sort = f.sort ?? 'new'
  const { rows, total, saved } = await run(db, f, async (db) => {
    if (searchOnly(f)) return searchOnlyPage(db, user, f, !!opts.count)
    const { rows } = await db.executeQuery(pageQuery(db, user, f, opts))
    // no row on the first page: nothing matched, and no row carries the count
    const first = rows[0] as { filter_total?: number; saved_filters?: SavedFilter[] } | undefined
    const total = opts.count ? Number(first?.filter_total ?? 0) : null
    // (nor the saved filters: undefined, and the caller reads them itself)
    const saved = first?.saved_filters
    // The rows keep both columns: deleting a property turns each row into a slow
    // dictionary object (81 KB more garbage per page, and slower reads in the template).
    return { rows, total, saved }
  })
  const more = rows.length > PAGE_SIZE
  const page = rows.slice(0, PAGE_SIZE)
  const last = page[page.length - 1]
  const next = more && last ? `${sort === 'name' ? last.name_initials : sort === 'grade' ? last.grade : ''}|${last.id}` : null
  return { rows: page, next, count: total === null ? null : { n: Math.min(total, COUNT_CAP), capped: total > COUNT_CAP }, savedFilters: saved }
}

/**
 * One page of the list, compiled (the search box alone has searchOnlyQuery instead);
 * exported so a test can EXPLAIN what runs. With a term and a count, the page and the
 * count would each run the search as a subquery of their own: the candidates are a
 * CTE instead, found once and read by both (a common word's search is most of the
 * cost of such a page).
 */
export function pageQuery(db: Kysely<Database>, user: Principal, f: ListQuery, opts: { count?: boolean; savedFilters?: boolean } = {}) {
  return plainList(f) ? keptPlainPage(db, user, f, opts) : buildPageQuery(db, user, f, opts)
}

/** the same, built afresh (exported so a test can compare the kept statement with it) */
export function buildPageQuery(db: Kysely<Database>, user: Principal, f: ListQuery, opts: { count?: boolean; savedFilters?: boolean }) {
  const ids = f.q !== undefined && opts.count ? searchIdsSql(user, f.q, { deleted: !!f.deleted }) : null
  const fromCte = ids ? sql`select id from s` : undefined
  let query = listQuery(db, user, f, fromCte)
  if (opts.count) query = query.select(() => countQuery(db, user, f, fromCte).as('filter_total'))
  if (opts.savedFilters) query = query.select(() => savedFiltersJson(db, user.id, 'customers').as('saved_filters'))
  type Row = Awaited<ReturnType<typeof query.execute>>[number]
  return ids ? sql<Row>`with s as materialized (${ids}) ${query}`.compile(db) : query.compile()
}

/**
 * The plain list's statement (scope, sort, cursor and columns only: the page every user
 * opens and scrolls all day), built once per shape and kept. Building and compiling it
 * with Kysely took about 90 µs of Node's time per page, a twelfth of the page (CPU
 * profile of the rows fragment). The statement's text depends only on the shape (the
 * key below); what differs from user to user and page to page is its parameters: the
 * user's id, his department's path and the cursor. So the shape is built once for a
 * stand-in user and cursor made of values no real one has, and each page puts its own
 * values where the stand-in's stand (list-statement test: the same as built afresh).
 */
const STAND_IN = { id: -2_000_000_001, deptPath: '\u0000dept/', cursorId: -2_000_000_002, cursorValue: '\u0000cursor' }
type Slot = (user: Principal, c: { v: string; id: number } | null) => unknown
const SLOTS = new Map<unknown, Slot>([
  [STAND_IN.id, (u) => u.id],
  [`${STAND_IN.deptPath}%`, (u) => `${u.deptPath}%`],
  [STAND_IN.cursorId, (_, c) => c!.id],
  [STAND_IN.cursorValue, (_, c) => c!.v]
])
interface Shape { compiled: ReturnType<typeof buildPageQuery>; slots: (Slot | null)[] }
const shapes = new Map<string, Shape>()

function keptPlainPage(db: Kysely<Database>, user: Principal, f: ListQuery, opts: { count?: boolean; savedFilters?: boolean }) {
  const sort = f.sort ?? 'new'
  const c = cursor(sort, f.after)
  const key = `${user.scope}|${sort}|${c ? 1 : 0}|${[...shownColumns(f)].sort().join(',')}|${opts.count ? 1 : 0}|${opts.savedFilters ? 1 : 0}`
  let shape = shapes.get(key)
  if (!shape) {
    const standIn = { ...user, id: STAND_IN.id, deptPath: STAND_IN.deptPath }
    const compiled = buildPageQuery(db, standIn, { ...f, after: c ? `${STAND_IN.cursorValue}|${STAND_IN.cursorId}` : undefined }, opts)
    shape = { compiled, slots: compiled.parameters.map((p) => SLOTS.get(p) ?? null) }
    // bounded by the shapes the code can make: 3 scopes × 3 sorts × 2 × 256 column sets × 4
    shapes.set(key, shape)
  }
  const { compiled, slots } = shape
  const parameters = compiled.parameters.map((p, i) => slots[i] ? slots[i]!(user, c) : p)
  return { ...compiled, parameters, queryId: createQueryId() }
}

/**
 * The search box alone, newest first: its candidates (live, in scope) are the whole
 * answer, so their ids give the count and this page's ids, and only the page's rows
 * are read (a common word has a thousand candidates or more, and the count and the
 * sort would otherwise fetch every one of them). One statement: the candidates are a
 * CTE that the count and the page's ids both read. (As two statements, ids to Node
 * and back, it was a round trip and a thousand parsed rows more per keystroke.)
 */
async function searchOnlyPage(db: Kysely<Database>, user: Principal, f: ListQuery, count: boolean) {
  const query = searchOnlyQuery(db, user, f, count)
  if (!query) return { rows: [], total: count ? 0 : null, saved: undefined }
  const { rows } = await query.execute(db)
  // (no row: nothing matched, as the list asks for the count on its first page only)
  return { rows, total: count ? Number(rows[0]?.filter_total ?? 0) : null, saved: undefined }
}

/** the statement of searchOnlyPage (exported so a test can EXPLAIN what runs); null when the term cannot match */
export function searchOnlyQuery(db: Kysely<Database>, user: Principal, f: ListQuery, count: boolean) {
  const ids = searchIdsSql(user, f.q!, { deleted: !!f.deleted })
  if (!ids) return null
  const c = cursor('new', f.after)
  const pageIds = sql`select distinct id from s${c ? sql` where id < ${c.id}` : sql``} order by id desc limit ${sql.lit(PAGE_SIZE + 1)}`
  let query = listQuery(db, user, f, pageIds)
  if (count) query = query.select(sql<number>`(select count(distinct id) from s)::int`.as('filter_total'))
  type Row = Awaited<ReturnType<typeof query.execute>>[number] & { filter_total?: number }
  return sql<Row>`with s as materialized (${ids}) ${query}`
}

/**
 * The filters other than the search box, read off the schema so that a filter added
 * there is one here too; with none of them set, a search is "the search box alone".
 * (Not filters: the box itself, the trash view the search handles, sort, cursor, columns.)
 */
const NOT_FILTERS = new Set(['q', 'deleted', 'sort', 'after', 'cols'])
const OTHER_FILTERS = Object.keys(listQuerySchema.shape).filter((k) => !NOT_FILTERS.has(k)) as (keyof ListQuery)[]
const searchOnly = (f: ListQuery) => f.q !== undefined && (f.sort ?? 'new') === 'new' && OTHER_FILTERS.every((k) => f[k] === undefined)

/**
 * exact up to COUNT_CAP, then "1000+": bounded work whatever the table size. The plain
 * list (no filter, no search, not the trash) adds up its owners' live customers, which
 * the database keeps per owner (0016_customer_owner_counts.sql), instead of counting rows.
 */
function countQuery(db: Kysely<Database>, user: Principal, f: ListQuery, ids?: RawBuilder<unknown>) {
  if (plainList(f)) {
    return db.selectFrom('customer_owner_counts as c').where(inScope(user, 'c.owner_id'))
      .select(sql<number>`least(coalesce(sum(c.live), 0), ${sql.lit(COUNT_CAP + 1)})::int`.as('n'))
  }
  const inner = applyFilters(db.selectFrom('customers as c'), user, f, ids).select(sql`1`.as('x')).limit(sql.lit(COUNT_CAP + 1))
  return db.selectFrom(inner.as('t')).select((eb) => sql<number>`${eb.fn.countAll()}::int`.as('n'))
}
