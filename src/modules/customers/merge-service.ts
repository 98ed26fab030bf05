// Merge (合并) two customer records that are the same company: the survivor keeps
// its code and takes the chosen value per field; contacts, demand and communication
// records, timeline rows, phones and every other module's references move to it;
// the absorbed record is marked merged (its old address leads to the survivor).
// The audit rows hold both full before-images, the choices and the moved ids, so a
// merge can be undone by hand from the log.
import { sql, type Kysely } from 'kysely'
import type { DB } from '../../db/index.ts'
import type { Database } from '../../db/types.ts'
import { audit, diff, type Actor } from '../../platform/audit.ts'
import { FormError } from '../../platform/forms.ts'
import { DEFAULT_LANG, translator } from '../../platform/i18n.ts'
import { notFound } from '../../platform/errors.ts'
import type { Principal } from '../../platform/principal.ts'
import { inScope } from '../../platform/scope.ts'
import { conflict, findCustomer, getCustomer, publicFields, refreshDerived } from './service.ts'
import { addTimeline } from './timeline.ts'

type Tx = Kysely<Database>

/** The fields whose surviving value the supervisor picks (the code and type stay the survivor's). */
export const MERGE_FIELDS = [
  'name', 'short_name', 'legal_rep', 'email', 'phone', 'fax', 'website', 'region_code', 'address', 'nature', 'industry',
  'sales_channel', 'brands', 'size', 'credit', 'assessment', 'grade', 'status', 'source', 'owner_id', 'registered_on',
  'collected_by', 'remarks'
] as const
export type MergeField = (typeof MERGE_FIELDS)[number]
export type Side = 'a' | 'b'
export type Choices = Record<MergeField, Side>

/**
 * Other modules' references to customers (requests, complaints, orders…) move with a
 * merge. A module registers one handler at import time; it runs inside the merge's
 * transaction, after the customer archive's own rows moved and before the absorbed
 * record is marked merged. What it returns (e.g. the moved ids) goes into the audit
 * rows under `moved.others`, so the merge stays reversible from the log:
 *
 *   registerMergeHandler(async (trx, fromId, toId) => {
 *     const r = await trx.updateTable('service_requests').set({ customer_id: toId })
 *       .where('customer_id', '=', fromId).returning('id').execute()
 *     return { service_requests: r.map((x) => x.id) }
 *   })
 */
export type MergeHandler = (trx: Tx, fromId: number, toId: number) => Promise<unknown>
const handlers: MergeHandler[] = []

export function registerMergeHandler(handler: MergeHandler) {
  if (!handlers.includes(handler)) handlers.push(handler)
}

const isEmpty = (v: unknown) => v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0)

/** the survivor's value unless it is empty and the other one is not */
export function defaultChoices(a: Record<string, unknown>, b: Record<string, unknown>): Choices {
  return Object.fromEntries(MERGE_FIELDS.map((f) => [f, isEmpty(a[f]) && !isEmpty(b[f]) ? 'b' : 'a'])) as Choices
}

/** A live, unmerged customer in scope by id or by code (A-000123); undefined otherwise. */
export async function findByRef(db: DB, user: Principal, ref: string) {
  const v = ref.trim()
  if (/^\d{1,10}$/.test(v)) return findCustomer(db, user, Number(v))
  if (!/^[A-Za-z0-9_]{1,10}-\d{1,12}$/.test(v)) return undefined
  return db.selectFrom('customers').selectAll().where('code', '=', v.toUpperCase()).where('deleted_at', 'is', null)
    .where('merged_into', 'is', null).where(inScope(user, 'customers.owner_id')).executeTakeFirst()
}

/** how much hangs off a customer: shown beside each side before merging */
export async function attachedCounts(db: DB, id: number) {
  const n = async (table: 'contacts' | 'demand_records' | 'communications' | 'customer_timeline') =>
    Number((await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).where('customer_id', '=', id).executeTakeFirstOrThrow()).n)
  const [contacts, demands, communications, timeline] = await Promise.all([n('contacts'), n('demand_records'), n('communications'), n('customer_timeline')])
  return { contacts, demands, communications, timeline }
}

export interface MergeInput { a: number; b: number; va: number; vb: number; choices: Choices }

