// Service requests as agents and supervisors rely on them (issue 4 items 1–2): numbers,
// due time by priority, the status flow with who and when, assignment, the follow-up
// log, overdue highlighting, the lists with filters and keyset pages, and search
// (Chinese fragment, number, phone fragment, literal % and _, the archive).
import crypto from 'node:crypto'
import { sql } from 'kysely'
import t from 'tap'
import { formatter } from '../../../src/platform/format.ts'
import { DUE_HOURS } from '../../../src/modules/service-desk/requests-service.ts'
import { seedOffice, signIn, testApp, type Client } from '../../helpers/app.ts'
import { assertUnchanged } from '../../helpers/matrix.ts'
import { createViaForm } from '../customers/helpers.ts'
import { auditOf, listedIds, logCall, msg, tokenOf, versionOf } from './helpers.ts'

const TABLES = ['service_requests', 'request_followups', 'leads', 'customer_timeline']
const row = (app: Awaited<ReturnType<typeof testApp>>, id: number) =>
  app.db.selectFrom('service_requests').selectAll().where('id', '=', id).executeTakeFirstOrThrow()

t.test('numbers, due time by priority, and the status flow with who and when', async (t) => {
  const app = await testApp(t)
  await seedOffice(app)
  const agent = await signIn(app, 'agent')
  const boss = await signIn(app, 'boss')

  const ids: Record<string, number> = {}
  for (const p of ['urgent', 'high', 'normal', 'low'] as const) ids[p] = await logCall(agent, { caller_phone: '13800138000', subject: `咨询 ${p}`, priority: p })
  const rows = await Promise.all(Object.values(ids).map((id) => row(app, id)))
  const day = formatter('zh-CN', app.config.timeZone).today().replaceAll('-', '')
  t.ok(rows.every((r) => new RegExp(`^SR-${day}-\\d{4}$`).test(r.number)), 'SR-<office date>-NNNN')
  t.same(rows.map((r) => Number(r.number.slice(-4))), [1, 2, 3, 4], 'numbered one after another')
  for (const r of rows) {
    const hours = (r.due_at.getTime() - r.received_at.getTime()) / 3_600_000
    t.ok(Math.abs(hours - DUE_HOURS[r.priority]) < 0.02, `${r.priority}: due ${DUE_HOURS[r.priority]} h after it was received`)
  }

  const id = ids.normal
  const post = (c: Client, form: Record<string, string>) => c.post(`/service/requests/${id}/status`, form)
  const v1 = await versionOf(agent, id)

  const illegal = await assertUnchanged(t, app, TABLES, () => post(agent, { version: v1, to: 'archived' }), 'received → archived changes nothing')
  t.equal(illegal.statusCode, 422)
  t.match(illegal.body, msg('service.errors.illegalTransition', { from: '受理', to: '归档' }), 'the statuses by their names')

  const start = await auditOf(app, () => post(agent, { version: v1, to: 'in_progress', note: '开始处理', answer: '' }))
  t.equal(start.result.statusCode, 303)
  t.equal(start.result.headers.location, `/service/requests/${id}`)
  t.equal(start.rows.length, 1, 'one audit row')
  t.match(start.rows[0], { action: 'status', entity: 'service_request', entity_id: String(id), user_name: '小陈' })
  t.same((start.rows[0].changes as Record<string, unknown>).status, ['received', 'in_progress'])

  const noAnswer = await assertUnchanged(t, app, TABLES, () => post(agent, { version: String(Number(v1) + 1), to: 'answered', note: '正在答复', answer: '' }))
  t.equal(noAnswer.statusCode, 422, 'answered needs an answer')
  t.match(noAnswer.body, `<p class="field-error" id="e-answer">${msg('service.errors.answerRequired')}</p>`)
  t.match(noAnswer.body, 'value="正在答复"', 'the note typed is kept')

  const stale = await assertUnchanged(t, app, TABLES, () => post(boss, { version: v1, to: 'answered', answer: '迟到的答复' }), 'a stale version changes nothing')
  t.equal(stale.statusCode, 409)
  t.match(stale.body, msg('errors.conflict', { name: '小陈' }), 'says who changed it')
  t.match(stale.body, '迟到的答复</textarea>', 'the answer typed is kept')

  t.equal((await post(boss, { version: await versionOf(boss, id), to: 'answered', answer: '已告知处理结果' })).statusCode, 303)
  t.ok((await row(app, id)).answered_at, 'answered_at set')
  t.equal((await post(agent, { version: await versionOf(agent, id), to: 'in_progress', note: '客户追问' })).statusCode, 303, 'an answered request can be reopened')
  t.equal((await row(app, id)).answered_at, null, 'reopening clears answered_at')
  t.equal((await post(agent, { version: await versionOf(agent, id), to: 'answered' })).statusCode, 303, 'the answer kept from before is enough')
  t.equal((await post(agent, { version: await versionOf(agent, id), to: 'archived' })).statusCode, 303)
  const done = await row(app, id)
  t.equal(done.status, 'archived')
  t.ok(done.archived_at)
  t.equal(done.answer, '已告知处理结果')

  const final = await assertUnchanged(t, app, TABLES, () => post(agent, { version: String(done.version), to: 'in_progress' }))
  t.equal(final.statusCode, 422, 'archived is final')

  const log = await app.db.selectFrom('request_followups as f').innerJoin('users as u', 'u.id', 'f.user_id')
    .select(['f.from_status', 'f.to_status', 'u.name', 'f.at']).where('f.request_id', '=', id).where('f.kind', '=', 'status').orderBy('f.id').execute()
  t.same(log.map((l) => [l.from_status, l.to_status, l.name]), [
    [null, 'received', '小陈'], ['received', 'in_progress', '小陈'], ['in_progress', 'answered', '王总'],
    ['answered', 'in_progress', '小陈'], ['in_progress', 'answered', '小陈'], ['answered', 'archived', '小陈']
  ], 'every step with who took it')
  const page = await agent.get(`/service/requests/${id}`)
  t.match(page.body, '小陈 · 受理 → 处理中 开始处理')
  t.match(page.body, '王总 · 处理中 → 已答复')
  t.equal([...page.body.matchAll(/<li><time>[^<]+<\/time>/g)].length, log.length, 'and when')
  t.notMatch(page.body, `action="/service/requests/${id}/status"`, 'no status form on an archived request')
})

