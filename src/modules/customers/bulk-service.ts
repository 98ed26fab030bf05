// Bulk changes on many customers at once: transfer to another owner (客户转移), grade,
// status, add or remove a tag. The targets are either ticked rows or "everything the
// current filter finds"; the preview shows the count, the apply re-checks scope in SQL
// and changes the rows set-based, in batches, inside one transaction, with one audit
// row and (for owner/grade/status) one timeline row per customer actually changed.
import { sql, type Kysely } from 'kysely'
import type { DB } from '../../db/index.ts'
import type { Database } from '../../db/types.ts'
import { type Actor } from '../../platform/audit.ts'
import { HttpError, notFound } from '../../platform/errors.ts'
import { FormError } from '../../platform/forms.ts'
import { DEFAULT_LANG, translator } from '../../platform/i18n.ts'
import type { Principal } from '../../platform/principal.ts'
import { inScope } from '../../platform/scope.ts'
import { applyFilters, listQuerySchema, type ListQuery } from './queries.ts'
import { isTimeout, withSearchSettings } from './search.ts'
import type { CustomerStatus, Grade } from './tables.ts'

type Tx = Kysely<Database>

/** most customers one bulk action may touch: bounded work per request */
export const BULK_MAX = 5000
const BATCH = 500
export const PREVIEW_ROWS = 20

export const BULK_ACTIONS = ['transfer', 'grade', 'status', 'tag_add', 'tag_remove'] as const
export type BulkAction = (typeof BULK_ACTIONS)[number]

export type BulkOp =
  | { action: 'transfer'; ownerId: number }
  | { action: 'grade'; grade: Grade }
  | { action: 'status'; status: CustomerStatus }
  | { action: 'tag_add' | 'tag_remove'; tag: string }

export type Target = { kind: 'selected'; ids: number[] } | { kind: 'filter'; filter: ListQuery }

/** transfer needs customers.assign, the other actions customers.update */
export const permissionFor = (action: BulkAction) => (action === 'transfer' ? 'customers.assign' : 'customers.update')

/** Thrown at apply time when the targets are no longer what the preview counted. */
export class TargetsChanged extends Error {
  constructor(public count: number) { super('bulk targets changed') }
}

/** A list filter carried as a query string (bulk "all filtered", saved filters); null when invalid. */
export function parseFilter(qs: unknown): ListQuery | null {
  if (qs !== undefined && typeof qs !== 'string') return null
  const obj: Record<string, string | string[]> = {}
  for (const [k, v] of new URLSearchParams(qs ?? '')) obj[k] = k in obj ? [obj[k]].flat().concat(v) : v
  const r = listQuerySchema.safeParse(obj)
  return r.success ? { ...r.data, after: undefined } : null
}

/** live customers in scope that the target names, as a query on `customers as c` */
function targetQuery(db: Tx, user: Principal, target: Target) {
  const base = db.selectFrom('customers as c')
  if (target.kind === 'filter') return applyFilters(base, user, { ...target.filter, deleted: undefined, after: undefined })
  return base.where(inScope(user, 'c.owner_id')).where('c.deleted_at', 'is', null).where('c.merged_into', 'is', null)
    .where('c.id', 'in', target.ids.length ? target.ids : [0])
}

export interface Preview {
  count: number
  tooMany: boolean
  rows: { id: number; code: string; name: string; grade: string; status: string; tags: string[]; owner_name: string | null }[]
}

/**
 * What an action would touch. Ticked rows that do not exist or are out of scope make
 * the whole request a 404, as for any single record.
 */
export async function previewTargets(db: DB, user: Principal, target: Target): Promise<Preview> {
  // a search term in the filter runs with the search's timeout and plan settings, as on the list
  if (target.kind === 'filter' && target.filter.q !== undefined) {
    try {
      return await withSearchSettings(db, (trx) => preview(trx, user, target))
    } catch (e) {
      if (isTimeout(e)) throw new HttpError(422, 'customerSearch.timeout')
      throw e
    }
  }
  return preview(db, user, target)
}

