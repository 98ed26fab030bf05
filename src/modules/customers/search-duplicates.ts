// Duplicate check (查重) while a customer is entered, and again when the form is saved:
// customers with the same or a similar name, the same phone (its own or a contact's)
// or the same e-mail. Everyone may learn that such a customer exists (the brief view:
// name, code, owner, grade, status); details only within the data scope.
//
// Every lookup goes through an index, as the search does: names through the exact
// pinyin-initials key and the Chinese character-pair array, phones through last4,
// e-mails through pg_trgm. The similarity itself is judged here on the few candidates.
import { sql, type Kysely, type RawBuilder } from 'kysely'
import type { Database } from '../../db/types.ts'
import { normalizePhone } from '../../platform/phone.ts'
import type { Principal } from '../../platform/principal.ts'
import { inScope } from '../../platform/scope.ts'
import { hasCjk, initials } from './derive.ts'
import { escapeLike, withSearchSettings } from './search.ts'

export type DuplicateReason = 'sameName' | 'similarName' | 'phone' | 'email'

export interface Duplicate {
  id: number
  code: string
  name: string
  grade: string
  status: string
  owner_name: string | null
  in_scope: boolean
  reasons: DuplicateReason[]
  score: number
}

export interface DuplicateProbe { name?: string | null; phone?: string | null; email?: string | null }

export const MAX_DUPLICATES = 10

// Legal forms say nothing about who the customer is: 北京科技有限公司 and 北京科技公司
// are the same company. Longest first, so 股份有限公司 goes before 有限公司.
const LEGAL_FORMS = ['股份有限公司', '有限责任公司', '集团有限公司', '有限公司', '分公司', '集团', '公司',
  'coltd', 'limited', 'company', 'corporation', 'corp', 'gmbh', 'inc', 'llc', 'ltd', 'co']

/** lower case, no spaces, punctuation or symbols (full-width folded first) */
export function normName(s: string): string {
  return s.normalize('NFKC').toLowerCase().replace(/[\s\p{P}\p{S}]/gu, '')
}

/** the distinctive part of a normalised name: without its legal form */
export function coreName(norm: string): string {
  let core = norm
  for (let again = true; again;) {
    again = false
    for (const f of LEGAL_FORMS) {
      if (core.length > f.length + 1 && core.endsWith(f)) { core = core.slice(0, -f.length); again = true }
    }
  }
  return core
}

const pairs = (s: string) => { const c = [...s]; const out = new Set<string>(); for (let i = 0; i + 1 < c.length; i++) out.add(c[i] + c[i + 1]); return out }

/** Dice coefficient of the character pairs: 1 for the same text, 0 for nothing shared */
export function similarity(a: string, b: string): number {
  if (a === b) return 1
  const pa = pairs(a), pb = pairs(b)
  if (!pa.size || !pb.size) return 0
  let shared = 0
  for (const p of pa) if (pb.has(p)) shared++
  return (2 * shared) / (pa.size + pb.size)
}

/**
 * Sets of Chinese character pairs a similar name must hold all of: the whole core, or
 * (for longer names) the core with one pair, or two adjacent pairs (one changed
 * character), left out. Each set still has two pairs or more, so each is selective.
 */
export function gramSets(core: string): string[][] {
  const chars = [...core].filter((c) => hasCjk(c)).slice(0, 16)
  const g: string[] = []
  for (let i = 0; i + 1 < chars.length; i++) if (!g.includes(chars[i] + chars[i + 1])) g.push(chars[i] + chars[i + 1])
  if (!g.length) return []
  if (g.length <= 2) return [g]
  if (g.length === 3) return [[g[1], g[2]], [g[0], g[2]], [g[0], g[1]]]
  return g.slice(0, -1).map((_, i) => g.filter((_, j) => j !== i && j !== i + 1))
}

export const SIMILAR = 0.6

