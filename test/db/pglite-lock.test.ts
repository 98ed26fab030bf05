// R2: embedded PGlite allows one process per data directory. A second server on
// the same DATA_DIR stops at once with a clear message and the first keeps serving;
// a server killed with SIGKILL after acknowledged writes leaves a directory that
// opens again with those writes in it. Real processes (src/server.ts), always on
// PGlite — also in the PostgreSQL run of the suite.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { HttpClient, preparedDataDir, startServer, waitHealthy } from '../platform/lib/server-child.ts'

t.test('one process per data directory; a killed process leaves a database that opens', async (t) => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kehu-r2-'))
  t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }))
  const env = { DATA_DIR: path.join(tmp, 'data') }
  await preparedDataDir(env.DATA_DIR)

  const first = await startServer(env, t)
  await waitHealthy(first)

  // the first run's administrator, and a write acknowledged after it
  const admin = new HttpClient(first.url)
  t.equal((await admin.get('/setup')).status, 200)
  const setup = await admin.post('/setup', { login: 'chief', name: '管理员', password: 'Killed-but-kept-2026', password2: 'Killed-but-kept-2026' })
  t.equal(setup.status, 303, 'first-run administrator created')
  await admin.get('/')
  t.equal((await admin.post('/lang', { lang: 'en', back: '/' })).status, 303, 'a preference saved')
  const sid = admin.cookies.get('kehu_sid')
  t.ok(sid)

  t.test('a second process on the same directory stops at once, touching nothing', async (t) => {
    const started = Date.now()
    const second = await startServer(env, t)
    const { code } = await second.exited
    t.comment(`second process exited after ${Date.now() - started} ms`)
    t.not(code, 0, `exits with an error code (${code})`)
    t.match(second.output(), /in use by another Kehu process/, 'says why')
    t.match(second.output(), String(first.proc.pid), 'and which process holds it')
    t.notMatch(second.output(), /\n\s+at .+:\d+:\d+/, 'a message, not a stack trace')
    const lock = path.join(tmp, '.data.lock')
    t.equal(fs.readFileSync(lock, 'utf8'), String(first.proc.pid), 'the lock file still names the first process')
    const res = await fetch(`${first.url}/healthz`)
    t.equal(res.status, 200, 'the first keeps serving')
    t.equal((await admin.get('/')).status, 200, 'with its sessions')
  })

  t.test('SIGKILL, then start again on the same directory', async (t) => {
    first.proc.kill('SIGKILL')
    t.equal((await first.exited).signal, 'SIGKILL')
    const again = await startServer(env, t)
    await waitHealthy(again)
    const back = new HttpClient(again.url)
    back.cookies.set('kehu_sid', sid!)
    const home = await back.get('/')
    t.equal(home.status, 200, 'the session from before the kill still works')
    t.match(home.body, '<html lang="en">', 'the acknowledged preference is there')
    const fresh = new HttpClient(again.url)
    const login = await fresh.get('/login')
    t.equal(login.status, 200, 'first run is not offered again: the administrator exists')
    t.equal((await fresh.post('/login', { login: 'chief', password: 'Killed-but-kept-2026' })).status, 303, 'and can sign in')
    again.proc.kill('SIGTERM')
    t.equal((await again.exited).code, 0, 'and it shuts down cleanly')
  })
})
