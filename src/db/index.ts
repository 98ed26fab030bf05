// One Kysely instance over either a PostgreSQL server (pg) or embedded PGlite.
// Both speak the same SQL, so the rest of the app never asks which one it has.
import { Kysely, PostgresDialect } from 'kysely'
import type { PGlite } from '@electric-sql/pglite'
import type { Config } from '../config.ts'
import type { Database } from './types.ts'
import { SerialPGliteDialect } from './pglite-serial.ts'
import { acquireLock } from './lock.ts'
import { usePreparedStatements } from './prepared.ts'
import { LiteralLimits } from './literal-limits.ts'
import { AUTH_CHANNEL, AuthChanges, AuthWrites } from './auth-changes.ts'

export type DB = Kysely<Database>

/** What the migration runner needs: several statements at once, and plain queries. */
export interface ScriptRunner {
  exec(script: string): Promise<void>
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>
  release(): Promise<void>
}

export interface Store {
  kind: 'postgres' | 'pglite'
  db: DB
  runner(): Promise<ScriptRunner>
  close(): Promise<void>
  /** PGlite only: the raw instance, for dump/backup */
  pglite?: PGlite
  /** sessions, accounts, roles and departments changed (see auth-changes.ts) */
  authChanges: AuthChanges
  /** starts hearing other connections' changes (LISTEN); idempotent, ended by close() */
  watchAuth(): Promise<void>
}

// int8 counts as numbers (our counts fit), dates as 'YYYY-MM-DD' strings: a JS Date
// at local midnight shifts the day when shown in another time zone.
const INT8 = 20, DATE = 1082

const pluginsFor = (changes: AuthChanges) => [new LiteralLimits(), new AuthWrites(changes)]

/**
 * Settings every connection of the app starts with. The customer search's two GIN
 * indexes take their pending-list limit from here rather than from an index storage
 * parameter (migration 0012): a transaction can then raise it for itself with SET
 * LOCAL, which the import's write does, while changing the index's parameter would
 * hold an ACCESS EXCLUSIVE lock on it, and so stop every customer query, until the
 * import commits. 128 kB keeps each search's extra reading to a few pages (0004).
 *
 * JIT off: PostgreSQL compiles a statement whose estimate passes jit_above_cost, and a
 * common word's search is estimated at every customer holding the word (136,204 rows
 * for 华为 at 1,000,000 customers) though it reads 1,000. Compiling took 12.4 ms of
 * that statement's 35.7 ms (EXPLAIN ANALYZE), every time: no statement of this app
 * runs long enough to win it back.
 */