t.test('assignment, reassignment and the follow-up log', async (t) => {
  const app = await testApp(t)
  const office = await seedOffice(app)
  const [rep, rep2, agent] = [office.users.rep.id, office.users.rep2.id, office.users.agent.id]
  const sup = await signIn(app, 'super')
  const r1 = await signIn(app, 'rep')
  const r2 = await signIn(app, 'rep2')
  const id = await logCall(sup, { caller_phone: '010-6552 1234', subject: '经销商询价' })
  const assign = async (to: string) => sup.post(`/service/requests/${id}/assign`, { version: await versionOf(sup, id), assignee_id: to })

  const page = await sup.get(`/service/requests/${id}`)
  t.match(page.body, '<option value="' + rep + '">张三</option>', 'his team is offered')
  t.notMatch(page.body, '<option value="' + agent + '">', 'another department is not')

  const toRep = await auditOf(app, () => assign(String(rep)))
  t.equal(toRep.result.statusCode, 303)
  t.equal(toRep.rows.length, 1)
  t.match(toRep.rows[0], { action: 'assign', entity: 'service_request', entity_id: String(id) })
  t.same((toRep.rows[0].changes as Record<string, unknown>).assignee_id, [office.users.super.id, rep])
  const mineList = (await r1.get('/service/requests?view=mine')).body
  t.same(listedIds(mineList), [id], 'on the rep\'s own list')
  t.match(mineList, '<a href="/service/requests?view=mine" aria-current="page">', 'whose tab is the current one')
  t.equal((await r1.get(`/service/requests/${id}`)).statusCode, 200)
  t.equal((await r2.get(`/service/requests/${id}`)).statusCode, 404, 'not his teammate\'s')

  t.equal((await assign(String(rep2))).statusCode, 303, 'reassigned')
  t.equal((await r1.get(`/service/requests/${id}`)).statusCode, 404, 'the first rep no longer sees it')
  t.same(listedIds((await r1.get('/service/requests?view=mine')).body), [])
  t.same(listedIds((await r2.get('/service/requests?view=mine')).body), [id])
  t.same(listedIds((await sup.get('/service/requests?view=team')).body), [id], 'on the supervisor\'s team list')
  t.same(listedIds((await sup.get('/service/requests?view=mine')).body), [], 'and off his own')

  const outside = await assertUnchanged(t, app, TABLES, () => assign(String(agent)))
  t.equal(outside.statusCode, 422, 'someone outside his scope cannot be chosen')
  t.match(outside.body, `<p class="field-error" id="e-assignee_id">${msg('errors.invalidChoice')}</p>`)
  for (const [who, c] of [['rep', r2], ['agent', await signIn(app, 'agent')]] as const) {
    const res = await assertUnchanged(t, app, TABLES, () => c.post(`/service/requests/${id}/assign`, { version: '9', assignee_id: String(agent) }))
    t.equal(res.statusCode, 403, `${who} may not assign`)
  }

  t.equal((await assign('')).statusCode, 303, 'unassigned')
  t.equal((await row(app, id)).assignee_id, null)
  t.same(listedIds((await sup.get('/service/requests?view=unassigned')).body), [id], 'on the unassigned list')

  // follow-ups: a message under the follow-up field only, what was typed kept
  const empty = await assertUnchanged(t, app, TABLES, () => sup.post(`/service/requests/${id}/notes`, { note: '   ' }))
  t.equal(empty.statusCode, 422)
  t.match(empty.body, `id="e-followup">${msg('errors.required')}`)
  t.notMatch(empty.body, 'id="e-note"', 'the status form\'s note shows no message')
  const long = await sup.post(`/service/requests/${id}/notes`, { note: '跟'.repeat(2001) })
  t.equal(long.statusCode, 422)
  t.match(long.body, msg('errors.tooLong', { max: 2000 }))
  t.match(long.body, `value="${'跟'.repeat(2001)}"`, 'the long note is kept to shorten')
  const note = await auditOf(app, () => sup.post(`/service/requests/${id}/notes`, { note: '客户要求周五前回复' }))
  t.equal(note.result.headers.location, `/service/requests/${id}#log`)
  t.equal(note.rows.length, 1)
  t.match(note.rows[0], { action: 'create', entity: 'request_followup' })
  const log = (await sup.get(`/service/requests/${id}`)).body
  t.match(log, '李主管 · 跟进 客户要求周五前回复')
  t.match(log, '李主管 · 分配 张三', 'the log names the assignee, not his id')
  t.match(log, '李主管 · 分配 李四')
  t.match(log, `李主管 · 分配 ${msg('service.unassigned')}`)
})

