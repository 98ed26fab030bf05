// Bad input on the platform's own forms (first run, sign-in, password, language):
// a clear message in the user's language, what he typed kept, nothing changed.
import t from 'tap'
import { escapeHtml } from '../../src/platform/render.ts'
import { translator } from '../../src/platform/i18n.ts'
import { Client, PASSWORD, seedOffice, signIn, testApp } from '../helpers/app.ts'
import { changedTables, fingerprint } from './lib/db-state.ts'

const zh = translator('zh-CN')
const msg = (key: string, params?: Record<string, number>) => escapeHtml(zh(key, params))

t.test('first run', async (t) => {
  const app = await testApp(t)
  const c = new Client(app)
  await c.get('/setup')
  const good = { login: 'chief', name: '管理员', password: 'Good-pass-2026', password2: 'Good-pass-2026' }
  const before = await fingerprint(app)
  for (const [what, form, field, key, params] of [
    ['over-long login', { ...good, login: 'a'.repeat(61) }, 'login', 'errors.tooLong', { max: 60 }],
    ['over-long name', { ...good, name: '张'.repeat(61) }, 'name', 'errors.tooLong', { max: 60 }],
    ['login with spaces', { ...good, login: 'the chief' }, 'login', 'errors.loginChars', undefined],
    ['login in Chinese', { ...good, login: '管理员' }, 'login', 'errors.loginChars', undefined],
    ['blank name', { ...good, name: '   ' }, 'name', 'errors.required', undefined],
    ['passwords differ', { ...good, password2: 'Good-pass-2027' }, 'password2', 'errors.passwordMismatch', undefined],
    ['login sent twice', { ...good, login: ['chief', 'other'] }, 'login', null, undefined]
  ] as const) {
    const res = await c.post('/setup', form as Record<string, string | string[]>)
    t.equal(res.statusCode, 422, `${what}: 422`)
    t.match(res.body, new RegExp(`id="e-${field}">${key ? msg(key, params) : '[^<]+'}<`), `${what}: the message sits next to ${field}`)
    if (field !== 'name' && what !== 'login sent twice') t.match(res.body, `value="${escapeHtml(good.name)}"`, `${what}: the name typed is kept`)
    t.notMatch(res.body, 'Good-pass-2026', `${what}: passwords are not echoed back`)
  }
  t.same(changedTables(before, await fingerprint(app)), [], 'nothing was written')
  t.equal((await c.get('/')).headers.location, '/setup', 'first run is still open')
})

t.test('sign-in, password and language', async (t) => {
  const app = await testApp(t)
  await seedOffice(app)
  const visitor = new Client(app)
  await visitor.get('/login')
  const rep = await signIn(app, 'rep')
  const before = await fingerprint(app)

  const longLogin = await visitor.post('/login', { login: 'r'.repeat(61), password: PASSWORD })
  t.equal(longLogin.statusCode, 422)
  t.match(longLogin.body, msg('auth.invalid'))
  t.match(longLogin.body, `value="${'r'.repeat(61)}"`, 'what was typed is kept')
  const longPw = await visitor.post('/login', { login: 'rep', password: 'p'.repeat(201) })
  t.equal(longPw.statusCode, 422)
  const twice = await visitor.post('/login', { login: ['rep', 'admin'], password: PASSWORD })
  t.equal(twice.statusCode, 422, 'a repeated field is refused, not guessed at')
  t.notOk(visitor.cookies.has('kehu_sid'))

  await rep.get('/account/password')
  const pw = await rep.post('/account/password', { current: PASSWORD, password: 'n'.repeat(201), password2: 'n'.repeat(201) })
  t.equal(pw.statusCode, 422)
  t.match(pw.body, msg('errors.tooLong', { max: 200 }))

  await rep.get('/')
  const lang = await rep.post('/lang', { lang: 'fr', back: '/' })
  t.equal(lang.statusCode, 422, 'a language not in the list')
  t.match(String(lang.headers['content-type']), /text\/html/, 'answered with a page, not raw data')
  t.match(lang.body, msg('errors.title422'))
  t.notOk(rep.cookies.has('kehu_lang'), 'no language cookie set')
  const noLang = await rep.post('/lang', { back: '/' })
  t.equal(noLang.statusCode, 422)

  t.same(changedTables(before, await fingerprint(app)), [], 'nothing changed')
  t.equal((await rep.get('/')).statusCode, 200, 'the user is still signed in')
})

t.test('malformed requests get an error page, not a crash', async (t) => {
  const app = await testApp(t)
  await seedOffice(app)
  const c = await signIn(app, 'rep')
  const big = await c.request('POST', '/lang', { payload: 'lang=en&back=' + 'x'.repeat(3 * 1024 * 1024), headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-csrf-token': c.csrf } })
  t.equal(big.statusCode, 413)
  t.match(big.body, msg('errors.tooLarge'))
  const json = await c.request('POST', '/lang', { payload: '{"lang": ', headers: { 'content-type': 'application/json', 'x-csrf-token': c.csrf } })
  t.equal(json.statusCode, 400)
  t.match(json.body, msg('errors.badRequest'))
  const odd = await c.request('POST', '/lang', { payload: 'x', headers: { 'content-type': 'application/x-unknown', 'x-csrf-token': c.csrf } })
  t.equal(odd.statusCode, 415)
  t.equal((await c.get('/')).statusCode, 200)
})
