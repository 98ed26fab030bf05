// Printing: the current list (A4, capped) and the customer page. Both are audited
// as 'print' and carry, in the page itself, the title, the filters in words, who
// printed and when (old 360/QQ browser cores ignore @page margin boxes).
import type { DB } from '../../db/index.ts'
import { audit, type Actor } from '../../platform/audit.ts'
import type { T } from '../../platform/i18n.ts'
import type { Principal } from '../../platform/principal.ts'
import { listContacts } from './contacts-service.ts'
import { filteredCustomers, sheetLabels, type ExportRow } from './export-service.ts'
import type { ListQuery } from './queries.ts'
import { listCommunications, listDemands } from './records-service.ts'
import { getCustomer } from './service.ts'

/** most rows a printed list shows; more is a report, not a printout */
export const PRINT_LIMIT = 2000

type Labels = Awaited<ReturnType<typeof sheetLabels>>

/** The filter as the words a reader of the printout understands: ['状态：意向', '搜索：华为']. */
export async function describeFilter(db: DB, f: ListQuery, t: T, l: Labels): Promise<string[]> {
  const out: string[] = []
  const add = (key: string, value: string | undefined | null) => { if (value) out.push(`${t(key)}：${value}`) }
  add('customerIo.filter.q', f.q)
  add('customers.f.status', f.status && t(`customers.status.${f.status}`))
  add('customers.f.grade', f.grade)
  if (f.owner) add('customers.f.owner_id', (await db.selectFrom('users').select('name').where('id', '=', f.owner).executeTakeFirst())?.name ?? `#${f.owner}`)
  if (f.dept) add('customerIo.filter.dept', (await db.selectFrom('departments').select('name').where('id', '=', f.dept).executeTakeFirst())?.name ?? `#${f.dept}`)
  add('customers.f.region_code', f.region && l.region(f.region.padEnd(6, '0')))
  add('customers.f.industry', f.industry && l.code('industry', f.industry))
  add('customers.f.source', f.source && l.code('customer_source', f.source))
  add('customers.f.customer_type', f.type && l.code('customer_type', f.type))
  add('customerIo.filter.tag', f.tag)
  add('customers.f.review_state', f.review && t(`customers.review.${f.review}`))
  if (f.from || f.to) out.push(`${t('customerIo.filter.created')}：${f.from ?? ''} ~ ${f.to ?? ''}`)
  add('customerIo.filter.letter', f.letter)
  if (f.deleted) out.push(t('customers.deletedOnly'))
  if (f.sort && f.sort !== 'new') add('customers.sort', t(`customers.sortBy.${f.sort}`))
  return out
}

export interface PrintedList { rows: ExportRow[]; cut: boolean; filters: string[]; labels: Labels }

/** The list as printed: at most PRINT_LIMIT rows, in the list's order; audited with the filter and count. */
export async function printList(db: DB, actor: Actor, user: Principal, f: ListQuery, filterQs: string): Promise<PrintedList> {
  const labels = await sheetLabels(db, user.lang)
  const rows: ExportRow[] = []
  for await (const batch of filteredCustomers(db, user, f, PRINT_LIMIT + 1)) rows.push(...batch)
  const cut = rows.length > PRINT_LIMIT
  if (cut) rows.length = PRINT_LIMIT
  const filters = await describeFilter(db, f, labels.t, labels)
  await audit(db, actor, { action: 'print', entity: 'customer', summary: `${rows.length}`, detail: { filter: filterQs, rows: rows.length, cut } })
  return { rows, cut, filters, labels }
}

/** The customer page's printable parts; out of scope is 404 like the page itself. */
export async function printCustomer(db: DB, actor: Actor, user: Principal, id: number) {
  const c = await getCustomer(db, user, id)
  const [contacts, demands, comms, owner, labels] = await Promise.all([
    listContacts(db, id), listDemands(db, id), listCommunications(db, id, 10),
    db.selectFrom('users').select('name').where('id', '=', c.owner_id).executeTakeFirst(), sheetLabels(db, user.lang)
  ])
  await audit(db, actor, { action: 'print', entity: 'customer', entityId: id, summary: `${c.code} ${c.name}` })
  return { c, contacts: contacts.filter((k) => k.valid), demands, comms, ownerName: owner?.name ?? '', labels }
}
