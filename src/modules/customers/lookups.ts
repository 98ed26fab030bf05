// Labels and options for the customer pages' drop-downs, read for several code
// lists in one query and kept for a few seconds: the list page is the hottest page
// in the product and code lists change a few times a year.
import type { DB } from '../../db/index.ts'
import { label, type Lang } from '../../platform/i18n.ts'

export const CUSTOMER_CODE_KINDS = ['customer_type', 'enterprise_nature', 'industry', 'sales_channel', 'enterprise_size',
  'credit_rating', 'customer_source', 'position', 'demand_kind'] as const

interface Item { code: string; label_zh: string; label_en: string; enabled: boolean }
type Lists = Record<string, Item[]>

const TTL_MS = 5_000
const cache = new WeakMap<object, { at: number; lists: Lists }>()

export async function codeLists(db: DB): Promise<Lists> {
  const hit = cache.get(db)
  if (hit && Date.now() - hit.at < TTL_MS) return hit.lists
  const rows = await db.selectFrom('code_items').select(['kind', 'code', 'label_zh', 'label_en', 'enabled'])
    .where('kind', 'in', [...CUSTOMER_CODE_KINDS]).orderBy('kind').orderBy('sort').orderBy('code').execute()
  const lists: Lists = {}
  for (const r of rows) (lists[r.kind] ??= []).push(r)
  cache.set(db, { at: Date.now(), lists })
  return lists
}

/** helpers the templates use: options of a kind (enabled, plus the current value) and a code's label */
export function lookupHelpers(lists: Lists, lang: Lang) {
  return {
    options: (kind: string, current?: string | null) => (lists[kind] ?? []).filter((i) => i.enabled || i.code === current)
      .map((i) => ({ code: i.code, label: label(lang, i.label_zh, i.label_en) })),
    codeLabel: (kind: string, code: string | null | undefined) => {
      if (!code) return ''
      const i = (lists[kind] ?? []).find((x) => x.code === code)
      return i ? label(lang, i.label_zh, i.label_en) : code
    }
  }
}

const usersCache = new WeakMap<object, { at: number; rows: Promise<{ id: number; name: string }[]> }>()

/**
 * Active users by name, for the list's owner filter: up to 500, kept for a few seconds
 * like the code lists (read on every full list page of a supervisor; a user added or
 * disabled shows in the filter a few seconds later).
 */
export function activeUsers(db: DB): Promise<{ id: number; name: string }[]> {
  const hit = usersCache.get(db)
  if (hit && Date.now() - hit.at < TTL_MS) return hit.rows
  const rows = db.selectFrom('users').select(['id', 'name']).where('active', '=', true).orderBy('name').limit(500).execute()
  usersCache.set(db, { at: Date.now(), rows })
  rows.catch(() => usersCache.delete(db))
  return rows
}
