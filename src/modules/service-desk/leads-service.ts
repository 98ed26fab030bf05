// Sales leads (销售线索) raised by agents while answering. Until the marketing module
// works them, supervisors assign each lead to a rep, who then sees it on his
// workbench; among reps, only the assigned one sees a lead.
import { sql, type RawBuilder, type SqlBool } from 'kysely'
import type { DB } from '../../db/index.ts'
import { audit, type Actor } from '../../platform/audit.ts'
import { ConflictError } from '../../platform/concurrency.ts'
import { HttpError, notFound } from '../../platform/errors.ts'
import { FormError } from '../../platform/forms.ts'
import type { Principal } from '../../platform/principal.ts'
import { inScope } from '../../platform/scope.ts'

/** assigners see unassigned leads and those assigned in their scope; others only their own */
export function leadScope(user: Principal): RawBuilder<SqlBool> {
  if (user.perms.has('leads.assign')) return sql<SqlBool>`(l.assigned_to is null or ${inScope(user, 'l.assigned_to')} or ${inScope(user, 'l.created_by')})`
  return sql<SqlBool>`l.assigned_to = ${user.id}`
}

export async function listLeads(db: DB, user: Principal, status?: string) {
  let q = db.selectFrom('leads as l')
    .leftJoin('customers as c', 'c.id', 'l.customer_id').leftJoin('contacts as k', 'k.id', 'l.contact_id')
    .leftJoin('service_requests as r', 'r.id', 'l.request_id').leftJoin('users as a', 'a.id', 'l.assigned_to')
    .innerJoin('users as b', 'b.id', 'l.created_by')
    .select(['l.id', 'l.status', 'l.note', 'l.created_at', 'l.version', 'l.assigned_to', 'c.id as customer_id', 'c.name as customer_name',
      'k.name as contact_name', 'r.id as request_id', 'r.number as request_number', 'r.subject', 'a.name as assignee_name', 'b.name as created_by_name'])
    .where(leadScope(user))
  q = status ? q.where('l.status', '=', status as never) : q.where('l.status', 'in', ['new', 'assigned'])
  return q.orderBy('l.id', 'desc').limit(200).execute()
}

export async function getLead(db: DB, user: Principal, id: number) {
  const l = await db.selectFrom('leads as l').selectAll('l').where('l.id', '=', id).where(leadScope(user)).executeTakeFirst()
  if (!l) throw notFound()
  return l
}

export async function assignLead(db: DB, actor: Actor, user: Principal, id: number, version: number, repId: number) {
  const before = await getLead(db, user, id)
  // a converted or dropped lead stays closed (the form is gone; a stale page may still post)
  if (before.status !== 'new' && before.status !== 'assigned') throw new HttpError(409, 'serviceRequests.leadClosed')
  const rep = await db.selectFrom('users').select(['id', 'name']).where('id', '=', repId).where('active', '=', true).where(inScope(user, 'users.id')).executeTakeFirst()
  if (!rep) throw new FormError({ assigned_to: { key: 'errors.invalidChoice' } })
  await db.transaction().execute(async (trx) => {
    const after = await trx.updateTable('leads').set({ assigned_to: repId, assigned_at: new Date(), status: 'assigned', version: sql`version + 1` as never, updated_at: new Date() })
      .where('id', '=', id).where('version', '=', version).returningAll().executeTakeFirst()
    if (!after) throw new ConflictError(before, null)
    await audit(trx, actor, { action: 'assign', entity: 'lead', entityId: id, summary: rep.name, before: { assigned_to: before.assigned_to, status: before.status }, after: { assigned_to: repId, status: 'assigned' } })
  })
}

export async function closeLead(db: DB, actor: Actor, user: Principal, id: number, version: number, status: 'converted' | 'dropped') {
  const before = await getLead(db, user, id)
  if (before.assigned_to !== user.id && !user.perms.has('leads.assign')) throw notFound()
  if (before.status !== 'new' && before.status !== 'assigned') throw new HttpError(409, 'serviceRequests.leadClosed')
  await db.transaction().execute(async (trx) => {
    const after = await trx.updateTable('leads').set({ status, version: sql`version + 1` as never, updated_at: new Date() })
      .where('id', '=', id).where('version', '=', version).returningAll().executeTakeFirst()
    if (!after) throw new ConflictError(before, null)
    await audit(trx, actor, { action: 'status', entity: 'lead', entityId: id, before: { status: before.status }, after: { status } })
  })
}
