// S12: every class of response carries the security headers — full pages, htmx
// fragments, redirects, 401/403/404/422/429/500, static files, /healthz — and every
// response to a signed-in user is `no-store`. Every GET route (walked from the app's
// own route list, as a page and as an htmx fragment) renders markup without inline
// script, event-handler attributes or javascript: URLs, which the CSP would block.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { registeredRoutes } from '../../src/app.ts'
import { Client, PASSWORD, seedOffice, signIn, testApp, type Res } from '../helpers/app.ts'
import type { TT } from './lib/tap.ts'

function checkHeaders(t: TT, res: Res, what: string, signedIn: boolean) {
  const csp = String(res.headers['content-security-policy'] ?? '')
  const directive = (name: string) => csp.split(';').map((d) => d.trim()).find((d) => d.startsWith(`${name} `)) ?? ''
  t.ok(csp, `${what}: has a CSP`)
  t.equal(directive('object-src'), "object-src 'none'", `${what}: object-src 'none'`)
  t.equal(directive('base-uri'), "base-uri 'none'", `${what}: base-uri 'none'`)
  t.equal(directive('frame-ancestors'), "frame-ancestors 'none'", `${what}: frame-ancestors 'none'`)
  const scripts = directive('script-src') || directive('default-src')
  t.ok(scripts, `${what}: scripts are restricted`)
  t.notMatch(scripts, /unsafe-inline|unsafe-eval|\*|data:/, `${what}: no inline, eval or wildcard scripts`)
  t.equal(res.headers['x-content-type-options'], 'nosniff', `${what}: nosniff`)
  t.ok(res.headers['referrer-policy'], `${what}: Referrer-Policy`)
  if (signedIn) t.match(String(res.headers['cache-control']), /no-store/, `${what}: no-store for a signed-in user`)
}

function checkMarkup(t: TT, res: Res, what: string) {
  if (!String(res.headers['content-type']).startsWith('text/html')) return
  const body = res.body
  for (const m of body.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi)) {
    t.match(m[1], /\ssrc="\/[^"]+"/, `${what}: <script> loads a file from this site`)
    t.equal(m[2].trim(), '', `${what}: <script> has no inline code`)
  }
  const tags = body.match(/<[a-zA-Z][^>]*>/g) ?? []
  const handlers = tags.filter((tag) => /\s(on[a-z]+|hx-on[\w:.-]*|data-hx-on[\w:.-]*)\s*=/i.test(tag))
  t.same(handlers, [], `${what}: no event-handler attributes`)
  t.notMatch(body, /javascript:/i, `${what}: no javascript: URLs`)
}

const fill = (url: string, id: number) => url.replace(/:[A-Za-z_]\w*/g, String(id)).replace(/\*/g, 'x')

async function addTestRoutes(app: FastifyInstance) {
  // registered before the app is ready (the first inject readies it)
  app.get('/test-only/boom', async () => { throw new Error('boom: secret internal detail') })
  app.get('/test-only/public-boom', { config: { public: true } }, async () => { throw new Error('boom: secret internal detail') })
}

t.test('headers on every response class', async (t) => {
  const app = await testApp(t, { loginRatePerMinute: 3 })
  await addTestRoutes(app)
  await seedOffice(app)
  const admin = await signIn(app, 'admin')
  const anon = new Client(app)

  const cases: [string, Client, () => Promise<Res>, number, boolean][] = [
    ['full page', admin, () => admin.get('/'), 200, true],
    ['sign-in page', anon, () => anon.get('/login'), 200, false],
    ['htmx fragment (error)', admin, () => admin.hx('GET', '/no-such-page'), 404, true],
    ['303 to sign-in', anon, () => anon.get('/'), 303, false],
    ['303 after a post', admin, () => admin.post('/lang', { lang: 'zh-CN', back: '/' }), 303, true],
    ['404 signed in', admin, () => admin.get('/no-such-page'), 404, true],
    ['404 signed out', anon, () => anon.get('/no-such-page'), 404, false],
    ['401 (a write without a session)', anon, () => anon.post('/account/password', { current: 'a', password: 'b', password2: 'b' }), 401, false],
    ['403 (CSRF)', admin, () => admin.post('/lang', { lang: 'en', _csrf: 'forged' }), 403, true],
    ['422 signed in', admin, () => admin.post('/account/password', { current: PASSWORD, password: 'x', password2: 'x' }), 422, true],
    ['422 signed out', anon, () => anon.post('/login', { login: 'x'.repeat(61), password: 'whatever' }), 422, false],
    ['500 signed in', admin, () => admin.get('/test-only/boom'), 500, true],
    ['500 htmx', admin, () => admin.hx('GET', '/test-only/boom'), 500, true],
    ['500 signed out', anon, () => anon.get('/test-only/public-boom'), 500, false],
    ['static file', admin, () => admin.get('/public/css/app.css'), 200, false],
    ['vendored htmx', admin, () => admin.get('/vendor/htmx.min.js'), 200, false],
    ['static 404', admin, () => admin.get('/public/nope.css'), 404, true],
    ['/healthz', anon, () => anon.get('/healthz'), 200, false],
    ['sign-in page while signed in (redirect)', admin, () => admin.get('/login'), 303, true],
    ['HEAD of a page', admin, () => admin.request('HEAD', '/'), 200, true]
  ]
  for (const [what, , run, status, signedIn] of cases) {
    const res = await run()
    t.equal(res.statusCode, status, `${what}: ${status}`)
    checkHeaders(t, res, what, signedIn)
    checkMarkup(t, res, what)
  }
  // the rate limit's 429 last: it uses up the sign-in budget of this address
  for (let i = 0; i < 3; i++) await anon.post('/login', { login: 'nobody', password: 'whatever-pw' })
  const limited = await anon.post('/login', { login: 'nobody', password: 'whatever-pw' })
  t.equal(limited.statusCode, 429)
  checkHeaders(t, limited, '429', false)

  t.test('an error page tells what to do, never how the server failed', async (t) => {
    const res = await admin.get('/test-only/boom')
    t.notMatch(res.body, 'secret internal detail')
    t.notMatch(res.body, /\bat .+\.ts:\d+/, 'no stack trace')
    t.match(res.body, String(res.headers['x-request-id']), 'shows the request id')
  })
})

t.test('every GET route, as a page and as a fragment, renders CSP-clean markup with the headers', async (t) => {
  const app = await testApp(t)
  await addTestRoutes(app)
  const office = await seedOffice(app)
  const users = { admin: await signIn(app, 'admin'), rep: await signIn(app, 'rep') }
  const gets = registeredRoutes(app).filter((r) => r.method === 'GET' && !r.url.startsWith('/test-only/'))
  t.ok(gets.length >= 5, `${gets.length} GET routes`)
  for (const r of gets) {
    const url = fill(r.url, office.users.rep.id)
    const isStatic = r.url.startsWith('/public/') || r.url.startsWith('/vendor/') || r.url === '/healthz'
    for (const [who, c] of Object.entries(users)) {
      for (const hx of [false, true]) {
        const what = `${who} GET ${r.url}${hx ? ' (htmx)' : ''}`
        const res = hx ? await c.hx('GET', url) : await c.get(url)
        t.ok(res.statusCode < 500, `${what}: answered ${res.statusCode}`)
        checkHeaders(t, res, what, !isStatic)
        checkMarkup(t, res, what)
      }
    }
    const res = await new Client(app).get(url)
    checkHeaders(t, res, `signed out GET ${r.url}`, false)
    checkMarkup(t, res, `signed out GET ${r.url}`)
  }
})
