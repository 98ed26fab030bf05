// Reading the audit log (操作日志). Newest first with keyset pagination: the next page
// starts below the last id shown (`before`), never with OFFSET, so page 500 costs
// what page 1 does on a log of millions of rows.
import { sql } from 'kysely'
import type { DB } from '../../db/index.ts'

export interface AuditFilters {
  userId?: number
  action?: string
  entity?: string
  record?: string
  from?: string // 'YYYY-MM-DD', office time zone, inclusive
  to?: string // inclusive
  before?: number
}

export const AUDIT_PAGE = 50

export async function listAudit(db: DB, f: AuditFilters, timeZone: string) {
  let q = db.selectFrom('audit_log').select(['id', 'at', 'user_id', 'user_name', 'ip', 'action', 'entity', 'entity_id', 'summary'])
  if (f.userId) q = q.where('user_id', '=', f.userId)
  if (f.action) q = q.where('action', '=', f.action)
  if (f.entity) q = q.where('entity', '=', f.entity)
  if (f.record) q = q.where('entity_id', '=', f.record)
  // a day is the office's day, whatever the server's zone
  if (f.from) q = q.where(sql<boolean>`at >= (${f.from}::date)::timestamp at time zone ${timeZone}`)
  if (f.to) q = q.where(sql<boolean>`at < (${f.to}::date + 1)::timestamp at time zone ${timeZone}`)
  if (f.before) q = q.where('id', '<', f.before)
  const rows = await q.orderBy('id', 'desc').limit(AUDIT_PAGE + 1).execute()
  return { rows: rows.slice(0, AUDIT_PAGE), more: rows.length > AUDIT_PAGE }
}

export const getAuditRow = (db: DB, id: number) => db.selectFrom('audit_log').selectAll().where('id', '=', id).executeTakeFirst()

export interface ChangeLine { field: string; before?: unknown; after?: unknown; value?: unknown }

/**
 * The stored changes as table lines: `{ field: [before, after] }` from a data change
 * becomes before/after columns; the detail of an event (sign-in reason…) one value each.
 */
export function changeLines(changes: unknown): { diff: boolean; lines: ChangeLine[] } {
  const obj = typeof changes === 'string' ? safeParse(changes) : changes
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return { diff: false, lines: obj == null ? [] : [{ field: '', value: obj }] }
  const entries = Object.entries(obj as Record<string, unknown>)
  const diff = entries.length > 0 && entries.every(([, v]) => Array.isArray(v) && v.length === 2)
  return {
    diff,
    lines: entries.map(([field, v]) => (diff ? { field, before: (v as unknown[])[0], after: (v as unknown[])[1] } : { field, value: v }))
  }
}

function safeParse(s: string): unknown {
  try { return JSON.parse(s) } catch { return s }
}

/** A value as text for the detail table. */
export function show(v: unknown): string {
  if (v === null || v === undefined) return ''
  if (typeof v === 'string') return v
  if (Array.isArray(v) && v.every((x) => typeof x !== 'object')) return v.join(', ')
  return JSON.stringify(v)
}
