// S6: every non-GET route — the platform's and every module's, found through the
// app's own route list so a new route is covered without editing this file — refuses
// a request that lacks a valid CSRF token, and the refusal changes nothing.
import t from 'tap'
import { registeredRoutes } from '../../src/app.ts'
import { escapeHtml } from '../../src/platform/render.ts'
import { translator } from '../../src/platform/i18n.ts'
import { Client, PASSWORD, seedOffice, signIn, testApp, type Res } from '../helpers/app.ts'
import { changedTables, fingerprint } from './lib/db-state.ts'
import type { TT } from './lib/tap.ts'

const CSRF_MESSAGE = escapeHtml(translator('zh-CN')('errors.csrf'))
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

t.test('CSRF on every state-changing route', async (t) => {
  // the walk posts to /login many times from one address: keep the IP limit out of the way
  const app = await testApp(t, { loginRatePerMinute: 10_000 })
  const office = await seedOffice(app)
  const routes = registeredRoutes(app).filter((r) => UNSAFE.has(r.method))
  const urls = routes.map((r) => `${r.method} ${r.url}`)
  for (const must of ['POST /login', 'POST /logout', 'POST /setup', 'POST /account/password', 'POST /lang']) {
    t.ok(urls.includes(must), `${must} is in the walk`)
  }

  // A real id in every path parameter, so a route that forgot the check would have
  // something to change and the fingerprint would show it.
  const fill = (url: string) => url.replace(/:[A-Za-z_]\w*/g, String(office.users.rep.id)).replace(/\*/g, 'x')

  // admin holds every permission, so nothing but the token stands in the way
  const admin = new Client(app)
  await admin.get('/login')
  const preToken = admin.csrf // the sign-in form's token, bound to the pre-session cookie
  t.equal((await admin.post('/login', { login: 'admin', password: PASSWORD })).statusCode, 303)
  await admin.get('/')
  t.not(admin.csrf, preToken, 'signing in issues a new token')
  const rep = await signIn(app, 'rep')

  const visitor = new Client(app)
  await visitor.get('/login')
  const otherVisitor = new Client(app)
  await otherVisitor.get('/login')
  t.not(visitor.csrf, otherVisitor.csrf)

  // Signed in as admin (every permission) nothing but the token can stop the request,
  // so the answer must be the CSRF refusal itself. Signed out, a route may turn the
  // visitor away even earlier (401 before reading an upload); either way the handler
  // never runs.
  const refused = (t: TT, res: Res, what: string, strict = true) => {
    if (strict) {
      t.equal(res.statusCode, 403, `${what}: 403`)
      t.match(res.body, CSRF_MESSAGE, `${what}: refused by the CSRF check, before the handler`)
    } else {
      t.ok([401, 403, 404, 405].includes(res.statusCode), `${what}: refused (${res.statusCode})`)
      if (res.statusCode === 403) t.match(res.body, CSRF_MESSAGE, `${what}: by the CSRF check`)
    }
    t.notMatch(String(res.headers['set-cookie'] ?? ''), /kehu_sid=[^;]/, `${what}: no session handed out`)
  }

  for (const r of routes) {
    const url = fill(r.url)
    t.test(`${r.method} ${r.url}`, async (t) => {
      const before = await fingerprint(app)
      // a public route (sign-in, first run, language) has no other gate: the CSRF check must answer
      const strictVisitor = r.config.public === true
      const send = (c: Client, opts: { form?: Record<string, string>; headers?: Record<string, string>; url?: string }) =>
        c.request(r.method, opts.url ?? url, { form: opts.form ?? { name: 'x' }, headers: opts.headers, csrf: false })

      // signed in
      refused(t, await send(admin, {}), 'signed in, no token')
      refused(t, await send(admin, { form: { name: 'x', _csrf: 'A'.repeat(admin.csrf.length) } }), 'signed in, wrong token')
      refused(t, await send(admin, { headers: { 'x-csrf-token': 'A'.repeat(admin.csrf.length) } }), 'signed in, wrong header')
      refused(t, await send(admin, { form: { name: 'x', _csrf: rep.csrf } }), "signed in, another session's token")
      refused(t, await send(admin, { headers: { 'x-csrf-token': rep.csrf } }), "signed in, another session's token in the header")
      refused(t, await send(admin, { form: { name: 'x', _csrf: preToken } }), 'signed in, the pre-sign-in token')
      refused(t, await send(admin, { url: `${url}?_csrf=${encodeURIComponent(admin.csrf)}` }), 'signed in, token only in the query string')
      // signed out (sign-in and first-run forms: login CSRF)
      refused(t, await send(visitor, {}), 'visitor, no token', strictVisitor)
      refused(t, await send(visitor, { form: { name: 'x', _csrf: 'A'.repeat(visitor.csrf.length) } }), 'visitor, wrong token', strictVisitor)
      refused(t, await send(visitor, { form: { name: 'x', _csrf: otherVisitor.csrf } }), "visitor, another visitor's token", strictVisitor)
      refused(t, await send(visitor, { url: `${url}?_csrf=${encodeURIComponent(visitor.csrf)}` }), 'visitor, token only in the query string', strictVisitor)
      refused(t, await send(new Client(app), { form: { name: 'x', _csrf: visitor.csrf } }), 'no cookie at all, a valid-looking token', strictVisitor)

      t.same(changedTables(before, await fingerprint(app)), [], 'no table changed')
    })
  }

  t.test('the sign-in form needs its own token (login CSRF)', async (t) => {
    const attacker = new Client(app)
    await attacker.get('/login')
    // the attacker's valid token, replayed from the victim's browser (which has its own pre-session cookie)
    const victim = new Client(app)
    await victim.get('/login')
    const res = await victim.post('/login', { login: 'rep', password: PASSWORD, _csrf: attacker.csrf })
    refused(t, res, 'sign-in with the attacker’s token')
    t.notOk(victim.cookies.has('kehu_sid'))
  })

  t.test('tokens still work after the walk (the refusals were the check, not a broken client)', async (t) => {
    const res = await admin.post('/lang', { lang: 'en', back: '/' })
    t.equal(res.statusCode, 303)
    t.equal((await admin.get('/')).statusCode, 200)
    const v = await visitor.post('/login', { login: 'rep2', password: PASSWORD })
    t.equal(v.statusCode, 303, 'the visitor can sign in with the token from his own form')
  })
})