/** Checks that need the database before the transaction: who may become owner. */
async function checkChoices(db: DB, user: Principal, a: { owner_id: number }, b: { owner_id: number }, choices: Choices) {
  if (choices.owner_id !== 'b' || a.owner_id === b.owner_id) return
  if (!user.perms.has('customers.assign')) throw new FormError({ p_owner_id: { key: 'errors.forbiddenField' } })
  const u = await db.selectFrom('users').select('id').where('id', '=', b.owner_id).where('active', '=', true)
    .where(inScope(user, 'users.id')).executeTakeFirst()
  if (!u) throw new FormError({ p_owner_id: { key: 'customerAdmin.merge.ownerInactive' } })
}

export async function mergeCustomers(db: DB, actor: Actor, user: Principal, input: MergeInput) {
  if (input.a === input.b) throw new FormError({ b: { key: 'customerAdmin.merge.same' } })
  const [a0, b0] = [await getCustomer(db, user, input.a), await getCustomer(db, user, input.b)]
  await checkChoices(db, user, a0, b0, input.choices)
  const tl = translator(DEFAULT_LANG)
  return db.transaction().execute(async (trx) => {
    // lock both in id order (two merges of the same pair cannot deadlock), re-checking scope
    const locked = await trx.selectFrom('customers').selectAll().where('id', 'in', [input.a, input.b])
      .where(inScope(user, 'customers.owner_id')).where('deleted_at', 'is', null).where('merged_into', 'is', null)
      .orderBy('id').forUpdate().execute()
    const A = locked.find((r) => r.id === input.a), B = locked.find((r) => r.id === input.b)
    if (!A || !B) throw notFound()
    if (A.version !== input.va) await conflict(trx, A.id)
    if (B.version !== input.vb) await conflict(trx, B.id)

    const now = new Date()
    const values: Record<string, unknown> = {}
    for (const f of MERGE_FIELDS) values[f] = input.choices[f] === 'b' ? B[f] : A[f]
    const survivor = await trx.updateTable('customers').set({
      ...values, tags: [...new Set([...A.tags, ...B.tags])], main_contact_id: A.main_contact_id ?? B.main_contact_id,
      version: sql`version + 1`, updated_at: now
    } as never).where('id', '=', A.id).returningAll().executeTakeFirstOrThrow()

    const ids = (rows: { id: number | string }[]) => rows.map((r) => Number(r.id))
    const moved: Record<string, unknown> = {
      contacts: ids(await trx.updateTable('contacts').set({ customer_id: A.id, version: sql`version + 1` as never })
        .where('customer_id', '=', B.id).returning('id').execute()),
      demand_records: ids(await trx.updateTable('demand_records').set({ customer_id: A.id, version: sql`version + 1` as never })
        .where('customer_id', '=', B.id).returning('id').execute()),
      communications: ids(await trx.updateTable('communications').set({ customer_id: A.id })
        .where('customer_id', '=', B.id).returning('id').execute()),
      customer_timeline: ids(await trx.updateTable('customer_timeline').set({ customer_id: A.id })
        .where('customer_id', '=', B.id).returning('id').execute())
    }
    const others: unknown[] = []
    for (const h of handlers) {
      const r = await h(trx, B.id, A.id)
      if (r !== undefined) others.push(r)
    }
    if (others.length) moved.others = others
    await trx.deleteFrom('customer_phones').where('customer_id', '=', B.id).execute()
    await refreshDerived(trx, A.id)
    await trx.updateTable('customers').set({
      merged_into: A.id, deleted_at: now, deleted_by: user.id, main_contact_id: null, version: sql`version + 1` as never, updated_at: now
    }).where('id', '=', B.id).execute()

    const absorbed = publicFields(B)
    const after = await trx.selectFrom('customers').selectAll().where('id', '=', A.id).executeTakeFirstOrThrow()
    await audit(trx, actor, {
      action: 'merge', entity: 'customer', entityId: A.id, summary: `${A.code} ← ${B.code} ${B.name}`,
      detail: { absorbed_id: B.id, changes: diff(publicFields(A), publicFields(after)), choices: input.choices, moved, survivor_before: publicFields(A), absorbed_before: absorbed }
    })
    await audit(trx, actor, {
      action: 'merge', entity: 'customer', entityId: B.id, summary: `${B.code} → ${A.code} ${survivor.name}`,
      detail: { merged_into: A.id, choices: input.choices, moved, absorbed_before: absorbed }
    })
    await addTimeline(trx, { customerId: A.id, kind: 'merge.absorbed', refId: B.id, userId: user.id, at: now,
      title: tl('customerAdmin.tl.merged', { code: B.code, name: B.name }) })
    return after
  })
}