async function preview(db: Tx, user: Principal, target: Target): Promise<Preview> {
  const counted = targetQuery(db, user, target).select(sql`1`.as('x')).limit(BULK_MAX + 1)
  const n = Number((await db.selectFrom(counted.as('t')).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n)
  if (target.kind === 'selected' && n !== target.ids.length) throw notFound()
  const rows = await targetQuery(db, user, target).leftJoin('users as o', 'o.id', 'c.owner_id')
    .select(['c.id', 'c.code', 'c.name', 'c.grade', 'c.status', 'c.tags', 'o.name as owner_name'])
    .orderBy('c.id', 'desc').limit(PREVIEW_ROWS).execute()
  return { count: Math.min(n, BULK_MAX), tooMany: n > BULK_MAX, rows }
}

/** Permission and value checks that come before any preview or write. */
export async function checkOp(db: DB, user: Principal, op: BulkOp) {
  if (!user.perms.has(permissionFor(op.action))) throw new HttpError(403, 'errors.forbidden')
  if (op.action === 'transfer') {
    const u = await db.selectFrom('users').select('id').where('id', '=', op.ownerId).where('active', '=', true)
      .where(inScope(user, 'users.id')).executeTakeFirst()
    if (!u) throw new FormError({ owner_id: { key: 'errors.invalidChoice' } })
  }
}

interface Locked { id: number; code: string; name: string; owner_id: number; grade: Grade; status: CustomerStatus; tags: string[] }

/** whether the op changes this row, and the audit's before/after of the field it touches */
function change(op: BulkOp, r: Locked): { field: string; before: unknown; after: unknown } | null {
  switch (op.action) {
    case 'transfer': return r.owner_id === op.ownerId ? null : { field: 'owner_id', before: r.owner_id, after: op.ownerId }
    case 'grade': return r.grade === op.grade ? null : { field: 'grade', before: r.grade, after: op.grade }
    case 'status': return r.status === op.status ? null : { field: 'status', before: r.status, after: op.status }
    case 'tag_add': return r.tags.includes(op.tag) ? null : { field: 'tags', before: r.tags, after: [...r.tags, op.tag] }
    case 'tag_remove': return !r.tags.includes(op.tag) ? null : { field: 'tags', before: r.tags, after: r.tags.filter((g) => g !== op.tag) }
  }
}

function setClause(op: BulkOp) {
  switch (op.action) {
    case 'transfer': return { owner_id: op.ownerId }
    case 'grade': return { grade: op.grade }
    case 'status': return { status: op.status }
    case 'tag_add': return { tags: sql`array_append(tags, ${op.tag}::text)` }
    case 'tag_remove': return { tags: sql`array_remove(tags, ${op.tag}::text)` }
  }
}

export interface BulkResult { changed: number; unchanged: number; reportId: number }

/**
 * Applies `op` to the targets. `expected` is the count the user saw on the preview:
 * if the targets changed since (new customers match the filter, some were moved
 * away), nothing is written and TargetsChanged carries the new count.
 */
export async function applyBulk(db: DB, actor: Actor, user: Principal, target: Target, op: BulkOp, expected: number): Promise<BulkResult> {
  await checkOp(db, user, op)
  const tl = translator(DEFAULT_LANG)
  return db.transaction().execute(async (trx) => {
    // lock the targets, re-checking scope and liveness in SQL now, not at preview time
    const locked = await targetQuery(trx, user, target)
      .select(['c.id', 'c.code', 'c.name', 'c.owner_id', 'c.grade', 'c.status', 'c.tags'])
      .orderBy('c.id').limit(BULK_MAX + 1).forUpdate().execute() as Locked[]
    if (target.kind === 'selected' && locked.length !== target.ids.length) throw notFound()
    if (locked.length > BULK_MAX) throw new HttpError(422, 'customerAdmin.bulk.tooMany', { max: BULK_MAX })
    if (locked.length !== expected) throw new TargetsChanged(locked.length)

    const todo = locked.map((r) => ({ r, c: change(op, r) })).filter((x) => x.c) as { r: Locked; c: NonNullable<ReturnType<typeof change>> }[]
    const names = op.action === 'transfer' ? await ownerNames(trx, [op.ownerId, ...todo.map((x) => x.r.owner_id)]) : new Map<number, string>()
    const now = new Date()
    for (let i = 0; i < todo.length; i += BATCH) {
      const batch = todo.slice(i, i + BATCH)
      await trx.updateTable('customers').set({ ...setClause(op), version: sql`version + 1`, updated_at: now } as never)
        .where('id', 'in', batch.map((x) => x.r.id)).execute()
      await trx.insertInto('audit_log').values(batch.map(({ r, c }) => ({
        ...actorColumns(actor), action: op.action === 'transfer' ? 'transfer' : 'update', entity: 'customer', entity_id: String(r.id),
        summary: `${r.code} ${r.name}`.slice(0, 300), changes: JSON.stringify({ [c.field]: [c.before, c.after] })
      }))).execute()
      const timeline = batch.flatMap(({ r }) => {
        if (op.action === 'transfer') {
          return [{ customer_id: r.id, kind: 'customer.transfer', at: now, user_id: user.id, ref_id: null, href: null,
            title: tl('customerAdmin.tl.transferred', { from: names.get(r.owner_id) ?? '', to: names.get(op.ownerId) ?? '' }).slice(0, 300) }]
        }
        if (op.action === 'grade' || op.action === 'status') {
          const g = op.action === 'grade' ? op.grade : r.grade, s = op.action === 'status' ? op.status : r.status
          return [{ customer_id: r.id, kind: 'customer.status', at: now, user_id: user.id, ref_id: null, href: null, title: `${r.grade}/${r.status} → ${g}/${s}` }]
        }
        return []
      })
      if (timeline.length) await trx.insertInto('customer_timeline').values(timeline).execute()
    }
    // one more row for the operation as a whole: who did what to how many, and the
    // report page the user is sent to reads it
    const report = await trx.insertInto('audit_log').values({
      ...actorColumns(actor), action: 'bulk', entity: 'customer_bulk', entity_id: null,
      summary: `${op.action} ${opValue(op)}: ${todo.length}/${locked.length}`.slice(0, 300),
      changes: JSON.stringify({
        action: op.action, value: opValue(op), target: target.kind,
        ...(target.kind === 'filter' ? { filter: target.filter } : {}),
        matched: locked.length, changed: todo.length, changed_ids: todo.map((x) => x.r.id)
      })
    }).returning('id').executeTakeFirstOrThrow()
    return { changed: todo.length, unchanged: locked.length - todo.length, reportId: Number(report.id) }
  })
}

export function opValue(op: BulkOp): string | number {
  return op.action === 'transfer' ? op.ownerId : op.action === 'grade' ? op.grade : op.action === 'status' ? op.status : op.tag
}

// the same columns audit() in platform/audit.ts writes; rows are inserted here in one
// statement per batch because a transfer of thousands of customers cannot afford a
// round trip per row
function actorColumns(actor: Actor) {
  return { user_id: actor.userId, user_name: actor.userName, ip: actor.ip, request_id: actor.requestId }
}

async function ownerNames(trx: Tx, ids: number[]) {
  const rows = await trx.selectFrom('users').select(['id', 'name']).where('id', 'in', [...new Set(ids)]).execute()
  return new Map(rows.map((u) => [u.id, u.name]))
}

/** the report of a bulk action, for the user who ran it only */
export async function bulkReport(db: DB, user: Principal, id: number) {
  const row = await db.selectFrom('audit_log').select(['id', 'at', 'summary', 'changes'])
    .where('id', '=', id).where('entity', '=', 'customer_bulk').where('user_id', '=', user.id).executeTakeFirst()
  if (!row) throw notFound()
  const d = (typeof row.changes === 'string' ? JSON.parse(row.changes) : row.changes) as {
    action: BulkAction; value: string | number; matched: number; changed: number; changed_ids: number[]
  }
  const first = d.changed_ids.slice(0, PREVIEW_ROWS)
  const rows = first.length
    ? await db.selectFrom('customers as c').leftJoin('users as o', 'o.id', 'c.owner_id')
      .select(['c.id', 'c.code', 'c.name', 'c.grade', 'c.status', 'c.tags', 'o.name as owner_name'])
      .where('c.id', 'in', first).where(inScope(user, 'c.owner_id')).orderBy('c.id', 'desc').execute()
    : []
  const owner = d.action === 'transfer'
    ? await db.selectFrom('users').select('name').where('id', '=', Number(d.value)).executeTakeFirst()
    : undefined
  return { at: row.at, ...d, rows, ownerName: owner?.name ?? null }
}
