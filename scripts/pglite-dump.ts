// Backup of the embedded database:
//   node --import tsx scripts/pglite-dump.ts [file.tar.gz]
// with the app STOPPED (PGlite allows one process per data directory; the lock file
// makes this script refuse while the app runs). Writes a gzipped tarball of the whole
// data directory (DATA_DIR, default ./data), restorable with scripts/pglite-restore.ts.
import fs from 'node:fs'
import path from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm'
import { loadConfig } from '../src/config.ts'
import { acquireLock, DataDirLockedError } from '../src/db/lock.ts'

const config = loadConfig()
if (config.databaseUrl) {
  console.error('DATABASE_URL is set: this database is a PostgreSQL server, back it up with pg_dump (see README).')
  process.exit(2)
}
if (!fs.existsSync(path.join(config.dataDir, 'PG_VERSION'))) {
  console.error(`No embedded database in ${config.dataDir} (set DATA_DIR to the data directory).`)
  process.exit(2)
}
const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)
const out = path.resolve(process.argv[2] ?? `kehu-pglite-${stamp}.tar.gz`)

let release: () => void
try {
  release = acquireLock(config.dataDir)
} catch (e) {
  if (e instanceof DataDirLockedError) { console.error(e.message); process.exit(3) }
  throw e
}
try {
  const pglite = await PGlite.create(config.dataDir, { extensions: { pg_trgm } })
  const users = await pglite.query<{ n: number }>('select count(*)::int as n from users')
  const blob = await pglite.dumpDataDir('gzip')
  await pglite.close()
  const tmp = `${out}.partial`
  fs.writeFileSync(tmp, Buffer.from(await blob.arrayBuffer()))
  fs.renameSync(tmp, out)
  console.log(`Backed up ${config.dataDir} (${users.rows[0].n} users) to ${out} (${(fs.statSync(out).size / 1048576).toFixed(1)} MiB)`)
} finally {
  release()
}
