// Contacts belong to a customer and follow its scope: a contact of a customer the
// user cannot see does not exist for him.
import { sql } from 'kysely'
import type { DB } from '../../db/index.ts'
import { audit, type Actor } from '../../platform/audit.ts'
import { ConflictError } from '../../platform/concurrency.ts'
import { notFound } from '../../platform/errors.ts'
import { FormError } from '../../platform/forms.ts'
import type { Principal } from '../../platform/principal.ts'
import type { ContactInput } from './schemas.ts'
import { checkCodes, getCustomer, refreshDerived } from './service.ts'
import { addTimeline } from './timeline.ts'

export async function listContacts(db: DB, customerId: number) {
  return db.selectFrom('contacts as k').leftJoin('users as u', 'u.id', 'k.updated_by')
    .selectAll('k').select('u.name as updated_by_name')
    .where('k.customer_id', '=', customerId).where('k.deleted_at', 'is', null)
    .orderBy('k.valid', 'desc').orderBy('k.is_key', 'desc').orderBy('k.id').execute()
}

export async function getContact(db: DB, user: Principal, customerId: number, contactId: number) {
  await getCustomer(db, user, customerId)
  const k = await db.selectFrom('contacts').selectAll().where('id', '=', contactId).where('customer_id', '=', customerId)
    .where('deleted_at', 'is', null).executeTakeFirst()
  if (!k) throw notFound()
  return k
}

async function checkContactCodes(db: DB, input: ContactInput) {
  const errors = await checkCodes(db, [['position', 'position', input.position]])
  if (Object.keys(errors).length) throw new FormError(errors)
}

const values = (i: ContactInput) => ({
  name: i.name, gender: i.gender ?? null, birthday: i.birthday ?? null, position: i.position ?? null, department: i.department ?? null,
  office_phone: i.office_phone ?? null, mobile: i.mobile ?? null, email: i.email ?? null, fax: i.fax ?? null, postcode: i.postcode ?? null,
  address: i.address ?? null, profile: i.profile ?? null, is_key: i.is_key, valid: i.valid
})

export async function addContact(db: DB, actor: Actor, user: Principal, customerId: number, input: ContactInput) {
  const customer = await getCustomer(db, user, customerId)
  await checkContactCodes(db, input)
  return db.transaction().execute(async (trx) => {
    const row = await trx.insertInto('contacts').values({ ...values(input), customer_id: customerId, updated_by: user.id })
      .returningAll().executeTakeFirstOrThrow()
    // the first contact becomes the main contact
    if (!customer.main_contact_id) await trx.updateTable('customers').set({ main_contact_id: row.id }).where('id', '=', customerId).execute()
    await refreshDerived(trx, customerId)
    await addTimeline(trx, { customerId, kind: 'contact.created', title: row.name, userId: user.id })
    await audit(trx, actor, { action: 'create', entity: 'contact', entityId: row.id, summary: `${customer.code} ${row.name}`, before: null, after: row })
    return row
  })
}

export async function updateContact(db: DB, actor: Actor, user: Principal, customerId: number, contactId: number, version: number, input: ContactInput) {
  const before = await getContact(db, user, customerId, contactId)
  await checkContactCodes(db, input)
  return db.transaction().execute(async (trx) => {
    const after = await trx.updateTable('contacts')
      .set({ ...values(input), updated_by: user.id, updated_at: new Date(), version: sql`version + 1` as never })
      .where('id', '=', contactId).where('version', '=', version).returningAll().executeTakeFirst()
    if (!after) {
      const current = await trx.selectFrom('contacts').selectAll().where('id', '=', contactId).executeTakeFirstOrThrow()
      const who = current.updated_by ? await trx.selectFrom('users').select('name').where('id', '=', current.updated_by).executeTakeFirst() : undefined
      throw new ConflictError(current, who?.name ?? null)
    }
    await refreshDerived(trx, customerId)
    await audit(trx, actor, { action: 'update', entity: 'contact', entityId: contactId, summary: after.name, before, after })
    return after
  })
}

export async function deleteContact(db: DB, actor: Actor, user: Principal, customerId: number, contactId: number) {
  const before = await getContact(db, user, customerId, contactId)
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('contacts').set({ deleted_at: new Date(), updated_by: user.id, version: sql`version + 1` as never }).where('id', '=', contactId).execute()
    await trx.updateTable('customers').set({ main_contact_id: null }).where('id', '=', customerId).where('main_contact_id', '=', contactId).execute()
    await refreshDerived(trx, customerId)
    await audit(trx, actor, { action: 'delete', entity: 'contact', entityId: contactId, summary: before.name })
  })
}

export async function setMainContact(db: DB, actor: Actor, user: Principal, customerId: number, contactId: number) {
  const customer = await getCustomer(db, user, customerId)
  await getContact(db, user, customerId, contactId)
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('customers').set({ main_contact_id: contactId, version: sql`version + 1` as never }).where('id', '=', customerId).execute()
    await audit(trx, actor, { action: 'update', entity: 'customer', entityId: customerId, summary: customer.code,
      before: { main_contact_id: customer.main_contact_id }, after: { main_contact_id: contactId } })
  })
}
