// Human-readable numbers per day: SR-20261122-0001. The counter is bumped in its own
// autocommitted statement (not inside the caller's transaction), so concurrent saves
// never queue behind each other; a rolled-back save leaves a gap, which is allowed.
import { sql } from 'kysely'
import type { DB } from '../../db/index.ts'
import { formatter } from '../../platform/format.ts'

export async function nextDailyNumber(db: DB, kind: string, prefix: string, timeZone: string): Promise<string> {
  const day = formatter('zh-CN', timeZone).today()
  const { rows } = await sql<{ n: number }>`
    insert into daily_counters (kind, day, n) values (${kind}, ${day}, 1)
    on conflict (kind, day) do update set n = daily_counters.n + 1
    returning n`.execute(db)
  return `${prefix}-${day.replaceAll('-', '')}-${String(rows[0].n).padStart(4, '0')}`
}
