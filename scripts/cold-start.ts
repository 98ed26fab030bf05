// Measures the cold start of `npm start` on an already-migrated embedded database:
// the time from spawning `node --import tsx src/server.ts` to the first /healthz 200.
//   node --import tsx scripts/cold-start.ts [runs=3]
// A first, unmeasured start creates and migrates a temporary data directory; each
// measured run then starts a new process on it and stops it with SIGTERM.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'

const ROOT = path.resolve(import.meta.dirname, '..')
const runs = Number(process.argv[2] ?? 3)
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kehu-cold-start-'))

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo
      s.close(() => resolve(port))
    })
  })
}

async function startOnce(): Promise<number> {
  const port = await freePort()
  const t0 = performance.now()
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: ROOT, stdio: 'ignore',
    env: { ...process.env, DATABASE_URL: '', DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' }
  })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`)
      try {
        const res = await fetch(`http://127.0.0.1:${port}/healthz`)
        if (res.status === 200) return performance.now() - t0
      } catch { /* not listening yet */ }
      await new Promise((r) => setTimeout(r, 20))
    }
  } finally {
    child.kill('SIGTERM')
    await exited
  }
}

try {
  const first = await startOnce()
  console.log(`first start (creates and migrates the database, not counted): ${(first / 1000).toFixed(2)} s`)
  const times: number[] = []
  for (let i = 1; i <= runs; i++) {
    const ms = await startOnce()
    times.push(ms)
    console.log(`run ${i}: ${(ms / 1000).toFixed(2)} s`)
  }
  times.sort((a, b) => a - b)
  console.log(`median of ${runs}: ${(times[Math.floor(times.length / 2)] / 1000).toFixed(2)} s  (node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg()[0].toFixed(2)})`)
} finally {
  fs.rmSync(dataDir, { recursive: true, force: true })
}