t.test('overdue requests are highlighted and listed most overdue first', async (t) => {
  const app = await testApp(t)
  await seedOffice(app)
  const agent = await signIn(app, 'agent')
  const a = await logCall(agent, { subject: '紧急故障', priority: 'urgent' })
  const b = await logCall(agent, { subject: '普通咨询', priority: 'normal' })
  const c = await logCall(agent, { subject: '已答复的', priority: 'high', status: 'answered', answer: '已处理' })
  const fresh = await logCall(agent, { subject: '刚来的', priority: 'low' })
  // time passes: a is three hours late, b one; c is late too but answered
  const ago = (h: number) => new Date(Date.now() - h * 3_600_000)
  await app.db.updateTable('service_requests').set({ due_at: ago(3) }).where('id', '=', a).execute()
  await app.db.updateTable('service_requests').set({ due_at: ago(1) }).where('id', '=', b).execute()
  await app.db.updateTable('service_requests').set({ due_at: ago(5) }).where('id', '=', c).execute()

  const list = (await agent.get('/service/requests?view=overdue')).body
  t.same(listedIds(list), [a, b], 'open and late only, most overdue first')
  t.equal([...list.matchAll(/<tr class="overdue">/g)].length, 2, 'highlighted')
  const mine = (await agent.get('/service/requests?view=mine')).body
  t.equal([...mine.matchAll(/<tr class="overdue">/g)].length, 2, 'also on the other lists')
  t.match(mine, new RegExp(`<tr class="">\\s*<td><a href="/service/requests/${fresh}">`), 'a request in time is not')
  t.match((await agent.get(`/service/requests/${a}`)).body, `<span class="badge danger">${msg('service.overdue')}</span>`)
  await agent.post(`/service/requests/${a}/status`, { version: await versionOf(agent, a), to: 'answered', answer: '已修复' })
  t.same(listedIds((await agent.get('/service/requests?view=overdue')).body), [b], 'answered: no longer overdue')
  t.notMatch((await agent.get(`/service/requests/${a}`)).body, 'badge danger')
})

/** many requests at once: the real form post, with a fresh one-time token each */
async function many(c: Client, n: number, form: (i: number) => Record<string, string>) {
  await c.get('/service/calls/new')
  const ids: number[] = []
  for (let i = 0; i < n; i++) {
    const res = await c.post('/service/requests', { channel: 'phone', status: 'received', priority: 'normal', form_token: crypto.randomBytes(18).toString('base64url'), ...form(i) })
    ids.push(Number(/\/service\/requests\/(\d+)/.exec(String(res.headers.location))![1]))
  }
  return ids
}

