import t, { type Test } from 'tap'
import { Secret, TOTP } from 'otpauth'
import type { FastifyInstance } from 'fastify'
import { newSecret, openSecret, resetTotp, sealSecret, setTotpRequiredForAdmins } from '../../src/modules/auth/totp.ts'
import { Client, PASSWORD, auditRows, seedOffice, signIn, testApp, type Office } from '../helpers/app.ts'

const codeAt = (secret: string, offsetSteps = 0) =>
  TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: Date.now() + offsetSteps * 30_000 })
const wrongCode = (secret: string) => {
  const valid = new Set([-1, 0, 1].map((o) => codeAt(secret, o)))
  for (let i = 0; ; i++) { const c = String(123456 + i).padStart(6, '0'); if (!valid.has(c)) return c }
}
// The server accepts each step once per user; successful sign-ins here take the
// next unused step within the window, waiting for the clock when all are used.
const usedStep = new Map<string, number>()
async function nextCode(secret: string): Promise<string> {
  for (;;) {
    const now = Math.floor(Date.now() / 30_000)
    const step = Math.max(now - 1, (usedStep.get(secret) ?? -Infinity) + 1)
    if (step <= now + 1) {
      usedStep.set(secret, step)
      return TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: step * 30_000 })
    }
    await new Promise((r) => setTimeout(r, 1000))
  }
}
const system = { userId: null, userName: 'test', ip: null, requestId: null }

/** Enrols through the pages; returns the secret read off the page. */
async function enrol(t: Test, c: Client): Promise<string> {
  const page = await c.get('/account/totp')
  t.equal(page.statusCode, 200)
  const secret = /id="totp-secret">([A-Z2-7 ]+)</.exec(page.body)?.[1].replace(/ /g, '')
  if (!secret) throw new Error('no secret on the page')
  const res = await c.post('/account/totp/enable', { code: codeAt(secret) })
  t.equal(res.statusCode, 303)
  return secret
}

/** Enrols directly in the database (test set-up for users whose enrolment is not the point). */
async function enrolDirect(app: FastifyInstance, userId: number): Promise<string> {
  const secret = newSecret()
  await app.db.updateTable('users').set({ totp_secret: sealSecret(app.secret, userId, secret), totp_enabled: true }).where('id', '=', userId).execute()
  return secret
}

/** Password step only: the client is left half signed in, on the code page. */
async function passwordStep(app: FastifyInstance, login: string, next?: string): Promise<Client> {
  const c = new Client(app)
  await c.get('/login')
  const res = await c.post('/login', { login, password: PASSWORD, ...(next ? { next } : {}) })
  if (res.headers.location !== '/login/totp') throw new Error(`expected the code step, got ${res.statusCode} ${String(res.headers.location)}`)
  await c.get('/login/totp')
  return c
}

