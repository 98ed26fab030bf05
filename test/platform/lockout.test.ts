// S10: lockout per account and rate limit per address. A guesser gets at most
// LOCKOUT_THRESHOLD passwords checked per lockout window, however he varies his
// address or the spelling of the login name and however many guesses he sends at
// once; every attempt is audited; the right password is refused while locked.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { escapeHtml } from '../../src/platform/render.ts'
import { translator } from '../../src/platform/i18n.ts'
import { Client, PASSWORD, auditRows, seedOffice, signIn, testApp } from '../helpers/app.ts'

const zh = translator('zh-CN')
const LOCKED = escapeHtml(zh('auth.locked'))

async function attempt(app: FastifyInstance, login: string, password: string, ip?: string) {
  const c = new Client(app)
  const headers = ip ? { 'x-forwarded-for': ip } : undefined
  await c.request('GET', '/login', { headers })
  return c.request('POST', '/login', { form: { login, password }, headers })
}

/** attempts whose password was actually checked (the refusals while locked carry no count) */
async function evaluated(app: FastifyInstance, userId: number) {
  const rows = await auditRows(app, { action: 'signin.failed', entityId: userId })
  return rows.filter((r) => (r.changes as { failures?: number }).failures !== undefined).length
}

t.test('lockout after LOCKOUT_THRESHOLD failures, refused while locked, all audited', async (t) => {
  const app = await testApp(t)
  const office = await seedOffice(app)
  const n = app.config.lockoutThreshold
  for (let i = 1; i <= n; i++) {
    const res = await attempt(app, 'rep', `wrong-${i}-password`)
    t.equal(res.statusCode, 401)
    if (i < n) t.notMatch(res.body, LOCKED, `failure ${i} does not lock yet`)
    else t.match(res.body, LOCKED, `failure ${i} locks the account`)
  }
  const right = await attempt(app, 'rep', PASSWORD)
  t.equal(right.statusCode, 401, 'the right password is refused while locked')
  t.match(right.body, LOCKED)
  const peer = await attempt(app, 'rep2', PASSWORD)
  t.equal(peer.statusCode, 303, 'the lock is per account: a colleague at the same address signs in')

  t.equal((await auditRows(app, { action: 'signin.failed', entityId: office.users.rep.id })).length, n + 1, 'audit rows = attempts')
  t.equal((await auditRows(app, { action: 'user.locked', entityId: office.users.rep.id })).length, 1, 'the lock itself is audited once')
  const user = await app.db.selectFrom('users').select(['locked_until']).where('id', '=', office.users.rep.id).executeTakeFirstOrThrow()
  const minutes = (user.locked_until!.getTime() - Date.now()) / 60_000
  t.ok(minutes > app.config.lockoutMs / 60_000 - 1 && minutes <= app.config.lockoutMs / 60_000, 'locked for LOCKOUT_MINUTES')
})

t.test('the lock expires after lockoutMs', async (t) => {
  const app = await testApp(t, { lockoutMs: 300 })
  const office = await seedOffice(app)
  for (let i = 0; i < app.config.lockoutThreshold; i++) await attempt(app, 'rep', 'not-the-password')
  t.match((await attempt(app, 'rep', PASSWORD)).body, LOCKED, 'locked right after')
  await new Promise((r) => setTimeout(r, 400))
  t.equal((await attempt(app, 'rep', 'still-not-it')).statusCode, 401)
  const res = await attempt(app, 'rep', PASSWORD)
  t.equal(res.statusCode, 303, 'after the lock time the right password lets him in (one failure since does not re-lock)')
  const user = await app.db.selectFrom('users').select(['failed_logins', 'locked_until']).where('id', '=', office.users.rep.id).executeTakeFirstOrThrow()
  t.equal(user.failed_logins, 0, 'a successful sign-in resets the count')
  t.equal(user.locked_until, null)
})

t.test('200 guesses from many addresses and spellings, 20 at a time', async (t) => {
  // TRUST_PROXY on, so every X-Forwarded-For is a new address: the per-address rate
  // limit never triggers and only the per-account lockout stands in the way
  const app = await testApp(t, { trustProxy: true })
  const office = await seedOffice(app)
  const spellings = ['rep', 'REP', ' Rep', 'rEp ', '\trep\n']
  const statuses: number[] = []
  for (let wave = 0; wave < 10; wave++) {
    const batch = Array.from({ length: 20 }, (_, i) => {
      const k = wave * 20 + i
      return attempt(app, spellings[k % spellings.length], `guess-${k}-pw`, `10.0.${wave}.${i + 1}`)
    })
    for (const res of await Promise.all(batch)) statuses.push(res.statusCode)
  }
  t.same([...new Set(statuses)], [401], 'every guess refused, none rate-limited (each from its own address)')
  const checked = await evaluated(app, office.users.rep.id)
  t.ok(checked <= app.config.lockoutThreshold, `at most LOCKOUT_THRESHOLD passwords checked in the window (checked ${checked})`)
  t.equal((await auditRows(app, { action: 'signin.failed', entityId: office.users.rep.id })).length, 200, 'every attempt audited')
  const right = await attempt(app, 'rep', PASSWORD, '10.9.9.9')
  t.equal(right.statusCode, 401, 'the right password is refused while locked')
  t.match(right.body, LOCKED)
})

t.test('rate limit per address: LOGIN_RATE_PER_MINUTE, then 429', async (t) => {
  const app = await testApp(t, { loginRatePerMinute: 5 })
  await seedOffice(app)
  const c = new Client(app)
  await c.get('/login')
  for (let i = 0; i < 5; i++) {
    // different accounts, so no lockout is involved; a forged X-Forwarded-For is ignored without TRUST_PROXY
    const res = await c.post('/login', { login: `nobody${i}`, password: 'whatever-pw' }, { headers: { 'x-forwarded-for': `10.1.1.${i}` } })
    t.equal(res.statusCode, 401)
  }
  const limited = await c.post('/login', { login: 'rep', password: PASSWORD }, { headers: { 'x-forwarded-for': '10.1.1.99' } })
  t.equal(limited.statusCode, 429)
  t.match(limited.body, escapeHtml(zh('errors.rateLimited')), 'a page in the user’s language')
  t.ok(limited.headers['retry-after'], 'says when to come back')
  t.notOk(c.cookies.has('kehu_sid'))
})

t.test('the password form is rate-limited too (guessing the current password from an open session)', async (t) => {
  const app = await testApp(t, { loginRatePerMinute: 5 })
  await seedOffice(app)
  const c = await signIn(app, 'rep')
  await c.get('/account/password')
  for (let i = 0; i < 5; i++) {
    const res = await c.post('/account/password', { current: `guess-${i}-pw`, password: 'New-pass-2026-x', password2: 'New-pass-2026-x' })
    t.equal(res.statusCode, 422)
  }
  const more = await c.post('/account/password', { current: PASSWORD, password: 'New-pass-2026-x', password2: 'New-pass-2026-x' })
  t.equal(more.statusCode, 429)
  t.equal((await c.get('/')).statusCode, 200, 'the session itself is untouched')
})
