// Search terms for the search scenarios, in classes by how many customers they
// find, chosen from what was actually seeded (word counts recorded by seed.ts,
// phones and codes read from the database):
//   cjk2      two-character Chinese brand words from the rare tail (selective)
//   medium    words found in about 0.1–1.5 % of the customers
//   common    words found in 3 % or more (北京, 科技, 华为…): the "very common" class
//   phone     seven consecutive digits from inside a real phone number
//   last4     the last four digits of a real phone number
//   code      a real customer code, exactly (A-012345)
//   initials  pinyin initials of the first two or three words of a real company name
//             (region + brand (+ trade)): bjhw, shzthkj
import { sql } from 'kysely'
import type { Store } from '../src/db/index.ts'
import { initials, termGrams } from '../src/modules/customers/derive.ts'
import type { SeedInfo } from './seed.ts'
import { COMMON_STEMS, RARE_STEMS, REGIONS, SUFFIXES, TRADES } from './vocab.ts'

export const TERM_CLASSES = ['cjk2', 'medium', 'common', 'phone', 'last4', 'code', 'initials'] as const
export type TermClass = (typeof TERM_CLASSES)[number]

export interface TermSet { terms: string[]; matches: { sampled: number; min: number; median: number; max: number } }

const shuffle = <T>(a: T[]): T[] => {
  for (let i = a.length - 1; i > 0; i--) { const j = Math.floor(Math.random() * (i + 1)); [a[i], a[j]] = [a[j], a[i]] }
  return a
}
const VOCAB = [...REGIONS.map((r) => r[0]), ...COMMON_STEMS, ...RARE_STEMS, ...TRADES, ...SUFFIXES].sort((a, b) => b.length - a.length)

/** a seeded company name split back into its vocabulary words (longest match first) */
function tokens(name: string): string[] {
  const out: string[] = []
  for (let rest = name; rest;) {
    const w = VOCAB.find((v) => rest.startsWith(v))
    if (!w) break
    out.push(w)
    rest = rest.slice(w.length)
  }
  return out
}
const repeatTo = (a: string[], n: number) => shuffle(Array.from({ length: n }, (_, i) => a[i % a.length]))

/** customers matching a term, capped: Chinese by grams, digits by phones, the rest in search_text */
async function candidates(store: Store, cls: TermClass, term: string): Promise<number> {
  const db = store.db
  const CAP = 200_000
  if (cls === 'code') return 1
  if (cls === 'last4') {
    const r = await sql<{ n: number }>`select count(distinct customer_id)::int as n from customer_phones where last4 = ${term}`.execute(db)
    return Number(r.rows[0].n)
  }
  const where = cls === 'cjk2' || cls === 'medium' || cls === 'common'
    ? sql`search_grams @> ${sql.val(termGrams(term))}::text[]`
    : sql`search_text like ${'%' + term + '%'}`
  const r = await sql<{ n: number }>`select count(*)::int as n from (select 1 from customers where ${where} and deleted_at is null limit ${CAP}) x`.execute(db)
  return Number(r.rows[0].n)
}

export async function buildTerms(store: Store, info: SeedInfo, perClass = 400): Promise<Record<TermClass, TermSet>> {
  const n = info.params.customers
  const words = (ranges: Array<[number, number]>) => Object.entries({ ...info.wordCounts.stem, ...info.wordCounts.region, ...info.wordCounts.trade })
    .filter(([, c]) => ranges.some(([lo, hi]) => c >= lo * n && c <= hi * n)).map(([w]) => w)
  const rare = Object.entries(info.wordCounts.stem).filter(([w, c]) => [...w].length === 2 && c >= 1 && c <= Math.max(30, 0.0006 * n)).map(([w]) => w)
  const medium = words([[0.001, 0.015]])
  const common = words([[0.03, 1]])

  // phones and codes of random customers
  const ids = Array.from({ length: perClass }, () => 1 + Math.floor(Math.random() * n))
  const phones = (await store.db.selectFrom('customer_phones').select('phone').where('customer_id', 'in', ids).execute()).map((p) => p.phone)
  const codes = (await store.db.selectFrom('customers').select('code').where('id', 'in', ids).execute()).map((c) => c.code)
  const phoneFrag = phones.map((p) => { const start = 2 + Math.floor(Math.random() * Math.max(1, p.length - 9)); return p.slice(start, start + 7) })
  const last4 = phones.map((p) => p.slice(-4))
  // initials of the first two or three words of real company names, so every term finds someone
  const names = (await store.db.selectFrom('customers').select('name').where('id', 'in', ids).where('customer_type', '<>', 'P').execute()).map((c) => c.name)
  const ini = names.map((name) => {
    const words = tokens(name)
    return words.slice(0, Math.random() < 0.5 ? 2 : 3).map((w) => initials(w)).join('')
  }).filter((t) => t.length >= 3)
  const lists: Record<TermClass, string[]> = { cjk2: rare, medium, common, phone: phoneFrag, last4, code: codes, initials: ini }
  const out = {} as Record<TermClass, TermSet>
  for (const cls of TERM_CLASSES) {
    if (!lists[cls].length) throw new Error(`no search terms of class ${cls}: is the data set too small?`)
    const terms = repeatTo([...new Set(lists[cls])], perClass)
    const sample = [...new Set(terms)].slice(0, 8)
    const counts: number[] = []
    for (const t of sample) counts.push(await candidates(store, cls, t))
    counts.sort((a, b) => a - b)
    out[cls] = { terms, matches: { sampled: counts.length, min: counts[0], median: counts[Math.floor(counts.length / 2)], max: counts[counts.length - 1] } }
  }
  return out
}