t.test('TOTP second factor', async (t) => {
  const app = await testApp(t)
  const office: Office = await seedOffice(app)
  const { users } = office
  let repSecret = ''

  t.test('enrolment: QR code and key on the page, confirmed by a code', async (t) => {
    const other = await signIn(app, 'rep')
    const c = await signIn(app, 'rep')
    const page = await c.get('/account/totp')
    t.equal(page.statusCode, 200)
    const qr = /<img src="data:image\/svg\+xml;base64,([A-Za-z0-9+/=]+)"/.exec(page.body)
    t.ok(qr, 'the QR code is an inline SVG image drawn by the server')
    t.match(Buffer.from(qr![1], 'base64').toString(), /^<svg/)
    const secret = /id="totp-secret">([A-Z2-7 ]+)</.exec(page.body)![1].replace(/ /g, '')
    t.equal(secret.length, 32, '160-bit key in base32')
    const again = await c.get('/account/totp')
    t.match(again.body, /id="totp-secret">([A-Z2-7 ]+)</, 'reloading the page')
    t.equal(/id="totp-secret">([A-Z2-7 ]+)</.exec(again.body)![1].replace(/ /g, ''), secret, '…keeps the key already scanned')

    const wrong = await c.post('/account/totp/enable', { code: wrongCode(secret) })
    t.equal(wrong.statusCode, 422)
    t.match(wrong.body, 'field-error')
    const garbage = await c.post('/account/totp/enable', { code: 'abc' })
    t.equal(garbage.statusCode, 422)
    let row = await app.db.selectFrom('users').select(['totp_enabled', 'totp_secret']).where('id', '=', users.rep.id).executeTakeFirstOrThrow()
    t.equal(row.totp_enabled, false, 'not on before a right code')

    const oldSid = c.cookies.get('kehu_sid')
    const ok = await c.post('/account/totp/enable', { code: codeAt(secret).replace(/(\d{3})/, '$1 ') })
    t.equal(ok.statusCode, 303, 'a code typed as "123 456" is fine')
    t.not(c.cookies.get('kehu_sid'), oldSid, 'session id rotated')
    const done = await c.get('/account/totp')
    t.match(done.body, '两步验证已开启')
    row = await app.db.selectFrom('users').select(['totp_enabled', 'totp_secret']).where('id', '=', users.rep.id).executeTakeFirstOrThrow()
    t.equal(row.totp_enabled, true)
    t.notMatch(row.totp_secret ?? '', secret, 'the key is stored sealed, not as given')
    t.equal(openSecret(app.secret, users.rep.id, row.totp_secret), secret)
    t.equal(openSecret(app.secret, users.rep2.id, row.totp_secret), null, 'a sealed key copied to another user does not open')
    const audits = await auditRows(app, { action: 'totp.enable', entityId: users.rep.id })
    t.equal(audits.length, 1)
    t.same(audits[0].changes, { totp_enabled: [false, true] })
    t.equal((await other.get('/')).statusCode, 303, 'the password-only session elsewhere was ended')
    repSecret = secret
  })

  t.test('sign-in asks for the code; a half-signed-in session reaches nothing', async (t) => {
    const signinsBefore = (await auditRows(app, { action: 'signin', entityId: users.rep.id })).length
    const c = await passwordStep(app, 'rep', '/account/totp')
    t.equal((await auditRows(app, { action: 'signin', entityId: users.rep.id })).length, signinsBefore, 'the password alone is not a sign-in')
    for (const url of ['/', '/account/totp', '/account/password', '/regions/children?parent=440000']) {
      const res = await c.get(url)
      t.equal(res.statusCode, 303, `${url} is out of reach`)
      t.match(String(res.headers.location), /^\/login/)
    }
    t.equal((await c.post('/account/totp/disable', { password: PASSWORD })).statusCode, 401)
    const page = await c.get('/login/totp')
    t.equal(page.statusCode, 200)
    t.match(page.body, 'autocomplete="one-time-code"')

    const wrong = await c.post('/login/totp', { code: wrongCode(repSecret) })
    t.equal(wrong.statusCode, 401)
    t.match(wrong.body, /role="alert">验证码不正确[^<]*还可以再试 4 次/)
    const failed = await auditRows(app, { action: 'signin.failed', entityId: users.rep.id })
    t.same(failed.at(-1)!.changes, { reason: 'totp' })
    t.equal((await c.post('/login/totp', { code: '12345' })).statusCode, 422, 'not six digits')

    const halfSid = c.cookies.get('kehu_sid')
    const ok = await c.post('/login/totp', { code: await nextCode(repSecret) })
    t.equal(ok.statusCode, 303)
    t.equal(ok.headers.location, '/account/totp', 'on to where the user was going')
    t.not(c.cookies.get('kehu_sid'), halfSid, 'session id rotated again')
    t.equal((await c.get('/')).statusCode, 200)
    const signin = (await auditRows(app, { action: 'signin', entityId: users.rep.id })).at(-1)!
    t.match(signin.changes, { totp: true })
  })

  t.test('a code is accepted once: the same step cannot be replayed', async (t) => {
    const first = await passwordStep(app, 'rep')
    const second = await passwordStep(app, 'rep')
    const code = await nextCode(repSecret)
    t.equal((await first.post('/login/totp', { code })).statusCode, 303)
    const replay = await second.post('/login/totp', { code })
    t.equal(replay.statusCode, 401, 'the same code in another session is refused')
    t.match((await auditRows(app, { action: 'signin.failed', entityId: users.rep.id })).at(-1)!.changes, { reason: 'totp', replay: true })
    const earlier = await second.post('/login/totp', { code: codeAt(repSecret, -1) })
    t.equal(earlier.statusCode, 401, 'nor an older step')
    const next = await second.post('/login/totp', { code: await nextCode(repSecret) })
    t.equal(next.statusCode, 303, 'a later step works')
    t.equal((await second.get('/')).statusCode, 200)
  })

  t.test('a pending sign-in expires after five minutes', async (t) => {
    const secret = await enrolDirect(app, users.other.id)
    const c = await passwordStep(app, 'other')
    const rows = await app.db.selectFrom('sessions').select(['id_hash', 'data']).where('user_id', 'is', null).execute()
    for (const r of rows) {
      const data = r.data as Record<string, unknown>
      if (data.pendingUserId === users.other.id) {
        await app.db.updateTable('sessions').set({ data: JSON.stringify({ ...data, pendingAt: Date.now() - 6 * 60_000 }) as never }).where('id_hash', '=', r.id_hash).execute()
      }
    }
    const res = await c.post('/login/totp', { code: codeAt(secret) })
    t.equal(res.statusCode, 303)
    t.equal(res.headers.location, '/login')
    t.notOk(c.cookies.has('kehu_sid'), 'the half-signed-in session is gone')
    t.equal((await auditRows(app, { action: 'signin', entityId: users.other.id })).length, 0)
  })

  t.test('five wrong codes end the attempt and lock the account', async (t) => {
    const secret = await enrolDirect(app, users.rep2.id)
    const c = await passwordStep(app, 'rep2')
    for (let i = 1; i <= 4; i++) {
      const r = await c.post('/login/totp', { code: wrongCode(secret) })
      t.equal(r.statusCode, 401, `wrong code ${i}`)
    }
    const fifth = await c.post('/login/totp', { code: wrongCode(secret) })
    t.equal(fifth.statusCode, 401)
    t.match(fifth.body, 'action="/login"', 'back on the sign-in form')
    t.notOk(c.cookies.has('kehu_sid'), 'the pending session ended')
    t.equal((await auditRows(app, { action: 'user.locked', entityId: users.rep2.id })).length, 1)
    const again = new Client(app)
    await again.get('/login')
    const locked = await again.post('/login', { login: 'rep2', password: PASSWORD })
    t.equal(locked.statusCode, 401, 'the right password is refused while locked')
    t.equal((await auditRows(app, { action: 'signin.failed', entityId: users.rep2.id })).filter((r) => (r.changes as { reason?: string }).reason === 'totp').length, 5)
  })

  t.test('disabling needs the current password', async (t) => {
    const c = await signIn(app, 'super')
    await enrol(t, c)
    const c2 = await passwordStep(app, 'super')
    const secret = openSecret(app.secret, users.super.id, (await app.db.selectFrom('users').select('totp_secret').where('id', '=', users.super.id).executeTakeFirstOrThrow()).totp_secret)!
    t.equal((await c2.post('/login/totp', { code: await nextCode(secret) })).statusCode, 303)
    const page = await c2.get('/account/totp')
    t.match(page.body, 'action="/account/totp/disable"')
    t.match(page.body, 'data-confirm=')
    const wrong = await c2.post('/account/totp/disable', { password: 'not-my-password' })
    t.equal(wrong.statusCode, 422)
    t.match(wrong.body, '当前密码不正确')
    const missing = await c2.post('/account/totp/disable', {})
    t.equal(missing.statusCode, 422)
    let row = await app.db.selectFrom('users').select('totp_enabled').where('id', '=', users.super.id).executeTakeFirstOrThrow()
    t.equal(row.totp_enabled, true, 'still on')
    const ok = await c2.post('/account/totp/disable', { password: PASSWORD })
    t.equal(ok.statusCode, 303)
    row = await app.db.selectFrom('users').select(['totp_enabled', 'totp_secret']).where('id', '=', users.super.id).executeTakeFirstOrThrow()
    t.same(row, { totp_enabled: false, totp_secret: null })
    t.same((await auditRows(app, { action: 'totp.disable', entityId: users.super.id }))[0].changes, { totp_enabled: [true, false] })
    const plain = new Client(app)
    await plain.get('/login')
    t.equal((await plain.post('/login', { login: 'super', password: PASSWORD })).headers.location, '/', 'password alone again')
  })

  t.test('administrators must enrol when the setting says so', async (t) => {
    const admin = await signIn(app, 'admin')
    t.equal((await admin.get('/')).statusCode, 200, 'not required yet')
    await setTotpRequiredForAdmins(app.db, system, true)
    t.same((await auditRows(app, { entity: 'setting', entityId: 'totp_required_for_admins' }))[0].changes, { totp_required_for_admins: [false, true] })

    for (const url of ['/', '/regions/children?parent=440000', '/account/password', '/no-such-page-but-signed-in']) {
      const res = await admin.get(url)
      if (url.startsWith('/no-such')) { t.equal(res.statusCode, 404); continue }
      t.equal(res.statusCode, 303, `${url} sends the admin to enrol`)
      t.equal(res.headers.location, '/account/totp')
    }
    const hx = await admin.hx('GET', '/')
    t.equal(hx.headers['hx-redirect'], '/account/totp')
    const page = await admin.get('/account/totp')
    t.equal(page.statusCode, 200)
    t.match(page.body, '系统要求管理员开启两步验证')
    t.equal((await admin.post('/lang', { lang: 'en', back: '/account/totp' })).statusCode, 303, 'the language can still be switched')

    const boss = await signIn(app, 'boss')
    t.equal((await boss.get('/')).statusCode, 200, 'other roles are not affected')

    await enrol(t, admin)
    t.equal((await admin.get('/')).statusCode, 200, 'enrolled: back to work')
    await setTotpRequiredForAdmins(app.db, system, false)
  })

  t.test('an administrator can reset a user\'s TOTP', async (t) => {
    const c = await passwordStep(app, 'rep')
    t.ok(c.cookies.has('kehu_sid'))
    const signedIn = await passwordStep(app, 'rep')
    t.equal((await signedIn.post('/login/totp', { code: await nextCode(repSecret) })).statusCode, 303)
    t.equal(await resetTotp(app.db, { ...system, userId: users.admin.id, userName: '系统管理员' }, users.rep.id), true)
    t.equal(await resetTotp(app.db, system, 999999), false, 'unknown user')
    const row = await app.db.selectFrom('users').select(['totp_enabled', 'totp_secret']).where('id', '=', users.rep.id).executeTakeFirstOrThrow()
    t.same(row, { totp_enabled: false, totp_secret: null })
    t.equal((await signedIn.get('/')).statusCode, 303, 'his sessions ended')
    const audit = (await auditRows(app, { action: 'totp.reset', entityId: users.rep.id }))[0]
    t.equal(audit.user_id, users.admin.id)
    const plain = new Client(app)
    await plain.get('/login')
    t.equal((await plain.post('/login', { login: 'rep', password: PASSWORD })).headers.location, '/', 'password alone after the reset')
  })

  t.test('no TOTP key ever reaches the audit log', async (t) => {
    const all = JSON.stringify(await auditRows(app))
    t.notMatch(all, repSecret)
    const sealed = await app.db.selectFrom('users').select('totp_secret').where('totp_secret', 'is not', null).execute()
    for (const s of sealed) t.notMatch(all, s.totp_secret!)
  })
})

