// One writer for the audit log, called inside the service's transaction so the data
// row and its audit row commit or roll back together. Changes are stored per field
// as [before, after]; secrets never enter the log.
import type { FastifyRequest } from 'fastify'
import { sql, type Kysely, type QueryCreator } from 'kysely'
import type { Database } from '../db/types.ts'

const SECRET_FIELDS = new Set(['password_hash', 'totp_secret', 'password', 'csrf', 'id_hash'])
const IGNORED_FIELDS = new Set(['updated_at', 'version', 'created_at'])

/** Who is acting: passed from the route to the service. */
export interface Actor { userId: number | null; userName: string | null; ip: string | null; requestId: string | null }

export function actorOf(req: FastifyRequest): Actor {
  return { userId: req.user?.id ?? null, userName: req.user?.name ?? null, ip: req.ip, requestId: String(req.id) }
}

type Row = Record<string, unknown> | null | undefined

const norm = (v: unknown) => (v instanceof Date ? v.toISOString() : v === undefined ? null : v)

export function diff(before: Row, after: Row): Record<string, [unknown, unknown]> {
  const out: Record<string, [unknown, unknown]> = {}
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])
  for (const k of keys) {
    if (IGNORED_FIELDS.has(k)) continue
    const b = norm(before?.[k]), a = norm(after?.[k])
    if (JSON.stringify(b) === JSON.stringify(a)) continue
    out[k] = SECRET_FIELDS.has(k) ? ['***', '***'] : [b, a]
  }
  return out
}

export interface AuditEntry {
  action: string
  entity: string
  entityId?: string | number | null
  summary?: string
  before?: Row
  after?: Row
  /** extra detail when there is no before/after (sign-in, export…) */
  detail?: Record<string, unknown>
}

export async function audit(db: Kysely<Database>, actor: Actor, e: AuditEntry) {
  await db.insertInto('audit_log').values(auditValues(actor, e)).execute()
}

/**
 * The audit row of a record inserted by the same statement, for a service that writes a
 * record and its audit row in one round trip (createRequest): an INSERT … SELECT over
 * the statement's CTE `from`, whose `id` becomes the entity id. Use it as a CTE of its
 * own: `.with('audit', (q) => auditFrom(q, actor, entry, 'r'))`.
 */
export function auditFrom<DB extends Database>(q: QueryCreator<DB>, actor: Actor, e: Omit<AuditEntry, 'entityId'>, from: string) {
  const v = auditValues(actor, e)
  return q.insertInto('audit_log')
    .columns(['user_id', 'user_name', 'ip', 'request_id', 'action', 'entity', 'entity_id', 'summary', 'changes'])
    .expression(sql`select ${v.user_id}::int, ${v.user_name}::text, ${v.ip}::text, ${v.request_id}::text, ${v.action}::text,
      ${v.entity}::text, ${sql.ref(`${from}.id`)}::text, ${v.summary}::text, ${v.changes}::jsonb from ${sql.table(from)}`)
}

function auditValues(actor: Actor, e: AuditEntry) {
  const changes = e.before !== undefined || e.after !== undefined ? diff(e.before, e.after) : e.detail ?? null
  return {
    user_id: actor.userId, user_name: actor.userName, ip: actor.ip, request_id: actor.requestId,
    action: e.action, entity: e.entity, entity_id: e.entityId == null ? null : String(e.entityId),
    summary: e.summary?.slice(0, 300) ?? null,
    changes: changes === null ? null : JSON.stringify(changes)
  }
}
