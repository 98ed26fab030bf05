// Export of the customer list: exactly the list's filter (applyFilters, with the
// user's data scope and the search box), every matching row, read in keyset batches
// (never OFFSET) and streamed into the XLSX/CSV writer as they come, so memory stays
// flat whatever the row count. Columns are the archive's fields with their labels in
// the user's language; codes and phones stay text, dates are office-time dates.
import type { Writable } from 'node:stream'
import { sql } from 'kysely'
import type { DB } from '../../db/index.ts'
import { label, translator, type Lang } from '../../platform/i18n.ts'
import type { Principal } from '../../platform/principal.ts'
import { regionLabel } from '../../platform/regions.ts'
import { csvSink, xlsxSink, type SheetColumn, type SheetSink } from '../../platform/spreadsheet.ts'
import { codeLists } from './lookups.ts'
import { applyFilters, type ListQuery } from './queries.ts'
import { withSearchSettings } from './search.ts'

export const EXPORT_BATCH = 1000

/** the columns a batch reads (the list's own columns plus what the sheet shows) */
async function batch(db: DB, user: Principal, f: ListQuery, after: { v: string; id: number } | null, limit: number) {
  let q = applyFilters(db.selectFrom('customers as c'), user, f)
  const sort = f.sort ?? 'new'
  // with a search term the candidates are few: order by an expression no index
  // provides, as the list does, so the planner sorts them instead of walking an index
  const fence = f.q !== undefined
  const id = fence ? sql<number>`c.id + 0` : sql<number>`c.id`
  if (sort === 'new') {
    if (after) q = q.where('c.id', '<', after.id)
    q = q.orderBy(id, 'desc')
  } else if (sort === 'name') {
    if (after) q = q.where(sql<boolean>`(c.name_initials, c.id) > (${after.v}, ${after.id})`)
    q = q.orderBy(fence ? sql`c.name_initials || ''` : sql`c.name_initials`).orderBy(id)
  } else {
    if (after) q = q.where(sql<boolean>`(c.grade, c.id) < (${after.v}, ${after.id})`)
    q = q.orderBy(fence ? sql`c.grade || ''` : sql`c.grade`, 'desc').orderBy(id, 'desc')
  }
  const query = q.leftJoin('users as o', 'o.id', 'c.owner_id').leftJoin('contacts as k', 'k.id', 'c.main_contact_id')
    .select(['c.id', 'c.code', 'c.name', 'c.short_name', 'c.customer_type', 'c.grade', 'c.status', 'c.review_state', 'c.phone', 'c.fax',
      'c.email', 'c.website', 'c.region_code', 'c.address', 'c.nature', 'c.industry', 'c.sales_channel', 'c.size', 'c.credit',
      'c.source', 'c.tags', 'c.legal_rep', 'c.brands', 'c.assessment', 'c.registered_on', 'c.collected_by', 'c.remarks',
      'c.created_at', 'c.name_initials', 'o.name as owner_name', 'k.name as contact_name', 'k.mobile as contact_mobile'])
    .limit(limit)
  const { rows } = f.q !== undefined ? await withSearchSettings(db, (trx) => trx.executeQuery(query)) : await db.executeQuery(query)
  return rows
}
export type ExportRow = Awaited<ReturnType<typeof batch>>[number]

/**
 * Every row of the filter, batch by batch (keyset on the list's sort), up to `max` rows.
 * The next batch is asked for as soon as one arrives, so the database reads it while
 * the caller turns the one in hand into a sheet: on two cores an XLSX export of
 * 100,000 rows spends most of its time in each of the two.
 */
export async function* filteredCustomers(db: DB, user: Principal, f: ListQuery, max = Infinity): AsyncGenerator<ExportRow[]> {
  let seen = 0
  const ask = (after: { v: string; id: number } | null) => {
    const want = Math.min(EXPORT_BATCH, max - seen)
    return batch(db, user, f, after, want).then((rows) => ({ rows, want }))
  }
  let next: ReturnType<typeof ask> | null = ask(null)
  try {
    while (next) {
      const { rows, want } = await next
      seen += rows.length
      next = null
      if (rows.length === want && seen < max) {
        const last = rows[rows.length - 1]
        next = ask({ v: f.sort === 'name' ? last.name_initials : f.sort === 'grade' ? last.grade : '', id: last.id })
      }
      if (rows.length) yield rows
    }
  } finally {
    // a caller that stops early (the download was cancelled) leaves a read in flight
    next?.catch(() => {})
  }
}

