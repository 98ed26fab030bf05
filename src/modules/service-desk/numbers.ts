// Human-readable numbers per day: SR-20261122-0001. The counter is bumped in its own
// autocommitted statement (not inside the caller's transaction), so concurrent saves
// never queue behind each other; a rolled-back save leaves a gap, which is allowed.
// That statement's commit does not wait for the disk (synchronous_commit off for it
// alone): the day's row is every save's, and a synchronous commit keeps its row lock
// until the WAL is flushed, so all agents saving at once queued one fsync each (on the
// bench machine at most ~400 numbers a second, ~50 ms waits at 20 saving at once).
// Nothing is lost by it: the request that uses the number commits after it,
// synchronously, which flushes the bump too; a bump lost in a crash numbered nothing.
//
// The same statement evaluates the form's checks (its customer, contact, code-list
// values…) and takes a number only when all hold: a save's validation and its number
// are one round trip, and a form refused by a check burns no number.
import { sql, type RawBuilder, type SqlBool } from 'kysely'
import type { DB } from '../../db/index.ts'
import { formatter } from '../../platform/format.ts'

export async function nextDailyNumberIf<K extends string>(db: DB, kind: string, prefix: string, timeZone: string,
  checks: Record<K, RawBuilder<SqlBool>>): Promise<{ number: string | null; failed: K[] }> {
  if (db.isTransaction) throw new Error('nextDailyNumberIf runs on its own, outside a transaction')
  const day = formatter('zh-CN', timeZone).today()
  const names = Object.keys(checks) as K[]
  const cols = names.length ? sql.join(names.map((k) => sql`coalesce(${checks[k]}, false) as ${sql.ref(k)}`)) : sql`true as _none`
  const all = names.length ? sql.join(names.map((k) => sql`ok.${sql.ref(k)}`), sql` and `) : sql`true`
  const { rows } = await sql<Record<K, boolean> & { n: number | null }>`
    with no_wait as (select set_config('synchronous_commit', 'off', true)),
    ok as (select ${cols}),
    n as (insert into daily_counters (kind, day, n) select ${kind}, ${day}::date, 1 from no_wait, ok where ${all}
      on conflict (kind, day) do update set n = daily_counters.n + 1
      returning n)
    select ok.*, (select n from n) as n from ok`.execute(db)
  const r = rows[0]
  const failed = names.filter((k) => !r[k])
  const number = r.n === null ? null : `${prefix}-${day.replaceAll('-', '')}-${String(r.n).padStart(4, '0')}`
  return { number, failed }
}
