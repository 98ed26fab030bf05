// Seeds the benchmark database: an office (5 sales teams of 10 reps with their
// supervisors, a director, service agents), then N customers with 2 contacts and
// 5 communication records each (plus a timeline row per record and per customer),
// all with set-based SQL (seed-sql.ts). Indexes and foreign keys of the filled
// tables are dropped for the load and rebuilt afterwards, which is several times
// faster than maintaining them row by row. A marker table (bench_seed) records
// the parameters, so the next run reuses the data instead of seeding again.
//
// Seed without measuring: `npm run bench -- --seed-only`.
import { pinyin } from 'pinyin-pro'
import type { Config } from '../src/config.ts'
import type { ScriptRunner, Store } from '../src/db/index.ts'
import { derive, initials } from '../src/modules/customers/derive.ts'
import { hashPassword } from '../src/modules/auth/passwords.ts'
import { ensureRegions } from '../src/platform/regions.ts'
import { communicationsSql, contactsSql, customersSql, phonesSql, rowsSql, type Sizes } from './seed-sql.ts'
import { COMMON_STEMS, GIVEN, NEXT_STEPS, RARE_STEMS, REGIONS, SUFFIXES, SUMMARIES, SURNAMES, TRADES } from './vocab.ts'

/** bump when the seed SQL or vocabulary changes: an older seeded database is then re-seeded */
export const SEED_VERSION = 4
export const BENCH_PASSWORD = 'Bench-pass-2026'
export const TEAMS = 5
export const REPS_PER_TEAM = 10
const SEEDED_TABLES = ['customers', 'contacts', 'customer_phones', 'communications', 'customer_timeline']

export interface SeedParams { version: number; customers: number; contactsPer: 2; commsPer: number; heavyEvery: number; heavyComms: number }
export interface SeedInfo {
  params: SeedParams
  seededAt: string
  seconds: { office: number; rows: number; customers: number; contacts: number; phones: number; communications: number; index: number; vacuum: number; total: number }
  counts: Record<string, number>
  /** how many customer names contain each vocabulary word (slot counts, for choosing search terms) */
  wordCounts: Record<'stem' | 'region' | 'trade', Record<string, number>>
}

export function seedParams(customers: number): SeedParams {
  return { version: SEED_VERSION, customers, contactsPer: 2, commsPer: 5, heavyEvery: customers >= 100_000 ? 10_000 : 1_000, heavyComms: 60 }
}

type Log = (msg: string) => void
export const secs = (t0: number) => Math.round((performance.now() - t0) / 100) / 10

/** the parameters of the data already in this database, if a seeding completed */
export async function seedInfo(store: Store): Promise<SeedInfo | null> {
  const r = await store.runner()
  try {
    const [t] = await r.query<{ t: string | null }>(`select to_regclass('bench_seed')::text as t`)
    if (!t?.t) return null
    const [row] = await r.query<{ info: SeedInfo | string }>('select info from bench_seed')
    if (!row) return null
    return typeof row.info === 'string' ? JSON.parse(row.info) : row.info
  } finally {
    await r.release()
  }
}

/** jsonb reorders keys, so compare key by key */
export const sameParams = (a: SeedParams, b: SeedParams) =>
  Object.keys(b).length === Object.keys(a).length && (Object.keys(b) as Array<keyof SeedParams>).every((k) => a[k] === b[k])

export async function timed<T>(log: Log, label: string, fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now()
  const v = await fn()
  const s = secs(t0)
  log(`  ${label}: ${s.toFixed(1)} s`)
  return [v, s]
}

