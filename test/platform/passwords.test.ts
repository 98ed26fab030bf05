// S11: passwords are stored as argon2id at or above the OWASP floor, a hash made
// under a weaker policy is replaced at the next sign-in, long passphrases work and
// the passwords every guesser tries first are refused.
import t from 'tap'
import argon2 from 'argon2'
import type { FastifyInstance } from 'fastify'
import { escapeHtml } from '../../src/platform/render.ts'
import { translator } from '../../src/platform/i18n.ts'
import { Client, PASSWORD, seedOffice, signIn, testApp } from '../helpers/app.ts'

const zh = translator('zh-CN')
const msg = (key: string, params?: Record<string, number>) => escapeHtml(zh(key, params))

/** m and t of an argon2id PHC string, or null when it is anything else */
function params(hash: string): { m: number; t: number } | null {
  const m = /^\$argon2id\$v=19\$([a-z]=\d+(?:,[a-z]=\d+)*)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/.exec(hash)
  if (!m) return null
  const kv = Object.fromEntries(m[1].split(',').map((x) => x.split('=')))
  return kv.m && kv.t ? { m: Number(kv.m), t: Number(kv.t) } : null
}

async function hashOf(app: FastifyInstance, login: string) {
  return (await app.db.selectFrom('users').select('password_hash').where('login', '=', login).executeTakeFirstOrThrow()).password_hash
}

t.test('first run: policy-strength hashes, 200-character passphrases, common passwords refused', async (t) => {
  const app = await testApp(t)
  const c = new Client(app)
  t.equal((await c.get('/setup')).statusCode, 200)

  const setup = (password: string, password2 = password) => c.post('/setup', { login: 'boss', name: '王总', password, password2 })
  for (const [pw, key, p] of [
    ['password123', 'errors.passwordCommon', undefined],
    ['Qwertyuiop', 'errors.passwordCommon', undefined],
    ['short', 'errors.passwordShort', { min: app.config.passwordMinLength }],
    ['my-boss-password', 'errors.passwordHasLogin', undefined],
    ['x'.repeat(201), 'errors.tooLong', { max: 200 }]
  ] as const) {
    const res = await setup(pw)
    t.equal(res.statusCode, 422, `${pw.slice(0, 20)} refused`)
    t.match(res.body, msg(key, p), `with the message ${key}`)
    t.match(res.body, 'value="boss"', 'the login typed is kept')
  }
  t.equal((await app.db.selectFrom('users').select('id').execute()).length, 0, 'no user was created by the refused attempts')

  const long = 'Long passphrase 长密码 '.repeat(10).slice(0, 200)
  t.equal(long.length, 200)
  const ok = await setup(long)
  t.equal(ok.statusCode, 303, 'a 200-character passphrase is accepted')
  const p = params(await hashOf(app, 'boss'))
  t.ok(p, 'stored as $argon2id$v=19$')
  t.ok(p!.m >= 19456 && p!.t >= 2, `m=${p?.m} ≥ 19456, t=${p?.t} ≥ 2`)

  await c.post('/logout')
  const again = new Client(app)
  await again.get('/login')
  t.equal((await again.post('/login', { login: 'boss', password: long })).statusCode, 303, 'and signs in')
})

t.test('password change rules, and every stored hash meets the policy', async (t) => {
  const app = await testApp(t)
  await seedOffice(app)
  const c = await signIn(app, 'rep')
  await c.get('/account/password')
  const change = (password: string, current = PASSWORD) => c.post('/account/password', { current, password, password2: password })
  const before = await hashOf(app, 'rep')
  for (const [pw, key] of [['12345678', 'errors.passwordCommon'], ['P@ssw0rd', 'errors.passwordCommon'], [PASSWORD, 'errors.passwordSame']] as const) {
    const res = await change(pw)
    t.equal(res.statusCode, 422)
    t.match(res.body, msg(key))
  }
  const wrong = await change('Another-good-one-1', 'not-my-password')
  t.equal(wrong.statusCode, 422)
  t.match(wrong.body, msg('errors.passwordWrong'))
  t.equal(await hashOf(app, 'rep'), before, 'nothing changed')
  t.equal((await change('x'.repeat(200))).statusCode, 303, 'a 200-character password is accepted')

  for (const u of await app.db.selectFrom('users').select(['login', 'password_hash']).execute()) {
    const p = params(u.password_hash)
    t.ok(p && p.m >= 19456 && p.t >= 2, `${u.login}: argon2id, m ≥ 19456, t ≥ 2`)
  }
})

t.test('a hash below the policy is replaced at the next sign-in', async (t) => {
  const app = await testApp(t)
  await seedOffice(app)
  const weak = await argon2.hash(PASSWORD, { type: argon2.argon2id, memoryCost: 8192, timeCost: 1, parallelism: 1 })
  await app.db.updateTable('users').set({ password_hash: weak }).where('login', '=', 'rep').execute()
  t.same(params(weak), { m: 8192, t: 1 })
  await signIn(app, 'rep')
  const now = await hashOf(app, 'rep')
  t.not(now, weak, 'the hash was replaced')
  const p = params(now)!
  t.ok(p.m >= app.config.argon2.memoryCost && p.t >= app.config.argon2.timeCost, `now m=${p.m}, t=${p.t}`)
  t.ok(await argon2.verify(now, PASSWORD), 'for the same password')

  const unchanged = await hashOf(app, 'rep2')
  await signIn(app, 'rep2')
  t.equal(await hashOf(app, 'rep2'), unchanged, 'a hash that meets the policy is left alone')
})
