// Customer search: one box that finds a customer by any fragment of its name, short
// name, code, phones (its own and its contacts'), e-mail, contact names or the pinyin
// initials of its name, sized for a million customers.
//
// Why the SQL looks the way it does (research/performance.md §3.4, ecosystem.md §5):
// - Each kind of term has its own indexed path ("branch"): Chinese text → the GIN array
//   of characters and character pairs (`search_grams`, works for 张三 / 华为, which
//   pg_trgm cannot index), or, for a one- or two-character term when every live
//   customer may be returned, the newest holders of that one gram from its b-tree
//   (customer_grams, 0017: no bitmap of all 136,455 holders of 华为); a full phone →
//   b-tree on customer_phones.phone; four digits → b-tree on last4; seven or more from a number's middle → the GIN index of its 5-digit
//   windows (digit_grams); a code → the unique index; pinyin initials → the
//   text_pattern_ops index on name_initials; other fragments of ≥3 letters/digits →
//   pg_trgm on search_text (skipped when a whole number or a whole code matched).
// - Every branch is a MATERIALIZED CTE, so PostgreSQL plans it for full retrieval (a
//   bitmap scan of the matching rows) and is not tempted by the LIMIT to walk some
//   other index or the table hoping to stop early — the plan that took seconds for rare
//   terms. The outer query reads at most CANDIDATE_CAP rows of each branch (a CTE is
//   evaluated only as far as it is read), then ranks and sorts those few thousand rows.
//   Nothing is ever ordered by an index, so no index can be walked for its order.
// - The search transaction sets a statement_timeout (PostgreSQL can cancel; PGlite
//   cannot, so there the capped shape is the protection) and turns sequential scans,
//   hash joins and merge joins off for itself: candidates come from an index, the rest
//   is fetched by key, and the plan is the same at 3,000 rows as at 1,000,000
//   (test/modules/customers/search-plan.test.ts pins it).
import { sql, type Kysely, type RawBuilder, type SqlBool } from 'kysely'
import { dbWithSettings } from '../../db/index.ts'
import type { Database } from '../../db/types.ts'
import { phoneTerm } from '../../platform/phone.ts'
import type { Principal } from '../../platform/principal.ts'
import { inScope } from '../../platform/scope.ts'
import { hasCjk, termGrams } from './derive.ts'

/** rows read from each branch before ranking; more matches than this means "refine your search" */
export const CANDIDATE_CAP = 1000
export const SEARCH_LIMIT = 50
export const SEARCH_TIMEOUT_MS = 1500
export const MAX_TERM = 100

/** rank 0: exact code or phone; 1: the name is the term; 2: name starts with it (or initials do); 3: anything else */
export type Rank = 0 | 1 | 2 | 3

export type Term =
  | { kind: 'cjk'; text: string; tokens: string[]; grams: string[]; exact: boolean }
  | { kind: 'phone'; text: string; digits: string }
  | { kind: 'latin'; text: string; lower: string }

export type ParsedTerm = { ok: true; term: Term } | { ok: false; reason: 'empty' | 'tooShort' }

const CJK_ONLY = /^[\u3400-\u9fff\uf900-\ufaff]+$/
/** the shape of the codes the archive generates (service.ts nextCustomerCode): type, dash, six digits */
const GENERATED_CODE = /^[A-Za-z]+-\d{6}$/

/** a number's 5-digit windows as integers, as phone_digit_grams() stores them (0015) */
export function digitGrams(digits: string): number[] {
  const out = new Set<number>()
  for (let i = 0; i + 5 <= digits.length; i++) out.add(Number(digits.slice(i, i + 5)))
  return [...out]
}

