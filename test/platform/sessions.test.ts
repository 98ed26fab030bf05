// S9: sessions. The id changes at every sign-in and credential change, old ids are
// dead, idle and absolute limits end a session, a disabled user loses his sessions
// on his next request, cookies carry the right attributes, and the database only
// ever holds a hash of the id.
import t from 'tap'
import { sql } from 'kysely'
import type { FastifyInstance } from 'fastify'
import { hashId } from '../../src/platform/sessions.ts'
import { escapeHtml } from '../../src/platform/render.ts'
import { translator } from '../../src/platform/i18n.ts'
import { Client, PASSWORD, auditRows, seedOffice, signIn, testApp, type Res } from '../helpers/app.ts'
import { registeredRoutes } from '../../src/app.ts'
import { changedTables, fingerprint, tableNames } from './lib/db-state.ts'

const zh = translator('zh-CN')

function setCookies(res: Res): string[] {
  const h = res.headers['set-cookie']
  return (Array.isArray(h) ? h : h ? [h] : []) as string[]
}
const cookieLine = (res: Res, name: string) => setCookies(res).find((c) => c.startsWith(`${name}=`))

/** a statement on a connection of its own, not through the app's Kysely */
async function elsewhere(app: FastifyInstance, text: string) {
  if (app.store.pglite) return void await app.store.pglite.query(text)
  const { default: pg } = await import('pg')
  const client = new pg.Client({ connectionString: app.config.databaseUrl })
  await client.connect()
  try { await client.query(text) } finally { await client.end() }
}

/** whether a request answers `status` within two seconds (tried every 20 ms) */
async function becomes(send: () => Promise<{ statusCode: number }>, status: number) {
  for (const end = Date.now() + 2000; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) {
    if ((await send()).statusCode === status) return true
  }
  return false
}

/** GET / with only this session cookie: 200 when the session is alive */
async function alive(app: FastifyInstance, sid: string, name = 'kehu_sid', headers: Record<string, string> = {}) {
  const res = await app.inject({ method: 'GET', url: '/', headers: { cookie: `${name}=${sid}`, ...headers } })
  return res.statusCode === 200
}

// Through Kysely, like every write of the app: the app's session cache hears of it at
// once (a raw statement from elsewhere is heard by NOTIFY, a moment after it commits).
async function moveSession(app: FastifyInstance, sid: string, set: { lastSeenAgoMin?: number; createdAgoMin?: number }) {
  const h = hashId(sid)
  if (set.lastSeenAgoMin !== undefined) {
    await app.db.updateTable('sessions').set({ last_seen_at: sql`now() - make_interval(mins => ${set.lastSeenAgoMin})` as never }).where('id_hash', '=', h).execute()
  }
  if (set.createdAgoMin !== undefined) {
    await app.db.updateTable('sessions').set({ created_at: sql`now() - make_interval(mins => ${set.createdAgoMin})` as never }).where('id_hash', '=', h).execute()
  }
}

