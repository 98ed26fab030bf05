// Numbered plain-SQL migrations, applied at start in order, each once and in its own
// transaction. An applied file that was edited afterwards stops the start: the
// database no longer matches what the file says. A session-level advisory lock
// makes two instances starting together take turns instead of racing. Migrations run
// without the requests' statement timeout.
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type { Store } from './index.ts'

export class MigrationError extends Error {}

const LOCK_KEY = 7_242_001

export const MIGRATIONS_DIR = path.resolve(import.meta.dirname, '../../migrations')

export function migrationFiles(dir = MIGRATIONS_DIR) {
  return fs.readdirSync(dir)
    .filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f))
    .sort()
    .map((name) => {
      const text = fs.readFileSync(path.join(dir, name), 'utf8')
      return { name, text, checksum: crypto.createHash('sha256').update(text).digest('hex') }
    })
}

export async function migrate(store: Store, dir = MIGRATIONS_DIR): Promise<string[]> {
  const files = migrationFiles(dir)
  const r = await store.runner()
  const applied: string[] = []
  try {
    await r.query('select pg_advisory_lock($1)', [LOCK_KEY])
    try {
      await r.exec(`create table if not exists schema_migrations (
        name text primary key, checksum text not null, applied_at timestamptz not null default now())`)
      const done = new Map((await r.query<{ name: string; checksum: string }>(
        'select name, checksum from schema_migrations')).map((row) => [row.name, row.checksum]))
      for (const f of files) {
        const sum = done.get(f.name)
        if (sum && sum !== f.checksum) {
          throw new MigrationError(
            `Migration ${f.name} was changed after it was applied to this database. ` +
            `Restore the original file and add the change as a new migration.`)
        }
      }
      for (const f of files) {
        if (done.has(f.name)) continue
        await r.exec('begin')
        try {
          // The pool's statement_timeout guards requests. A migration that rewrites or
          // indexes a big table (0015 on 4.3 million numbers: about a minute) must
          // not be cancelled by it halfway through the start.
          await r.query("select set_config('statement_timeout', '0', true)", [])
          await r.exec(f.text)
          await r.query('insert into schema_migrations (name, checksum) values ($1, $2)', [f.name, f.checksum])
          await r.exec('commit')
        } catch (e) {
          await r.exec('rollback')
          throw new MigrationError(`Migration ${f.name} failed: ${(e as Error).message}`)
        }
        applied.push(f.name)
      }
    } finally {
      await r.query('select pg_advisory_unlock($1)', [LOCK_KEY])
    }
  } finally {
    await r.release()
  }
  return applied
}
