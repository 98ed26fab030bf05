// Demand records (需求记录) and communication records (沟通记录) of a customer.
import type { DB } from '../../db/index.ts'
import { audit, type Actor } from '../../platform/audit.ts'
import { notFound } from '../../platform/errors.ts'
import { FormError } from '../../platform/forms.ts'
import { officeTime } from '../../platform/format.ts'
import type { Principal } from '../../platform/principal.ts'
import type { CommunicationInput, DemandInput } from './schemas.ts'
import { checkCodes, getCustomer } from './service.ts'
import { addTimeline } from './timeline.ts'

export async function listDemands(db: DB, customerId: number) {
  return db.selectFrom('demand_records').selectAll().where('customer_id', '=', customerId).where('deleted_at', 'is', null)
    .orderBy('valid_from', 'desc').orderBy('id', 'desc').limit(200).execute()
}

export async function addDemand(db: DB, actor: Actor, user: Principal, customerId: number, input: DemandInput) {
  const customer = await getCustomer(db, user, customerId)
  const errors = await checkCodes(db, [['kind', 'demand_kind', input.kind]])
  if (Object.keys(errors).length) throw new FormError(errors)
  return db.transaction().execute(async (trx) => {
    const row = await trx.insertInto('demand_records').values({
      customer_id: customerId, kind: input.kind, description: input.description, valid_from: input.valid_from,
      valid_to: input.valid_to ?? null, created_by: user.id
    }).returningAll().executeTakeFirstOrThrow()
    await addTimeline(trx, { customerId, kind: 'demand.created', title: input.description, userId: user.id })
    await audit(trx, actor, { action: 'create', entity: 'demand', entityId: row.id, summary: customer.code, before: null, after: row })
    return row
  })
}

export async function deleteDemand(db: DB, actor: Actor, user: Principal, customerId: number, id: number) {
  await getCustomer(db, user, customerId)
  const before = await db.selectFrom('demand_records').selectAll().where('id', '=', id).where('customer_id', '=', customerId)
    .where('deleted_at', 'is', null).executeTakeFirst()
  if (!before) throw notFound()
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('demand_records').set({ deleted_at: new Date() }).where('id', '=', id).execute()
    await audit(trx, actor, { action: 'delete', entity: 'demand', entityId: id, summary: before.description.slice(0, 100) })
  })
}

export async function listCommunications(db: DB, customerId: number, limit = 20) {
  return db.selectFrom('communications as m').innerJoin('users as u', 'u.id', 'm.user_id').leftJoin('contacts as k', 'k.id', 'm.contact_id')
    .selectAll('m').select(['u.name as user_name', 'k.name as contact_name'])
    .where('m.customer_id', '=', customerId).orderBy('m.at', 'desc').orderBy('m.id', 'desc').limit(limit).execute()
}

export async function addCommunication(db: DB, actor: Actor, user: Principal, customerId: number, input: CommunicationInput, timeZone: string) {
  const customer = await getCustomer(db, user, customerId)
  if (input.contact_id) {
    const k = await db.selectFrom('contacts').select('id').where('id', '=', input.contact_id).where('customer_id', '=', customerId)
      .where('deleted_at', 'is', null).executeTakeFirst()
    if (!k) throw new FormError({ contact_id: { key: 'errors.invalidChoice' } })
  }
  const at = input.at ? officeTime(input.at, timeZone) : new Date()
  return db.transaction().execute(async (trx) => {
    const row = await trx.insertInto('communications').values({
      customer_id: customerId, contact_id: input.contact_id ?? null, kind: input.kind, at, user_id: user.id,
      summary: input.summary, next_step: input.next_step ?? null, next_date: input.next_date ?? null
    }).returningAll().executeTakeFirstOrThrow()
    await addTimeline(trx, { customerId, kind: `communication.${input.kind}`, refId: row.id, title: input.summary, userId: user.id, at })
    await audit(trx, actor, { action: 'create', entity: 'communication', entityId: row.id, summary: customer.code, before: null, after: row })
    return row
  })
}

/** Marks a communication's next step as done (it leaves the workbench). */
export async function completeNextStep(db: DB, actor: Actor, user: Principal, customerId: number, id: number) {
  await getCustomer(db, user, customerId)
  const row = await db.selectFrom('communications').select(['id', 'next_done']).where('id', '=', id).where('customer_id', '=', customerId).executeTakeFirst()
  if (!row) throw notFound()
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('communications').set({ next_done: true }).where('id', '=', id).execute()
    await audit(trx, actor, { action: 'update', entity: 'communication', entityId: id, before: { next_done: row.next_done }, after: { next_done: true } })
  })
}