/** The office: departments and users. Returns nothing; users are found by login. */
async function seedOffice(store: Store, config: Config) {
  const db = store.db
  const hash = await hashPassword(config, BENCH_PASSWORD)
  const dep = async (name: string, parent: number) => {
    const p = await db.selectFrom('departments').select('path').where('id', '=', parent).executeTakeFirstOrThrow()
    const row = await db.insertInto('departments').values({ name, parent_id: parent }).returning('id').executeTakeFirstOrThrow()
    await db.updateTable('departments').set({ path: `${p.path}${row.id}/` }).where('id', '=', row.id).execute()
    return row.id
  }
  const roles = Object.fromEntries((await db.selectFrom('roles').select(['id', 'code']).execute()).map((r) => [r.code, r.id]))
  const users: Array<{ login: string; name: string; role_id: number; department_id: number; password_hash: string }> = []
  const add = (login: string, role: string, department: number, name: string) => users.push({ login, name, role_id: roles[role], department_id: department, password_hash: hash })
  const sales = await dep('销售中心', 1)
  add('bench-director', 'supervisor', sales, '销售总监')
  const teamNames = ['华东组', '华南组', '华北组', '西南组', '华中组']
  let n = 0
  for (let t = 0; t < TEAMS; t++) {
    const team = await dep(teamNames[t], sales)
    add(`bench-super-${t + 1}`, 'supervisor', team, `${teamNames[t]}主管`)
    for (let i = 0; i < REPS_PER_TEAM; i++) {
      n++
      add(`bench-rep-${String(n).padStart(2, '0')}`, 'user', team, SURNAMES[n % 40] + GIVEN[(n * 7) % GIVEN.length])
    }
  }
  const service = await dep('客服中心', 1)
  for (let i = 1; i <= 5; i++) add(`bench-agent-${i}`, 'agent', service, `坐席${i}号`)
  add('bench-admin', 'admin', 1, '管理员')
  // one insert per group, in order: reps get ascending ids, so bench-rep-01 is reps[1] in SQL
  await db.insertInto('users').values(users).execute()
  await db.insertInto('settings').values({ key: 'setup_done', value: '"bench"' }).onConflict((oc) => oc.doNothing()).execute()
}

/** bench_words: every vocabulary word with its initials (the app's initials()) and pinyin */
async function loadWords(r: ScriptRunner) {
  const regionCodes = new Map<string, string>()
  for (const [w] of REGIONS) {
    const [row] = await r.query<{ code: string }>(`select code from regions where name like $1 and level <= 2 order by level desc, code limit 1`, [`${w}%`])
    if (row) regionCodes.set(w, row.code)
  }
  const py = (w: string) => pinyin(w, { toneType: 'none', type: 'array' }).join('').toLowerCase().replace(/[^a-z]/g, '')
  const rows: Array<[string, number, string, string, string, string | null, string | null]> = []
  const add = (kind: string, words: string[], person = false, extra: (w: string, i: number) => string | null = () => null) =>
    words.forEach((w, i) => rows.push([kind, i + 1, w, initials(w, person), py(w), extra(w, i), kind === 'region' ? regionCodes.get(w) ?? null : null]))
  add('region', REGIONS.map((r) => r[0]), false, (_w, i) => REGIONS[i][1])
  add('stem', [...COMMON_STEMS, ...RARE_STEMS])
  add('trade', TRADES)
  add('suffix', SUFFIXES)
  add('surname', SURNAMES, true)
  add('given', GIVEN)
  add('summary', SUMMARIES)
  add('next', NEXT_STEPS)
  await r.exec(`drop table if exists bench_words; create unlogged table bench_words (kind text, i int, word text, ini text, py text, extra text, code text)`)
  const col = (k: number) => rows.map((x) => x[k])
  await r.query(`insert into bench_words select * from unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])`,
    [col(0), col(1), col(2), col(3), col(4), col(5), col(6)])
}

/**
 * Runs the bench's own clean-up deletes without foreign-key checks where the role may
 * (a superuser: the bench's own cluster, PGlite). The rows it removes are the run's own,
 * referenced by nothing, but each check still reads the referencing tables: deleting
 * 100,000 imported contacts checked service_requests.contact_id (10,000,000 rows, no
 * index: the app never hard-deletes a contact) once per contact, for hours.
 */
export async function withoutFkChecks(r: ScriptRunner, fn: () => Promise<void>) {
  const off = await r.exec('set session_replication_role = replica').then(() => true, () => false)
  try {
    await fn()
  } finally {
    if (off) await r.exec('reset session_replication_role')
  }
}

interface Saved { indexes: Array<{ name: string; def: string }>; fks: Array<{ table: string; name: string; def: string }> }

/**
 * drops the plain indexes and foreign keys of the tables about to be filled; returns how
 * to make them again. The definitions are written to a table of the database itself
 * first (bench_dropped) and each row leaves it only once its index is made again: a
 * seeding stopped half-way (killed, out of time) leaves them there and the next run
 * takes them over, instead of finding no index to save and never making it again.
 */
