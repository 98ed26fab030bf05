// Issue 4: the agent's call flow without the mouse, in Chromium against the real
// server. The telephony system opens the call screen for the caller's number (screen
// pop); everything the agent does after that is keyboard only (page.keyboard), and a
// mouse press anywhere on his pages would show in the count checked at the end.
import t from 'tap'
import type { Page } from 'playwright-core'
import { addCustomer, addPeople, createFirstAdmin, launchBrowser, openPage, startServer, text, where, zh, type Person } from './helpers.ts'

const [server, browser] = await Promise.all([startServer(t), launchBrowser(t)])
const adminTab = await openPage(browser, server.url)
await createFirstAdmin(adminTab.page, { login: 'zhouliming', name: '周立明', password: 'Guanli-2026-ok' })
const people: Record<'supervisor' | 'agent', Person> = {
  supervisor: { login: 'wangfang', name: '王芳', role: '主管', first: 'Chushi-2026-a1', password: 'Zhuguan-2026-ok' },
  agent: { login: 'lina', name: '李娜', role: '客服坐席', first: 'Chushi-2026-b2', password: 'Zuoxi-2026-ok' }
}
const { supervisor, agent } = await addPeople(browser, server.url, adminTab.page, people)
const known = { name: '杭州西湖茶业有限公司', phone: '0571-8765 4321', contact: { name: '陈伟', mobile: '139 0571 2345' } }
await addCustomer(supervisor.page, known)
const caller = '13905712345' // the contact's mobile as the telephony system passes it
const stranger = '13811112222'

// the agent's pages count every mouse press, also across page loads (sessionStorage)
await agent.context.addInitScript(() => {
  document.addEventListener('pointerdown', (e) => {
    if (e.isTrusted) sessionStorage.setItem('kehu.e2e.mouse', String(Number(sessionStorage.getItem('kehu.e2e.mouse') ?? 0) + 1))
  }, true)
})
const page = agent.page
const kb = page.keyboard
/** the focused field's name (or id), so each key's effect is checked */
const focused = (p: Page) => p.evaluate(() => {
  const el = document.activeElement as HTMLInputElement | null
  return el?.name || el?.id || el?.tagName.toLowerCase() || ''
})
const savedRequest = /\/service\/requests\/\d+\?saved=1$/

t.test('a screen pop for a known caller shows him, and the request is saved with Tab and Ctrl+Enter', async (t) => {
  await page.goto(`/service/calls/new?phone=${caller}`)
  t.equal(await page.inputValue('#f-caller_phone'), caller, 'the number is filled in')
  const card = page.locator('#caller-panel .caller-card')
  t.equal(await card.count(), 1, 'one caller card')
  t.match(await card.locator('h3').textContent(), known.name)
  t.match(await card.textContent(), known.contact.name, 'with the contact whose mobile it is')
  t.match(await text(page, '#customer-link .linked'), `${zh('service.linkedTo')} ${known.name} · ${known.contact.name}`, 'linked without a click')
  t.equal(await focused(page), 'subject', 'the cursor waits in the subject')

  await kb.type('询问春茶订单发货时间')
  await kb.press('Tab')
  t.equal(await focused(page), 'content', 'Tab goes on to the content')
  await kb.type('客户三月订的龙井尚未收到，请物流查询后回电。')
  await Promise.all([page.waitForURL(savedRequest), kb.press('Control+Enter')])
  t.equal(await text(page, '#flash'), zh('service.saved'))
  t.match(await text(page, 'main h1'), /^SR-\d{8}-\d{4} · 询问春茶订单发货时间$/)
  const props = await text(page, 'main dl.props')
  t.match(props, `${known.name}`, 'the request is the customer\'s')
  t.match(props, known.contact.name)
  t.match(props, caller, 'with the caller\'s number')
  t.match(props, '客户三月订的龙井尚未收到')
})

t.test('save and new (Alt+N) leaves the agent on an empty screen for the next call', async (t) => {
  await page.goto(`/service/calls/new?phone=${caller}`)
  await kb.type('确认发票抬头')
  await Promise.all([page.waitForURL(/\/service\/calls\/new\?saved=\d+$/), kb.press('Alt+n')])
  t.equal(await text(page, '#flash'), zh('service.saved'))
  t.equal(await focused(page), 'caller_phone', 'the cursor is in the phone field')
  t.equal(await page.inputValue('#f-caller_phone'), '')
  t.equal(await page.inputValue('#f-subject'), '', 'nothing left over from the last call')
  const id = new URL(page.url()).searchParams.get('saved')
  await page.goto(`/service/requests/${id}`)
  t.match(await text(page, 'main h1'), '确认发票抬头', 'the request was saved')
  t.match(await text(page, 'main dl.props'), known.name)
})

