// The databases the benchmark runs on (BENCH_DB=pglite|postgres|both), each opened,
// migrated and seeded, reusing an earlier seeding when its marker matches:
//   pglite    a data directory bench/.data/pglite-<N> (git-ignored)
//   postgres  database kehu_bench_<N> on the server of DATABASE_URL, or exactly the
//             database of BENCH_DATABASE_URL (the bench drops and re-creates it when
//             it has to seed), or, with neither, a cluster of its own (pg.ts)
import fs from 'node:fs'
import path from 'node:path'
import pg from 'pg'
import { loadConfig, type Config } from '../src/config.ts'
import { openStore, type Store } from '../src/db/index.ts'
import { migrate } from '../src/db/migrate.ts'
import { clusterAvailable, startCluster } from './pg.ts'
import { sameParams, seed, seedInfo, seedParams, verifyDerived, type SeedInfo } from './seed.ts'
import { ensureServiceSeed, type ServiceInfo } from './seed-service.ts'

export interface Target {
  kind: 'pglite' | 'postgres'
  label: string
  store: Store
  config: Config
  info: SeedInfo
  /** the service desk's seeded data (seed-service.ts) */
  service: ServiceInfo
  /** pid of a local postmaster whose CPU we can count, if we know it */
  postmasterPid?: number
  close(): Promise<void>
}

type Log = (m: string) => void
export const DATA_DIR = path.resolve(import.meta.dirname, '.data')

const int = (name: string, def: number) => {
  const v = process.env[name]
  if (!v) return def
  const n = Number(v.replace(/_/g, ''))
  if (!Number.isSafeInteger(n) || n < 100) throw new Error(`${name} must be a whole number ≥ 100`)
  return n
}

export function wantedKinds(): Array<'pglite' | 'postgres'> {
  const want = process.env.BENCH_DB ?? 'both'
  if (!['pglite', 'postgres', 'both'].includes(want)) throw new Error('BENCH_DB must be pglite, postgres or both')
  const pgPossible = !!(process.env.BENCH_DATABASE_URL || process.env.DATABASE_URL) || clusterAvailable()
  if (want === 'postgres' && !pgPossible) throw new Error('BENCH_DB=postgres needs BENCH_DATABASE_URL, DATABASE_URL or PostgreSQL binaries (BENCH_PGBIN)')
  if (want === 'both') return pgPossible ? ['pglite', 'postgres'] : ['pglite']
  return [want as 'pglite' | 'postgres']
}

/**
 * the app's configuration for a benchmark run: request logging on (to /dev/null, see
 * run.ts), like production; the sign-in rate limit per address raised, because the
 * bench signs in some 25 sessions from 127.0.0.1 within a minute (one per simulated
 * service desk), which is not what it measures
 */