/** Classifies what the user typed. Full-width input (１３８, ＡＢＣ) is folded by NFKC first. */
export function parseTerm(raw: unknown): ParsedTerm {
  // control characters (NUL above all: PostgreSQL refuses it in text) are never part of a name
  const text = (typeof raw === 'string' ? raw : '').normalize('NFKC').replace(/[\p{Cc}\s]+/gu, ' ').trim().slice(0, MAX_TERM).trim()
  if (!text) return { ok: false, reason: 'empty' }
  if (hasCjk(text)) {
    const tokens = text.split(' ')
    const grams = [...new Set(tokens.flatMap((t) => termGrams(t)))]
    // One or two Chinese characters are found exactly by their gram (the array holds
    // every character and adjacent pair); longer text is rechecked against the names.
    const exact = tokens.length === 1 && [...text].length <= 2 && CJK_ONLY.test(text)
    return { ok: true, term: { kind: 'cjk', text, tokens, grams, exact } }
  }
  const digits = phoneTerm(text)
  if (digits) return { ok: true, term: { kind: 'phone', text, digits } }
  if ([...text].length < 2 || !/[\p{L}\p{N}]/u.test(text)) return { ok: false, reason: 'tooShort' }
  return { ok: true, term: { kind: 'latin', text, lower: text.toLowerCase() } }
}

/** `%`, `_` and `\` typed by the user are literal characters, not wildcards */
export const escapeLike = (s: string) => s.replace(/[\\%_]/g, '\\$&')
const contains = (s: string) => `%${escapeLike(s)}%`
const startsWith = (s: string) => `${escapeLike(s)}%`
/** the first text after every text that starts with `s` (bytewise, as text_pattern_ops compares) */
const prefixEnd = (s: string) => s.slice(0, -1) + String.fromCharCode(s.charCodeAt(s.length - 1) + 1)
const longestAlnumRun = (s: string) => Math.max(0, ...(s.match(/[\p{L}\p{N}]+/gu) ?? []).map((w) => [...w].length))

export interface CandidateOptions {
  /** apply the user's data scope (the list); otherwise the whole company (brief view) */
  scoped: boolean
  /** the list's trash view searches deleted customers instead of live ones */
  deleted?: boolean
}

/** every live customer may be returned: not the trash, and the whole company or a user who sees all */
const mayReturnEveryLive = (user: Principal, o: CandidateOptions) => !o.deleted && (!o.scoped || user.scope === 'all')

/**
 * Which customers a branch may return: never merged ones; in the trash, deleted ones;
 * in scope if asked. Deliberately not `deleted_at is null`: several partial indexes
 * carry that predicate, and with sequential scans off the planner may read one of them
 * whole as a stand-in for the table (the plan test caught it). Live rows are picked
 * after the cap instead (the `live` column; the list filters them itself).
 */
function eligible(user: Principal, o: CandidateOptions): RawBuilder<SqlBool> {
  const parts: RawBuilder<unknown>[] = [sql`c.merged_into is null`]
  if (o.deleted) parts.push(sql`c.deleted_at is not null`)
  if (o.scoped) parts.push(inScope(user, 'c.owner_id'))
  return sql<SqlBool>`${sql.join(parts, sql` and `)}`
}

/** rank of a name match: the name or short name is the term (1), starts with it (2), else 3 */
function nameRank(text: string): RawBuilder<number> {
  const exact = escapeLike(text), prefix = startsWith(text)
  return sql<number>`case when c.name ilike ${exact} or c.short_name ilike ${exact} then 1
    when c.name ilike ${prefix} or c.short_name ilike ${prefix} then 2 else 3 end`
}

const LIVE = sql`c.deleted_at is null as live`

/**
 * Each branch selects (id, r, name, live) from one index path; see the file comment.
 * Unranked, only (id, live): the list orders its page itself, and the rank's four
 * ILIKEs per candidate were half of a capped term's time in PostgreSQL (2.6 against
 * 1.3 ms for 1,000 candidates of 公司 at 20,000 customers, EXPLAIN ANALYZE).
 */