export async function dropIndexes(r: ScriptRunner, tables = SEEDED_TABLES): Promise<Saved> {
  await r.exec(`create table if not exists bench_dropped (kind text not null, tbl text not null, name text not null, def text not null, primary key (kind, name))`)
  await r.query(`insert into bench_dropped (kind, tbl, name, def)
    select 'index', t.relname, c.relname, pg_get_indexdef(i.indexrelid)
    from pg_index i join pg_class c on c.oid = i.indexrelid join pg_class t on t.oid = i.indrelid
    where t.relname = any($1) and t.relnamespace = 'public'::regnamespace
      and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid and k.conrelid = i.indrelid)
    on conflict do nothing`, [tables])
  await r.query(`insert into bench_dropped (kind, tbl, name, def)
    select 'fk', t.relname, k.conname, pg_get_constraintdef(k.oid)
    from pg_constraint k join pg_class t on t.oid = k.conrelid
    where k.contype = 'f' and t.relname = any($1) and t.relnamespace = 'public'::regnamespace
    on conflict do nothing`, [tables])
  const rows = await r.query<{ kind: string; tbl: string; name: string; def: string }>(
    `select kind, tbl, name, def from bench_dropped where tbl = any($1) order by kind, name`, [tables])
  const indexes = rows.filter((x) => x.kind === 'index').map((x) => ({ name: x.name, def: x.def }))
  const fks = rows.filter((x) => x.kind === 'fk').map((x) => ({ table: x.tbl, name: x.name, def: x.def }))
  for (const f of fks) await r.exec(`alter table ${f.table} drop constraint if exists ${f.name}`)
  for (const i of indexes) await r.exec(`drop index if exists ${i.name}`)
  return { indexes, fks }
}

export async function restoreIndexes(r: ScriptRunner, saved: Saved, log: Log) {
  for (const i of saved.indexes) {
    await timed(log, `index ${i.name}`, () => r.exec(i.def))
    await r.query(`delete from bench_dropped where kind = 'index' and name = $1`, [i.name])
  }
  for (const f of saved.fks) {
    await timed(log, `foreign key ${f.table}.${f.name}`, () => r.exec(`alter table ${f.table} add constraint ${f.name} ${f.def}`))
    await r.query(`delete from bench_dropped where kind = 'fk' and name = $1`, [f.name])
  }
}

/**
 * Fills an empty, migrated database. The caller guarantees it is empty (a fresh
 * database or data directory): ids are chosen here, not by the sequences.
 */