/** Labels of code lists and regions for a sheet in the user's language. */
export async function sheetLabels(db: DB, lang: Lang) {
  const lists = await codeLists(db)
  const regions = await db.selectFrom('regions').select(['code', 'name', 'parent_code']).execute()
  const byCode = new Map(regions.map((r) => [r.code, r]))
  const regionCache = new Map<string, string>()
  const t = translator(lang)
  return {
    t,
    code: (kind: string, code: string | null) => {
      if (!code) return ''
      const i = (lists[kind] ?? []).find((x) => x.code === code)
      return i ? label(lang, i.label_zh, i.label_en) : code
    },
    region: (code: string | null) => {
      if (!code) return ''
      let s = regionCache.get(code)
      if (s === undefined) {
        const path: { code: string; name: string }[] = []
        for (let r = byCode.get(code); r && path.length < 4; r = r.parent_code ? byCode.get(r.parent_code) : undefined) path.unshift(r)
        s = regionLabel(path) || code
        regionCache.set(code, s)
      }
      return s
    }
  }
}

/** The sheet's columns: headers are the import's field names, so an export imports back as it is. */
export function exportColumns(l: Awaited<ReturnType<typeof sheetLabels>>): SheetColumn<ExportRow>[] {
  const t = l.t
  const h = (f: string) => t(`customerIo.field.${f}`)
  return [
    { header: t('customerIo.col.code'), width: 12, value: (r) => r.code },
    { header: h('name'), width: 30, value: (r) => r.name },
    { header: h('short_name'), value: (r) => r.short_name },
    { header: h('customer_type'), width: 10, value: (r) => l.code('customer_type', r.customer_type) },
    { header: h('grade'), width: 6, value: (r) => r.grade },
    { header: h('status'), width: 8, value: (r) => t(`customers.status.${r.status}`) },
    { header: t('customerIo.col.review'), width: 8, value: (r) => t(`customers.review.${r.review_state}`) },
    { header: h('owner'), width: 10, value: (r) => r.owner_name },
    { header: h('contact_name'), width: 10, value: (r) => r.contact_name },
    { header: h('contact_mobile'), width: 14, value: (r) => r.contact_mobile },
    { header: h('phone'), width: 16, value: (r) => r.phone },
    { header: h('fax'), value: (r) => r.fax },
    { header: h('email'), width: 22, value: (r) => r.email },
    { header: h('website'), width: 20, value: (r) => r.website },
    { header: h('region'), width: 20, value: (r) => l.region(r.region_code) },
    { header: h('address'), width: 30, value: (r) => r.address },
    { header: h('nature'), value: (r) => l.code('enterprise_nature', r.nature) },
    { header: h('industry'), value: (r) => l.code('industry', r.industry) },
    { header: h('sales_channel'), value: (r) => l.code('sales_channel', r.sales_channel) },
    { header: h('size'), value: (r) => l.code('enterprise_size', r.size) },
    { header: h('credit'), value: (r) => l.code('credit_rating', r.credit) },
    { header: h('source'), value: (r) => l.code('customer_source', r.source) },
    // a joined multi-value cell is escaped as a whole by the writers, like any other
    { header: h('tags'), value: (r) => r.tags.join(', ') },
    { header: h('legal_rep'), value: (r) => r.legal_rep },
    { header: h('brands'), value: (r) => r.brands },
    { header: h('assessment'), value: (r) => r.assessment },
    { header: h('registered_on'), type: 'date', width: 12, value: (r) => r.registered_on },
    { header: h('collected_by'), value: (r) => r.collected_by },
    { header: h('remarks'), width: 30, value: (r) => r.remarks },
    { header: t('customerIo.col.created'), type: 'datetime', width: 17, value: (r) => r.created_at }
  ]
}

/**
 * Writes the whole filtered list into `out`. `beforeEnd(rows)` runs after the last
 * row and before the file is closed (the audit row), so a finished download is
 * always an audited one.
 */
export async function exportCustomers(db: DB, user: Principal, f: ListQuery, format: 'xlsx' | 'csv', out: Writable, timeZone: string,
  beforeEnd: (rows: number) => Promise<void>): Promise<number> {
  const labels = await sheetLabels(db, user.lang)
  const columns = exportColumns(labels)
  const sink: SheetSink<ExportRow> = format === 'xlsx'
    ? xlsxSink(out, columns, { sheetName: labels.t('customerIo.export.sheet'), timeZone })
    : csvSink(out, columns, { timeZone })
  let n = 0
  for await (const rows of filteredCustomers(db, user, f)) {
    await sink.write(rows)
    n += rows.length
  }
  await beforeEnd(n)
  await sink.end()
  return n
}