export function branches(term: Term, where: RawBuilder<SqlBool>, ranked = true, everyLive = false): RawBuilder<unknown>[] {
  const out: RawBuilder<unknown>[] = []
  // the rank is built only when it is selected (nameRank's ILIKEs are evaluated per row)
  const cols = (rank: () => RawBuilder<unknown>) => ranked ? sql`c.id, ${rank()} as r, c.name, ${LIVE}` : sql`c.id, ${LIVE}`
  if (term.kind === 'cjk' && term.exact && everyLive) {
    // One gram, and any live customer may be returned: the newest holders of the gram,
    // read backwards from the b-tree of live customers' grams (0017_customer_grams.sql),
    // stop at the cap; no bitmap of every holder. Live by construction.
    const newest = sql`customer_gram_newest(${term.grams[0]}, ${sql.lit(CANDIDATE_CAP + 1)}) g(id)`
    out.push(ranked
      ? sql`select c.id, ${nameRank(term.text)} as r, c.name, true as live from ${newest} join customers c on c.id = g.id`
      : sql`select g.id, true as live from ${newest}`)
    return out
  }
  if (term.kind === 'cjk') {
    // Recheck with the real text: a name, short name or contact name must hold each
    // word. The grams alone can come from different names (北京 in one, 京科 in another).
    // `offset 0` keeps the contact check a lookup per candidate: without it PostgreSQL
    // may plan it as a hash of every contact matching the word, which a generic plan
    // (not knowing how few candidates there are) picked (the plan test caught it).
    const checks = term.exact ? [] : term.tokens.map((tok) => {
      const p = contains(tok)
      const latin = hasCjk(tok) ? sql`` : sql` or c.search_text like ${contains(tok.toLowerCase())}`
      return sql`(c.name ilike ${p} or c.short_name ilike ${p}${latin}
        or exists (select 1 from contacts k where k.customer_id = c.id and k.deleted_at is null and k.name ilike ${p} offset 0))`
    })
    const recheck = checks.length ? sql` and ${sql.join(checks, sql` and `)}` : sql``
    out.push(sql`select ${cols(() => nameRank(term.text))} from customers c
      where c.search_grams @> ${sql.val(term.grams)}::text[] and ${where}${recheck}`)
    return out
  }
  if (term.kind === 'phone') {
    const d = term.digits
    out.push(sql`select ${cols(() => sql`0`)} from customer_phones p join customers c on c.id = p.customer_id
      where p.phone = ${d} and ${where}`)
    // the number's last digits: a landline without its area code, "ends in 5678"; read
    // from the (last4, customer_id) index that holds the number (0011_service_speed.sql)
    out.push(sql`select ${cols(() => sql.lit(d.length === 4 ? 2 : 1))} from customer_phones p join customers c on c.id = p.customer_id
      where p.last4 = ${d.slice(-4)} and p.phone like ${`%${d}`} and ${where}`)
    // digits from the middle of a number (a mobile without its first digits): the
    // GIN index of every number's 5-digit windows (0015_phone_digit_grams.sql), when
    // the whole number or its end did not match. 5 and 6 digits are left to the
    // next branch, which they need anyway.
    const middle = d.length >= 7
    if (middle) {
      out.push(sql`select ${cols(() => sql`3`)} from customer_phones p join customers c on c.id = p.customer_id
        where p.digit_grams @> ${sql.val(digitGrams(d))}::int[] and p.phone like ${contains(d)} and ${where}
          and not exists (select 1 from b0) and not exists (select 1 from b1)`)
    }
    // any other run of the digits (part of a code: 000123, a number in the e-mail).
    // Digit trigrams are in every phone of the table, so this costs milliseconds at a
    // million customers whatever it finds: for the four last digits and for whole
    // numbers (7 or more) it runs only when no number matched. 5 and 6 digits may be a
    // code's (A-000123): always. (capped() names the branches b0, b1, … in this order.)
    const phoneFirst = d.length === 4 || middle
    const unmatched = phoneFirst ? sql` and not exists (select 1 from b0) and not exists (select 1 from b1)${middle ? sql` and not exists (select 1 from b2)` : sql``}` : sql``
    out.push(sql`select ${cols(() => sql`3`)} from customers c where c.search_text like ${contains(d)} and ${where}${unmatched}`)
    return out
  }
  const { text, lower } = term
  const upper = text.toUpperCase()
  const codeBranch = /^[A-Za-z0-9-]{2,20}$/.test(text)
  if (codeBranch) {
    out.push(sql`select ${cols(() => sql`0`)} from customers c where c.code = ${upper} and ${where}`)
  }
  if (/^[a-z0-9]{2,}$/.test(lower)) {
    // "starts with" as a range of the text_pattern_ops index's own operators, not LIKE:
    // the index takes a LIKE's prefix from a constant only, and the search's plans are
    // generic (see SEARCH_SETTINGS), made before the term is known
    out.push(sql`select ${cols(() => sql`case when c.name_initials = ${lower} then 1 else 2 end`)}
      from customers c where c.name_initials ~>=~ ${lower} and c.name_initials ~<~ ${prefixEnd(lower)} and ${where}`)
  }
  // pg_trgm needs three letters or digits in a row to use its index (and for '%' alone
  // it would read the whole index): shorter fragments rely on the branches above.
  // A whole generated code (A-012345) names one customer and is no fragment of another
  // code: the fragment search (1–4 ms of digit trigrams) runs only when no code matched.
  const wholeCode = codeBranch && GENERATED_CODE.test(text)
  if (longestAlnumRun(lower) >= 3) {
    out.push(sql`select ${cols(() => sql`case when c.code = ${upper} then 0 else ${nameRank(text)} end`)}
      from customers c where c.search_text like ${contains(lower)} and ${where}${wholeCode ? sql` and not exists (select 1 from b0)` : sql``}`)
  }
  return out
}