export async function seed(store: Store, config: Config, params: SeedParams, log: Log): Promise<SeedInfo> {
  const tAll = performance.now()
  log(`seeding ${params.customers.toLocaleString('en')} customers on ${store.kind}`)
  await ensureRegions(store.db)
  const [, office] = await timed(log, 'office (departments, users)', () => seedOffice(store, config))
  const r = await store.runner()
  try {
    if (store.kind === 'postgres') {
      await r.exec(`set statement_timeout = 0; set synchronous_commit = off; set maintenance_work_mem = '512MB'; set work_mem = '64MB'`)
    } else {
      await r.exec(`set maintenance_work_mem = '256MB'; set work_mem = '32MB'`)
    }
    await loadWords(r)
    const saved = await dropIndexes(r)
    const sizes: Sizes = {
      customers: params.customers, regions: REGIONS.length, commonStems: COMMON_STEMS.length, rareStems: RARE_STEMS.length,
      trades: TRADES.length, suffixes: SUFFIXES.length, surnames: SURNAMES.length, given: GIVEN.length, summaries: SUMMARIES.length,
      nextSteps: NEXT_STEPS.length, heavyEvery: params.heavyEvery, heavyComms: params.heavyComms, commsPer: params.commsPer, reps: TEAMS * REPS_PER_TEAM
    }
    const [, rows] = await timed(log, 'draw rows (bench_rows, bench_names)', () => r.exec(rowsSql(sizes)))
    const wc = await r.query<{ kind: 'stem' | 'region' | 'trade'; word: string; n: number }>(`
      select x.kind, w.word, x.n::int as n from (
        select 'stem' as kind, s as i, count(*) as n from (select s1 as s from bench_rows where ctype <> 'P' union all select s2 from bench_rows where ctype <> 'P' and s2 is not null) a group by s
        union all select 'region', r, count(*) from bench_rows where ctype <> 'P' and r is not null group by r
        union all select 'trade', t, count(*) from bench_rows where ctype <> 'P' group by t) x
      join bench_words w on w.kind = x.kind and w.i = x.i`)
    const wordCounts: SeedInfo['wordCounts'] = { stem: {}, region: {}, trade: {} }
    for (const w of wc) wordCounts[w.kind][w.word] = Number(w.n)
    // customer_grams is filled by the customers' insert trigger (0017): its key is made
    // afterwards, in one sorted build, as the migration does, instead of 27 million inserts into it
    await r.exec('alter table customer_grams drop constraint if exists customer_grams_pkey')
    const [, customers] = await timed(log, 'customers (with derived search columns)', () => r.exec(customersSql(sizes)))
    const [, contacts] = await timed(log, 'contacts', () => r.exec(contactsSql()))
    const [, phones] = await timed(log, 'customer_phones', () => r.exec(phonesSql()))
    const [, communications] = await timed(log, 'communications + timeline', () => r.exec(communicationsSql(sizes)))
    await r.exec(`drop table bench_rows; drop table bench_names; drop table bench_words`)
    await r.exec(`
      select setval('customers_id_seq', (select max(id) from customers));
      select setval('contacts_id_seq', (select max(id) from contacts));
      select setval('customer_code_seq', (select max(id) from customers))`)
    const tIndex = performance.now()
    await restoreIndexes(r, saved, log)
    await timed(log, 'index customer_grams_pkey', () => r.exec('alter table customer_grams add primary key (gram, customer_id)'))
    const index = secs(tIndex)
    log(`  indexes and foreign keys: ${index.toFixed(1)} s`)
    const [, vacuum] = await timed(log, 'vacuum analyze', () => r.exec(`vacuum analyze ${SEEDED_TABLES.join(', ')}, customer_grams, users, departments`))
    const counts: Record<string, number> = {}
    for (const t of SEEDED_TABLES) counts[t] = Number((await r.query<{ n: number }>(`select count(*)::int as n from ${t}`))[0].n)
    const total = secs(tAll)
    const info: SeedInfo = {
      params, seededAt: new Date().toISOString(), counts, wordCounts,
      seconds: { office, rows, customers, contacts, phones, communications, index, vacuum, total }
    }
    await r.exec(`create table bench_seed (info jsonb not null)`)
    await r.query(`insert into bench_seed (info) values ($1::jsonb)`, [JSON.stringify(info)])
    log(`seeded in ${total.toFixed(1)} s (${Object.entries(counts).map(([k, v]) => `${k} ${v.toLocaleString('en')}`).join(', ')})`)
    return info
  } finally {
    await r.release()
  }
}

/**
 * Compares the SQL-derived search columns and phones of `sample` customers with
 * what derive() computes for the same rows. Returns one line per difference.
 */
export async function verifyDerived(store: Store, customers: number, sample = 200): Promise<{ checked: number; problems: string[] }> {
  const db = store.db
  const ids = new Set<number>()
  for (let i = 0; ids.size < Math.min(sample, customers); i++) ids.add(1 + Math.floor(Math.random() * customers))
  const rows = await db.selectFrom('customers').select(['id', 'code', 'name', 'short_name', 'email', 'phone', 'fax', 'customer_type',
    'name_initials', 'first_letter', 'search_grams', 'search_text']).where('id', 'in', [...ids]).execute()
  const contacts = await db.selectFrom('contacts').select(['id', 'customer_id', 'name', 'office_phone', 'mobile', 'fax', 'email'])
    .where('customer_id', 'in', [...ids]).where('deleted_at', 'is', null).orderBy('id').execute()
  const phones = await db.selectFrom('customer_phones').select(['customer_id', 'contact_id', 'phone', 'last4']).where('customer_id', 'in', [...ids]).execute()
  const problems: string[] = []
  const key = (p: { contact_id: number | null; phone: string; last4: string }) => `${p.contact_id ?? '-'}:${p.phone}:${p.last4}`
  for (const c of rows) {
    const d = derive({ ...c, contacts: contacts.filter((k) => k.customer_id === c.id) })
    const diff = (what: string, a: unknown, b: unknown) => { if (JSON.stringify(a) !== JSON.stringify(b)) problems.push(`customer ${c.id} ${what}: SQL ${JSON.stringify(a)} ≠ derive() ${JSON.stringify(b)}`) }
    diff('name_initials', c.name_initials, d.name_initials)
    diff('first_letter', c.first_letter, d.first_letter)
    diff('search_grams', [...c.search_grams].sort(), [...d.search_grams].sort())
    diff('search_text', c.search_text, d.search_text)
    diff('phones', phones.filter((p) => p.customer_id === c.id).map(key).sort(), d.phones.map(key).sort())
  }
  return { checked: rows.length, problems }
}