function benchConfig(overrides: Partial<Config>): Config {
  const env = { ...process.env, DATABASE_URL: '', LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info' }
  return { ...loadConfig(env), loginRatePerMinute: 1000, ...overrides }
}

/** opens (and seeds when needed) a store; `reset` empties the database for a fresh seeding */
async function prepare(kind: Target['kind'], config: Config, customers: number, reset: () => Promise<void>, log: Log) {
  const params = seedParams(customers)
  const open = async () => { const s = await openStore(config); await migrate(s); return s }
  let store: Store | null = null
  let info: SeedInfo | null = null
  if (process.env.BENCH_RESEED !== '1') {
    try {
      store = await open()
      info = await seedInfo(store)
    } catch (e) {
      log(`existing ${kind} bench database unusable (${(e as Error).message.split('\n')[0]}): seeding again`)
      await store?.close().catch(() => {})
      store = null
    }
  }
  if (store && info && sameParams(info.params, params)) {
    const v = await verifyDerived(store, customers, 100)
    if (!v.problems.length) {
      log(`reusing the ${kind} bench database seeded ${info.seededAt} (${info.seconds.total} s to seed); derived columns still match derive() on ${v.checked} rows`)
      return { store, info, service: await ensureServiceSeed(store, config, customers, log) }
    }
    log(`the seeded derived columns no longer match derive() (${v.problems[0]}…): seeding again`)
  } else if (info) {
    log(`the ${kind} bench database holds other seed parameters: seeding again`)
  }
  await store?.close()
  await reset()
  store = await open()
  info = await seed(store, config, params, log)
  const v = await verifyDerived(store, customers, 300)
  if (v.problems.length) {
    await store.close()
    throw new Error(`SQL-derived search columns differ from derive():\n  ${v.problems.slice(0, 10).join('\n  ')}`)
  }
  log(`  checked ${v.checked} random customers: name_initials, first_letter, search_grams, search_text and phones equal derive()`)
  return { store, info, service: await ensureServiceSeed(store, config, customers, log) }
}

async function openPglite(log: Log): Promise<Target> {
  const customers = int('BENCH_PGLITE_CUSTOMERS', int('BENCH_CUSTOMERS', 200_000))
  const dataDir = path.join(DATA_DIR, `pglite-${customers}`)
  const config = benchConfig({ dataDir, databaseUrl: undefined })
  const { store, info, service } = await prepare('pglite', config, customers, async () => { fs.rmSync(dataDir, { recursive: true, force: true }) }, log)
  return { kind: 'pglite', label: `PGlite, ${customers.toLocaleString('en')} customers`, store, config, info, service, close: () => store.close() }
}

async function openPostgres(log: Log): Promise<Target> {
  const customers = int('BENCH_PG_CUSTOMERS', int('BENCH_CUSTOMERS', 1_000_000))
  let url: URL
  let cluster: Awaited<ReturnType<typeof startCluster>> | undefined
  if (process.env.BENCH_DATABASE_URL) url = new URL(process.env.BENCH_DATABASE_URL)
  else {
    if (process.env.DATABASE_URL) url = new URL(process.env.DATABASE_URL)
    else { cluster = await startCluster(log); url = new URL(cluster.baseUrl) }
    url.pathname = `/kehu_bench_${customers}`
  }
  const dbName = decodeURIComponent(url.pathname.slice(1))
  if (!/^[a-z_][a-z0-9_]*$/.test(dbName)) throw new Error(`bench database name ${dbName} must be a plain lower-case identifier`)
  const admin = async (fn: (c: pg.Client) => Promise<void>) => {
    const u = new URL(url)
    u.pathname = '/postgres'
    const c = new pg.Client({ connectionString: u.toString() })
    await c.connect()
    try { await fn(c) } finally { await c.end() }
  }
  const create = async (c: pg.Client) => {
    try {
      await c.query(`create database ${dbName} template template0 encoding 'UTF8' lc_collate 'C.UTF-8' lc_ctype 'C.UTF-8'`)
    } catch {
      await c.query(`create database ${dbName}`)
    }
  }
  await admin(async (c) => {
    if (!(await c.query('select 1 from pg_database where datname = $1', [dbName])).rowCount) await create(c)
  })
  const config = benchConfig({ databaseUrl: url.toString() })
  const reset = () => admin(async (c) => { await c.query(`drop database if exists ${dbName} with (force)`); await create(c) })
  try {
    const { store, info, service } = await prepare('postgres', config, customers, reset, log)
    if (process.env.BENCH_PG_PREWARM === '1') await prewarm(url, log)
    return {
      kind: 'postgres', label: `PostgreSQL, ${customers.toLocaleString('en')} customers`, store, config, info, service, postmasterPid: cluster?.pid,
      async close() { await store.close(); cluster?.stop() }
    }
  } catch (e) {
    cluster?.stop()
    throw e
  }
}

/** the customer archive's tables, whose pages (and their indexes') every customer scenario reads */
const PREWARMED = ['customers', 'customer_phones', 'contacts', 'customer_owner_counts']
/** and of customer_grams its b-tree only: the search reads it index-only */
const PREWARMED_INDEXES = ['customer_grams_pkey']

/**
 * BENCH_PG_PREWARM=1: reads the customer archive's tables and indexes into shared
 * buffers before the first scenario. A cluster just started on a machine whose page
 * cache is cold (a restored VM) otherwise measures disk reads in its first scenarios:
 * the phone search's PostgreSQL CPU per request was twice a warm run's (2,708 against
 * 1,316 µs). With shared_buffers=4GB they fit (3.3 GB at 1,000,000 customers).
 */
async function prewarm(url: URL, log: Log) {
  const t0 = Date.now()
  // its own connection: the app's pool cancels statements after 5 s, and a cold read of 2.6 GB takes longer
  const c = new pg.Client({ connectionString: url.toString() })
  await c.connect()
  try {
    await c.query('create extension if not exists pg_prewarm')
    const r = await c.query<{ relations: number; mb: number }>(`
      select count(*)::int as relations, (sum(pg_prewarm(c.oid)) * current_setting('block_size')::int / 1048576)::int as mb
      from pg_class c where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'i')
        and (c.relname = any($1) or c.relname = any($2) or c.oid in (select indexrelid from pg_index where indrelid = any($1::regclass[])))`, [PREWARMED, PREWARMED_INDEXES])
    log(`prewarmed ${r.rows[0].relations} relations of ${[...PREWARMED, ...PREWARMED_INDEXES].join(', ')} (${r.rows[0].mb} MB) in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  } finally { await c.end() }
}

export async function openTarget(kind: Target['kind'], log: Log): Promise<Target> {
  return kind === 'pglite' ? openPglite(log) : openPostgres(log)
}

/** every wanted target, opened one after the other (seed.ts run alone) */
export async function openTargets(log: Log): Promise<Target[]> {
  const out: Target[] = []
  for (const k of wantedKinds()) out.push(await openTarget(k, log))
  return out
}
