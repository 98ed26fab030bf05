// Customer rules: scope, review on entry, codes, derived search columns, version
// checks, soft delete. Every write runs in one transaction with its audit row.
import { sql, type Kysely, type SqlBool } from 'kysely'
import type { DB } from '../../db/index.ts'
import type { Database } from '../../db/types.ts'
import { audit, type Actor } from '../../platform/audit.ts'
import { ConflictError, oncePerToken } from '../../platform/concurrency.ts'
import { notFound } from '../../platform/errors.ts'
import { FormError, type FieldErrors } from '../../platform/forms.ts'
import { DEFAULT_LANG, translator } from '../../platform/i18n.ts'
import type { Principal } from '../../platform/principal.ts'
import { inScope } from '../../platform/scope.ts'
import { derive } from './derive.ts'
import { CODE_FIELDS, type CustomerInput } from './schemas.ts'
import { addTimeline } from './timeline.ts'

// what other modules use of the customer archive
export { addTimeline, timelinePage } from './timeline.ts'

type Tx = Kysely<Database>

export const CUSTOMER_PERMS = ['read', 'create', 'update', 'delete', 'review', 'export', 'print', 'assign'] as const

/** The customer if the user may see it in full; deleted ones only for those who may restore them. */
export async function findCustomer(db: Tx, user: Principal, id: number, opts: { includeDeleted?: boolean } = {}) {
  if (!Number.isSafeInteger(id) || id <= 0 || id > 2_147_483_647) return undefined
  let q = db.selectFrom('customers').selectAll().where('id', '=', id).where(inScope(user, 'customers.owner_id'))
  if (!opts.includeDeleted || !user.perms.has('customers.delete')) q = q.where('deleted_at', 'is', null)
  return q.executeTakeFirst()
}

/**
 * Conditions another module puts in a checks statement of its own (one round trip for
 * all of a form's references, see service-desk/numbers.ts): the customer exists, is not
 * deleted and is in the user's scope; the contact is a live contact of that customer.
 */
export function customerLinkChecks(user: Principal, customerId: number, contactId?: number) {
  const valid = Number.isSafeInteger(customerId) && customerId > 0 && customerId <= 2_147_483_647
  return {
    customer: valid
      ? sql<SqlBool>`exists (select 1 from customers where id = ${customerId} and deleted_at is null and ${inScope(user, 'customers.owner_id')})`
      : sql<SqlBool>`false`,
    contact: contactId === undefined ? sql<SqlBool>`true`
      : sql<SqlBool>`exists (select 1 from contacts where id = ${contactId} and customer_id = ${customerId} and deleted_at is null)`
  }
}

export async function getCustomer(db: Tx, user: Principal, id: number, opts: { includeDeleted?: boolean } = {}) {
  const c = await findCustomer(db, user, id, opts)
  if (!c) throw notFound()
  return c
}

/** Drop-down values must exist in their (enabled) code lists. */
export async function checkCodes(db: Tx, pairs: [field: string, kind: string, code: string | undefined | null][]): Promise<FieldErrors> {
  const wanted = pairs.filter((p) => p[2])
  if (!wanted.length) return {}
  const rows = await db.selectFrom('code_items').select(['kind', 'code'])
    .where('enabled', '=', true)
    .where((eb) => eb.or(wanted.map(([, kind, code]) => eb.and([eb('kind', '=', kind), eb('code', '=', code!)]))))
    .execute()
  const ok = new Set(rows.map((r) => `${r.kind}|${r.code}`))
  const errors: FieldErrors = {}
  for (const [field, kind, code] of wanted) if (!ok.has(`${kind}|${code}`)) errors[field] = { key: 'errors.invalidChoice' }
  return errors
}

async function validate(db: Tx, user: Principal, input: CustomerInput, currentOwner?: number): Promise<number> {
  const errors = await checkCodes(db, Object.entries(CODE_FIELDS).map(([f, kind]) => [f, kind, input[f as keyof typeof CODE_FIELDS] as string | undefined]))
  if (input.region_code) {
    const r = await db.selectFrom('regions').select('code').where('code', '=', input.region_code).executeTakeFirst()
    if (!r) errors.region_code = { key: 'errors.invalidChoice' }
  }
  // Choosing another owner needs the assign permission, and the owner must be an
  // active user this user can see; otherwise the owner stays as it is (or is the user).
  let owner = currentOwner ?? user.id
  if (input.owner_id && input.owner_id !== owner) {
    if (!user.perms.has('customers.assign')) errors.owner_id = { key: 'errors.forbiddenField' }
    else {
      const u = await db.selectFrom('users').select('id').where('id', '=', input.owner_id).where('active', '=', true)
        .where(inScope(user, 'users.id')).executeTakeFirst()
      if (!u) errors.owner_id = { key: 'errors.invalidChoice' }
      else owner = u.id
    }
  }
  if (Object.keys(errors).length) throw new FormError(errors)
  return owner
}

function columns(input: CustomerInput) {
  return {
    customer_type: input.customer_type, name: input.name, short_name: input.short_name ?? null, legal_rep: input.legal_rep ?? null,
    email: input.email ?? null, region_code: input.region_code ?? null, address: input.address ?? null, phone: input.phone ?? null,
    fax: input.fax ?? null, website: input.website ?? null, nature: input.nature ?? null, industry: input.industry ?? null,
    sales_channel: input.sales_channel ?? null, brands: input.brands ?? null, size: input.size ?? null, credit: input.credit ?? null,
    assessment: input.assessment ?? null, grade: input.grade, status: input.status, source: input.source ?? null,
    tags: [...new Set(input.tags)], collected_by: input.collected_by ?? null, remarks: input.remarks ?? null,
    ...(input.registered_on ? { registered_on: input.registered_on } : {})
  }
}

