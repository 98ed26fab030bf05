// Browser-test harness: the real server as a child process (exactly what `npm start`
// runs) on a fresh embedded database, and Debian's Chromium driven by playwright-core.
// Every page is watched for what a person would not notice but must not happen:
// console errors, uncaught script errors, CSP violations, requests leaving the machine.
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import readline from 'node:readline'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { translator } from '../../src/platform/i18n.ts'

export interface Teardown { teardown(fn: () => unknown): void }

export const ROOT = path.resolve(import.meta.dirname, '../..')
export const zh = translator('zh-CN')
export const en = translator('en')

export interface Server {
  url: string
  dataDir: string
  /** log lines at level error or above, and anything the process wrote to stderr */
  errors: string[]
  stop(): Promise<void>
}

/**
 * Starts `node --import tsx <script>` on a fresh temporary DATA_DIR and a port the
 * system picks (read back from the "Server listening" log line, so no port race).
 * Always embedded PGlite: DATABASE_URL from the caller's environment is not passed on.
 */
export async function startServer(t: Teardown, opts: { script?: string; env?: Record<string, string>; dataDir?: string } = {}): Promise<Server & { output: string[] }> {
  // a given data directory belongs to the caller (and outlives this server)
  const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'kehu-e2e-'))
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', opts.script ?? 'src/server.ts'], {
    cwd: ROOT,
    env: {
      ...process.env, DATABASE_URL: '', DATABASE_REPLICA_URL: '', DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1',
      LOG_LEVEL: 'info', TIME_ZONE: 'Asia/Shanghai', ...opts.env
    },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const errors: string[] = []
  const output: string[] = []
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { if (d.trim()) errors.push(`stderr: ${d.trim()}`) })
  let exited = false
  const exit = new Promise<void>((resolve) => child.once('exit', () => { exited = true; resolve() }))

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start within 60 s:\n${output.join('\n')}\n${errors.join('\n')}`)), 60_000)
    void exit.then(() => { clearTimeout(timer); reject(new Error(`server exited at start:\n${output.join('\n')}\n${errors.join('\n')}`)) })
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      output.push(line)
      let rec: { level?: number; msg?: string } | undefined
      try { rec = JSON.parse(line) } catch { return }
      if ((rec?.level ?? 0) >= 50) errors.push(line)
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(rec?.msg ?? '')
      if (m) { clearTimeout(timer); resolve(m[1]) }
    })
  })

  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM')
      await exit
    }
    if (!opts.dataDir) fs.rmSync(dataDir, { recursive: true, force: true })
  }
  t.teardown(stop)
  return { url, dataDir, errors, output, stop }
}

export async function launchBrowser(t: Teardown): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run']
  })
  t.teardown(() => browser.close())
  return browser
}

export interface Watched { context: BrowserContext; page: Page; problems: string[] }

/**
 * A fresh browser profile (no cookies) in the office's locale and time zone, with one
 * page. `problems` collects console errors, page errors, CSP violations and any
 * request to a host other than the test server (those are aborted, never sent).
 */
export async function openPage(browser: Browser, baseURL: string): Promise<Watched> {
  const context = await browser.newContext({ baseURL, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width: 1280, height: 800 } })
  const problems: string[] = []
  await context.route('**/*', (route) => {
    const u = new URL(route.request().url())
    if (u.protocol === 'data:' || u.hostname === '127.0.0.1' || u.hostname === 'localhost') return route.continue()
    problems.push(`request to another host: ${u.href}`)
    return route.abort()
  })
  // Init scripts are injected by the browser itself, so the CSP does not block this one.
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline code'}`)
    })
  })
  // every page of the profile, also one the app opens in a new tab (print, customer card)
  context.on('page', (p) => watchPage(p, problems))
  const page = await context.newPage()
  return { context, page, problems }
}

function watchPage(page: Page, problems: string[]) {
  // Chromium logs every 4xx/5xx response as a console error. A page answered 401/422
  // (failed sign-in, form with errors) is the product working, so responses are judged
  // here instead: a failing stylesheet, script or image, or any 5xx, is a problem.
  page.on('response', (r) => {
    const type = r.request().resourceType()
    if (r.status() >= 500 || (r.status() >= 400 && type !== 'document')) problems.push(`${r.status()} for ${type} ${r.url()}`)
  })
  page.on('console', (m) => {
    if (m.type() !== 'error' || /^Failed to load resource: the server responded with a status of/.test(m.text())) return
    problems.push(`console error on ${page.url()}: ${m.text()}`)
  })
  page.on('pageerror', (e) => problems.push(`page error on ${page.url()}: ${e.message}`))
}

/** the path part of the page's URL, with the query string */
export function where(page: Page): string {
  const u = new URL(page.url())
  return u.pathname + u.search
}

export async function signIn(page: Page, login: string, password: string) {
  await page.goto('/login')
  await page.fill('form[action="/login"] input[name="login"]', login)
  await page.fill('form[action="/login"] input[name="password"]', password)
  await Promise.all([page.waitForNavigation(), page.click('form[action="/login"] button[type="submit"]')])
}

