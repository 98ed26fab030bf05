// Columns derived from what the user typed, recomputed on every write (service,
// import, merge, demo and bench seeding all call these, so search sees one truth).
//
// Chinese search: pg_trgm cannot use its index for one- and two-character terms
// (张三, 华为), the commonest Chinese query, so CJK text is indexed as an array of
// its characters and adjacent pairs (GIN). Latin letters, digits, codes, e-mail and
// pinyin go into `search_text`, which pg_trgm indexes.
import { pinyin } from 'pinyin-pro'
import { cjkGrams, hasCjk } from '../../platform/cjk.ts'
import { normalizePhone } from '../../platform/phone.ts'

export { cjkGrams, hasCjk, termGrams } from '../../platform/cjk.ts'

// pinyin-pro segments the text into words before it reads it, which makes initials()
// most of an import's time in this process (4.6 s of a 16 s dry run of 100,000 rows,
// in a CPU profile). People's names repeat (张伟, 王芳), so the last answers are kept;
// the map is emptied when full rather than kept in order, which is enough for that.
const INITIALS_MEMO_SIZE = 20_000
const initialsMemo = new Map<string, string>()

/** 'bjkjyxgs' for 北京科技有限公司; persons' names read the surname as a surname (曾 zeng, 单 shan) */
export function initials(name: string, person = false): string {
  if (!hasCjk(name)) return name.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 200)
  const key = (person ? 'p' : 'o') + name
  const known = initialsMemo.get(key)
  if (known !== undefined) return known
  const parts = pinyin(name, { pattern: 'first', toneType: 'none', type: 'array', ...(person ? { surname: 'head' } : { nonZh: 'consecutive' }) })
  const result = parts.join('').toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 200)
  if (initialsMemo.size >= INITIALS_MEMO_SIZE) initialsMemo.clear()
  initialsMemo.set(key, result)
  return result
}

/** the letter a list can be filtered by: A–Z, or '#' for anything else */
export function firstLetter(name: string, person = false): string {
  return letterOf(initials(name, person))
}

function letterOf(nameInitials: string): string {
  const c = nameInitials.charAt(0).toUpperCase()
  return c >= 'A' && c <= 'Z' ? c : '#'
}

export interface SearchSource {
  code: string
  name: string
  short_name?: string | null
  email?: string | null
  phone?: string | null
  fax?: string | null
  customer_type: string
  contacts: { id?: number; name: string; office_phone?: string | null; mobile?: string | null; fax?: string | null; email?: string | null }[]
}

export interface Derived {
  name_initials: string
  first_letter: string
  search_grams: string[]
  search_text: string
  phones: { contact_id: number | null; phone: string; last4: string }[]
}

export function derive(c: SearchSource): Derived {
  const person = c.customer_type === 'P'
  const nameInitials = initials(c.name, person)
  const contacts = c.contacts ?? []
  const phones: Derived['phones'] = []
  const addPhone = (raw: string | null | undefined, contactId: number | null) => {
    const p = normalizePhone(raw)
    if (p.length >= 4 && !phones.some((x) => x.phone === p && x.contact_id === contactId)) phones.push({ contact_id: contactId, phone: p, last4: p.slice(-4) })
  }
  addPhone(c.phone, null)
  addPhone(c.fax, null)
  for (const k of contacts) { addPhone(k.office_phone, k.id ?? null); addPhone(k.mobile, k.id ?? null); addPhone(k.fax, k.id ?? null) }
  const words = [
    c.code, c.name, c.short_name, c.email, nameInitials,
    c.short_name ? initials(c.short_name, person) : '',
    ...contacts.flatMap((k) => [k.name, k.email, hasCjk(k.name) ? initials(k.name, true) : '']),
    ...phones.map((p) => p.phone)
  ]
  // CJK characters carry no trigram value here (the grams column covers them)
  const text = words.filter(Boolean).map((w) => String(w).toLowerCase().replace(/[\u3400-\u9fff\uf900-\ufaff]+/g, ' ').trim())
    .filter(Boolean).join(' ')
  return {
    name_initials: nameInitials,
    first_letter: letterOf(nameInitials),
    search_grams: cjkGrams(c.name, c.short_name, ...contacts.map((k) => k.name)),
    search_text: text.slice(0, 4000),
    phones
  }
}
