import t from 'tap'
import { Client, PASSWORD, auditRows, seedOffice, signIn, testApp } from '../helpers/app.ts'

t.test('sign-in', async (t) => {
  const app = await testApp(t)
  await seedOffice(app)

  t.test('success lands on the workbench with a fresh session id', async (t) => {
    const c = new Client(app)
    await c.get('/login')
    const before = c.cookies.get('kehu_sid')
    const res = await c.post('/login', { login: 'rep', password: PASSWORD })
    t.equal(res.statusCode, 303)
    t.equal(res.headers.location, '/')
    const sid = c.cookies.get('kehu_sid')
    t.ok(sid, 'session cookie set')
    t.not(sid, before)
    t.match(String(res.headers['set-cookie']), /HttpOnly/)
    t.match(String(res.headers['set-cookie']), /SameSite=Lax/)
    const home = await c.get('/')
    t.equal(home.statusCode, 200)
    t.match(home.body, '张三')
    t.equal(home.headers['cache-control'], 'no-store')
    const stored = await app.db.selectFrom('sessions').select('id_hash').execute()
    t.notOk(stored.some((s) => s.id_hash === sid), 'the database never holds the raw session id')
    t.equal((await auditRows(app, { action: 'signin' })).length, 1)
  })

  t.test('wrong password and unknown user get the same message', async (t) => {
    const c = new Client(app)
    await c.get('/login')
    const wrong = await c.post('/login', { login: 'rep', password: 'nope-nope-nope' })
    const unknown = await c.post('/login', { login: 'nobody', password: 'nope-nope-nope' })
    t.equal(wrong.statusCode, 401)
    t.equal(unknown.statusCode, 401)
    const msg = (b: string) => /role="alert">([^<]+)</.exec(b)?.[1]
    t.ok(msg(wrong.body))
    t.equal(msg(wrong.body), msg(unknown.body))
    t.notOk(c.cookies.has('kehu_sid'))
    const failed = await auditRows(app, { action: 'signin.failed' })
    t.ok(failed.length >= 2)
    t.notMatch(JSON.stringify(failed), 'nope-nope-nope', 'passwords never reach the audit log')
  })

  t.test('signed-out visitors are sent to sign-in and come back after', async (t) => {
    const c = new Client(app)
    const res = await c.get('/?x=1')
    t.equal(res.statusCode, 303)
    t.equal(res.headers.location, '/login?next=%2F%3Fx%3D1')
    await c.get('/login?next=%2F%3Fx%3D1')
    const ok = await c.post('/login', { login: 'rep', password: PASSWORD, next: '/?x=1' })
    t.equal(ok.headers.location, '/?x=1')
    const evil = new Client(app)
    await evil.get('/login')
    const r = await evil.post('/login', { login: 'rep', password: PASSWORD, next: '//evil.example/' })
    t.equal(r.headers.location, '/', 'no open redirect')
  })

  t.test('sign-out ends the session and clears site data', async (t) => {
    const c = await signIn(app, 'rep2')
    const old = c.cookies.get('kehu_sid')!
    const res = await c.post('/logout')
    t.equal(res.statusCode, 303)
    t.match(String(res.headers['clear-site-data']), 'cache')
    const replay = await app.inject({ method: 'GET', url: '/', headers: { cookie: `kehu_sid=${old}` } })
    t.equal(replay.statusCode, 303, 'the old cookie no longer works')
  })
})
