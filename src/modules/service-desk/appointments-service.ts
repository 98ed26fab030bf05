// Appointments (预约): scheduled callbacks and visits, each with a responsible caller.
// Booking warns about a clash in the caller's diary; a "no answer" outcome books
// the next attempt; supervisors move times and callers in bulk.
import { sql, type Kysely } from 'kysely'
import { dbWithGenericPlans, type DB } from '../../db/index.ts'
import type { Database } from '../../db/types.ts'
import { audit, type Actor } from '../../platform/audit.ts'
import { ConflictError, oncePerToken } from '../../platform/concurrency.ts'
import { notFound } from '../../platform/errors.ts'
import { FormError } from '../../platform/forms.ts'
import type { Principal } from '../../platform/principal.ts'
import { inScope } from '../../platform/scope.ts'
import { addTimeline, findCustomer } from '../customers/service.ts'

/** two appointments of one caller closer than this are a clash */
export const CLASH_MINUTES = 30

export interface BookInput { customer_id: number; contact_id?: number; kind: 'callback' | 'visit'; scheduled_at: Date; purpose: string; caller_id?: number; confirm_clash: boolean }

export async function clashes(db: Kysely<Database>, callerId: number, at: Date, exceptId?: number) {
  let q = db.selectFrom('appointments as a').innerJoin('customers as c', 'c.id', 'a.customer_id')
    .select(['a.id', 'a.scheduled_at', 'a.purpose', 'c.name as customer_name'])
    .where('a.caller_id', '=', callerId).where('a.status', '=', 'scheduled')
    .where('a.scheduled_at', '>', new Date(at.getTime() - CLASH_MINUTES * 60_000))
    .where('a.scheduled_at', '<', new Date(at.getTime() + CLASH_MINUTES * 60_000))
  if (exceptId) q = q.where('a.id', '<>', exceptId)
  return q.limit(5).execute()
}

async function checkCaller(db: DB, user: Principal, callerId: number) {
  if (callerId === user.id) return
  await checkAssignee(db, user, callerId)
}

/** giving an appointment to someone else is a supervisor's act, within his scope */
async function checkAssignee(db: DB, user: Principal, callerId: number) {
  if (!user.perms.has('service.assign')) throw new FormError({ caller_id: { key: 'errors.forbiddenField' } })
  const u = await db.selectFrom('users').select('id').where('id', '=', callerId).where('active', '=', true).where(inScope(user, 'users.id')).executeTakeFirst()
  if (!u) throw new FormError({ caller_id: { key: 'errors.invalidChoice' } })
}

type Clash = { id: number; scheduled_at: Date; purpose: string; customer_name: string }
export class ClashError extends Error { constructor(public found: Clash[]) { super('clash') } }

export async function book(db: DB, actor: Actor, user: Principal, input: BookInput, formToken: unknown) {
  const customer = await findCustomer(db, user, input.customer_id)
  if (!customer) throw notFound()
  if (input.contact_id) {
    const k = await db.selectFrom('contacts').select('id').where('id', '=', input.contact_id).where('customer_id', '=', input.customer_id).where('deleted_at', 'is', null).executeTakeFirst()
    if (!k) throw new FormError({ contact_id: { key: 'errors.invalidChoice' } })
  }
  const callerId = input.caller_id ?? user.id
  await checkCaller(db, user, callerId)
  // the clash check runs after the form token is claimed: a double submit gets the
  // first appointment back instead of a clash with it
  const { result, repeated } = await oncePerToken(db, formToken, user.id, async (trx) => {
    if (!input.confirm_clash) {
      const found = await clashes(trx, callerId, input.scheduled_at)
      if (found.length) throw new ClashError(found)
    }
    const row = await trx.insertInto('appointments').values({
      customer_id: input.customer_id, contact_id: input.contact_id ?? null, kind: input.kind, scheduled_at: input.scheduled_at,
      purpose: input.purpose, caller_id: callerId, created_by: user.id
    }).returningAll().executeTakeFirstOrThrow()
    await addTimeline(trx, { customerId: input.customer_id, kind: 'appointment.booked', refId: row.id, title: input.purpose, userId: user.id })
    await audit(trx, actor, { action: 'create', entity: 'appointment', entityId: row.id, summary: customer.code, before: null, after: row })
    return String(row.id)
  })
  return { id: Number(result), repeated }
}

/** who may act on an appointment: its caller, or a supervisor over him */
export async function getAppointment(db: DB, user: Principal, id: number) {
  const a = await db.selectFrom('appointments as a').selectAll('a').where('a.id', '=', id)
    .where((eb) => user.perms.has('service.assign') ? eb.or([eb('a.caller_id', '=', user.id), inScope(user, 'a.caller_id') as never]) : eb('a.caller_id', '=', user.id))
    .executeTakeFirst()
  if (!a) throw notFound()
  return a
}