/** why a candidate's name counts as a duplicate of the typed one, if it does */
function nameReason(typedNorm: string, typedCore: string, name: string, shortName: string | null): { reason: DuplicateReason; score: number } | null {
  const n = normName(name), core = coreName(n), short = shortName ? normName(shortName) : ''
  if (n === typedNorm || core === typedCore || (short && (short === typedNorm || short === typedCore))) return { reason: 'sameName', score: 1 }
  const score = similarity(core, typedCore)
  const shorter = Math.min([...core].length, [...typedCore].length)
  if (score >= SIMILAR || (shorter >= 2 && (core.includes(typedCore) || typedCore.includes(core)))) return { reason: 'similarName', score }
  return null
}

/** the digits of a typed phone, when there are enough of them to mean one number */
function phoneDigits(raw: string | null | undefined): string | null {
  const d = normalizePhone(raw)
  return d.length >= 7 ? d : null
}

interface Candidate {
  id: number; why: 'name' | 'phone' | 'email'; code: string; name: string; short_name: string | null; grade: string; status: string
  owner_name: string | null; in_scope: boolean
}

/** The lookups as one statement (exported so a test can EXPLAIN it); null when there is nothing to look up. */
export function duplicatesSql(user: Principal, probe: DuplicateProbe, opts: { excludeId?: number } = {}): RawBuilder<Candidate> | null {
  const name = (probe.name ?? '').slice(0, 200)
  const norm = normName(name), core = coreName(norm)
  const digits = phoneDigits(probe.phone)
  const email = (probe.email ?? '').normalize('NFKC').trim().toLowerCase().slice(0, 120)
  // Deleted customers are dropped after the lookups, not in them: `deleted_at is null`
  // would let the planner read a partial index with that predicate whole (see search.ts).
  const live = sql`c.merged_into is null${opts.excludeId ? sql` and c.id <> ${opts.excludeId}` : sql``}`

  const parts: [query: RawBuilder<unknown>, cap: number][] = []
  if ([...norm].length >= 2) {
    // The same name, however spaced or punctuated: the pinyin-initials key is the same
    // (b-tree), and the name holds the same letters in the same order with anything in
    // between ('%北%京%科%技%…' matches 北京 科技（有限）公司 as well).
    const keys = [...new Set([initials(norm), initials(norm, true)])].filter(Boolean)
    const spread = `%${[...norm].map(escapeLike).join('%')}%`
    parts.push([sql`select c.id, 'name' as why from customers c where c.name_initials in (${sql.join(keys)}) and c.name ilike ${spread} and ${live}`, 200])
    // similar Chinese names: share (nearly) all character pairs of the core (GIN)
    const sets = gramSets(core)
    if (sets.length) {
      const any = sql.join(sets.map((s) => sql`c.search_grams @> ${sql.val(s)}::text[]`), sql` or `)
      parts.push([sql`select c.id, 'name' as why from customers c where (${any}) and ${live}`, 200])
    }
    // someone's short name typed as the name (华为): b-tree on lower(short_name)
    parts.push([sql`select c.id, 'name' as why from customers c where lower(c.short_name) = ${name.trim().toLowerCase()} and ${live}`, 20])
    // Latin names: the core as a fragment (pg_trgm)
    if (!hasCjk(core) && /[\p{L}\p{N}]{3}/u.test(core)) {
      parts.push([sql`select c.id, 'name' as why from customers c where c.search_text like ${'%' + escapeLike(core) + '%'} and ${live}`, 200])
    }
  }
  if (digits) {
    // same number, or one is the other with an area code: last four digits first (b-tree)
    parts.push([sql`select p.customer_id as id, 'phone' as why from customer_phones p join customers c on c.id = p.customer_id
      where p.last4 = ${digits.slice(-4)} and (p.phone = ${digits} or p.phone like ${'%' + digits}
        or (length(p.phone) >= 7 and ${digits} like '%' || p.phone)) and ${live}`, 20])
  }
  if (/^[^\s@]+@[^\s@]+$/.test(email) && /[\p{L}\p{N}]{3}/u.test(email)) {
    // `offset 0`: a lookup per candidate, never a hash of every contact (search.ts, the Chinese recheck)
    parts.push([sql`select c.id, 'email' as why from customers c where c.search_text like ${'%' + escapeLike(email) + '%'}
      and (lower(c.email) = ${email} or exists (select 1 from contacts k where k.customer_id = c.id and k.deleted_at is null and lower(k.email) = ${email} offset 0))
      and ${live}`, 20])
  }
  if (!parts.length) return null
  const mine = inScope(user, 'c.owner_id')
  // each lookup a MATERIALIZED CTE, read up to its cap (planned on its own, as in search.ts:
  // otherwise the union's wish for rows in id order invites a walk of the primary key)
  const ctes = sql.join(parts.map(([q], i) => sql`${sql.ref(`d${i}`)} as materialized (${q})`))
  const union = sql.join(parts.map(([, cap], i) => sql`(select id, why from ${sql.ref(`d${i}`)} limit ${sql.lit(cap)})`), sql` union `)
  return sql<Candidate>`with ${ctes}, hit as (${union})
    select hit.id, hit.why, c.code, c.name, c.short_name, c.grade, c.status, o.name as owner_name, (${mine}) as in_scope
    from hit join customers c on c.id = hit.id left join users o on o.id = c.owner_id
    where c.deleted_at is null`
}

