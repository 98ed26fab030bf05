// The migration runner, on whichever driver the suite runs on (PGlite by default,
// PostgreSQL under DATABASE_URL): applying twice is a no-op, an edited applied file
// stops the start naming the file, a failing file leaves no trace, and (PostgreSQL)
// two instances starting at once both come up.
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import pg from 'pg'
import { sql } from 'kysely'
import { openStore, type Store } from '../../src/db/index.ts'
import { MIGRATIONS_DIR, MigrationError, migrate, migrationFiles } from '../../src/db/migrate.ts'
import { baseConfig, freshStore } from '../helpers/app.ts'

/** a copy of the real migrations in a temp folder, to edit or add to */
function copyMigrations(t: { teardown(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kehu-migrations-'))
  for (const f of fs.readdirSync(MIGRATIONS_DIR)) fs.copyFileSync(path.join(MIGRATIONS_DIR, f), path.join(dir, f))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

async function tableExists(store: Store, name: string) {
  const r = await sql<{ n: number }>`select count(*)::int as n from information_schema.tables where table_schema = current_schema() and table_name = ${name}`.execute(store.db)
  return r.rows[0].n === 1
}

const applied = async (store: Store) =>
  (await sql<{ name: string; checksum: string }>`select name, checksum from schema_migrations order by name`.execute(store.db)).rows

t.test('applying again is a no-op', async (t) => {
  const { store } = await freshStore(t, baseConfig())
  const before = await applied(store)
  t.same(before.map((r) => r.name), migrationFiles().map((f) => f.name), 'every file is recorded once')
  t.same(await migrate(store), [], 'second run applies nothing')
  t.same(await migrate(store), [], 'nor does a third')
  t.same(await applied(store), before)
})

t.test('an applied migration that was edited stops the start, naming the file', async (t) => {
  const { store } = await freshStore(t, baseConfig())
  const dir = copyMigrations(t)
  const first = migrationFiles(dir)[0].name
  fs.appendFileSync(path.join(dir, first), '\n-- a later "harmless" edit\n')
  fs.writeFileSync(path.join(dir, '9998_new_table.sql'), 'create table probe_new (id int);\n')
  const before = await applied(store)
  const err = await migrate(store, dir).then(() => null, (e: unknown) => e)
  t.ok(err instanceof MigrationError, 'a MigrationError')
  t.match((err as Error).message, first, 'naming the edited file')
  t.match((err as Error).message, /changed after it was applied/)
  t.same(await applied(store), before, 'nothing recorded')
  t.notOk(await tableExists(store, 'probe_new'), 'and no later migration ran')
})

t.test('a failing migration rolls back completely; the ones before it stay', async (t) => {
  const { store } = await freshStore(t, baseConfig())
  const dir = copyMigrations(t)
  fs.writeFileSync(path.join(dir, '9998_good.sql'), 'create table probe_good (id int);\ninsert into probe_good values (1);\n')
  fs.writeFileSync(path.join(dir, '9999_broken.sql'),
    'create table probe_broken (id int);\ninsert into probe_broken values (1);\nalter table users add column probe_col int;\nselect 1 / 0;\n')
  const err = await migrate(store, dir).then(() => null, (e: unknown) => e)
  t.ok(err instanceof MigrationError)
  t.match((err as Error).message, '9999_broken.sql', 'naming the failing file')
  t.match((err as Error).message, /division by zero/, 'with the database’s reason')
  t.ok(await tableExists(store, 'probe_good'), 'the migration before it was applied')
  t.notOk(await tableExists(store, 'probe_broken'), 'the failing one left no table')
  const col = await sql<{ n: number }>`select count(*)::int as n from information_schema.columns where table_name = 'users' and column_name = 'probe_col'`.execute(store.db)
  t.equal(col.rows[0].n, 0, 'and no column')
  t.same((await applied(store)).map((r) => r.name).filter((n) => n.startsWith('99')), ['9998_good.sql'])

  fs.writeFileSync(path.join(dir, '9999_broken.sql'), 'create table probe_fixed (id int);\n')
  t.same(await migrate(store, dir), ['9999_broken.sql'], 'once fixed it applies (the lock was released after the failure)')
  t.ok(await tableExists(store, 'probe_fixed'))
})

const url = process.env.DATABASE_URL
// PGlite serves one process per data directory (test/db/pglite-lock.test.ts proves the
// second one stops), so starting two instances at once is a PostgreSQL question.
if (url) {
  t.test('PostgreSQL: two instances migrating an empty database at once both start', async (t) => {
    const name = `kehu_t_mig_${process.pid}_${crypto.randomBytes(3).toString('hex')}`
    const admin = new pg.Client({ connectionString: url })
    await admin.connect()
    await admin.query(`create database ${name}`)
    await admin.end()
    const u = new URL(url)
    u.pathname = `/${name}`
    const cfg = baseConfig({ databaseUrl: u.toString(), poolSize: 2 })
    const a = await openStore(cfg), b = await openStore(cfg)
    t.teardown(async () => {
      await a.close(); await b.close()
      const c = new pg.Client({ connectionString: url })
      await c.connect()
      await c.query(`drop database if exists ${name} with (force)`)
      await c.end()
    })
    const [ra, rb] = await Promise.all([migrate(a), migrate(b)])
    const all = migrationFiles().map((f) => f.name)
    t.same([ra, rb].map((r) => r.length).sort(), [0, all.length], 'one applied everything, the other found it done')
    t.same((await applied(a)).map((r) => r.name), all, 'each file recorded once')
    t.same(await migrate(b), [])
  })

  t.test('PostgreSQL: a migration longer than the requests\' statement timeout still applies', async (t) => {
    const { store } = await freshStore(t, baseConfig({ statementTimeoutMs: 100 }))
    const err = await sql`select pg_sleep(0.3)`.execute(store.db).then(() => null, (e: Error) => e)
    t.match(err?.message, /statement timeout/, 'a request statement that long is cancelled')
    const dir = copyMigrations(t)
    fs.writeFileSync(path.join(dir, '9998_slow.sql'), 'select pg_sleep(0.3);\ncreate table probe_slow (id int);\n')
    t.same(await migrate(store, dir), ['9998_slow.sql'], 'the slow migration applied')
    t.ok(await tableExists(store, 'probe_slow'))
    await sql`select pg_sleep(0.01)`.execute(store.db)
    const again = await sql`select pg_sleep(0.3)`.execute(store.db).then(() => null, (e: Error) => e)
    t.match(again?.message, /statement timeout/, 'and the requests keep their timeout afterwards')
  })
}