/** every page of a list, following its "more" link as htmx does */
async function allPages(c: Client, url: string) {
  const first = (await c.get(url)).body
  const pages = [listedIds(first)]
  let more = /hx-get="([^"]+)" hx-target="#req-more"/.exec(first)?.[1]
  while (more) {
    const res = await c.get(more.replaceAll('&amp;', '&'), { 'hx-request': 'true' })
    if (res.statusCode !== 200 || res.body.includes('<html')) throw new Error('the next page is not a fragment')
    pages.push(listedIds(res.body))
    more = /hx-get="([^"]+)" hx-target="#req-more"/.exec(res.body)?.[1]
  }
  return pages
}

t.test('lists: views, filters and keyset pages', async (t) => {
  const app = await testApp(t)
  await seedOffice(app)
  const agent = await signIn(app, 'agent')
  const boss = await signIn(app, 'boss')
  const P = ['low', 'normal', 'high', 'urgent'], C = ['phone', 'visit', 'email', 'web'], K = ['PRODUCT', 'PRICE', 'ORDER']
  const ids = await many(agent, 55, (i) => ({ subject: `批量咨询${i}`, priority: P[i % 4], channel: C[i % 4], category: K[i % 3] }))

  const pages = await allPages(agent, '/service/requests?view=mine')
  t.same(pages.map((p) => p.length), [50, 5], 'pages of 50')
  t.same(pages.flat(), [...ids].reverse(), 'every request once, newest first')
  const plain = await agent.get(`/service/requests?view=mine&after=${ids[5]}`)
  t.match(plain.body, '<html', 'the "more" link works without htmx too')
  t.same(listedIds(plain.body), ids.slice(0, 5).reverse())

  const urgent = await allPages(agent, '/service/requests?view=mine&priority=urgent')
  t.same(urgent.flat(), ids.filter((_, i) => i % 4 === 3).reverse(), 'priority filter')
  t.same((await allPages(agent, '/service/requests?view=all&channel=visit&category=PRICE')).flat(),
    ids.filter((_, i) => i % 4 === 1 && i % 3 === 1).reverse(), 'channel and category filters combine')
  const today = formatter('zh-CN', app.config.timeZone).today()
  t.equal((await allPages(agent, `/service/requests?view=all&from=${today}&to=${today}`)).flat().length, 55, 'received today')
  t.same((await allPages(agent, '/service/requests?view=all&to=2020-01-01')).flat(), [], 'nothing received before 2020')

  // the filters are kept on the "more" link
  await many(agent, 50, () => ({ subject: '高优先级', priority: 'high' }))
  const high = await allPages(agent, '/service/requests?view=mine&priority=high')
  t.same(high.map((p) => p.length), [50, 14], 'the second page keeps the filter')

  // overdue: pages follow the due time
  await sql`update service_requests set due_at = now() - interval '1 day' - id * interval '1 minute' where id = any(${ids})`.execute(app.db)
  const late = await allPages(agent, '/service/requests?view=overdue')
  t.same(late.map((p) => p.length), [50, 5])
  t.same(late.flat(), [...ids].reverse(), 'most overdue first, across pages')

  // unassigned: a supervisor unassigns two
  for (const id of [ids[0], ids[1]]) await boss.post(`/service/requests/${id}/assign`, { version: await versionOf(boss, id), assignee_id: '' })
  t.same(listedIds((await boss.get('/service/requests?view=unassigned')).body), [ids[1], ids[0]])
  t.notOk(listedIds((await agent.get('/service/requests?view=mine')).body).includes(ids[0]), 'off the agent\'s own list')

  for (const q of ['view=bogus', 'status=closed', 'from=2026-13-45', 'to=2026-02-30', 'priority=urgent&priority=low', 'assignee=1%20or%201%3D1', 'from=2026-13-45x',
    'after=2026-99-99T00:00:00.000Z%7C5', 'view=overdue&after=2026-02-31T99:99%7C1', `q=${'x'.repeat(101)}`, 'category=%27%3B--']) {
    const res = await agent.get(`/service/requests?${q}`)
    t.equal(res.statusCode, 400, `${q}: refused as a bad filter`)
  }
})