/**
 * `with b0 as materialized (…), …` and the capped union of their rows. One row more
 * than the cap is read, so that a count can say "more than 1,000" rather than 1,000.
 */
function capped(bs: RawBuilder<unknown>[], cols: RawBuilder<unknown>) {
  const ctes = sql.join(bs.map((b, i) => sql`${sql.ref(`b${i}`)} as materialized (${b})`))
  const union = sql.join(bs.map((_, i) => sql`(select ${cols} from ${sql.ref(`b${i}`)} limit ${sql.lit(CANDIDATE_CAP + 1)})`), sql` union all `)
  return { ctes, union }
}

/**
 * The ids a term matches, as a subquery for the list's `q` filter (queries.ts), in the
 * user's scope. null when the term cannot match anything (empty, too short).
 */
export function searchIdsSql(user: Principal, raw: string, o: { deleted?: boolean } = {}): RawBuilder<unknown> | null {
  const p = parseTerm(raw)
  if (!p.ok) return null
  const opts = { scoped: true, deleted: o.deleted }
  const bs = branches(p.term, eligible(user, opts), false, mayReturnEveryLive(user, opts))
  if (!bs.length) return null
  // the candidates that can be listed: live ones, or in the trash view deleted ones
  // (eligible() leaves that to here, see its comment)
  const { ctes, union } = capped(bs, sql`id, live`)
  return sql`with ${ctes} select id from (${union}) u where live = ${!o.deleted}`
}

/** The ranked search statement; exported so a test can EXPLAIN exactly what runs. */
export function searchSql(user: Principal, term: Term, o: CandidateOptions & { limit: number }): RawBuilder<SearchRow> | null {
  const bs = branches(term, eligible(user, o), true, mayReturnEveryLive(user, o))
  if (!bs.length) return null
  const { ctes, union } = capped(bs, sql`id, r, name, live`)
  const mine = inScope(user, 'c.owner_id')
  // Out-of-scope customers get the brief view only: the detail columns are nulled in SQL,
  // so no template can show what the user may not see.
  return sql<SearchRow>`with ${ctes},
    m as (select id, min(r) as r, min(name) as name from (${union}) u${o.deleted ? sql`` : sql` where live`} group by id),
    top as (select id, r, name, count(*) over () as total from m order by r, length(name), name, id limit ${sql.lit(o.limit)})
    select top.id, top.r, top.total, c.code, c.name, c.grade, c.status, c.review_state, o.name as owner_name,
      (${mine}) as in_scope,
      case when ${mine} then c.short_name end as short_name,
      case when ${mine} then c.phone end as phone,
      case when ${mine} then k.name end as contact_name
    from top join customers c on c.id = top.id
    left join users o on o.id = c.owner_id
    left join contacts k on k.id = c.main_contact_id and k.deleted_at is null
    order by top.r, length(top.name), top.name, top.id`
}