/** Recomputes the search columns and phone index of a customer from it and its live contacts. */
export async function refreshDerived(trx: Tx, customerId: number) {
  const c = await trx.selectFrom('customers').select(['code', 'name', 'short_name', 'email', 'phone', 'fax', 'customer_type'])
    .where('id', '=', customerId).executeTakeFirstOrThrow()
  const contacts = await trx.selectFrom('contacts').select(['id', 'name', 'office_phone', 'mobile', 'fax', 'email'])
    .where('customer_id', '=', customerId).where('deleted_at', 'is', null).execute()
  const d = derive({ ...c, contacts })
  await trx.updateTable('customers').set({
    name_initials: d.name_initials, first_letter: d.first_letter, search_grams: d.search_grams, search_text: d.search_text
  }).where('id', '=', customerId).execute()
  await trx.deleteFrom('customer_phones').where('customer_id', '=', customerId).execute()
  if (d.phones.length) {
    await trx.insertInto('customer_phones').values(d.phones.map((p) => ({ customer_id: customerId, ...p }))).execute()
  }
}

export async function nextCustomerCode(trx: Tx, type: string): Promise<string> {
  const { n } = await sql<{ n: number }>`select nextval('customer_code_seq')::int as n`.execute(trx).then((r) => r.rows[0])
  return `${type.toUpperCase()}-${String(n).padStart(6, '0')}`
}

export async function createCustomer(db: DB, actor: Actor, user: Principal, input: CustomerInput, formToken: unknown): Promise<{ id: number; repeated: boolean }> {
  const owner = await validate(db, user, input)
  const { result, repeated } = await oncePerToken(db, formToken, user.id, async (trx) => {
    const code = await nextCustomerCode(trx, input.customer_type)
    // entries by people who cannot review wait for a supervisor's approval
    const pending = !user.perms.has('customers.review')
    const row = await trx.insertInto('customers').values({
      ...columns(input), code, owner_id: owner, entered_by: user.id,
      review_state: pending ? 'pending' : 'approved', ...(pending ? {} : { reviewed_by: user.id, reviewed_at: new Date() })
    }).returningAll().executeTakeFirstOrThrow()
    await refreshDerived(trx, row.id)
    await addTimeline(trx, { customerId: row.id, kind: 'customer.created', title: `${code} ${row.name}`, userId: user.id })
    await audit(trx, actor, { action: 'create', entity: 'customer', entityId: row.id, summary: `${code} ${row.name}`, before: null, after: publicFields(row) })
    return String(row.id)
  })
  return { id: Number(result), repeated }
}

/** what the audit log records of a customer row (not the derived search columns) */
export function publicFields(row: Record<string, unknown>) {
  const { search_grams: _g, search_text: _t, name_initials: _i, first_letter: _f, ...rest } = row
  return rest
}

export async function updateCustomer(db: DB, actor: Actor, user: Principal, id: number, version: number, input: CustomerInput) {
  const before = await getCustomer(db, user, id)
  const owner = await validate(db, user, input, before.owner_id)
  // a customer sent back by the reviewer goes back into the queue when it is saved again
  const resubmit = before.review_state === 'rejected'
  return db.transaction().execute(async (trx) => {
    const after = await trx.updateTable('customers')
      .set({ ...columns(input), owner_id: owner, ...(resubmit ? { review_state: 'pending' } : {}), version: sql`version + 1`, updated_at: new Date() } as never)
      .where('id', '=', id).where('version', '=', version).where('deleted_at', 'is', null)
      .returningAll().executeTakeFirst()
    if (!after) await conflict(trx, id)
    await refreshDerived(trx, id)
    const changes = publicFields(after!)
    await audit(trx, actor, { action: 'update', entity: 'customer', entityId: id, summary: `${before.code} ${after!.name}`, before: publicFields(before), after: changes })
    if (resubmit) await addTimeline(trx, { customerId: id, kind: 'customer.resubmitted', title: translator(DEFAULT_LANG)('customerAdmin.tl.resubmitted'), userId: user.id })
    if (before.status !== after!.status || before.grade !== after!.grade) {
      await addTimeline(trx, { customerId: id, kind: 'customer.status', title: `${before.grade}/${before.status} → ${after!.grade}/${after!.status}`, userId: user.id })
    }
    return after!
  })
}

/** Raises the conflict with the row as it is now and who last touched it. */
export async function conflict(trx: Tx, id: number): Promise<never> {
  const current = await trx.selectFrom('customers').selectAll().where('id', '=', id).executeTakeFirst()
  if (!current || current.deleted_at) throw notFound()
  const last = await trx.selectFrom('audit_log').select('user_name').where('entity', '=', 'customer').where('entity_id', '=', String(id))
    .orderBy('id', 'desc').limit(1).executeTakeFirst()
  throw new ConflictError(current, last?.user_name ?? null)
}

export async function softDeleteCustomer(db: DB, actor: Actor, user: Principal, id: number) {
  const before = await getCustomer(db, user, id)
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('customers').set({ deleted_at: new Date(), deleted_by: user.id, version: sql`version + 1` as never })
      .where('id', '=', id).execute()
    await audit(trx, actor, { action: 'delete', entity: 'customer', entityId: id, summary: `${before.code} ${before.name}` })
  })
}

export async function restoreCustomer(db: DB, actor: Actor, user: Principal, id: number) {
  const before = await getCustomer(db, user, id, { includeDeleted: true })
  if (!before.deleted_at) return
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('customers').set({ deleted_at: null, deleted_by: null, version: sql`version + 1` as never }).where('id', '=', id).execute()
    await audit(trx, actor, { action: 'restore', entity: 'customer', entityId: id, summary: `${before.code} ${before.name}` })
  })
}