export const SESSION_SETTINGS: Readonly<Record<string, string>> = { gin_pending_list_limit: '128', jit: 'off' }
const startupOptions = (settings: Record<string, string>) => Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`).join(' ')

/**
 * Connections of their own for work that needs other session settings than the app's
 * (the customer search's planner settings and short timeout): on PostgreSQL a small
 * second pool per set of settings, made on first use, whose connections start with
 * them, so such work is one statement instead of a transaction that sets them first
 * (four round trips). `prepared`: with named statements (usePreparedStatements), for
 * settings that keep plans (the search's force_generic_plan). undefined on PGlite (one
 * session: set them per transaction) and for a transaction (it keeps its own
 * connection's settings).
 */
export function dbWithSettings(db: DB, settings: Record<string, string>, prepared = false): DB | undefined {
  return settingsPools.get(db)?.(settings, prepared)
}
const settingsPools = new WeakMap<DB, (settings: Record<string, string>, prepared: boolean) => DB>()

/**
 * Connections that keep one plan per statement (plan_cache_mode force_generic_plan,
 * named statements): for queries whose best plan is the same whatever their values,
 * which PostgreSQL would otherwise plan again on every run. It keeps a generic plan
 * only when that plan's estimate is no costlier than the custom plans', and a keyset
 * page rarely qualifies: `owner_id = $1 and id < $2 … limit 51` is estimated at fewer
 * rows for an unknown owner than for a known one, so the LIMIT looks dearer, and the
 * rep's list page was planned afresh every time (0.2 ms of the server's 0.4 ms for
 * that statement, measured on the bench database). Not for a filter whose value
 * changes the plan (a LIKE pattern, a rare status): those stay on the main pool.
 * The database itself on PGlite and inside a transaction.
 */
export function dbWithGenericPlans(db: DB): DB {
  return settingsPools.get(db)?.({ plan_cache_mode: 'force_generic_plan' }, true) ?? db
}

// Each driver is loaded only when it is used: a process runs on one of them, and the
// other's modules (PGlite's above all) cost start-up time for nothing.
export async function openStore(config: Config): Promise<Store> {
  if (config.databaseUrl) return openPostgres(config)
  return openPglite(config)
}

async function openPostgres(config: Config): Promise<Store> {
  const { default: pg } = await import('pg')
  pg.types.setTypeParser(INT8, (v) => Number(v))
  pg.types.setTypeParser(DATE, (v) => v)
  const pool = new pg.Pool({
    connectionString: config.databaseUrl,
    max: config.poolSize,
    statement_timeout: config.statementTimeoutMs,
    options: startupOptions(SESSION_SETTINGS),
    application_name: 'kehu'
  })
  // A pooled connection that dies while idle (server restart, admin kill) makes the
  // pool emit 'error'; unheard, that event would crash the process. The pool drops
  // the broken client and the next query connects afresh.
  const warnLost = (e: Error) => console.warn(`database connection lost: ${e.message}`)
  pool.on('error', warnLost)
  usePreparedStatements(pool)
  const authChanges = new AuthChanges()
  const plugins = pluginsFor(authChanges)
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), plugins })
  let watching: Promise<() => Promise<void>> | undefined
  const others = new Map<string, { pool: InstanceType<typeof pg.Pool>; db: DB }>()
  settingsPools.set(db, (settings, prepared) => {
    const options = startupOptions({ ...SESSION_SETTINGS, ...settings })
    const key = `${prepared ? 'prepared ' : ''}${options}`
    let o = others.get(key)
    if (!o) {
      const p = new pg.Pool({ connectionString: config.databaseUrl, max: Math.max(2, Math.ceil(config.poolSize / 2)), options, application_name: 'kehu' })
      p.on('error', warnLost)
      if (prepared) usePreparedStatements(p)
      others.set(key, (o = { pool: p, db: new Kysely<Database>({ dialect: new PostgresDialect({ pool: p }), plugins }) }))
    }
    return o.db
  })
  return {
    kind: 'postgres',
    db,
    authChanges,
    async watchAuth() {
      watching ??= listenPostgres(pg, config.databaseUrl!, authChanges, warnLost)
      await watching
    },
    async runner() {
      const client = await pool.connect()
      return {
        async exec(script) { await client.query(script) },
        async query(text, params) { return (await client.query(text, params as unknown[])).rows },
        async release() { client.release() }
      }
    },
    async close() {
      if (watching) await (await watching)()
      // Kysely ends the pool only if it ever ran a query; the migration runner may have been the only user
      await Promise.all([db, ...[...others.values()].map((o) => o.db)].map((d) => d.destroy()))
      for (const p of [pool, ...[...others.values()].map((o) => o.pool)]) if (!p.ended) await p.end()
    }
  }
}

async function openPglite(config: Config): Promise<Store> {
  const release = config.memoryDb ? () => {} : acquireLock(config.dataDir)
  let pglite: PGlite
  try {
    const [{ PGlite }, { pg_trgm }] = await Promise.all([import('@electric-sql/pglite'), import('@electric-sql/pglite/contrib/pg_trgm')])
    pglite = await PGlite.create(config.memoryDb ? undefined : config.dataDir, {
      extensions: { pg_trgm },
      loadDataDir: config.pgliteLoadFrom,
      parsers: { [INT8]: (v: string) => Number(v), [DATE]: (v: string) => v }
    })
    // one session for the whole process: its settings are set once
    for (const [k, v] of Object.entries(SESSION_SETTINGS)) await pglite.query('select set_config($1, $2, false)', [k, v])
  } catch (e) {
    release()
    throw e
  }
  const authChanges = new AuthChanges()
  const db = new Kysely<Database>({ dialect: new SerialPGliteDialect({ pglite }), plugins: pluginsFor(authChanges) })
  let watching: Promise<unknown> | undefined
  return {
    kind: 'pglite',
    db,
    pglite,
    authChanges,
    async watchAuth() {
      // one backend in this process: its notifications arrive here as its statements end
      watching ??= pglite.listen(AUTH_CHANNEL, (payload) => authChanges.emit(payload || null)).then(() => authChanges.setLive(true))
      await watching
    },
    async runner() {
      return {
        async exec(script) { await pglite.exec(script) },
        async query(text, params) { return (await pglite.query(text, params as unknown[])).rows as never },
        async release() {}
      }
    },
    async close() {
      authChanges.setLive(false)
      try { await db.destroy() } finally { release() }
    }
  }
}

/**
 * A connection of its own that LISTENs for auth changes. Lost, it turns the session
 * cache off (every request reads the database again) and tries again each second.
 * Returns the function that ends it.
 */
async function listenPostgres(pg: typeof import('pg').default, url: string, changes: AuthChanges, warn: (e: Error) => void) {
  let current: import('pg').Client | undefined
  let closed = false
  let timer: NodeJS.Timeout | undefined
  const retry = () => { if (!closed) (timer = setTimeout(connect, 1000)).unref() }
  const lost = (c: import('pg').Client) => {
    if (current !== c) return
    current = undefined
    changes.setLive(false)
    retry()
  }
  async function connect() {
    const c = new pg.Client({ connectionString: url, application_name: 'kehu-listen' })
    c.on('notification', (m) => changes.emit(m.payload || null))
    c.on('error', (e) => { warn(e); lost(c) })
    c.on('end', () => lost(c))
    try {
      await c.connect()
      await c.query(`listen ${AUTH_CHANNEL}`)
      if (closed) { await c.end(); return }
      current = c
      changes.setLive(true)
    } catch (e) {
      warn(e as Error)
      c.end().catch(() => {})
      retry()
    }
  }
  await connect()
  return async () => {
    closed = true
    clearTimeout(timer)
    changes.setLive(false)
    const c = current
    current = undefined
    await c?.end()
  }
}
