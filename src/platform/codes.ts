// Drop-down options from the code lists (数据字典): the enabled items of one kind in
// their set order. Every module's selects read this, so an administrator's change
// to a list shows everywhere at once.
import { sql, type SqlBool } from 'kysely'
import type { DB } from '../db/index.ts'

export interface CodeOption { code: string; label_zh: string; label_en: string; enabled: boolean }

/**
 * Enabled items of `kind`, ordered by sort then code. `keep` adds that code even when
 * it is disabled, so a record that still holds a retired value shows it when edited
 * instead of silently losing it.
 */
export async function codeOptions(db: DB, kind: string, opts: { keep?: string | null } = {}): Promise<CodeOption[]> {
  let q = db.selectFrom('code_items').select(['code', 'label_zh', 'label_en', 'enabled']).where('kind', '=', kind)
  const keep = opts.keep
  q = keep ? q.where((eb) => eb.or([eb('enabled', '=', true), eb('code', '=', keep)])) : q.where('enabled', '=', true)
  return q.orderBy('sort').orderBy('code').execute()
}

/** True when `code` is an enabled item of `kind` (what a form accepts for a new value). */
export async function isCode(db: DB, kind: string, code: string): Promise<boolean> {
  const row = await db.selectFrom('code_items').select('id')
    .where('kind', '=', kind).where('code', '=', code).where('enabled', '=', true).executeTakeFirst()
  return !!row
}

/** The same test as a condition, for a statement that checks several things at once. */
export function isCodeCondition(kind: string, code: string) {
  return sql<SqlBool>`exists (select 1 from code_items where kind = ${kind} and code = ${code} and enabled)`
}
