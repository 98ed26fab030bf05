// Which records use a code-list item. A code item that something refers to may only
// be disabled, never deleted, so old records keep a meaning. Modules that store codes
// register a counter for each kind they use, at import time:
//
//   registerCodeUsage('industry', async (db, code) =>
//     (await db.selectFrom('customers').select(sql<number>`count(*)`.as('n'))
//       .where('industry', '=', code).executeTakeFirstOrThrow()).n)
//
// Several modules may register the same kind; their counts add up.
import type { DB } from '../db/index.ts'

export type CodeUsageCounter = (db: DB, code: string) => Promise<number>

const counters = new Map<string, CodeUsageCounter[]>()

export function registerCodeUsage(kind: string, counter: CodeUsageCounter) {
  const list = counters.get(kind) ?? []
  if (!list.includes(counter)) list.push(counter)
  counters.set(kind, list)
}

/** How many records refer to `kind`/`code`, over every registered counter (0 when none). */
export async function codeUsage(db: DB, kind: string, code: string): Promise<number> {
  let n = 0
  for (const count of counters.get(kind) ?? []) n += Number(await count(db, code))
  return n
}