export interface SearchRow {
  id: number
  r: Rank
  total: number
  code: string
  name: string
  grade: string
  status: string
  review_state: string
  owner_name: string | null
  in_scope: boolean
  short_name: string | null
  phone: string | null
  contact_name: string | null
}

export type SearchResult =
  | { status: 'ok'; term: Term; rows: SearchRow[]; total: number; capped: boolean }
  | { status: 'empty' | 'tooShort' | 'timeout'; rows: []; total: 0; capped: false }

/**
 * The search's session settings (withSearchSettings). Its plans are generic, made once
 * per statement and connection and kept (force_generic_plan, named statements): the
 * branches' shape (materialized CTEs, capped, from their own indexes) is what makes the
 * plan, not the term, and planning a search statement afresh took 0.5–1 ms of
 * PostgreSQL's time per keystroke at a million customers (EXPLAIN ANALYZE), as much as
 * running a rare word's search. Every indexed condition therefore takes its value as a
 * parameter the index can use at run time (`@>`, `=`, pg_trgm's LIKE, a range).
 */
export const SEARCH_SETTINGS = {
  statement_timeout: String(SEARCH_TIMEOUT_MS), enable_seqscan: 'off', enable_hashjoin: 'off', enable_mergejoin: 'off',
  plan_cache_mode: 'force_generic_plan'
}

/**
 * Runs `fn` with the search settings: a statement_timeout, and only
 * the plan a search should have whatever the table size: candidates found through an
 * index, then fetched by key in nested loops. No sequential scans, and no hash or
 * merge joins (at a few thousand rows the planner would otherwise happily read every
 * customer to join a handful of candidates, and a test could not pin the plan). On
 * PostgreSQL `fn` gets connections that start with these settings (dbWithSettings):
 * not a transaction, and not the caller's. On PGlite, a transaction that sets them.
 */
export async function withSearchSettings<T>(db: Kysely<Database>, fn: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  const own = dbWithSettings(db, SEARCH_SETTINGS, true)
  if (own) return fn(own)
  return db.transaction().execute(async (trx) => {
    const set = Object.entries(SEARCH_SETTINGS).map(([k, v]) => sql`set_config(${k}, ${v}, true)`)
    await sql`select ${sql.join(set)}`.execute(trx)
    return fn(trx)
  })
}
export const isTimeout = (e: unknown) => (e as { code?: string })?.code === '57014'

/**
 * scope 'scoped': only customers in the user's data scope (the list's filter).
 * scope 'brief': the whole company; rows outside the scope carry in_scope = false and
 * only the brief view's columns (name, code, owner, grade, status).
 */
export async function searchCustomers(db: Kysely<Database>, user: Principal, raw: unknown,
  opts: { limit?: number; scope: 'scoped' | 'brief' }): Promise<SearchResult> {
  const p = parseTerm(raw)
  if (!p.ok) return { status: p.reason, rows: [], total: 0, capped: false }
  const limit = Math.max(1, Math.min(opts.limit ?? SEARCH_LIMIT, 200))
  const query = searchSql(user, p.term, { scoped: opts.scope === 'scoped', limit })
  if (!query) return { status: 'ok', term: p.term, rows: [], total: 0, capped: false }
  try {
    const rows = await withSearchSettings(db, async (trx) => (await query.execute(trx)).rows)
    for (const r of rows) { r.total = Number(r.total); r.r = Number(r.r) as Rank }
    // (a branch reads one row past the cap, so that "more than 1,000" is known)
    const total = rows[0]?.total ?? 0
    return { status: 'ok', term: p.term, rows, total: Math.min(total, CANDIDATE_CAP), capped: total > CANDIDATE_CAP }
  } catch (e) {
    if (isTimeout(e)) return { status: 'timeout', rows: [], total: 0, capped: false }
    throw e
  }
}

/** the one customer to open directly: exactly one in-scope exact code or phone match */
export function directHit(rows: SearchRow[]): SearchRow | undefined {
  const exact = rows.filter((r) => r.r === 0 && r.in_scope)
  return exact.length === 1 ? exact[0] : undefined
}
