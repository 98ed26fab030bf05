// R8: SIGTERM while ~200 requests are in flight. Every request that reached the
// server is answered (no connection reset), each answered sign-in attempt committed
// its audit row and none that went unanswered did, the process exits 0 (server.ts
// exits 1 if closing takes over 10 s) and the PGlite directory opens again cleanly.
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { sql } from 'kysely'
import { openStore } from '../../src/db/index.ts'
import { baseConfig } from '../helpers/app.ts'
import { HttpClient, preparedDataDir, startServer, waitHealthy } from './lib/server-child.ts'

const N = 200

interface Outcome { sent: boolean; status?: number; error?: string }

t.test('graceful shutdown under load', async (t) => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kehu-r8-'))
  t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }))
  const dataDir = path.join(tmp, 'data')
  await preparedDataDir(dataDir)
  // every request is a sign-in attempt: an argon2 check (slow enough to keep many
  // in flight; the cheapest allowed cost, so a busy machine still drains 200 well
  // inside the 10 s limit) and an audit row (a write that must commit or not happen)
  const server = await startServer({
    DATA_DIR: dataDir, LOGIN_RATE_PER_MINUTE: '10000', ARGON2_MEMORY_KIB: '8192', ARGON2_TIME_COST: '1'
  }, t)
  await waitHealthy(server)
  const form = new HttpClient(server.url)
  await form.get('/setup') // the pre-session cookie and its token
  const cookie = [...form.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
  const body = new URLSearchParams({ _csrf: form.csrf, login: 'nobody', password: 'not-a-password' }).toString()
  const port = Number(new URL(server.url).port)

  const outcomes: Outcome[] = []
  let written = 0, answered = 0
  const progress: (() => void)[] = []
  const tick = () => progress.splice(0).forEach((f) => f())
  const done = Array.from({ length: N }, () => new Promise<void>((resolve) => {
    const o: Outcome = { sent: false }
    outcomes.push(o)
    // one connection per request (no keep-alive): "sent" means written on an open socket
    const req = http.request({
      host: '127.0.0.1', port, method: 'POST', path: '/login', agent: false,
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) }
    }, (res) => {
      res.resume()
      res.on('end', () => { o.status = res.statusCode; answered++; tick(); resolve() })
      res.on('error', (e) => { o.error = (e as NodeJS.ErrnoException).code ?? e.message; tick(); resolve() })
    })
    req.on('finish', () => { o.sent = true; written++; tick() })
    req.on('error', (e) => { o.error = (e as NodeJS.ErrnoException).code ?? e.message; tick(); resolve() })
    req.end(body)
  }))
  const until = (cond: () => boolean) => new Promise<void>((resolve) => {
    const check = () => (cond() ? resolve() : progress.push(check))
    check()
  })

  // all written, a few answered: the rest are inside the server when the signal comes
  await until(() => written + outcomes.filter((o) => o.error).length === N && answered >= 10)
  const inFlight = N - answered
  server.proc.kill('SIGTERM')
  const sigtermAt = Date.now()
  await Promise.all(done)
  const exit = await server.exited
  t.comment(`${inFlight} requests in flight at SIGTERM; exited after ${Date.now() - sigtermAt} ms`)
  t.ok(inFlight > 0, 'requests were in flight when the signal came')

  const errors = outcomes.filter((o) => o.error).map((o) => o.error)
  t.same(errors, [], 'no request sent before SIGTERM was reset or left unanswered')
  const statuses = outcomes.map((o) => o.status)
  const counts = Object.fromEntries([...new Set(statuses)].map((s) => [s, statuses.filter((x) => x === s).length]))
  t.comment(`answers: ${JSON.stringify(counts)}`)
  t.ok(statuses.every((s) => s === 401 || s === 503), 'each answered: 401 (checked) or 503 (arrived while closing)')
  t.equal(exit.code, 0, 'exit code 0: closed within the 10 s limit')

  const store = await openStore(baseConfig({ dataDir, databaseUrl: undefined }))
  t.teardown(() => store.close())
  const audited = await sql<{ n: number }>`select count(*)::int as n from audit_log where action = 'signin.failed'`.execute(store.db)
  t.equal(audited.rows[0].n, counts[401] ?? 0, 'the data directory reopens, holding one audit row per answered attempt')
  t.notOk(fs.existsSync(path.join(tmp, '.data.lock')) && fs.readFileSync(path.join(tmp, '.data.lock'), 'utf8') !== String(process.pid),
    'the stopped server released its lock')
})
