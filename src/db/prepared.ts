// Named prepared statements for the app's repeated queries on PostgreSQL.
//
// Kysely sends every query as an unnamed statement, which PostgreSQL parses and plans
// again each time. For the short queries a page is made of, that is most of the
// server's work: measured on the bench database, the session query took 0.20 ms to
// plan and 0.02 ms to run, the customer list 0.4 ms to plan and 0.45 ms to run. A
// named statement is parsed once per connection, and after five runs PostgreSQL may
// keep a generic plan and stop planning it (plan_cache_mode auto: only when that plan
// is not costlier than the custom ones).
//
// So the pool's clients name a statement the second time this process sees its text
// (the first may be a one-off), by a hash of the text. Each connection keeps at most
// PER_CONNECTION of them and deallocates the least recently used one beyond that, so
// a long-running server holds a bounded number on the database. Only plain data
// statements are named (not BEGIN/COMMIT, not scripts). The search's connections and
// those of dbWithGenericPlans use named statements too, and always keep the generic
// plan (the search's shape does not depend on its term: search.ts SEARCH_SETTINGS).
import crypto from 'node:crypto'
import type { Pool, PoolClient } from 'pg'

const PER_CONNECTION = 200
const SEEN_MAX = 5000
const DATA_STATEMENT = /^\s*(select|insert|update|delete|with)\b/i

/** texts seen once, waiting for a second time (cleared when it grows too big) */
const seenOnce = new Set<string>()
const names = new Map<string, string>()

function nameFor(text: string): string | null {
  const known = names.get(text)
  if (known) return known
  if (!seenOnce.has(text)) {
    if (seenOnce.size >= SEEN_MAX) seenOnce.clear()
    seenOnce.add(text)
    return null
  }
  seenOnce.delete(text)
  const name = `k_${crypto.createHash('sha1').update(text).digest('base64url').slice(0, 20)}`
  if (names.size >= SEEN_MAX) names.clear()
  names.set(text, name)
  return name
}

interface Parsed { parsedStatements: Record<string, string> }

/** Makes the pool's clients use named statements for repeated data queries. */
export function usePreparedStatements(pool: Pool) {
  pool.on('connect', (client: PoolClient) => {
    const plain = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>
    // most recently used last; evicted from the front
    const lru = new Map<string, true>()
    ;(client as unknown as { query: unknown }).query = (config: unknown, values?: unknown, cb?: unknown) => {
      if (typeof config !== 'string' || !Array.isArray(values) || cb !== undefined || !DATA_STATEMENT.test(config)) {
        return plain(config, values, cb)
      }
      const name = nameFor(config)
      if (!name) return plain(config, values)
      lru.delete(name)
      lru.set(name, true)
      if (lru.size > PER_CONNECTION) {
        // Kysely runs one query at a time on a connection, so nothing queued can still
        // need the old statement; the client forgets it now and re-parses it if it returns
        forget(lru.keys().next().value as string)
      }
      return plain({ name, text: config, values }).catch((e: { code?: string }) => {
        // "cached plan must not change result type": a table changed under the
        // statement (a migration run by another instance). It is run again unnamed (in
        // a transaction that fails too: the transaction is aborted either way) and
        // prepared anew next time, instead of failing the same way for ever.
        if (e?.code !== '0A000') throw e
        forget(name)
        return plain(config, values)
      })
    }
    function forget(name: string) {
      lru.delete(name)
      delete (client as unknown as { connection: Parsed }).connection.parsedStatements[name]
      plain(`deallocate "${name}"`).catch(() => {})
    }
  })
}
