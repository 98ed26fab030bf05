// The real server (`node --import tsx src/server.ts`) as a child process, for the
// tests that need a process to kill, signal or start twice. Always embedded PGlite
// in the given DATA_DIR: DATABASE_URL is removed from the child's environment, so
// these tests mean the same thing in the PostgreSQL run of the suite.
import { spawn, type ChildProcess } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { buildApp } from '../../../src/app.ts'
import { migrationFiles } from '../../../src/db/migrate.ts'
import { baseConfig } from '../../helpers/app.ts'

const ROOT = path.resolve(import.meta.dirname, '../../..')
const CACHE = path.join(ROOT, 'node_modules/.cache/kehu-test')

/**
 * Fills `dest` with a PGlite data directory that is already initialised and
 * migrated, as a server leaves it after its first start (no users, no secret).
 * Creating one from nothing (initdb, migrations, region codes) is most of a cold
 * start; one copy made per set of migrations and copied is far quicker.
 */
export async function preparedDataDir(dest: string): Promise<void> {
  const sum = crypto.createHash('sha256').update(migrationFiles().map((f) => f.checksum).join()).digest('hex').slice(0, 16)
  const cached = path.join(CACHE, `datadir-${sum}`)
  if (!fs.existsSync(cached)) {
    const building = path.join(CACHE, `building-${process.pid}-${crypto.randomBytes(3).toString('hex')}`)
    fs.mkdirSync(building, { recursive: true })
    const app = await buildApp(baseConfig({ dataDir: path.join(building, 'data'), databaseUrl: undefined, memoryDb: false }), { logger: false })
    await app.db.deleteFrom('settings').where('key', '=', 'secret').execute() // each copy makes its own
    await app.close()
    try { fs.renameSync(path.join(building, 'data'), cached) } catch { /* another test file made it first */ }
    fs.rmSync(building, { recursive: true, force: true })
  }
  fs.cpSync(cached, dest, { recursive: true })
}

export interface ServerChild {
  proc: ChildProcess
  url: string
  output(): string
  /** resolves when the process has exited */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port
      s.close(() => resolve(port))
    })
  })
}

export async function startServer(env: Record<string, string>, t?: { teardown(fn: () => unknown): void }): Promise<ServerChild> {
  const port = env.PORT ?? String(await freePort())
  const childEnv: NodeJS.ProcessEnv = { ...process.env, HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env, PORT: port }
  delete childEnv.DATABASE_URL
  delete childEnv.NODE_OPTIONS // tap's loaders are not the server's
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  proc.stdout!.on('data', (d) => { out += d })
  proc.stderr!.on('data', (d) => { out += d })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.once('exit', (code, signal) => resolve({ code, signal }))
  })
  t?.teardown(async () => {
    if (proc.exitCode === null && proc.signalCode === null) { proc.kill('SIGKILL'); await exited }
  })
  return { proc, url: `http://127.0.0.1:${port}`, output: () => out, exited }
}

/** Waits until /healthz answers 200; throws with the child's output if it exits first. */
export async function waitHealthy(child: ServerChild, timeoutMs = 120_000): Promise<void> {
  const until = Date.now() + timeoutMs
  let gone = false
  void child.exited.then(() => { gone = true })
  while (Date.now() < until) {
    if (gone) throw new Error(`server exited before it was ready:\n${child.output()}`)
    try {
      const res = await fetch(`${child.url}/healthz`)
      if (res.status === 200) return
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`server not ready after ${timeoutMs} ms:\n${child.output()}`)
}

/** A tiny cookie-keeping HTTP client for a child server (fetch, no redirects followed). */
export class HttpClient {
  cookies = new Map<string, string>()
  csrf = ''
  constructor(public base: string) {}

  async request(method: string, url: string, form?: Record<string, string>) {
    const headers: Record<string, string> = { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') }
    let body: string | undefined
    if (form) {
      body = new URLSearchParams({ _csrf: this.csrf, ...form }).toString()
      headers['content-type'] = 'application/x-www-form-urlencoded'
    }
    const res = await fetch(this.base + url, { method, headers, body, redirect: 'manual' })
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';')
      const i = pair.indexOf('=')
      const value = pair.slice(i + 1)
      if (value === '' || /Max-Age=0/i.test(c)) this.cookies.delete(pair.slice(0, i))
      else this.cookies.set(pair.slice(0, i), value)
    }
    const text = await res.text()
    const m = /name="_csrf" value="([^"]+)"/.exec(text)
    if (m) this.csrf = m[1]
    return { status: res.status, location: res.headers.get('location'), body: text }
  }
  get(url: string) { return this.request('GET', url) }
  post(url: string, form: Record<string, string>) { return this.request('POST', url, form) }
}
