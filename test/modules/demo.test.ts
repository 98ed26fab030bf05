// `npm run demo` (issue 3 item 14, issue 4 item 8): the demo office on a fresh
// database is filled with a few thousand customers and three months of service desk
// work, and what a visitor tries first works on it: search by a piece of a name, by
// pinyin initials and by the end of a mobile number, an agent's calls for today, the
// request list, and entering a new customer or request after the demo.
import t from 'tap'
import { sql, type RawBuilder } from 'kysely'
import { derive } from '../../src/modules/customers/derive.ts'
import { DEMO_PASSWORDS, seedDemo } from '../../src/modules/demo.ts'
import { plainText, sanitizeBody } from '../../src/modules/service-desk/kb-service.ts'
import { searchColumns } from '../../src/modules/service-desk/requests-service.ts'
import { cjkGrams } from '../../src/platform/cjk.ts'
import { formatter, officeTime } from '../../src/platform/format.ts'
import { normalizePhone } from '../../src/platform/phone.ts'
import { signIn, testApp, type Client } from '../helpers/app.ts'
import { createViaForm } from './customers/helpers.ts'

const ids = (body: string) => [...new Set([...body.matchAll(/href="\/customers\/(\d+)"/g)].map((m) => Number(m[1])))]
const search = async (c: Client, q: string) => ids((await c.request('GET', `/search?q=${encodeURIComponent(q)}`, { headers: { 'hx-request': 'true' } })).body)
const count = (rows: { n: unknown }[]) => Number(rows[0]?.n ?? 0)