export async function findDuplicates(db: Kysely<Database>, user: Principal, probe: DuplicateProbe, opts: { excludeId?: number } = {}): Promise<Duplicate[]> {
  const query = duplicatesSql(user, probe, opts)
  if (!query) return []
  const rows = await withSearchSettings(db, async (trx) => (await query.execute(trx)).rows)
  const norm = normName((probe.name ?? '').slice(0, 200)), core = coreName(norm)

  const byId = new Map<number, Duplicate>()
  for (const r of rows) {
    let reason: DuplicateReason, score: number
    if (r.why === 'name') {
      const m = nameReason(norm, core, r.name, r.short_name)
      if (!m) continue
      ;({ reason, score } = m)
    } else {
      reason = r.why
      score = 1
    }
    const d = byId.get(r.id) ?? { id: r.id, code: r.code, name: r.name, grade: r.grade, status: r.status, owner_name: r.owner_name, in_scope: r.in_scope, reasons: [], score: 0 }
    if (!d.reasons.includes(reason)) d.reasons.push(reason)
    d.score = Math.max(d.score, score)
    byId.set(r.id, d)
  }
  // the surest first: same phone / e-mail / name, then the most similar names
  const weight = (d: Duplicate) => d.reasons.filter((x) => x !== 'similarName').length * 2 + d.score
  return [...byId.values()].sort((a, b) => weight(b) - weight(a) || a.id - b.id).slice(0, MAX_DUPLICATES)
}

/**
 * The duplicates of what a create form holds. None when this form's one-time token was
 * already used: the repeat post must return the first result, not warn about the
 * customer it just made.
 */
export async function duplicatesOfForm(db: Kysely<Database>, user: Principal, body: Record<string, unknown>): Promise<Duplicate[]> {
  if (typeof body.form_token === 'string') {
    const used = await db.selectFrom('form_tokens').select('token').where('token', '=', body.form_token).where('user_id', '=', user.id).executeTakeFirst()
    if (used) return []
  }
  const s = (v: unknown) => (typeof v === 'string' ? v : '')
  return findDuplicates(db, user, { name: s(body.name), phone: s(body.phone), email: s(body.email) })
}

/** "create anyway" ticked on the warning */
export const confirmedDuplicate = (body: Record<string, unknown>) => ['1', 'on', 'true'].includes(String(body.confirm_duplicate ?? ''))

/** the check before saving a new customer: nothing to check once the user confirmed */
export async function duplicatesBeforeCreate(db: Kysely<Database>, user: Principal, body: Record<string, unknown>): Promise<Duplicate[]> {
  return confirmedDuplicate(body) ? [] : duplicatesOfForm(db, user, body)
}
