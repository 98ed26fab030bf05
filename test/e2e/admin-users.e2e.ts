// An administrator adds a user with a role through the admin pages; the new user
// signs in, must first replace the password he was given, and then sees only what
// his role allows.
import t from 'tap'
import type { Page } from 'playwright-core'
import { createFirstAdmin, launchBrowser, openPage, signIn, startServer, text, where, zh } from './helpers.ts'

const server = await startServer(t)
const browser = await launchBrowser(t)
const adminTab = await openPage(browser, server.url)
const admin = { login: 'zhouliming', name: '周立明', password: 'Guanli-2026-ok' }
const rep = { login: 'zhangsan', name: '张三', first: 'Chushi-2026-pw', own: 'Ziji-mima-2026' }
await createFirstAdmin(adminTab.page, admin)

const userForm = 'main form:has([name="login"])'

/** value of the first option whose text contains `label` */
async function optionValue(page: Page, select: string, label: string): Promise<string> {
  const options = await page.$$eval(`${select} option`, (os) => os.map((o) => ({ value: (o as HTMLOptionElement).value, text: o.textContent ?? '' })))
  const hit = options.find((o) => o.text.includes(label))
  if (!hit) throw new Error(`no option containing ${label} in ${select}: ${options.map((o) => o.text).join(', ')}`)
  return hit.value
}

async function fillUserForm(page: Page, login: string) {
  await page.fill(`${userForm} [name="login"]`, login)
  await page.fill(`${userForm} [name="name"]`, rep.name)
  await page.selectOption(`${userForm} select[name="department_id"]`, await optionValue(page, `${userForm} select[name="department_id"]`, '总公司'))
  await page.selectOption(`${userForm} select[name="role_id"]`, await optionValue(page, `${userForm} select[name="role_id"]`, '一般用户'))
  await page.fill(`${userForm} [name="password"]`, rep.first)
  await page.fill(`${userForm} [name="email"]`, 'zhangsan@example.com')
  await page.fill(`${userForm} [name="phone_ext"]`, '8123')
  await page.selectOption(`${userForm} select[name="lang"]`, 'zh-CN')
}

t.test('the administrator sees the admin pages in the navigation', async (t) => {
  const { page } = adminTab
  await page.goto('/')
  const adminLinks = await page.$$eval('nav.sidenav a', (as) => as.map((a) => a.getAttribute('href') ?? '').filter((h) => h.startsWith('/admin')))
  t.ok(adminLinks.length > 0, `admin links: ${adminLinks.join(' ')}`)
})

t.test('a taken login name is refused with everything typed kept', async (t) => {
  const { page } = adminTab
  await page.goto('/admin/users/new')
  t.equal(await page.locator(`${userForm} button[type="submit"]`).count(), 1, 'one submit button')
  await fillUserForm(page, admin.login.toUpperCase())
  const [res] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.click(`${userForm} button[type="submit"]`)])
  await page.waitForLoadState()
  t.equal(res.status(), 422)
  t.equal(await page.inputValue(`${userForm} [name="name"]`), rep.name, 'name kept')
  t.equal(await page.inputValue(`${userForm} [name="phone_ext"]`), '8123', 'extension kept')
})

t.test('creating a user with a role', async (t) => {
  const { page } = adminTab
  await page.goto('/admin/users/new')
  await fillUserForm(page, rep.login)
  await Promise.all([page.waitForURL(/\/admin\/users\/\d+$/), page.click(`${userForm} button[type="submit"]`)])
  const body = await text(page, 'main')
  t.match(body, rep.login, 'the new user\'s page shows his login')
  t.match(body, '一般用户', 'and his role')
})

t.test('the new user must replace his first password, then works within his role', async (t) => {
  const { page, problems, context } = await openPage(browser, server.url)
  await signIn(page, rep.login, rep.first)
  t.equal(where(page), '/account/password', 'sent to change the password first')
  t.equal(await text(page, '.flash.warn'), zh('auth.mustChange'))
  await page.goto('/')
  t.equal(where(page), '/account/password', 'no other page until the password is changed')

  await page.fill('[name="current"]', rep.first)
  await page.fill('[name="password"]', rep.own)
  await page.fill('[name="password2"]', rep.own)
  await Promise.all([page.waitForNavigation(), page.click('form[action="/account/password"] button[type="submit"]')])
  t.equal(where(page), '/')
  t.equal(await text(page, '#flash'), zh('auth.passwordChanged'))
  t.match(await text(page, '.who'), `${rep.name} · 一般用户`)
  const adminLinks = await page.$$eval('nav.sidenav a', (as) => as.map((a) => a.getAttribute('href') ?? '').filter((h) => h.startsWith('/admin')))
  t.same(adminLinks, [], 'an ordinary user sees no admin pages')
  const res = await page.goto('/admin/users/new')
  t.equal(res?.status(), 403, 'and cannot open them')
  t.equal(await text(page, 'main h1'), zh('errors.title403'))

  await page.goto('/')
  t.same(problems, [], 'no console errors, CSP violations or requests to other hosts')
  await context.close()
})

t.test('nothing went wrong behind the scenes', async (t) => {
  t.same(adminTab.problems, [], 'no console errors, CSP violations or requests to other hosts')
  t.same(server.errors, [], 'the server logged no errors')
})
