// Turning what people type in a spreadsheet into what the form would have sent:
// code-list labels (制造业 → MFG) or codes, grade and status words, region names
// (广东省深圳市南山区, 深圳市 南山区, 440305), owners by login or name, dates in
// the usual Chinese formats. Loaded once per import job, then used per row.
import type { Kysely } from 'kysely'
import type { Database } from '../../db/types.ts'
import { translator } from '../../platform/i18n.ts'
import type { Principal } from '../../platform/principal.ts'
import { inScope } from '../../platform/scope.ts'
import { CODE_FIELDS, GRADES, STATUSES } from './schemas.ts'

type Tx = Kysely<Database>

/** a lookup answer: the value, or the locale key of why not */
export type Resolved = { ok: string } | { error: string }

export const norm = (s: string) => s.normalize('NFKC').toLowerCase().replace(/\s+/g, '')

export interface Resolvers {
  code(kind: string, value: string): Resolved
  grade(value: string): Resolved
  status(value: string): Resolved
  gender(value: string): Resolved
  region(value: string): Resolved
  owner(value: string): { ok: number } | { error: string }
}

async function codeResolver(db: Tx) {
  const kinds = [...Object.values(CODE_FIELDS), 'position']
  const rows = await db.selectFrom('code_items').select(['kind', 'code', 'label_zh', 'label_en', 'enabled']).where('kind', 'in', kinds).execute()
  const byKind = new Map<string, Map<string, { code: string; enabled: boolean }>>()
  for (const r of rows) {
    let m = byKind.get(r.kind)
    if (!m) byKind.set(r.kind, (m = new Map()))
    // codes win over labels when a label happens to equal another item's code
    for (const k of [r.label_en, r.label_zh]) if (k && !m.has(norm(k))) m.set(norm(k), { code: r.code, enabled: r.enabled })
    m.set(norm(r.code), { code: r.code, enabled: r.enabled })
  }
  return (kind: string, value: string): Resolved => {
    const hit = byKind.get(kind)?.get(norm(value))
    return hit && hit.enabled ? { ok: hit.code } : { error: 'errors.invalidChoice' }
  }
}

function wordResolver(values: readonly string[], prefix: string, extra: (v: string) => string[] = () => []) {
  const m = new Map<string, string>()
  for (const lang of ['zh-CN', 'en'] as const) {
    const t = translator(lang)
    for (const v of values) m.set(norm(t(`${prefix}${v}`)), v)
  }
  for (const v of values) { m.set(norm(v), v); for (const e of extra(v)) m.set(norm(e), v) }
  return (value: string): Resolved => {
    const hit = m.get(norm(value))
    return hit ? { ok: hit } : { error: 'errors.invalidChoice' }
  }
}

// ---- regions -------------------------------------------------------------------

const SUFFIX = /(省|市|自治区|特别行政区|地区|自治州|盟|区|县)$/
/** a name with and without its administrative suffix (广东省 → 广东省, 广东) */
const variants = (name: string) => {
  const short = name.replace(SUFFIX, '')
  return short.length >= 2 && short !== name ? [name, short] : [name]
}

async function regionResolver(db: Tx) {
  const rows = await db.selectFrom('regions').select(['code', 'name', 'parent_code']).execute()
  const byCode = new Map(rows.map((r) => [r.code, r]))
  const keys = new Map<string, Set<string>>()
  const add = (k: string, code: string) => { let s = keys.get(k); if (!s) keys.set(k, (s = new Set())); s.add(code) }
  for (const r of rows) {
    const path: string[] = []
    for (let x: typeof r | undefined = r; x && path.length < 4; x = x.parent_code ? byCode.get(x.parent_code) : undefined) {
      // the standard's "直辖县级行政区划" grouping is not a place name anyone writes
      if (!/^\d\d9000$/.test(x.code)) path.unshift(x.name)
    }
    // every suffix of the path (with the province, without it, the name alone),
    // each part with or without its suffix
    for (let from = 0; from < path.length; from++) {
      let combos = ['']
      for (const part of path.slice(from)) combos = combos.flatMap((c) => variants(part).map((v) => c + v))
      for (const c of combos) add(norm(c), r.code)
    }
  }
  return (value: string): Resolved => {
    const v = norm(value).replace(/[/,，、\-—|]/g, '')
    if (/^\d{6}$/.test(v)) return byCode.has(v) ? { ok: v } : { error: 'errors.invalidChoice' }
    const hit = keys.get(v)
    if (!hit) return { error: 'customerIo.err.regionUnknown' }
    if (hit.size > 1) {
      // 北京市 is both the province and, in some data, its city: take the highest level
      const codes = [...hit].sort()
      const top = codes.find((c) => codes.every((o) => o === c || o.startsWith(c.replace(/0+$/, ''))))
      return top ? { ok: top } : { error: 'customerIo.err.regionAmbiguous' }
    }
    return { ok: [...hit][0] }
  }
}

// ---- owners --------------------------------------------------------------------

async function ownerResolver(db: Tx, user: Principal) {
  const self = { ok: user.id }
  if (!user.perms.has('customers.assign')) {
    // without the assign permission every row belongs to the importing user; naming
    // someone else is refused as the form refuses it
    return (value: string) => (!value || norm(value) === norm(user.login) || norm(value) === norm(user.name) ? self : { error: 'errors.forbiddenField' })
  }
  const users = await db.selectFrom('users').select(['id', 'login', 'name']).where('active', '=', true).where(inScope(user, 'users.id')).execute()
  const byLogin = new Map(users.map((u) => [norm(u.login), u.id]))
  const byName = new Map<string, number[]>()
  for (const u of users) byName.set(norm(u.name), [...(byName.get(norm(u.name)) ?? []), u.id])
  return (value: string): { ok: number } | { error: string } => {
    if (!value) return self
    const id = byLogin.get(norm(value))
    if (id) return { ok: id }
    const named = byName.get(norm(value)) ?? []
    if (named.length === 1) return { ok: named[0] }
    return { error: named.length > 1 ? 'customerIo.err.ownerAmbiguous' : 'errors.invalidChoice' }
  }
}

export async function loadResolvers(db: Tx, user: Principal): Promise<Resolvers> {
  const [code, region, owner] = await Promise.all([codeResolver(db), regionResolver(db), ownerResolver(db, user)])
  return {
    code,
    region,
    owner,
    grade: wordResolver(GRADES, 'customers.grade.', (g) => [`${g}级`, `${g}类`]),
    status: wordResolver(STATUSES, 'customers.status.'),
    gender: (v) => (/^(男|m|male|先生)$/i.test(v.trim()) ? { ok: 'M' } : /^(女|f|female|女士)$/i.test(v.trim()) ? { ok: 'F' } : { error: 'errors.invalidChoice' })
  }
}

/**
 * '2026-11-22', '2026/11/22', '2026.11.22', '2026年11月22日', a date with a time,
 * or an Excel day number that lost its date format → 'YYYY-MM-DD'; anything else
 * is passed on for the form's date check to refuse.
 */
export function normalizeDate(v: string): string {
  const s = v.trim()
  const m = /^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$/.exec(s)
  if (m) return `${m[1]}-${m[2].padStart(2, '0')}-${m[3].padStart(2, '0')}`
  if (/^\d{5}$/.test(s) && Number(s) > 20000 && Number(s) < 80000) {
    return new Date(Date.UTC(1899, 11, 30) + Number(s) * 86_400_000).toISOString().slice(0, 10)
  }
  return s
}
