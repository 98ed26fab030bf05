// Human-readable numbers per day: SR-20261122-0001. The counter is bumped in its own
// autocommitted statement (not inside the caller's transaction), so concurrent saves
// never queue behind each other; a rolled-back save leaves a gap, which is allowed.
// That statement's commit does not wait for the disk (synchronous_commit off for it
// alone): the day's row is every save's, and a synchronous commit keeps its row lock
// until the WAL is flushed, so all agents saving at once queued one fsync each (on the
// bench machine at most ~400 numbers a second, ~50 ms waits at 20 saving at once).
// Nothing is lost by it: the request that uses the number commits after it,
// synchronously, which flushes the bump too; a bump lost in a crash numbered nothing.
import { sql } from 'kysely'
import type { DB } from '../../db/index.ts'
import { formatter } from '../../platform/format.ts'

export async function nextDailyNumber(db: DB, kind: string, prefix: string, timeZone: string): Promise<string> {
  const day = formatter('zh-CN', timeZone).today()
  // (inside a caller's transaction the setting would last for all of it: there it stays as it is)
  const own = !db.isTransaction
  const { rows } = await sql<{ n: number }>`
    with no_wait as (${own ? sql`select set_config('synchronous_commit', 'off', true)` : sql`select 1`})
    insert into daily_counters (kind, day, n) select ${kind}, ${day}::date, 1 from no_wait
    on conflict (kind, day) do update set n = daily_counters.n + 1
    returning n`.execute(db)
  return `${prefix}-${day.replaceAll('-', '')}-${String(rows[0].n).padStart(4, '0')}`
}
