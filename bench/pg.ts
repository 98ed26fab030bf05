// A PostgreSQL cluster of the benchmark's own, for when no server is given
// (BENCH_DATABASE_URL / DATABASE_URL). Made the way .ci/run makes its throw-away
// cluster (Debian's PostgreSQL binaries, initdb as the postgres user when we are
// root, C.UTF-8 so pg_trgm sees Chinese), but kept in /tmp/kehu-bench-pg between
// runs so the seeded million customers are reused. Stopped when the bench ends.
//
// Settings are PostgreSQL's defaults (shared_buffers 128 MB, fsync on), like the
// probe measurements in ../shared/research/performance.md, unless BENCH_PG_SETTINGS
// adds some ("shared_buffers=3GB huge_pages=on"): the server a README section
// recommends, measured on the same data. They apply when the bench starts the cluster.
// (A cluster that is already running keeps the settings it was started with.)
import { execFileSync } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'

export interface Cluster {
  /** postgres://postgres:…@127.0.0.1:port/ — append a database name */
  baseUrl: string
  /** pid of the postmaster, for CPU accounting of the server processes */
  pid: number
  stop(): void
}

const PGBIN = process.env.BENCH_PGBIN ?? '/usr/lib/postgresql/15/bin'

export function clusterAvailable(): boolean {
  return fs.existsSync(path.join(PGBIN, 'initdb'))
}

const isRoot = () => process.getuid?.() === 0

/** runs a PostgreSQL binary as the postgres user when we are root (initdb refuses root) */
function asPostgres(dir: string, bin: string, args: string[]) {
  const cmd = path.join(PGBIN, bin)
  const [file, argv] = isRoot() ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]
  return execFileSync(file, argv, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }).toString()
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer().once('error', () => resolve(false)).listen(port, '127.0.0.1', () => s.close(() => resolve(true)))
  })
}

function runningPid(data: string): number | null {
  try {
    const pid = Number(fs.readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0])
    process.kill(pid, 0)
    return pid
  } catch {
    return null
  }
}

/** BENCH_PG_SETTINGS's `name=value` words; only names and plain values, they go on a command line */
function extraSettings(): string[] {
  const words = (process.env.BENCH_PG_SETTINGS ?? '').split(/\s+/).filter(Boolean)
  for (const w of words) if (!/^[a-z_.]+=[A-Za-z0-9_.]+$/.test(w)) throw new Error(`BENCH_PG_SETTINGS: "${w}" is not name=value`)
  return words
}

export async function startCluster(log: (m: string) => void): Promise<Cluster> {
  const dir = process.env.BENCH_PG_DIR ?? '/tmp/kehu-bench-pg'
  const port = Number(process.env.BENCH_PG_PORT ?? 55432)
  const data = path.join(dir, 'data')
  const extra = extraSettings()
  const pwFile = path.join(dir, 'password')
  if (!fs.existsSync(path.join(data, 'PG_VERSION'))) {
    fs.rmSync(dir, { recursive: true, force: true })
    fs.mkdirSync(dir, { mode: 0o700 })
    fs.writeFileSync(pwFile, crypto.randomBytes(18).toString('base64url'), { mode: 0o600 })
    if (isRoot()) execFileSync('chown', ['-R', 'postgres:postgres', dir])
    log(`initdb ${data}`)
    asPostgres(dir, 'initdb', ['-D', data, '-U', 'postgres', '--locale=C.UTF-8', '-E', 'UTF8',
      '--auth-local=trust', '--auth-host=scram-sha-256', `--pwfile=${pwFile}`])
  }
  const password = fs.readFileSync(pwFile, 'utf8').trim()
  let pid = runningPid(data)
  const startedHere = pid === null
  if (pid === null) {
    // a cluster stopped a moment ago may still hold the port briefly
    for (let i = 0; !(await portFree(port)); i++) {
      if (i === 20) throw new Error(`port ${port} is taken: set BENCH_PG_PORT`)
      await new Promise((r) => setTimeout(r, 250))
    }
    asPostgres(dir, 'pg_ctl', ['-D', data, '-l', path.join(dir, 'server.log'), '-w', '-t', '120', 'start', '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=100${extra.map((w) => ` -c ${w}`).join('')}`])
    pid = runningPid(data)
    if (pid === null) throw new Error(`PostgreSQL did not start: see ${path.join(dir, 'server.log')}`)
  }
  const version = asPostgres(dir, 'postgres', ['--version']).trim()
  const how = startedHere ? (extra.length ? `, with ${extra.join(' ')}` : '') : `, already running${extra.length ? ': BENCH_PG_SETTINGS not applied' : ''}`
  log(`${version} on 127.0.0.1:${port} (cluster ${data}${how})`)
  // BENCH_PG_SOCKET=1: the app and the baseline reach the cluster through its Unix
  // socket (in `dir`, trusted for local connections) instead of TCP on 127.0.0.1, as an
  // app on the database's own host would (the README's "Sizing the PostgreSQL server")
  const socket = process.env.BENCH_PG_SOCKET === '1' ? `?host=${encodeURIComponent(dir)}` : ''
  if (socket) log(`connecting through the Unix socket in ${dir}`)
  return {
    baseUrl: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${socket}`,
    pid,
    stop() {
      if (!startedHere) return
      try { asPostgres(dir, 'pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']) } catch { /* already gone */ }
    }
  }
}

/** CPU seconds used so far by the postmaster and its children (backends, workers) */
export function clusterCpuSeconds(postmasterPid: number): number {
  const tick = 100 // USER_HZ on Linux
  let total = 0
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8')
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      // fields after the command: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14).
      // A backend that ended (a pool closing an idle connection) is gone from /proc, and
      // its time is in the postmaster's cutime/cstime once reaped: counted there, so a
      // scenario's difference is not short of it (it came out negative without them).
      if (Number(entry) === postmasterPid) total += (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / tick
      else if (Number(f[1]) === postmasterPid) total += (Number(f[11]) + Number(f[12])) / tick
    } catch { /* the process ended */ }
  }
  return total
}
