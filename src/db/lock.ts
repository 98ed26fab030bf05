// PGlite takes no lock on its data directory and two processes on one directory
// corrupt it (pglite#1106), so the app holds a lock file of its own. A lock left by
// a killed process (its pid no longer runs) is taken over.
import fs from 'node:fs'
import path from 'node:path'

export class DataDirLockedError extends Error {}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM' }
}

const lockFile = (dataDir: string) => path.join(path.dirname(dataDir), `.${path.basename(dataDir)}.lock`)

const inUse = (dataDir: string, pid: number) => new DataDirLockedError(
  `The embedded database in ${dataDir} is in use by another Kehu process (pid ${pid}). ` +
  `Stop that process first, or start this one with another DATA_DIR.`)

/**
 * The same refusal as acquireLock, without taking the lock or creating anything:
 * server.ts asks before loading the whole app, so a second process stops at once.
 */
export function assertDataDirFree(dataDir: string): void {
  let pid = 0
  try { pid = Number(fs.readFileSync(lockFile(dataDir), 'utf8').trim()) } catch { return }
  if (pid && pid !== process.pid && alive(pid)) throw inUse(dataDir, pid)
}

export function acquireLock(dataDir: string): () => void {
  fs.mkdirSync(dataDir, { recursive: true })
  const file = lockFile(dataDir)
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' })
      let released = false
      return () => {
        if (released) return
        released = true
        try { if (fs.readFileSync(file, 'utf8') === String(process.pid)) fs.unlinkSync(file) } catch { /* already gone */ }
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
      const pid = Number(fs.readFileSync(file, 'utf8').trim())
      if (pid && pid !== process.pid && alive(pid)) throw inUse(dataDir, pid)
      fs.rmSync(file, { force: true }) // stale: its process is gone
    }
  }
  throw new DataDirLockedError(`Could not take the lock file ${file}`)
}