t.test('a draft survives an accidental reload, caller included', async (t) => {
  await page.goto('/service/calls/new')
  t.equal(await focused(page), 'caller_phone')
  await kb.type(caller)
  await page.locator('#customer-link .linked').waitFor()
  await kb.press('Enter')
  t.equal(await focused(page), 'subject', 'Enter in the phone field goes on to the subject')
  await kb.type('投诉包装破损')
  await kb.press('Tab')
  await kb.type('两盒外包装压坏，要求换货。')
  await page.waitForFunction(() => /两盒外包装压坏/.test(localStorage.getItem('kehu.draft.call') ?? ''))

  await page.reload() // the accident: not the agent's doing
  t.equal(await page.inputValue('#f-caller_phone'), caller, 'the number is back')
  t.equal(await page.inputValue('#f-subject'), '投诉包装破损', 'the subject is back')
  t.equal(await page.inputValue('#f-content'), '两盒外包装压坏，要求换货。', 'the content is back')
  await page.locator('#customer-link .linked').waitFor()
  t.match(await text(page, '#caller-panel .caller-card h3'), known.name, 'and the caller is looked up again')

  await Promise.all([page.waitForURL(savedRequest), kb.press('Control+Enter')])
  t.match(await text(page, 'main h1'), '投诉包装破损')
  t.match(await text(page, 'main dl.props'), known.name, 'linked to the customer')
  t.equal(await page.evaluate(() => localStorage.getItem('kehu.draft.call')), null, 'saving cleared the draft')
  await page.goto('/service/calls/new')
  t.equal(await page.inputValue('#f-subject'), '', 'the next call starts empty')
})

t.test('a draft does not spill into the screen pop of another caller', async (t) => {
  await page.goto(`/service/calls/new?phone=${caller}`)
  await kb.type('这一条还没保存')
  await page.waitForFunction(() => /这一条还没保存/.test(localStorage.getItem('kehu.draft.call') ?? ''))
  await page.goto(`/service/calls/new?phone=${stranger}`) // the next call rings before this one was saved
  t.equal(await page.inputValue('#f-caller_phone'), stranger)
  t.equal(await page.inputValue('#f-subject'), '', 'another caller\'s subject is not filled in')

  await page.goto(`/service/calls/new?phone=${caller}`) // the first caller rings back
  t.equal(await page.inputValue('#f-subject'), '这一条还没保存', 'his own draft is still there')
  await Promise.all([page.waitForURL(savedRequest), kb.press('Control+Enter')])
  t.match(await text(page, 'main h1'), '这一条还没保存')
})

t.test('an unknown number: quick creation offered, or the call logged without a customer', async (t) => {
  await page.goto('/service/calls/new')
  await kb.type(stranger)
  await page.locator('#caller-panel .unknown-caller').waitFor()
  t.match(await text(page, '#caller-panel'), zh('service.unknownCaller'))
  t.match(await text(page, '#caller-panel'), zh('service.orLogWithout'))
  t.equal(await page.locator('#customer-link input[name="customer_id"]').count(), 0, 'no customer linked')

  await kb.press('Tab')
  t.equal(await focused(page), 'caller_name', 'Tab: the caller\'s name')
  await kb.type('刘先生')
  await kb.press('Tab')
  const quick = await page.evaluate(() => ({ text: document.activeElement?.textContent?.trim(), href: document.activeElement?.getAttribute('href') }))
  t.same(quick, { text: zh('service.quickCustomer'), href: `/customers/new?phone=${stranger}` }, 'Tab: the quick creation')
  const [form] = await Promise.all([agent.context.waitForEvent('page'), kb.press('Enter')])
  await form.waitForLoadState()
  t.equal(where(form), `/customers/new?phone=${stranger}`, 'Enter opens the new-customer form beside the call')
  t.equal(await form.inputValue('#f-phone'), stranger, 'with the number filled in')
  await form.close()

  await kb.press('Tab')
  t.equal(await focused(page), 'subject', 'Tab: the subject')
  await kb.type('咨询加盟政策')
  await kb.press('Tab')
  await kb.type('想在苏州开门店，请寄资料。')
  await Promise.all([page.waitForURL(savedRequest), kb.press('Control+Enter')])
  const props = await text(page, 'main dl.props')
  t.match(props, `刘先生 ${stranger}`, 'the caller as typed')
  t.match(props, zh('service.noCustomer'), 'logged without a customer')
})

t.test('Enter in the knowledge-base box searches there and saves nothing', async (t) => {
  await page.goto('/service/calls/new')
  await kb.type(caller)
  await kb.press('Enter')
  await kb.type('询问退货流程')
  await kb.press('Alt+b')
  t.equal(await focused(page), 'kb_q', 'Alt+B: the knowledge-base search')
  await kb.type('退货')
  // the form around the box is complete enough to save: Enter must search, not save it
  await kb.press('Enter')
  await page.locator('#kb-results .kb-none').waitFor()
  t.equal(where(page), '/service/calls/new', 'still on the call screen, nothing saved')
  t.equal(await focused(page), 'kb_q', 'the cursor stays in the search box')
  await Promise.all([page.waitForURL(savedRequest), kb.press('Control+Enter')])
  t.match(await text(page, 'main'), '询问退货流程', 'Ctrl+Enter saves the request')
})

t.test('the agent never needed the mouse, and nothing went wrong behind the scenes', async (t) => {
  t.equal(await page.evaluate(() => Number(sessionStorage.getItem('kehu.e2e.mouse') ?? 0)), 0, 'no mouse press on the agent\'s pages')
  for (const [who, tab] of Object.entries({ admin: adminTab, supervisor, agent })) {
    t.same(tab.problems, [], `${who}: no console errors, CSP violations or requests to other hosts`)
  }
  t.same(server.errors, [], 'the server logged no errors')
})