t.test('call screen: bad input is refused with its message, what was typed kept, nothing saved', async (t) => {
  const app = await testApp(t)
  await seedOffice(app)
  const rep = await signIn(app, 'rep')
  const cid = await createViaForm(rep, { name: '回访客户' })
  const agent = await signIn(app, 'agent')
  const token = tokenOf((await agent.get('/service/calls/new')).body)
  const good = { form_token: token, channel: 'phone', caller_phone: '13800138000', caller_name: '王先生', subject: '询问价格', content: '客户问题描述', status: 'received', priority: 'high' }
  for (const [what, over, field, key] of [
    ['no subject', { subject: ' ' }, 'subject', 'errors.required'],
    ['subject too long', { subject: '长'.repeat(201) }, 'subject', 'errors.tooLong'],
    ['a NUL in the subject', { subject: '询问\u0000价格' }, 'subject', 'errors.invalid'],
    ['letters in the number', { caller_phone: '138abc' }, 'caller_phone', 'errors.phone'],
    ['answered without an answer', { status: 'answered' }, 'answer', 'service.errors.answerRequired'],
    ['a callback without a customer', { book_callback: 'on', callback_at: '2026-12-01T10:00' }, 'callback_at', 'service.errors.callbackNeedsCustomer'],
    ['a callback at no real time', { book_callback: 'on', customer_id: String(cid), callback_at: '2026-02-30T25:61' }, 'callback_at', 'errors.dateTime'],
    ['a category not in the list', { category: 'NOPE' }, 'category', null]
  ] as const) {
    const res = await assertUnchanged(t, app, [...TABLES, 'form_tokens', 'appointments'], () => agent.post('/service/requests', { ...good, ...over }))
    t.equal(res.statusCode, 422, `${what}: 422`)
    const text = key ? msg(key, { max: 200 }).replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : '[^<]+'
    t.match(res.body, new RegExp(`id="e-${field}">${text}<`), `${what}: the message sits next to ${field}`)
    t.match(res.body, 'value="王先生"', `${what}: the caller typed is kept`)
    t.match(res.body, '客户问题描述</textarea>', `${what}: the question typed is kept`)
    t.match(res.body, `name="form_token" value="${token}"`, `${what}: the same form, so a later save is still one request`)
  }
  t.equal((await agent.post('/service/requests', good)).statusCode, 303, 'corrected, it saves')
})

t.test('search: Chinese fragment, number, phone fragment, literal wildcards, the archive', async (t) => {
  const app = await testApp(t)
  await seedOffice(app)
  const agent = await signIn(app, 'agent')
  const phone = await logCall(agent, { subject: '华为手机无法开机', caller_phone: '021-5555-0000', caller_name: '陈先生' })
  const invoice = await logCall(agent, { subject: '询问发票', content: '需要华东地区的发票' })
  const pct = await logCall(agent, { subject: '100% refund request' })
  await logCall(agent, { subject: '1000 refund request' })
  const underscore = await logCall(agent, { subject: 'a_c module question' })
  await logCall(agent, { subject: 'abc module question' })
  const cjkPct = await logCall(agent, { subject: '打折50%' })
  await logCall(agent, { subject: '打折500' })
  const old = await logCall(agent, { subject: '旧合同续签', status: 'answered', answer: '已续签' })
  await agent.post(`/service/requests/${old}/status`, { version: await versionOf(agent, old), to: 'archived' })
  const number = (await row(app, invoice)).number

  const find = async (q: string, view = 'all') => {
    const res = await agent.get(`/service/requests?view=${view}&q=${encodeURIComponent(q)}`)
    t.equal(res.statusCode, 200, `${q}: answered`)
    return listedIds(res.body)
  }
  t.same(await find('华为'), [phone], 'two Chinese characters (华东 is not 华为)')
  t.same(await find('发票'), [invoice])
  t.same(await find('东地'), [invoice], 'a fragment from the middle of the content')
  t.same(await find(number), [invoice], 'the number')
  t.same(await find(number.toLowerCase()), [invoice], 'the number in lower case')
  t.same(await find('5555'), [phone], 'a phone fragment')
  t.same(await find('5555-0000'), [phone], 'a phone fragment typed with its dash')
  t.same(await find('陈先生'), [phone], 'the caller\'s name')
  t.same(await find('100%'), [pct], '% is a character, not a wildcard')
  t.same(await find('a_c'), [underscore], '_ is a character, not a wildcard')
  t.same(await find('折50%'), [cjkPct], 'also next to Chinese')
  const short = await agent.get('/service/requests?view=all&q=%25')
  t.same(listedIds(short.body), [], 'a lone % lists nothing')
  t.match(short.body, msg('serviceRequests.searchTooShort'), 'and says the term is too short')
  for (const q of ["'", '\\', "') AND (SELECT pg_sleep(3)) AND ('", '%_%', '华为\'; drop table users; --']) t.same(await find(q), [], `${q}: no match, no error`)

  t.same(await find('续签', 'archived'), [old], 'an archived request is found with the archive filter')
  t.same(await find('续签', 'mine'), [], 'not among the open ones')
  t.same(await find('华为', 'archived'), [], 'the archive holds only archived requests')
  const rep = await signIn(app, 'rep')
  t.same(listedIds((await rep.get('/service/requests?view=all&q=%E5%8D%8E%E4%B8%BA')).body), [], 'search stays in the user\'s scope')
})
