// Code lists (数据字典): the items behind every drop-down. An item that records use
// (counted through platform/code-usage.ts) keeps its code and cannot be deleted,
// only disabled, so old records keep their meaning.
import { sql } from 'kysely'
import type { DB } from '../../db/index.ts'
import { audit, type Actor } from '../../platform/audit.ts'
import { codeUsage } from '../../platform/code-usage.ts'
import { notFound } from '../../platform/errors.ts'
import { Conflict, isUniqueViolation, lastEditor, Refusal } from './shared.ts'

export async function listKinds(db: DB) {
  return db.selectFrom('code_kinds as k')
    .select(['k.kind', 'k.name_zh', 'k.name_en'])
    .select((eb) => [
      eb.selectFrom('code_items as i').select(eb.fn.countAll<number>().as('n')).whereRef('i.kind', '=', 'k.kind').as('items'),
      eb.selectFrom('code_items as i').select(eb.fn.countAll<number>().as('n')).whereRef('i.kind', '=', 'k.kind').where('i.enabled', '=', true).as('enabled')
    ])
    .orderBy('k.sort').orderBy('k.kind').execute()
}

export const getKind = (db: DB, kind: string) => db.selectFrom('code_kinds').selectAll().where('kind', '=', kind).executeTakeFirst()

/** Items of a kind with how many records use each (what decides delete or disable). */
export async function listItems(db: DB, kind: string) {
  const items = await db.selectFrom('code_items').selectAll().where('kind', '=', kind).orderBy('sort').orderBy('code').execute()
  const out = []
  for (const i of items) out.push({ ...i, uses: await codeUsage(db, kind, i.code) })
  return out
}

export const getItem = (db: DB, kind: string, id: number) =>
  db.selectFrom('code_items').selectAll().where('kind', '=', kind).where('id', '=', id).executeTakeFirst()

export interface ItemInput { code: string; labelZh: string; labelEn: string; sort: number; enabled: boolean }

type ItemRow = NonNullable<Awaited<ReturnType<typeof getItem>>>
const auditView = (i: ItemRow) => ({ kind: i.kind, code: i.code, label_zh: i.label_zh, label_en: i.label_en, sort: i.sort, enabled: i.enabled })

async function refuseTakenCode(trx: DB, kind: string, code: string, exceptId?: number) {
  let q = trx.selectFrom('code_items').select('id').where('kind', '=', kind).where('code', '=', code)
  if (exceptId) q = q.where('id', '<>', exceptId)
  if (await q.executeTakeFirst()) throw new Refusal('admin.codes.codeTaken', { code }, 'code')
}

// the (kind, code) unique constraint settles a race between two admins
async function guardCode<T>(code: string, fn: () => Promise<T>): Promise<T> {
  try { return await fn() } catch (e) {
    if (isUniqueViolation(e)) throw new Refusal('admin.codes.codeTaken', { code }, 'code')
    throw e
  }
}

export async function createItem(db: DB, actor: Actor, kind: string, input: ItemInput) {
  return guardCode(input.code, () => db.transaction().execute(async (trx) => {
    await refuseTakenCode(trx, kind, input.code)
    const row = await trx.insertInto('code_items').values({
      kind, code: input.code, label_zh: input.labelZh, label_en: input.labelEn, sort: input.sort, enabled: input.enabled
    }).returningAll().executeTakeFirstOrThrow()
    await audit(trx, actor, { action: 'create', entity: 'code_item', entityId: row.id, summary: `${kind}:${row.code}`, after: auditView(row) })
    return row
  }))
}

export async function updateItem(db: DB, actor: Actor, kind: string, id: number, input: ItemInput & { version: number }) {
  return guardCode(input.code, () => db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('code_items').selectAll().where('kind', '=', kind).where('id', '=', id).forUpdate().executeTakeFirst()
    if (!before) throw notFound()
    if (before.version !== input.version) {
      throw new Conflict(await lastEditor(trx, 'code_item', id), {
        code: before.code, label_zh: before.label_zh, label_en: before.label_en, sort: before.sort, enabled: before.enabled
      }, before.version)
    }
    if (input.code !== before.code) {
      // records hold the code itself: renaming a used code would orphan them
      const uses = await codeUsage(trx, kind, before.code)
      if (uses) throw new Refusal('admin.codes.codeInUse', { n: uses }, 'code')
      await refuseTakenCode(trx, kind, input.code, id)
    }
    const changed = input.code !== before.code || input.labelZh !== before.label_zh || input.labelEn !== before.label_en ||
      input.sort !== before.sort || input.enabled !== before.enabled
    if (!changed) return before
    const after = await trx.updateTable('code_items').set({
      code: input.code, label_zh: input.labelZh, label_en: input.labelEn, sort: input.sort, enabled: input.enabled,
      version: sql`version + 1`, updated_at: sql`now()`
    }).where('id', '=', id).returningAll().executeTakeFirstOrThrow()
    await audit(trx, actor, { action: 'update', entity: 'code_item', entityId: id, summary: `${kind}:${after.code}`, before: auditView(before), after: auditView(after) })
    return after
  }))
}

export async function deleteItem(db: DB, actor: Actor, kind: string, id: number) {
  return db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('code_items').selectAll().where('kind', '=', kind).where('id', '=', id).forUpdate().executeTakeFirst()
    if (!before) throw notFound()
    const uses = await codeUsage(trx, kind, before.code)
    if (uses) throw new Refusal('admin.codes.inUse', { n: uses, code: before.code })
    await trx.deleteFrom('code_items').where('id', '=', id).execute()
    await audit(trx, actor, { action: 'delete', entity: 'code_item', entityId: id, summary: `${kind}:${before.code}`, before: auditView(before), after: null })
  })
}