t.test('sessions over plain HTTP', async (t) => {
  const app = await testApp(t)
  await seedOffice(app)

  t.test('cookie attributes: HttpOnly, SameSite=Lax, Path=/, not Secure on plain HTTP (COOKIE_SECURE=auto)', async (t) => {
    const c = new Client(app)
    const page = await c.get('/login')
    const pre = cookieLine(page, 'kehu_pre')!
    t.ok(pre, 'the pre-session cookie is set by the sign-in page')
    const res = await c.post('/login', { login: 'rep', password: PASSWORD })
    const sid = cookieLine(res, 'kehu_sid')!
    for (const line of [pre, sid]) {
      t.match(line, /; HttpOnly/i)
      t.match(line, /; SameSite=Lax/i)
      t.match(line, /; Path=\//i)
      t.notMatch(line, /; Secure/i)
      t.notMatch(line, /; Domain=/i)
      t.notMatch(line, /; (Expires|Max-Age)=/i, 'a browser-session cookie: closing the browser forgets it')
    }
    // without TRUST_PROXY a forged X-Forwarded-Proto changes nothing
    const forged = await new Client(app).request('GET', '/login', { headers: { 'x-forwarded-proto': 'https' } })
    t.notMatch(cookieLine(forged, 'kehu_pre')!, /; Secure/i)
  })

  t.test('the database never holds the raw session id', async (t) => {
    const c = await signIn(app, 'rep')
    const sid = c.cookies.get('kehu_sid')!
    t.ok(sid.length >= 40, 'a long random id')
    const row = await app.db.selectFrom('sessions').selectAll().where('id_hash', '=', hashId(sid)).executeTakeFirst()
    t.ok(row, 'the session is found by the hash of its id')
    for (const table of await tableNames(app)) {
      const hit = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)} x where x::text like ${'%' + sid + '%'}`.execute(app.db)
      t.equal(hit.rows[0].n, 0, `${table} does not contain the raw id`)
    }
  })

  t.test('rotation: a planted id is never adopted, signing in again replaces the id', async (t) => {
    const c = new Client(app)
    await c.get('/login')
    c.cookies.set('kehu_sid', 'attacker-chosen-session-id-0123456789abcdef')
    await c.post('/login', { login: 'rep', password: PASSWORD })
    const first = c.cookies.get('kehu_sid')!
    t.not(first, 'attacker-chosen-session-id-0123456789abcdef', 'a fixed id is replaced at sign-in')
    t.notOk(await alive(app, 'attacker-chosen-session-id-0123456789abcdef'))
    t.ok(await alive(app, first))

    await c.get('/')
    const pageToken = c.csrf
    // signing in again (another user, same browser) ends the first session
    const res = await c.post('/login', { login: 'rep2', password: PASSWORD })
    t.equal(res.statusCode, 303)
    const second = c.cookies.get('kehu_sid')!
    t.not(second, first)
    t.notOk(await alive(app, first), 'the id from before the sign-in is dead')
    t.ok(await alive(app, second))
    // and the CSRF token of the old session is worthless for the new one
    const stale = await c.post('/lang', { lang: 'en', back: '/', _csrf: pageToken })
    t.equal(stale.statusCode, 403)
  })

  t.test('idle timeout, kept alive by activity', async (t) => {
    const idleMin = app.config.sessionIdleMs / 60_000
    const c = await signIn(app, 'rep')
    const sid = c.cookies.get('kehu_sid')!
    await moveSession(app, sid, { lastSeenAgoMin: idleMin - 1 })
    t.ok(await alive(app, sid), 'one minute before the idle limit the session still works')
    const row = await app.db.selectFrom('sessions').select(sql<number>`extract(epoch from now() - last_seen_at)::int`.as('ago'))
      .where('id_hash', '=', hashId(sid)).executeTakeFirstOrThrow()
    t.ok(row.ago < 60, 'and the request refreshed its last-seen time')
    await moveSession(app, sid, { lastSeenAgoMin: idleMin + 1 })
    const res = await c.get('/')
    t.equal(res.statusCode, 303)
    t.match(String(res.headers.location), /^\/login/)
    t.notOk(await app.db.selectFrom('sessions').select('id_hash').where('id_hash', '=', hashId(sid)).executeTakeFirst(), 'the row is gone')
  })

  t.test('absolute timeout, even when active', async (t) => {
    const absMin = app.config.sessionAbsoluteMs / 60_000
    const c = await signIn(app, 'rep')
    const sid = c.cookies.get('kehu_sid')!
    await moveSession(app, sid, { createdAgoMin: absMin - 1, lastSeenAgoMin: 0 })
    t.ok(await alive(app, sid))
    await moveSession(app, sid, { createdAgoMin: absMin + 1, lastSeenAgoMin: 0 })
    t.notOk(await alive(app, sid), 'past the absolute limit the session ends')
    const res = await c.hx('GET', '/')
    t.equal(res.headers['hx-redirect'], '/login', 'htmx requests are sent to sign-in too')
  })

  t.test('disabled user: refused at sign-in, and his live sessions die on the next request', async (t) => {
    const a = await signIn(app, 'other')
    const b = await signIn(app, 'other')
    await app.db.updateTable('users').set({ active: false }).where('login', '=', 'other').execute()
    const res = await a.get('/')
    t.equal(res.statusCode, 303, 'the next request is not served')
    t.match(String(res.headers.location), /^\/login/)
    const post = await b.post('/lang', { lang: 'en', back: '/' })
    t.equal(post.statusCode, 403, 'a write from his other browser is refused too')
    const left = await app.db.selectFrom('sessions as s').innerJoin('users as u', 'u.id', 's.user_id').select('s.id_hash')
      .where('u.login', '=', 'other').execute()
    t.equal(left.length, 0, 'both sessions were removed when used')
    const c = new Client(app)
    await c.get('/login')
    const again = await c.post('/login', { login: 'other', password: PASSWORD })
    t.equal(again.statusCode, 401)
    t.match(again.body, escapeHtml(zh('auth.disabled')))
    t.notOk(c.cookies.has('kehu_sid'))
    const audit = (await auditRows(app, { action: 'signin.failed' })).at(-1)!
    t.match(audit.changes, { reason: 'disabled' })
    await app.db.updateTable('users').set({ active: true }).where('login', '=', 'other').execute()
  })

  t.test('a change made by another connection (psql, another instance) reaches the signed-in user', async (t) => {
    // The session, with its user and role, is kept in memory between requests; what
    // another connection changes is heard by NOTIFY, a moment after it commits.
    const c = await signIn(app, 'rep')
    t.equal((await c.get('/customers')).statusCode, 200)
    t.equal((await c.get('/customers')).statusCode, 200, 'served again (now from the cached session)')
    await elsewhere(app, `update users set revokes = array['customers.read'] where login = 'rep'`)
    t.ok(await becomes(() => c.get('/customers'), 403), 'the revoked permission is refused within two seconds')
    await elsewhere(app, `update users set revokes = '{}' where login = 'rep'`)
    t.ok(await becomes(() => c.get('/customers'), 200), 'and given back the same way')
    await elsewhere(app, `update roles set data_scope = 'all' where id = (select role_id from users where login = 'rep')`)
    t.ok(await becomes(async () => ({ statusCode: (await c.get('/customers')).body.includes('name="owner"') ? 1 : 0 }), 1),
      "a role's wider scope shows the owner filter, which only wider scopes have")
    await elsewhere(app, `update roles set data_scope = 'own' where id = (select role_id from users where login = 'rep')`)
    t.ok(await becomes(async () => ({ statusCode: (await c.get('/customers')).body.includes('name="owner"') ? 1 : 0 }), 0))
    await elsewhere(app, `delete from sessions where id_hash = '${hashId(c.cookies.get('kehu_sid')!)}'`)
    t.ok(await becomes(() => c.get('/'), 303), 'a session deleted elsewhere is signed out')
  })

  t.test('sign-out kills the id for good', async (t) => {
    const c = await signIn(app, 'rep')
    const sid = c.cookies.get('kehu_sid')!
    const res = await c.post('/logout')
    t.match(cookieLine(res, 'kehu_sid')!, /Expires=Thu, 01 Jan 1970/i, 'the browser is told to drop the cookie')
    t.notOk(await alive(app, sid))
  })
})

t.test('forced password change', async (t) => {
  const app = await testApp(t)
  const office = await seedOffice(app)
  const me = await signIn(app, 'rep')
  const elsewhere = await signIn(app, 'rep')
  await app.db.updateTable('users').set({ must_change_password: true }).where('id', '=', office.users.rep.id).execute()

  const fill = (url: string) => url.replace(/:[A-Za-z_]\w*/g, String(office.users.rep.id)).replace(/\*/g, 'x')
  const guarded = registeredRoutes(app).filter((r) => !r.config.public && !r.config.allowPasswordChange && !r.url.startsWith('/public/') && !r.url.startsWith('/vendor/'))

  t.test('every page leads to the password form until it is changed', async (t) => {
    const gets = guarded.filter((r) => r.method === 'GET')
    t.ok(gets.some((r) => r.url === '/'), 'the walk includes the workbench')
    for (const r of gets) {
      const res = await me.get(fill(r.url))
      t.equal(res.statusCode, 303, `GET ${r.url}`)
      t.equal(res.headers.location, '/account/password', `GET ${r.url} → /account/password`)
    }
    const hx = await me.hx('GET', '/')
    t.equal(hx.headers['hx-redirect'], '/account/password', 'htmx requests too')
    const form = await me.get('/account/password')
    t.equal(form.statusCode, 200)
    t.match(form.body, escapeHtml(zh('auth.mustChange')))
  })

  t.test('writes are turned away before they run', async (t) => {
    const before = await fingerprint(app)
    for (const r of guarded.filter((r) => r.method !== 'GET' && r.method !== 'HEAD')) {
      const res = await me.request(r.method, fill(r.url), { form: { name: 'x' } })
      t.equal(res.statusCode, 303, `${r.method} ${r.url} is redirected`)
    }
    t.same(changedTables(before, await fingerprint(app)), [])
  })

  t.test('after the change: new id here, other sessions ended, pages open again', async (t) => {
    const oldSid = me.cookies.get('kehu_sid')!
    const otherSid = elsewhere.cookies.get('kehu_sid')!
    await me.get('/account/password')
    const res = await me.post('/account/password', { current: PASSWORD, password: 'Brand-new-pass-2026', password2: 'Brand-new-pass-2026' })
    t.equal(res.statusCode, 303)
    t.equal(res.headers.location, '/')
    const newSid = me.cookies.get('kehu_sid')!
    t.not(newSid, oldSid, 'the session id changed')
    t.notOk(await alive(app, oldSid), 'the old id is dead')
    t.notOk(await alive(app, otherSid), 'the other browser was signed out')
    const home = await me.get('/')
    t.equal(home.statusCode, 200)
    t.match(home.body, escapeHtml(zh('auth.passwordChanged')), 'told what happened')
    const user = await app.db.selectFrom('users').select('must_change_password').where('id', '=', office.users.rep.id).executeTakeFirstOrThrow()
    t.equal(user.must_change_password, false)
    t.equal((await auditRows(app, { action: 'password.change', entityId: office.users.rep.id })).length, 1)
  })
})

t.test('sessions behind a TLS proxy (TRUST_PROXY=true, X-Forwarded-Proto: https)', async (t) => {
  const app = await testApp(t, { trustProxy: true })
  await seedOffice(app)
  const https = { 'x-forwarded-proto': 'https' }
  const c = new Client(app)
  const page = await c.request('GET', '/login', { headers: https })
  t.match(cookieLine(page, 'kehu_pre')!, /; Secure/i)
  const res = await c.request('POST', '/login', { form: { login: 'rep', password: PASSWORD }, headers: https })
  t.equal(res.statusCode, 303)
  const line = cookieLine(res, '__Host-kehu_sid')!
  t.ok(line, 'the session cookie carries the __Host- prefix')
  t.match(line, /; Secure/i)
  t.match(line, /; HttpOnly/i)
  t.match(line, /; SameSite=Lax/i)
  t.match(line, /; Path=\//i)
  t.notMatch(line, /; Domain=/i, '__Host- cookies may not name a domain')
  const sid = c.cookies.get('__Host-kehu_sid')!
  t.ok(await alive(app, sid, '__Host-kehu_sid', https))
  t.notOk(await alive(app, sid, 'kehu_sid', https), 'the unprefixed name is not accepted over TLS')

  await c.request('GET', '/', { headers: https })
  const lang = await c.request('POST', '/lang', { form: { lang: 'en', back: '/' }, headers: https })
  const langLine = cookieLine(lang, 'kehu_lang')!
  t.match(langLine, /; Secure/i, 'the language cookie is Secure over TLS too')

  const out = await c.request('POST', '/logout', { headers: https, form: {} })
  const cleared = cookieLine(out, '__Host-kehu_sid')!
  t.match(cleared, /Expires=Thu, 01 Jan 1970/i)
  // browsers ignore a __Host- cookie (even one that deletes) without Secure and Path=/
  t.match(cleared, /; Secure/i, 'the deleting cookie is Secure, or the browser would keep the old one')
  t.match(cleared, /; Path=\//i)
  t.notOk(await alive(app, sid, '__Host-kehu_sid', https))
})
