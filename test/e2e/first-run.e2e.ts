// First run on an empty database, then signing out and in again, as a person does it
// in Chromium against the real server.
import t from 'tap'
import { createFirstAdmin, launchBrowser, openPage, signIn, signOut, startServer, text, where, zh } from './helpers.ts'

const server = await startServer(t)
const browser = await launchBrowser(t)
const { page, problems } = await openPage(browser, server.url)
const admin = { login: 'zhouliming', name: '周立明', password: 'Kaishi-2026-ok' }

t.test('an empty database leads every page to the first-run form', async (t) => {
  await page.goto('/')
  t.equal(where(page), '/setup')
  t.equal(await page.getAttribute('html', 'lang'), 'zh-CN')
  t.equal(await text(page, 'h1'), zh('auth.setupTitle'))
  await page.goto('/login')
  t.equal(where(page), '/setup', 'sign-in is not offered before an administrator exists')
})

t.test('a password that breaks the rules is refused with the values kept', async (t) => {
  await page.goto('/setup')
  await page.fill('input[name="login"]', admin.login)
  await page.fill('input[name="name"]', admin.name)
  await page.fill('input[name="password"]', 'short')
  await page.fill('input[name="password2"]', 'short')
  await page.click('form[action="/setup"] button[type="submit"]')
  await page.waitForLoadState()
  t.equal(where(page), '/setup')
  t.equal(await page.inputValue('input[name="login"]'), admin.login, 'login kept')
  t.equal(await page.inputValue('input[name="name"]'), admin.name, 'name kept')
  t.equal(await page.inputValue('input[name="password"]'), '', 'password not echoed back')
})

t.test('creating the first administrator lands on the workbench, signed in', async (t) => {
  await createFirstAdmin(page, admin)
  t.equal(where(page), '/')
  t.equal(await text(page, 'main h1'), zh('workbench.title'))
  t.match(await text(page, '.who'), `${admin.name} · 系统管理员`)
  t.equal(await text(page, 'title'), `${zh('workbench.title')} - ${zh('app.name')}`)
  t.match(await text(page, '.today'), /^\d{4}-\d{2}-\d{2} 星期[一二三四五六日]$/, 'today and the weekday in Chinese')
  t.equal(await text(page, '.panel .empty'), zh('workbench.noReminders'), 'empty reminders say what will appear')
  // looked at by a person: Chinese must render as glyphs, not boxes (needs a CJK font)
  await page.screenshot({ path: '/tmp/kehu-e2e-workbench.png', fullPage: true })
  await page.goto('/setup')
  t.equal(where(page), '/', 'the first-run form is gone once it has been used')
  await page.goto('/')
})

t.test('signing out and in again', async (t) => {
  await signOut(page)
  t.equal(where(page), '/login')
  await page.goto('/')
  t.equal(where(page), '/login?next=%2F', 'signed out: pages lead to sign-in')

  await signIn(page, admin.login, 'not-the-password')
  t.equal(where(page), '/login')
  t.equal(await text(page, '[role="alert"]'), zh('auth.invalid'))
  t.equal(await page.inputValue('input[name="login"]'), admin.login, 'login kept after a failure')

  await signIn(page, admin.login.toUpperCase(), admin.password)
  t.equal(where(page), '/', 'the login name is not case sensitive')
  t.match(await text(page, '.who'), admin.name)
})

t.test('nothing went wrong behind the scenes', async (t) => {
  t.same(problems, [], 'no console errors, CSP violations or requests to other hosts')
  t.same(server.errors, [], 'the server logged no errors')
})
