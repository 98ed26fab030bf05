// The customer timeline: every module that does something for a customer (a call,
// a request, a complaint, an order, a survey) adds a row here in its own
// transaction, so the customer page reads one indexed range, newest first.
import type { Kysely } from 'kysely'
import type { Database } from '../../db/types.ts'

export interface TimelineEntry {
  customerId: number
  kind: string
  refId?: string | number | null
  title: string
  href?: string | null
  userId?: number | null
  at?: Date
}

export async function addTimeline(db: Kysely<Database>, e: TimelineEntry) {
  await db.insertInto('customer_timeline').values({
    customer_id: e.customerId, kind: e.kind, ref_id: e.refId == null ? null : String(e.refId),
    title: e.title.slice(0, 300), href: e.href ?? null, user_id: e.userId ?? null, ...(e.at ? { at: e.at } : {})
  }).execute()
}

export const TIMELINE_PAGE = 50

/** one page of the timeline, newest first; `before` is the cursor "at|id" of the last row shown */
export async function timelinePage(db: Kysely<Database>, customerId: number, before?: string) {
  let q = db.selectFrom('customer_timeline as t').leftJoin('users as u', 'u.id', 't.user_id')
    .select(['t.id', 't.at', 't.kind', 't.title', 't.href', 'u.name as user_name'])
    .where('t.customer_id', '=', customerId)
  const m = before ? /^(\d{4}-[\d\-T:.Z]+)\|(\d+)$/.exec(before) : null
  if (m) {
    const at = new Date(m[1]), id = Number(m[2])
    q = q.where((eb) => eb.or([eb('t.at', '<', at), eb.and([eb('t.at', '=', at), eb('t.id', '<', id)])]))
  }
  const rows = await q.orderBy('t.at', 'desc').orderBy('t.id', 'desc').limit(TIMELINE_PAGE + 1).execute()
  const more = rows.length > TIMELINE_PAGE
  const page = rows.slice(0, TIMELINE_PAGE)
  const last = page[page.length - 1]
  return { rows: page, next: more && last ? `${last.at.toISOString()}|${last.id}` : null }
}