t.test('the demo office', async (t) => {
  const app = await testApp(t)
  const db = app.db
  const t0 = performance.now(), cpu0 = process.cpuUsage()
  const ctx = await seedDemo(db, app.config)
  // CPU time beside the clock: other tests share the machine (PGlite's work is in this process; a server's is not)
  const cpu = process.cpuUsage(cpu0)
  t.comment(`demo seeding (office, customers, service desk) took ${Math.round(performance.now() - t0)} ms, ${Math.round((cpu.user + cpu.system) / 1000)} ms of CPU in this process`)
  if (!ctx) throw new Error('the demo did not seed an empty database')
  app.markSetupDone()
  const tz = app.config.timeZone
  const today = formatter('zh-CN', tz).today()
  const now = Date.now()
  const q = async (query: RawBuilder<unknown>) => (await query.execute(db)).rows as Record<string, unknown>[]
  const n = async (query: RawBuilder<unknown>) => count((await q(query)) as { n: unknown }[])
  const reps = ctx.byRole.user
  const agents = ctx.byRole.agent
  // signed in once each (sign-in is rate limited)
  const clients = new Map<string, Client>()
  const as = async (login: string, password: string) => clients.get(login) ?? clients.set(login, await signIn(app, login, password)).get(login)!

  t.test('nothing is dated after the demo was made', async (t) => {
    const latest = await q(sql`select greatest(
      (select max(created_at) from customers), (select max(reviewed_at) from customers), (select max(created_at) from contacts),
      (select max(at) from communications), (select max(created_at) from demand_records), (select max(at) from customer_timeline),
      (select max(received_at) from service_requests), (select max(updated_at) from service_requests), (select max(at) from request_followups),
      (select max(updated_at) from leads), (select max(updated_at) from appointments), (select max(created_at) from kb_articles),
      (select max(created_at) from dnc_numbers)) as at`)
    t.ok((latest[0].at as Date).getTime() <= ctx.now.getTime(), 'no record, log or timeline row in the future')
  })

  t.test('customers: a few thousand, spread over owners, departments, grades and two years', async (t) => {
    const total = await n(sql`select count(*) as n from customers where deleted_at is null`)
    t.ok(total >= 2500 && total <= 3500, `${total} customers`)
    const byType = Object.fromEntries((await q(sql`select customer_type as k, count(*) as n from customers group by 1`)).map((r) => [r.k, Number(r.n)]))
    t.ok(byType.A > total / 2, 'mostly companies')
    t.ok(byType.P >= 100, `${byType.P} individuals`)
    t.same((await q(sql`select distinct grade as g from customers order by 1`)).map((r) => r.g), ['A', 'B', 'C', 'D', 'E'], 'every grade')
    t.equal(await n(sql`select count(distinct status) as n from customers`), 5, 'every status')
    for (const rep of reps) t.ok(await n(sql`select count(*) as n from customers where owner_id = ${rep.id}`) >= 50, `${rep.name} owns customers`)
    t.ok(await n(sql`select count(distinct u.department_id) as n from customers c join users u on u.id = c.owner_id`) >= 4, 'owners in several departments')
    const span = (await q(sql`select min(created_at) as lo, max(created_at) as hi from customers`))[0]
    t.ok(now - (span.lo as Date).getTime() > 600 * 86_400_000 && now - (span.lo as Date).getTime() < 732 * 86_400_000, 'the oldest is nearly two years old')
    t.ok((span.hi as Date).getTime() <= now, 'nothing in the future')
    t.equal(await n(sql`select count(*) as n from customers c where c.region_code is null or not exists (select 1 from regions r where r.code = c.region_code)`), 0, 'regions from the region table')
    t.equal(await n(sql`select count(*) as n from customers c where c.industry is not null and not exists (select 1 from code_items i where i.kind = 'industry' and i.code = c.industry)`), 0, 'industries from the code list')
    t.ok(await n(sql`select count(*) as n from customers where cardinality(tags) > 0`) > total / 4, 'tagged')
    const pending = await q(sql`select u.role_id, r.code from customers c join users u on u.id = c.entered_by join roles r on r.id = u.role_id where c.review_state = 'pending'`)
    t.ok(pending.length >= 15 && pending.length <= 25, `${pending.length} customers wait for review`)
    t.ok(pending.every((r) => r.code === 'user'), 'entered by ordinary users')
    t.ok(await n(sql`select count(*) as n from customers where review_state = 'approved'`) > total * 0.95, 'most approved')
  })

  t.test('codes, contacts and derived search columns are what the module itself writes', async (t) => {
    const codes = (await q(sql`select code from customers`)).map((r) => String(r.code))
    t.ok(codes.every((c) => /^[ABGP]-\d{6}$/.test(c)), 'type-sequence codes')
    t.equal(new Set(codes.map((c) => c.slice(2))).size, codes.length, 'one sequence for every type')
    const seq = await n(sql`select last_value as n from customer_code_seq`)
    t.equal(seq, Math.max(...codes.map((c) => Number(c.slice(2)))), 'the code sequence stands at the last code given')
    t.equal(await n(sql`select count(*) as n from customers c where c.main_contact_id is null
      or not exists (select 1 from contacts k where k.id = c.main_contact_id and k.customer_id = c.id)`), 0, 'each has its own main contact')
    const per = await q(sql`select min(n) as lo, max(n) as hi from (select count(*) as n from contacts group by customer_id) x`)
    t.same([Number(per[0].lo), Number(per[0].hi)], [1, 3], 'one to three contacts each')
    const mobiles = (await q(sql`select mobile from contacts where mobile is not null`)).map((r) => String(r.mobile))
    t.ok(mobiles.every((m) => /^1[3-9]\d{9}$/.test(normalizePhone(m))), 'mobiles are Chinese mobile numbers')
    t.ok(mobiles.some((m) => m.includes(' ')) && mobiles.some((m) => m.startsWith('+86')), 'typed in the usual ways')

    const customers = await db.selectFrom('customers').select(['id', 'code', 'name', 'short_name', 'email', 'phone', 'fax', 'customer_type',
      'name_initials', 'first_letter', 'search_grams', 'search_text']).execute()
    const contacts = await db.selectFrom('contacts').select(['id', 'customer_id', 'name', 'office_phone', 'mobile', 'fax', 'email'])
      .where('deleted_at', 'is', null).orderBy('id').execute()
    const phones = await db.selectFrom('customer_phones').selectAll().execute()
    const key = (p: { contact_id: number | null; phone: string; last4: string }) => `${p.contact_id ?? '-'}:${p.phone}:${p.last4}`
    const group = <T extends { customer_id: number }>(rows: T[]) => rows.reduce((m, r) => m.set(r.customer_id, [...(m.get(r.customer_id) ?? []), r]), new Map<number, T[]>())
    const contactsOf = group(contacts), phonesOf = group(phones)
    const wrong = customers.filter((c) => {
      const d = derive({ ...c, contacts: contactsOf.get(c.id) ?? [] })
      return d.name_initials !== c.name_initials || d.first_letter !== c.first_letter || d.search_text !== c.search_text ||
        JSON.stringify(d.search_grams) !== JSON.stringify(c.search_grams) ||
        JSON.stringify(d.phones.map(key).sort()) !== JSON.stringify((phonesOf.get(c.id) ?? []).map(key).sort())
    })
    t.same(wrong.map((c) => c.code).slice(0, 5), [], 'derive() of every stored customer gives its stored search columns and phones')
  })

  t.test('history: records, reminders and the timeline', async (t) => {
    const comms = await n(sql`select count(*) as n from communications`)
    t.ok(comms >= 3000, `${comms} communication records`)
    t.ok(await n(sql`select count(*) as n from communications where at > now() - interval '30 days'`) >= 300, 'many in the last month')
    t.ok(await n(sql`select count(*) as n from demand_records`) >= 200, 'demand records')
    for (const rep of reps) {
      const c = await as(rep.login, DEMO_PASSWORDS.user)
      const home = (await c.get('/')).body
      t.match(home, '联系人生日', `${rep.name}: a contact's birthday this week`)
      t.match(home, '跟进事项', `${rep.name}: next steps due`)
    }
    t.ok(await n(sql`select count(*) as n from communications where not next_done and next_date = ${today}::date`) >= reps.length, 'next steps due today')
    t.ok(await n(sql`select count(*) as n from communications where not next_done and next_date < ${today}::date`) >= reps.length, 'and overdue')
    t.equal(await n(sql`select count(*) as n from customers c where not exists (select 1 from customer_timeline t where t.customer_id = c.id and t.kind = 'customer.created')`), 0,
      'every customer\'s creation is on its timeline')
    t.equal(await n(sql`select count(*) as n from communications m where not exists (select 1 from customer_timeline t where t.customer_id = m.customer_id and t.ref_id = m.id::text and t.kind = 'communication.' || m.kind)`), 0,
      'every communication is on the timeline')
  })

  // a customer of a rep, a piece of its name few other customers share, its initials, a contact's mobile
  const rep = reps[0]
  const pick = (await q(sql`select c.id, c.name, c.name_initials, k.mobile from customers c join contacts k on k.customer_id = c.id
    where c.owner_id = ${rep.id} and c.customer_type = 'A' and c.review_state = 'approved' and k.mobile is not null order by c.id`))
  let target: { id: number; fragment: string; initials: string; last4: string } | undefined
  for (const r of pick) {
    const chars = [...String(r.name)]
    for (let i = 0; i + 1 < chars.length && !target; i++) {
      const frag = chars[i] + chars[i + 1]
      if (!/^[\u4e00-\u9fff]{2}$/.test(frag)) continue
      const like = `%${frag}%`
      const shared = await n(sql`select count(*) as n from customers c where c.name like ${like} or c.short_name like ${like}
        or exists (select 1 from contacts k where k.customer_id = c.id and k.name like ${like})`)
      if (shared <= 40) target = { id: Number(r.id), fragment: frag, initials: String(r.name_initials), last4: normalizePhone(String(r.mobile)).slice(-4) }
    }
    if (target) break
  }

  t.test('a demo customer is found the ways a visitor searches', async (t) => {
    if (!target) throw new Error('no demo customer with a distinctive two-character fragment')
    const c = await as(rep.login, DEMO_PASSWORDS.user)
    t.ok((await search(c, target.fragment)).includes(target.id), `two characters of its name: ${target.fragment}`)
    t.ok((await search(c, target.initials)).includes(target.id), `pinyin initials: ${target.initials}`)
    t.ok((await search(c, target.last4)).includes(target.id), `the last four digits of a contact's mobile: ${target.last4}`)
  })

  t.test('service requests: three months, every status, numbered per day', async (t) => {
    const rows = await db.selectFrom('service_requests').selectAll().orderBy('received_at').orderBy('id').execute()
    t.ok(rows.length >= 1500 && rows.length <= 2500, `${rows.length} requests`)
    t.ok(now - rows[0].received_at.getTime() > 85 * 86_400_000 && now - rows[0].received_at.getTime() < 93 * 86_400_000, 'about three months back')
    t.same([...new Set(rows.map((r) => r.status))].sort(), ['answered', 'archived', 'in_progress', 'received'], 'every status')
    t.ok(rows.filter((r) => r.assignee_id === null && r.status !== 'archived').length >= 1, 'some unassigned')
    t.ok(rows.filter((r) => ['received', 'in_progress'].includes(r.status) && r.due_at.getTime() < now).length >= 3, 'some overdue')
    t.ok(rows.filter((r) => r.received_at.getTime() < now - 30 * 86_400_000).every((r) => r.status === 'archived' || r.status === 'answered'), 'old ones answered or archived')
    for (const a of agents) t.ok(rows.filter((r) => r.assignee_id === a.id).length >= 300, `${a.name} has worked many`)
    const fmt = formatter('zh-CN', tz)
    const perDay = new Map<string, number>()
    const misnumbered = rows.filter((r) => {
      const day = fmt.date(r.received_at)
      const k = (perDay.get(day) ?? 0) + 1
      perDay.set(day, k)
      return r.number !== `SR-${day.replaceAll('-', '')}-${String(k).padStart(4, '0')}`
    })
    t.same(misnumbered.map((r) => r.number).slice(0, 5), [], 'SR-YYYYMMDD-NNNN, from 0001 each day in the order received')
    const counters = new Map((await db.selectFrom('daily_counters').selectAll().where('kind', '=', 'SR').execute()).map((c) => [String(c.day), c.n]))
    t.same(Object.fromEntries(counters), Object.fromEntries(perDay), 'each day\'s counter stands at its last number')
    const badSearch = rows.filter((r) => {
      const s = searchColumns(r)
      return s.search_text !== r.search_text || JSON.stringify(s.search_grams) !== JSON.stringify(r.search_grams)
    })
    t.same(badSearch.map((r) => r.number).slice(0, 5), [], 'search columns as requests-service.ts computes them')
    const logs = await q(sql`select r.id from service_requests r where not exists (select 1 from request_followups f where f.request_id = r.id and f.kind = 'status' and f.from_status is null)
      or (r.status = 'archived' and not exists (select 1 from request_followups f where f.request_id = r.id and f.to_status = 'archived'))`)
    t.same(logs, [], 'a follow-up log row for the intake and each status step')
    t.equal(await n(sql`select count(*) as n from service_requests r where r.customer_id is not null and not exists
      (select 1 from customer_timeline t where t.customer_id = r.customer_id and t.ref_id = r.id::text and t.kind like 'request.%')`), 0, 'customer-linked requests are on the timeline')
    const leads = await q(sql`select l.status, r.code as role from leads l left join users u on u.id = l.assigned_to left join roles r on r.id = u.role_id`)
    t.ok(leads.length >= 20, `${leads.length} leads`)
    t.ok(leads.some((l) => l.status === 'new') && leads.some((l) => l.status === 'assigned' && l.role === 'user'), 'new ones, and some assigned to reps')
  })

  t.test('appointments, knowledge base, do-not-call list', async (t) => {
    const dayStart = officeTime(`${today}T00:00`, tz), dayEnd = new Date(dayStart.getTime() + 86_400_000)
    for (const a of agents) {
      const todays = await n(sql`select count(*) as n from appointments where caller_id = ${a.id} and status = 'scheduled'
        and scheduled_at >= ${dayStart} and scheduled_at < ${dayEnd}`)
      t.ok(todays >= 5, `${a.name}: ${todays} calls today`)
      t.ok(await n(sql`select count(*) as n from appointments where caller_id = ${a.id} and status = 'scheduled' and scheduled_at < now() - interval '1 day'`) >= 1, 'some overdue')
    }
    t.same((await q(sql`select distinct status as s from appointments order by 1`)).map((r) => r.s), ['cancelled', 'done', 'no_answer', 'scheduled'])
    t.ok(await n(sql`select count(*) as n from appointments where rebooked_from is not null`) >= 1, 'no answer: the next attempt booked')
    const kb = await db.selectFrom('kb_articles').selectAll().execute()
    t.ok(kb.length >= 15 && kb.length <= 25, `${kb.length} articles`)
    t.same([...new Set(kb.map((a) => a.category))].sort(), ['FAQ', 'POLICY', 'PRICE', 'PRODUCT'])
    t.ok(kb.every((a) => [...a.body_html.matchAll(/<\/?([a-z0-9]+)/g)].every((m) => ['p', 'ul', 'li', 'strong'].includes(m[1]))), 'bodies of paragraphs, lists and bold')
    t.ok(kb.every((a) => sanitizeBody(a.body_html) === a.body_html && plainText(a.body_html) === a.body_text),
      'body and plain text as the knowledge base itself stores an article')
    t.ok(kb.every((a) => JSON.stringify(a.search_grams) === JSON.stringify(cjkGrams(a.title, a.body_text))), 'searchable by Chinese fragments')
    const dnc = await db.selectFrom('dnc_numbers').selectAll().execute()
    t.equal(dnc.length, 5)
    t.equal(await n(sql`select count(*) as n from dnc_numbers d where exists (select 1 from customer_phones p where p.phone = d.phone)`), 1, 'one is a demo customer\'s phone')
  })

  t.test('what an agent and a supervisor see', async (t) => {
    const agent = await as(agents[0].login, DEMO_PASSWORDS.agent)
    const todayPage = await agent.get('/service/appointments/today')
    t.equal(todayPage.statusCode, 200)
    t.ok((todayPage.body.match(/<tr class="/g) ?? []).length >= 6, 'today\'s calls listed')
    t.match(todayPage.body, '<span class="badge danger">黑名单</span>', 'one of them is flagged do-not-call')
    const list = await agent.get('/service/requests')
    t.equal(list.statusCode, 200)
    t.ok((list.body.match(/SR-\d{8}-\d{4}/g) ?? []).length >= 10, 'the request list shows requests')
    const head = ctx.users.find((u) => u.role === 'supervisor' && u.departmentId === ctx.departments.service)!
    const sup = await as(head.login, DEMO_PASSWORDS.supervisor)
    for (const view of ['unassigned', 'overdue', 'archived']) {
      t.match((await sup.get(`/service/requests?view=${view}`)).body, /SR-\d{8}-\d{4}/, `${view} requests`)
    }
    t.match((await sup.get('/service/leads')).body, /\/service\/requests\/\d+/, 'the lead inbox has leads')
  })

  t.test('entering after the demo: the next code and the next number', async (t) => {
    const c = await as(rep.login, DEMO_PASSWORDS.user)
    const before = await n(sql`select last_value as n from customer_code_seq`)
    const id = await createViaForm(c, { name: '演示之后新建的测试有限公司', phone: '', email: '' })
    const { code } = await db.selectFrom('customers').select('code').where('id', '=', id).executeTakeFirstOrThrow()
    t.equal(code, `A-${String(before + 1).padStart(6, '0')}`, 'the next code')
    t.equal(await n(sql`select count(*) as n from customers where code = ${code}`), 1, 'no clash')

    const agent = await as(agents[0].login, DEMO_PASSWORDS.agent)
    const last = await db.selectFrom('daily_counters').select('n').where('kind', '=', 'SR').where('day', '=', today).executeTakeFirst()
    const form = await agent.get('/service/calls/new')
    const token = /name="form_token" value="([^"]+)"/.exec(form.body)![1]
    const res = await agent.post('/service/requests', { form_token: token, caller_phone: '13900001111', channel: 'phone', subject: '演示后的咨询', status: 'received', priority: 'normal' })
    t.equal(res.statusCode, 303)
    const rid = Number(/\/service\/requests\/(\d+)/.exec(String(res.headers.location))![1])
    const r = await db.selectFrom('service_requests').select('number').where('id', '=', rid).executeTakeFirstOrThrow()
    t.equal(r.number, `SR-${today.replaceAll('-', '')}-${String((last?.n ?? 0) + 1).padStart(4, '0')}`, 'the next number of the day')
    t.equal(await n(sql`select count(*) as n from service_requests where number = ${r.number}`), 1, 'no clash')
  })
})
