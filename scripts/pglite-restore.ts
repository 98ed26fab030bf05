// Restore of the embedded database from a backup made by scripts/pglite-dump.ts:
//   node --import tsx scripts/pglite-restore.ts file.tar.gz [--force]
// with the app STOPPED. The target is DATA_DIR (default ./data). An existing, non-empty
// data directory is never overwritten: without --force the script stops; with --force
// it is moved aside to <dir>.before-restore-<time> (delete that once you are sure).
import fs from 'node:fs'
import path from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm'
import { loadConfig } from '../src/config.ts'
import { acquireLock, DataDirLockedError } from '../src/db/lock.ts'

const args = process.argv.slice(2)
const force = args.includes('--force')
const file = args.find((a) => !a.startsWith('--'))
if (!file || !fs.existsSync(file)) {
  console.error('usage: node --import tsx scripts/pglite-restore.ts <backup.tar.gz> [--force]')
  process.exit(2)
}
const config = loadConfig()
if (config.databaseUrl) {
  console.error('DATABASE_URL is set: restore a PostgreSQL server with pg_restore (see README).')
  process.exit(2)
}
const dir = config.dataDir

let release: () => void
try {
  release = acquireLock(dir) // also creates the directory when it is missing
} catch (e) {
  if (e instanceof DataDirLockedError) { console.error(e.message); process.exit(3) }
  throw e
}
try {
  if (fs.readdirSync(dir).length > 0) {
    if (!force) {
      console.error(`${dir} is not empty. Stop here, or run again with --force to move it aside first.`)
      process.exit(4)
    }
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)
    const aside = `${dir}.before-restore-${stamp}`
    fs.renameSync(dir, aside)
    fs.mkdirSync(dir)
    console.log(`Moved the current data directory to ${aside}`)
  }
  const pglite = await PGlite.create(dir, {
    extensions: { pg_trgm },
    loadDataDir: new Blob([fs.readFileSync(file)])
  })
  const users = await pglite.query<{ n: number }>('select count(*)::int as n from users')
  await pglite.close()
  console.log(`Restored ${path.resolve(file)} into ${dir} (${users.rows[0].n} users). Start the app as usual.`)
} finally {
  release()
}
