// Issue 3 as the office lives it, in Chromium against the real server: an agent finds
// a customer by part of his phone number and logs a call without the page reloading;
// an ordinary user's new customer waits for review; the supervisor approves it and
// prints the customer list.
import t from 'tap'
import { addCustomer, addPeople, createFirstAdmin, launchBrowser, markPage, openPage, pageMarked, startServer, text, where, zh, type Person } from './helpers.ts'

const [server, browser] = await Promise.all([startServer(t), launchBrowser(t)])
const adminTab = await openPage(browser, server.url)
await createFirstAdmin(adminTab.page, { login: 'zhouliming', name: '周立明', password: 'Guanli-2026-ok' })

const people: Record<'supervisor' | 'agent' | 'user', Person> = {
  supervisor: { login: 'wangfang', name: '王芳', role: '主管', first: 'Chushi-2026-a1', password: 'Zhuguan-2026-ok' },
  agent: { login: 'lina', name: '李娜', role: '客服坐席', first: 'Chushi-2026-b2', password: 'Zuoxi-2026-ok' },
  user: { login: 'zhangsan', name: '张三', role: '一般用户', first: 'Chushi-2026-c3', password: 'Yewu-2026-ok' }
}
const { supervisor, agent, user } = await addPeople(browser, server.url, adminTab.page, people)

const known = { name: '北京华润科技有限公司', phone: '010-6234 5678' }
const pending = { name: '上海明达贸易有限公司', phone: '021-5566 7788' }
let pendingPath = ''

t.test('the supervisor enters a customer, approved at once', async (t) => {
  const { page } = supervisor
  await addCustomer(page, known)
  t.equal(await text(page, '#flash'), zh('customers.created'))
  t.match(await text(page, 'main h1 .muted'), /^A-\d+$/, 'the new customer got a code')
})

t.test('the agent finds the customer by part of his number and logs a call in place', async (t) => {
  const { page } = agent
  await page.goto('/')
  await page.keyboard.press('Alt+k') // the search box's shortcut
  t.equal(await page.evaluate(() => document.activeElement?.closest('form')?.className), 'global-search', 'Alt+K: in the search box')
  await page.keyboard.type('62345678') // the middle of 010-6234 5678
  const option = page.locator('#search-suggest li[role="option"] a', { hasText: known.name })
  await option.waitFor()
  t.match(await option.textContent(), /A-\d+/, 'the suggestion shows the code')
  await page.keyboard.press('ArrowDown')
  await Promise.all([page.waitForURL(/\/customers\/\d+$/), page.keyboard.press('Enter')])
  t.equal(await text(page, 'main h1'), `${known.name} ${await text(page, 'main h1 .muted')}`)
  t.equal(await text(page, '#communications .empty'), zh('customers.noCommunications'))

  const address = where(page)
  await markPage(page)
  const summary = '客户询问发票寄送地址，已告知将于周五寄出'
  await page.selectOption('#communications select[name="kind"]', 'call')
  await page.fill('#communications textarea[name="summary"]', summary)
  await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/communications') && r.status() === 200),
    page.keyboard.press('Control+Enter')
  ])
  const row = page.locator('#communications table.grid tbody tr', { hasText: summary })
  await row.waitFor()
  t.equal(where(page), address, 'still on the customer page')
  t.ok(await pageMarked(page), 'the page was not reloaded: only the records section changed')
  const cells = await row.locator('td').allTextContents()
  t.equal(cells[1].trim(), zh('customers.m.kinds.call'), 'logged as a call')
  t.equal(cells[5].trim(), people.agent.name, 'by the agent')
  t.equal(await page.inputValue('#communications textarea[name="summary"]'), '', 'the form is empty for the next record')
  t.equal(await page.locator('#communications .empty').count(), 0)

  await page.reload()
  t.equal(await page.locator('#communications table.grid tbody tr', { hasText: summary }).count(), 1, 'the record is saved, once')
})

t.test('an ordinary user\'s new customer waits for review', async (t) => {
  const { page } = user
  pendingPath = await addCustomer(page, pending)
  t.equal(await text(page, '#flash'), zh('customers.createdPending'))
  t.equal(await text(page, 'main .flash.warn'), zh('customers.isPending'))
})

t.test('the supervisor approves it from the review queue', async (t) => {
  const { page } = supervisor
  await page.goto('/customers')
  await Promise.all([page.waitForURL('**/customers/review'), page.click(`main a[href="/customers/review"]`)])
  const id = pendingPath.split('/').pop()
  const row = page.locator(`table.review tr#c${id}`)
  t.match(await row.textContent(), pending.name, 'the new customer is in the queue')
  t.match(await row.textContent(), people.user.name, 'with who entered it')
  t.equal(await page.locator('table.review tbody tr').count(), 1, 'only the pending one: the supervisor\'s own went straight through')

  await Promise.all([page.waitForURL('**/customers/review'), row.locator('form[action$="/approve"] button').click()])
  t.equal(await text(page, '#flash'), zh('customerAdmin.review.approved'))
  t.equal(await page.locator(`tr#c${id}`).count(), 0, 'it left the queue')
  t.match(await text(page, 'main .empty'), zh('customerAdmin.review.empty'))

  await page.goto(pendingPath)
  t.equal(await page.locator('main .flash.warn').count(), 0, 'no more "waiting for review" warning')
  const state = await page.locator('dl.props dt', { hasText: zh('customers.f.review_state') }).locator('xpath=following-sibling::dd[1]').textContent()
  t.equal(state?.trim(), zh('customers.review.approved'))
})

t.test('the supervisor prints the customer list', async (t) => {
  const { page, context } = supervisor
  await page.goto('/customers')
  const [print] = await Promise.all([context.waitForEvent('page'), page.click('main a[href^="/customers/print"]')])
  await print.waitForLoadState()
  t.match(where(print), /^\/customers\/print/)
  t.equal(await text(print, 'main h1'), zh('customerIo.printTitle'))
  const names = await print.locator('table.print-table tbody tr td:nth-child(3)').allTextContents()
  t.same(names.sort(), [known.name, pending.name].sort(), 'both customers are on the list')
  t.match(await text(print, '.print-meta'), people.supervisor.name, 'says who printed it')
  t.equal(await print.locator('nav, .sidenav, header.topbar, form.global-search').count(), 0, 'no navigation on the print page')

  const sheet = await print.getAttribute('link[rel="stylesheet"][media="print"]', 'href')
  t.equal(sheet, '/public/css/print.css', 'a print style sheet')
  const css = await print.evaluate(async (href) => (await fetch(href!)).text(), sheet)
  t.match(css, /@page\s*\{[^}]*size:\s*A4/, 'laid out for A4')
  t.ok(await print.locator('table.print-table').isVisible(), 'the table shows on screen')
  t.ok(await print.locator('.print-toolbar').isVisible(), 'with a print button on screen')
  await print.emulateMedia({ media: 'print' })
  t.notOk(await print.locator('.print-toolbar').isVisible(), 'the buttons are not printed')
  t.ok(await print.locator('table.print-table').isVisible(), 'the table is')
  t.equal(await print.locator('table.print-table thead').evaluate((e) => getComputedStyle(e).display), 'table-header-group', 'headers repeat on every page')
  await print.close()
})

t.test('nothing went wrong behind the scenes', async (t) => {
  for (const [who, tab] of Object.entries({ admin: adminTab, ...{ supervisor, agent, user } })) {
    t.same(tab.problems, [], `${who}: no console errors, CSP violations or requests to other hosts`)
  }
  t.same(server.errors, [], 'the server logged no errors')
})
