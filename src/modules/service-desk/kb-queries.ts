// Knowledge base lists and search. Browsing is newest first in keyset pages; a
// search ranks articles whose title holds every term before those that match only
// in the body, and returns a bounded number of hits (no paging through search).
// Chinese terms go through the character-pair index (一两个字的词 like 退货), Latin
// letters and digits through the trigram index on search_text.
import { sql, type Kysely, type RawBuilder, type SqlBool } from 'kysely'
import { z } from 'zod'
import type { Database } from '../../db/types.ts'
import { hasCjk, termGrams } from '../../platform/cjk.ts'
import type { Principal } from '../../platform/principal.ts'
import { canEdit } from './kb-service.ts'

export const PAGE = 50
export const SEARCH_LIMIT = 50
export const SUGGEST_LIMIT = 8
export const STATES = ['published', 'draft', 'deleted'] as const

const opt = <T extends z.ZodType>(s: T) => z.preprocess((v) => (v === '' || v === undefined ? undefined : v), s.optional())
export const kbListSchema = z.object({
  q: opt(z.string().max(100)),
  category: opt(z.string().regex(/^[A-Za-z0-9_-]{1,40}$/)),
  state: opt(z.enum(STATES)),
  after: opt(z.string().regex(/^\d{1,10}$/))
})
export type KbListQuery = z.output<typeof kbListSchema>

const like = (s: string) => '%' + s.replace(/[\\%_]/g, '\\$&') + '%'

/** up to five terms; a query of spaces is no query */
export function termsOf(q: string | undefined): string[] {
  return (q ?? '').trim().split(/\s+/).filter(Boolean).slice(0, 5)
}

function matches(term: string): RawBuilder<SqlBool> {
  if (hasCjk(term)) {
    // the pairs narrow through the GIN index; the like confirms they are adjacent
    return sql<SqlBool>`(a.search_grams @> ${sql.val(termGrams(term))}::text[] and lower(a.title || ' ' || a.body_text) like ${like(term.toLowerCase())})`
  }
  return sql<SqlBool>`a.search_text like ${like(term.toLowerCase())}`
}

function inTitle(terms: string[]): RawBuilder<SqlBool> {
  return sql<SqlBool>`(${sql.join(terms.map((t) => sql`lower(a.title) like ${like(t.toLowerCase())}`), sql` and `)})`
}

/** a short piece of the body around the first term (or its start) */
function snippet(terms: string[]) {
  const first = terms[0]?.toLowerCase() ?? ''
  return sql<string>`substr(a.body_text, greatest(1, strpos(lower(a.body_text), ${first}) - 20), 110)`.as('snippet')
}

function base(db: Kysely<Database>, user: Principal, f: { category?: string; state?: (typeof STATES)[number] }, publishedOnly = false) {
  let q = db.selectFrom('kb_articles as a')
  // readers see published articles; editors also drafts, and deleted ones when they ask
  const state = canEdit(user) && !publishedOnly ? f.state : undefined
  if (state === 'deleted') q = q.where('a.deleted_at', 'is not', null)
  else {
    q = q.where('a.deleted_at', 'is', null)
    if (state === 'draft') q = q.where('a.published', '=', false)
    else if (state === 'published' || !canEdit(user) || publishedOnly) q = q.where('a.published', '=', true)
  }
  if (f.category) q = q.where('a.category', '=', f.category)
  return q
}

export async function listArticles(db: Kysely<Database>, user: Principal, f: KbListQuery) {
  const terms = termsOf(f.q)
  let q = base(db, user, f)
  for (const term of terms) q = q.where(matches(term))
  const cols = q.leftJoin('users as u', 'u.id', 'a.updated_by')
    .select(['a.id', 'a.category', 'a.title', 'a.views', 'a.published', 'a.deleted_at', 'a.updated_at', 'u.name as updated_by_name', snippet(terms)])
  if (terms.length) {
    const rows = await cols.select(sql<boolean>`${inTitle(terms)}`.as('title_hit'))
      .orderBy(sql`${inTitle(terms)}`, 'desc').orderBy('a.id', 'desc').limit(SEARCH_LIMIT + 1).execute()
    return { rows: rows.slice(0, SEARCH_LIMIT), next: null, capped: rows.length > SEARCH_LIMIT, searching: true }
  }
  const rows = await (f.after ? cols.where('a.id', '<', Number(f.after)) : cols).orderBy('a.id', 'desc').limit(PAGE + 1).execute()
  const page = rows.slice(0, PAGE)
  const next = rows.length > PAGE && page.length ? String(page[page.length - 1].id) : null
  return { rows: page.map((r) => ({ ...r, title_hit: false })), next, capped: false, searching: false }
}

/** the call screen's few best hits: published articles only, titles first */
export async function suggestArticles(db: Kysely<Database>, user: Principal, q: string) {
  const terms = termsOf(q)
  if (!terms.length) return []
  let s = base(db, user, {}, true)
  for (const term of terms) s = s.where(matches(term))
  return s.select(['a.id', 'a.category', 'a.title', snippet(terms), sql<boolean>`${inTitle(terms)}`.as('title_hit')])
    .orderBy(sql`${inTitle(terms)}`, 'desc').orderBy('a.id', 'desc').limit(SUGGEST_LIMIT).execute()
}

/** does any live article exist? tells an empty list "start writing" from "nothing matched" */
export async function hasArticles(db: Kysely<Database>) {
  return !!(await db.selectFrom('kb_articles').select('id').where('deleted_at', 'is', null).limit(1).executeTakeFirst())
}