t.test('five wrong codes in a row send the user back to sign-in', async (t) => {
  const app = await testApp(t, { lockoutThreshold: 8 })
  const { users } = await seedOffice(app)
  const secret = await enrolDirect(app, users.rep.id)
  const c = await passwordStep(app, 'rep')
  for (let i = 1; i <= 4; i++) t.equal((await c.post('/login/totp', { code: wrongCode(secret) })).statusCode, 401)
  const fifth = await c.post('/login/totp', { code: wrongCode(secret) })
  t.equal(fifth.statusCode, 303)
  t.equal(fifth.headers.location, '/login')
  t.notOk(c.cookies.has('kehu_sid'))
  t.equal((await c.get('/login/totp')).headers.location, '/login', 'the code page is gone with it')

  // a new password step starts a new series, but wrong codes still add up per account
  const c2 = await passwordStep(app, 'rep')
  for (let i = 1; i <= 2; i++) t.equal((await c2.post('/login/totp', { code: wrongCode(secret) })).statusCode, 401)
  const locking = await c2.post('/login/totp', { code: wrongCode(secret) })
  t.match(locking.body, '账户已被暂时锁定', 'the eighth wrong code locks the account')
  const c3 = new Client(app)
  await c3.get('/login')
  t.equal((await c3.post('/login', { login: 'rep', password: PASSWORD })).statusCode, 401)
})