export async function signOut(page: Page) {
  await Promise.all([page.waitForNavigation(), page.click('form[action="/logout"] button[type="submit"]')])
}

/** the first-run form: creates the first system administrator, who lands signed in */
export async function createFirstAdmin(page: Page, admin: { login: string; name: string; password: string }) {
  await page.goto('/')
  await page.fill('input[name="login"]', admin.login)
  await page.fill('input[name="name"]', admin.name)
  await page.fill('input[name="password"]', admin.password)
  await page.fill('input[name="password2"]', admin.password)
  await Promise.all([page.waitForNavigation(), page.click('form[action="/setup"] button[type="submit"]')])
}

export const text = async (page: Page, selector: string) => ((await page.textContent(selector)) ?? '').replace(/\s+/g, ' ').trim()

/** value of the first option whose text contains `label` */
export async function optionValue(page: Page, select: string, label: string): Promise<string> {
  const options = await page.$$eval(`${select} option`, (os) => os.map((o) => ({ value: (o as HTMLOptionElement).value, text: o.textContent ?? '' })))
  const hit = options.find((o) => o.text.includes(label))
  if (!hit) throw new Error(`no option containing ${label} in ${select}: ${options.map((o) => o.text).join(', ')}`)
  return hit.value
}

/** a colleague as the administrator enters him: `role` is the role's name as listed (主管, 客服坐席…) */
export interface Person { login: string; name: string; role: string; first: string; password: string }

/** the administrator adds `p` on /admin/users/new (head office, Chinese interface) */
export async function addUser(adminPage: Page, p: Person) {
  const form = 'main form:has([name="login"])'
  await adminPage.goto('/admin/users/new')
  await adminPage.fill(`${form} [name="login"]`, p.login)
  await adminPage.fill(`${form} [name="name"]`, p.name)
  await adminPage.selectOption(`${form} select[name="department_id"]`, await optionValue(adminPage, `${form} select[name="department_id"]`, '总公司'))
  await adminPage.selectOption(`${form} select[name="role_id"]`, await optionValue(adminPage, `${form} select[name="role_id"]`, p.role))
  await adminPage.fill(`${form} [name="password"]`, p.first)
  await adminPage.selectOption(`${form} select[name="lang"]`, 'zh-CN')
  await Promise.all([adminPage.waitForURL(/\/admin\/users\/\d+$/), adminPage.click(`${form} button[type="submit"]`)])
}

/** `p` signs in in a browser profile of his own, replaces the first password as he must, and is left on the workbench */
export async function firstSignIn(browser: Browser, baseURL: string, p: Person): Promise<Watched> {
  const tab = await openPage(browser, baseURL)
  await signIn(tab.page, p.login, p.first)
  await tab.page.fill('[name="current"]', p.first)
  await tab.page.fill('[name="password"]', p.password)
  await tab.page.fill('[name="password2"]', p.password)
  await Promise.all([tab.page.waitForURL((u) => u.pathname === '/'), tab.page.click('form[action="/account/password"] button[type="submit"]')])
  return tab
}

/** colleagues added by the administrator (a tab of his for each) and signing in for the first time, side by side */
export async function addPeople<K extends string>(browser: Browser, baseURL: string, adminPage: Page, people: Record<K, Person>): Promise<Record<K, Watched>> {
  const keys = Object.keys(people) as K[]
  const tabs = await Promise.all(keys.map(async (k) => {
    const tab = await adminPage.context().newPage()
    await addUser(tab, people[k])
    await tab.close()
    return firstSignIn(browser, baseURL, people[k])
  }))
  return Object.fromEntries(keys.map((k, i) => [k, tabs[i]])) as Record<K, Watched>
}

/**
 * Someone allowed to enter customers types a new one (name and phone, optionally a
 * contact with a mobile) as a person does: the duplicate check runs and must find
 * nothing. Leaves the page on the customer and returns its address.
 */
export async function addCustomer(page: Page, c: { name: string; phone: string; contact?: { name: string; mobile: string } }): Promise<string> {
  await page.goto('/customers/new')
  await page.fill('#f-name', c.name)
  await Promise.all([page.waitForResponse((r) => r.url().includes('/customers/duplicates')), page.fill('#f-phone', c.phone)])
  await page.waitForLoadState('networkidle')
  const dup = await text(page, '#dup-warning')
  if (dup) throw new Error(`unexpected duplicate warning: ${dup}`)
  await Promise.all([page.waitForURL(/\/customers\/\d+$/), page.click('main form button.primary[type="submit"]')])
  const at = where(page)
  if (c.contact) {
    await page.goto(`${at}/contacts/new`)
    await page.fill('#f-name', c.contact.name)
    await page.fill('#f-mobile', c.contact.mobile)
    await Promise.all([page.waitForURL((u) => u.pathname === at), page.click('main form button.primary[type="submit"]')])
  }
  return at
}

/** sets a mark on the page's window: still there later means the page was not reloaded or left */
export const markPage = (page: Page) => page.evaluate(() => { (window as unknown as { kehuMark?: number }).kehuMark = 1 })
export const pageMarked = (page: Page) => page.evaluate(() => (window as unknown as { kehuMark?: number }).kehuMark === 1)
