// Switching the interface language with the button in the top bar: the whole page
// changes, and a signed-in user's choice is his preference, kept across sign-ins
// and on another computer (a fresh browser profile).
import t from 'tap'
import type { Page } from 'playwright-core'
import { createFirstAdmin, en, launchBrowser, openPage, signIn, signOut, startServer, text, where, zh } from './helpers.ts'

const server = await startServer(t)
const browser = await launchBrowser(t)
const first = await openPage(browser, server.url)
const { page } = first
const admin = { login: 'chenjing', name: '陈静', password: 'Qiehuan-2026-ok' }
await createFirstAdmin(page, admin)

async function switchLanguage(page: Page) {
  await Promise.all([page.waitForNavigation(), page.click('form.lang-switch button[type="submit"]')])
}

t.test('the top-bar button switches the workbench to English and back', async (t) => {
  await page.goto('/')
  t.equal(await page.getAttribute('html', 'lang'), 'zh-CN')
  t.equal(await text(page, 'form.lang-switch button'), 'English', 'the button names the language it switches to')

  await switchLanguage(page)
  t.equal(where(page), '/', 'stays on the same page')
  t.equal(await page.getAttribute('html', 'lang'), 'en')
  t.equal(await text(page, 'main h1'), en('workbench.title'))
  t.equal(await text(page, '.panel h2'), en('workbench.reminders'))
  t.equal(await text(page, 'form[action="/logout"] button'), en('auth.signOut'))
  t.match(await text(page, '.who'), `${admin.name} · System administrator`, 'role name in English, user data as entered')
  t.match(await text(page, '.today'), /^\d{4}-\d{2}-\d{2} (Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day$/, 'the weekday in English')
  t.equal(await text(page, 'form.lang-switch button'), '中文')

  await switchLanguage(page)
  t.equal(await page.getAttribute('html', 'lang'), 'zh-CN')
  t.equal(await text(page, 'main h1'), zh('workbench.title'))
})

t.test('the choice sticks after signing out and in, also in a fresh browser', async (t) => {
  await switchLanguage(page)
  t.equal(await page.getAttribute('html', 'lang'), 'en')
  await signOut(page)
  t.equal(where(page), '/login')
  t.equal(await page.getAttribute('html', 'lang'), 'en', 'the sign-in page keeps this browser\'s language')
  t.equal(await text(page, 'h1'), en('auth.signInTitle'))
  await signIn(page, admin.login, admin.password)
  t.equal(await text(page, 'main h1'), en('workbench.title'))

  // another computer: no cookie, so the sign-in page is in the default language,
  // and the user's saved preference applies as soon as he is signed in
  const other = await openPage(browser, server.url)
  await other.page.goto('/login')
  t.equal(await other.page.getAttribute('html', 'lang'), 'zh-CN')
  await signIn(other.page, admin.login, admin.password)
  t.equal(where(other.page), '/')
  t.equal(await other.page.getAttribute('html', 'lang'), 'en', 'the preference follows the user')
  t.equal(await text(other.page, 'main h1'), en('workbench.title'))

  await switchLanguage(other.page)
  t.equal(await other.page.getAttribute('html', 'lang'), 'zh-CN')
  await signOut(other.page)
  await signIn(other.page, admin.login, admin.password)
  t.equal(await text(other.page, 'main h1'), zh('workbench.title'), 'switching back is remembered too')
  t.same(other.problems, [], 'no console errors, CSP violations or requests to other hosts')
  await other.context.close()
})

t.test('nothing went wrong behind the scenes', async (t) => {
  t.same(first.problems, [], 'no console errors, CSP violations or requests to other hosts')
  t.same(server.errors, [], 'the server logged no errors')
})
