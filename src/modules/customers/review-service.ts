// Review (审核): customers entered by people without the review permission wait
// here until a supervisor approves them or sends them back to the owner with a
// reason. The owner's next save resubmits a returned customer (see updateCustomer).
import { sql } from 'kysely'
import type { DB } from '../../db/index.ts'
import { audit, type Actor } from '../../platform/audit.ts'
import { HttpError } from '../../platform/errors.ts'
import { DEFAULT_LANG, translator } from '../../platform/i18n.ts'
import type { Principal } from '../../platform/principal.ts'
import { inScope } from '../../platform/scope.ts'
import { conflict, getCustomer } from './service.ts'
import { addTimeline } from './timeline.ts'

export const REVIEW_PAGE = 50
/** the queue's headline count stops here: bounded work whatever the backlog */
export const REVIEW_COUNT_CAP = 1000

// Timeline titles are data read by everyone later, so they are written once in the
// office's default language rather than the reviewer's.
const tl = translator(DEFAULT_LANG)

/** Pending customers in the reviewer's scope, oldest first, keyset on id. */
export async function reviewQueue(db: DB, user: Principal, after?: number) {
  let q = db.selectFrom('customers as c')
    .leftJoin('users as o', 'o.id', 'c.owner_id')
    .leftJoin('users as e', 'e.id', 'c.entered_by')
    .leftJoin('contacts as k', 'k.id', 'c.main_contact_id')
    .select(['c.id', 'c.code', 'c.name', 'c.customer_type', 'c.grade', 'c.status', 'c.phone', 'c.email', 'c.industry',
      'c.created_at', 'c.review_note', 'c.version', 'o.name as owner_name', 'e.name as entered_by_name', 'k.name as contact_name'])
    .where('c.review_state', '=', 'pending').where('c.deleted_at', 'is', null).where('c.merged_into', 'is', null)
    .where(inScope(user, 'c.owner_id'))
  if (after) q = q.where('c.id', '>', after)
  const rows = await q.orderBy('c.id').limit(REVIEW_PAGE + 1).execute()
  const more = rows.length > REVIEW_PAGE
  const page = rows.slice(0, REVIEW_PAGE)
  return { rows: page, next: more ? page[page.length - 1].id : null }
}

/** how many customers wait for this reviewer, capped */
export async function pendingCount(db: DB, user: Principal) {
  const inner = db.selectFrom('customers as c').select(sql`1`.as('x'))
    .where('c.review_state', '=', 'pending').where('c.deleted_at', 'is', null).where('c.merged_into', 'is', null)
    .where(inScope(user, 'c.owner_id')).limit(REVIEW_COUNT_CAP + 1)
  const r = await db.selectFrom(inner.as('t')).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
  return { n: Math.min(Number(r.n), REVIEW_COUNT_CAP), capped: Number(r.n) > REVIEW_COUNT_CAP }
}

type Decision = { action: 'approve' } | { action: 'reject'; reason: string }

/**
 * Approves or rejects one pending customer. The version the reviewer saw must still
 * be current (someone may have edited or reviewed it meanwhile): otherwise a
 * ConflictError, and nothing is written.
 */
export async function decide(db: DB, actor: Actor, user: Principal, id: number, version: number, d: Decision) {
  const before = await getCustomer(db, user, id)
  if (before.version === version && before.review_state !== 'pending') throw new HttpError(409, 'customerAdmin.review.notPending')
  const now = new Date()
  const next = d.action === 'approve'
    ? { review_state: 'approved' as const, review_note: null, reviewed_by: user.id, reviewed_at: now }
    : { review_state: 'rejected' as const, review_note: d.reason, reviewed_by: user.id, reviewed_at: now }
  return db.transaction().execute(async (trx) => {
    const after = await trx.updateTable('customers')
      .set({ ...next, version: sql`version + 1` as never, updated_at: now })
      .where('id', '=', id).where('version', '=', version).where('review_state', '=', 'pending').where('deleted_at', 'is', null)
      .returning(['id', 'review_state', 'review_note', 'reviewed_by', 'reviewed_at', 'version']).executeTakeFirst()
    if (!after) await conflict(trx, id)
    const pick = (r: Record<string, unknown>) => ({ review_state: r.review_state, review_note: r.review_note, reviewed_by: r.reviewed_by, reviewed_at: r.reviewed_at })
    await audit(trx, actor, { action: d.action, entity: 'customer', entityId: id, summary: `${before.code} ${before.name}`, before: pick(before), after: pick(after!) })
    await addTimeline(trx, {
      customerId: id, kind: d.action === 'approve' ? 'customer.approved' : 'customer.rejected', userId: user.id, at: now,
      title: d.action === 'approve' ? tl('customerAdmin.tl.approved') : tl('customerAdmin.tl.rejected', { reason: d.reason })
    })
    return after!
  })
}

/** the owner's customers that came back from review, newest first (workbench) */
export async function returnedToOwner(db: DB, userId: number, limit = 20) {
  return db.selectFrom('customers').select(['id', 'code', 'name', 'review_note', 'reviewed_at'])
    .where('owner_id', '=', userId).where('review_state', '=', 'rejected').where('deleted_at', 'is', null).where('merged_into', 'is', null)
    .orderBy('id', 'desc').limit(limit).execute()
}

/** the oldest pending customer's creation time in scope, for the reminder's date */
export async function oldestPending(db: DB, user: Principal) {
  return db.selectFrom('customers as c').select(['c.created_at'])
    .where('c.review_state', '=', 'pending').where('c.deleted_at', 'is', null).where('c.merged_into', 'is', null)
    .where(inScope(user, 'c.owner_id')).orderBy('c.id').limit(1).executeTakeFirst()
}