export async function recordOutcome(db: DB, actor: Actor, user: Principal, id: number, version: number,
  outcome: 'done' | 'no_answer' | 'cancelled', result: string | undefined, rebookAt?: Date) {
  const before = await getAppointment(db, user, id)
  // the same post again (a double click): it was recorded the first time
  if (before.status === outcome && before.version === version + 1) return { after: before, next: undefined, repeated: true }
  if (before.status !== 'scheduled') throw new FormError({ outcome: { key: 'service.errors.appointmentClosed' } })
  if (outcome === 'no_answer' && !rebookAt) throw new FormError({ rebook_at: { key: 'errors.required' } })
  return db.transaction().execute(async (trx) => {
    const after = await trx.updateTable('appointments').set({ status: outcome, result: result ?? null, version: sql`version + 1` as never, updated_at: new Date() })
      .where('id', '=', id).where('version', '=', version).returningAll().executeTakeFirst()
    if (!after) throw new ConflictError(before, null)
    let next
    if (outcome === 'no_answer' && rebookAt) {
      next = await trx.insertInto('appointments').values({
        customer_id: before.customer_id, contact_id: before.contact_id, kind: before.kind, scheduled_at: rebookAt,
        purpose: before.purpose, caller_id: before.caller_id, request_id: before.request_id, rebooked_from: id, created_by: user.id
      }).returningAll().executeTakeFirstOrThrow()
      await audit(trx, actor, { action: 'create', entity: 'appointment', entityId: next.id, summary: 'rebooked', before: null, after: next })
    }
    await addTimeline(trx, { customerId: before.customer_id, kind: `appointment.${outcome}`, refId: id, title: `${before.purpose}${result ? ' · ' + result : ''}`, userId: user.id })
    await audit(trx, actor, { action: 'outcome', entity: 'appointment', entityId: id, before: { status: before.status, result: before.result }, after: { status: outcome, result: result ?? null } })
    return { after, next, repeated: false }
  })
}

/** a supervisor moves selected appointments to another caller and/or time */
export async function bulkChange(db: DB, actor: Actor, user: Principal, ids: number[], change: { caller_id?: number; scheduled_at?: Date }) {
  if (change.caller_id) await checkAssignee(db, user, change.caller_id)
  return db.transaction().execute(async (trx) => {
    const rows = await trx.selectFrom('appointments as a').selectAll('a').where('a.id', 'in', ids.length ? ids : [0]).where('a.status', '=', 'scheduled')
      .where(inScope(user, 'a.caller_id')).forUpdate().execute()
    for (const before of rows) {
      const after = await trx.updateTable('appointments').set({
        ...(change.caller_id ? { caller_id: change.caller_id } : {}), ...(change.scheduled_at ? { scheduled_at: change.scheduled_at } : {}),
        version: sql`version + 1` as never, updated_at: new Date()
      }).where('id', '=', before.id).returningAll().executeTakeFirstOrThrow()
      await audit(trx, actor, { action: 'update', entity: 'appointment', entityId: before.id,
        before: { caller_id: before.caller_id, scheduled_at: before.scheduled_at }, after: { caller_id: after.caller_id, scheduled_at: after.scheduled_at } })
    }
    return rows.length
  })
}

/**
 * An appointment of `a` is not to be called: one of the numbers it would be made on
 * (the contact's, or the customer's own; any of the customer's without a contact) is
 * enabled on the do-not-call list.
 */
export const dncFlag = () => sql<boolean>`exists (select 1 from customer_phones p join dnc_numbers d on d.phone = p.phone and d.enabled where p.customer_id = a.customer_id and (a.contact_id is null or p.contact_id = a.contact_id or p.contact_id is null))`

/**
 * the caller's list: everything scheduled up to the end of today, in time order,
 * do-not-call flagged. Its plan is the same for every caller and day (the caller's
 * partial index), so it is made once (dbWithGenericPlans): planning it took 0.73 ms
 * against 1.44 ms running it (pg_stat_statements, bench database). The status is
 * written into the text, as the partial index's predicate must be provable without
 * the statement's values.
 */
export async function callList(db: DB, callerId: number, endOfToday: Date) {
  return callListQuery(db, callerId, endOfToday).execute()
}

/** callList's statement (exported so a test can EXPLAIN what runs) */
export function callListQuery(db: DB, callerId: number, endOfToday: Date) {
  return dbWithGenericPlans(db).selectFrom('appointments as a').innerJoin('customers as c', 'c.id', 'a.customer_id').leftJoin('contacts as k', 'k.id', 'a.contact_id')
    .select(['a.id', 'a.kind', 'a.scheduled_at', 'a.purpose', 'a.version', 'a.customer_id', 'c.name as customer_name', 'c.phone as customer_phone',
      'k.name as contact_name', 'k.mobile', 'k.office_phone',
      dncFlag().as('dnc')])
    .where('a.caller_id', '=', callerId).where(sql<boolean>`a.status = 'scheduled'`).where('a.scheduled_at', '<', endOfToday)
    .orderBy('a.scheduled_at').limit(200)
}
