// Saved list filters: a user names the current filter and finds it again later.
import { sql } from 'kysely'
import type { DB } from '../../db/index.ts'
import { audit, type Actor } from '../../platform/audit.ts'
import { notFound } from '../../platform/errors.ts'

export interface SavedFilter { id: number; name: string; query: string }

const SHOWN = 50

export async function listSavedFilters(db: DB, userId: number, module: string): Promise<SavedFilter[]> {
  return db.selectFrom('saved_filters').select(['id', 'name', 'query']).where('user_id', '=', userId).where('module', '=', module)
    .orderBy('name').limit(SHOWN).execute()
}

/**
 * The same list as one JSON value, for a page's main statement to carry as a column
 * (the customer list does): a statement less per page, which under load costs more
 * than the subquery (see queries.ts listCustomers).
 */
export function savedFiltersJson(db: DB, userId: number, module: string) {
  const shown = db.selectFrom('saved_filters').select(['id', 'name', 'query']).where('user_id', '=', userId).where('module', '=', module)
    .orderBy('name').limit(sql.lit(SHOWN))
  return db.selectFrom(shown.as('f')).select(sql<SavedFilter[]>`coalesce(json_agg(f order by f.name), '[]')`.as('saved'))
}

/** saving under an existing name replaces that filter */
export async function saveFilter(db: DB, actor: Actor, userId: number, module: string, name: string, query: string) {
  await db.transaction().execute(async (trx) => {
    const row = await trx.insertInto('saved_filters').values({ user_id: userId, module, name, query })
      .onConflict((oc) => oc.columns(['user_id', 'module', 'name']).doUpdateSet({ query }))
      .returning('id').executeTakeFirstOrThrow()
    await audit(trx, actor, { action: 'save', entity: 'saved_filter', entityId: row.id, summary: name, detail: { module, query } })
  })
}

export async function deleteFilter(db: DB, actor: Actor, userId: number, id: number) {
  const row = await db.selectFrom('saved_filters').select(['id', 'name']).where('id', '=', id).where('user_id', '=', userId).executeTakeFirst()
  if (!row) throw notFound()
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('saved_filters').where('id', '=', id).execute()
    await audit(trx, actor, { action: 'delete', entity: 'saved_filter', entityId: id, summary: row.name })
  })
}
