// Appointments (预约) as agents and supervisors rely on them: booking from the customer
// page and from the call screen, the clash warning and "book anyway", each agent's
// calls for today in time order with a start-call link, do-not-call numbers flagged,
// outcomes (done, no answer → rebooked, cancelled), the supervisor's bulk changes,
// the workbench reminders, scope, refused input and double submits, audit rows.
import t from 'tap'
import { formatter, officeTime } from '../../../src/platform/format.ts'
import { seedOffice, signIn, testApp, type Client, type Teardown } from '../../helpers/app.ts'
import { assertCovered, assertUnchanged, matrixClients, runMatrix, type MatrixRoute, type Who } from '../../helpers/matrix.ts'
import { createViaForm } from '../customers/helpers.ts'
import { auditOf, logCall, msg, tokenOf } from './helpers.ts'

type App = Awaited<ReturnType<typeof testApp>>
const TABLES = ['appointments', 'customer_timeline', 'form_tokens']
const HOUR = 3600_000

/** a time as the datetime-local field sends it, in the office time zone */
const local = (app: App, d: Date) => formatter('zh-CN', app.config.timeZone).dateTime(d).replace(' ', 'T')
const appt = (app: App, id: number) => app.db.selectFrom('appointments').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
const apptIds = async (app: App) => (await app.db.selectFrom('appointments').select('id').orderBy('id').execute()).map((r) => r.id)

/** opens the booking form (for its one-time token) and posts it; returns the response */
async function book(c: Client, customerId: number, form: Record<string, string>) {
  const page = await c.get(`/service/appointments/new?customer_id=${customerId}`)
  return c.post('/service/appointments', { form_token: tokenOf(page.body), customer_id: String(customerId), kind: 'callback', ...form })
}
async function booked(app: App, c: Client, customerId: number, form: Record<string, string>) {
  const res = await book(c, customerId, form)
  if (res.statusCode !== 303) throw new Error(`booking failed: ${res.statusCode} ${res.body.slice(0, 300)}`)
  return Math.max(...await apptIds(app))
}
/** the ids on today's list, in the order shown */
const listed = (body: string) => [...body.matchAll(/action="\/service\/appointments\/(\d+)\/outcome"/g)].map((m) => Number(m[1]))
const rowOf = (body: string, id: number) => new RegExp(`<tr[^>]*>(?:(?!</tr>)[\\s\\S])*/service/appointments/${id}/outcome(?:(?!</tr>)[\\s\\S])*</tr>`).exec(body)?.[0] ?? ''
const changesOf = (r: { changes: unknown }) => (typeof r.changes === 'string' ? JSON.parse(r.changes) : r.changes) as Record<string, [unknown, unknown]>

async function office(t: Teardown) {
  const app = await testApp(t)
  const o = await seedOffice(app)
  const rep = await signIn(app, 'rep')
  const agent = await signIn(app, 'agent')
  const sup = await signIn(app, 'super')
  const cid = await createViaForm(rep, { name: '深圳华强电子有限公司', phone: '0755-8888 1234' })
  await rep.post(`/customers/${cid}/contacts`, { name: '王五', mobile: '139 1234 5678', valid: 'on' })
  const contactId = (await app.db.selectFrom('contacts').select('id').where('customer_id', '=', cid).executeTakeFirstOrThrow()).id
  return { app, o, rep, agent, sup, cid, contactId }
}

t.test('booking from the customer page: clash warning, book anyway, refused input, double submit, audit', async (t) => {
  const { app, o, rep, agent, sup, cid, contactId } = await office(t)
  const page = await agent.get(`/customers/${cid}`)
  t.match(page.body, `href="/service/appointments/new?customer_id=${cid}"`, 'the customer page offers booking')
  t.notMatch((await rep.get(`/customers/${cid}`)).body, '/service/appointments/new', 'not to those who cannot book')

  const form = await agent.get(`/service/appointments/new?customer_id=${cid}`)
  t.equal(form.statusCode, 200)
  t.match(form.body, `<option value="${contactId}">王五</option>`, 'the customer\'s contacts to choose from')
  t.notMatch(form.body, 'name="caller_id"', 'an agent books for himself')
  const token = tokenOf(form.body)
  const fields = { form_token: token, customer_id: String(cid), kind: 'callback', contact_id: String(contactId), scheduled_at: '2030-03-01T10:00', purpose: '回访报价' }
  const first = await auditOf(app, () => agent.post('/service/appointments', fields))
  t.equal(first.result.statusCode, 303)
  t.equal(first.result.headers.location, `/customers/${cid}`, 'back to the customer')
  const [id] = await apptIds(app)
  t.match(await appt(app, id), { customer_id: cid, contact_id: contactId, kind: 'callback', purpose: '回访报价', caller_id: o.users.agent.id, created_by: o.users.agent.id, status: 'scheduled' })
  t.equal((await appt(app, id)).scheduled_at.toISOString(), '2030-03-01T02:00:00.000Z', 'the time is read in the office time zone')
  t.equal(first.rows.length, 1)
  t.match(first.rows[0], { action: 'create', entity: 'appointment', entity_id: String(id), user_name: '小陈' })
  const after = await agent.get(`/customers/${cid}`)
  t.match(after.body, msg('service.booked'), 'the flash says so')
  t.match(after.body, '回访报价', 'the booking is on the customer\'s timeline')

  const again = await auditOf(app, () => agent.post('/service/appointments', fields))
  t.equal(again.result.headers.location, first.result.headers.location, 'a double submit returns the first result')
  t.equal(again.rows.length, 0)
  t.same(await apptIds(app), [id], 'and books nothing')

  // the same caller a quarter of an hour later: warned, then booked anyway
  const second = await agent.get(`/service/appointments/new?customer_id=${cid}`)
  const clashForm = { ...fields, form_token: tokenOf(second.body), scheduled_at: '2030-03-01T10:15', purpose: '再次回访' }
  const clash = await assertUnchanged(t, app, ['appointments'], () => agent.post('/service/appointments', clashForm))
  t.equal(clash.statusCode, 422)
  t.match(clash.body, msg('service.clashWarning'))
  t.match(clash.body, '2030-03-01 10:00 深圳华强电子有限公司 · 回访报价', 'the appointment it clashes with')
  t.match(clash.body, `<p class="field-error" id="e-scheduled_at">${msg('service.errors.clash')}</p>`)
  t.match(clash.body, 'name="confirm_clash"', '"book anyway" is offered')
  t.match(clash.body, 'value="再次回访"', 'what was typed is kept')
  t.match(clash.body, 'value="2030-03-01T10:15"')
  const anyway = await agent.post('/service/appointments', { ...clashForm, confirm_clash: 'on' })
  t.equal(anyway.statusCode, 303, 'booked anyway')
  t.equal((await apptIds(app)).length, 2)
  // 45 minutes apart is no clash
  t.equal((await book(agent, cid, { scheduled_at: '2030-03-01T11:00', purpose: '第三次' })).statusCode, 303)

  const kept = { ...fields, scheduled_at: '2030-05-01T09:00', purpose: '保留的目的' }
  for (const [over, field, key] of [
    [{ scheduled_at: '明天上午' }, 'scheduled_at', 'errors.dateTime'],
    [{ purpose: '' }, 'purpose', 'errors.required']
  ] as const) {
    const p = await agent.get(`/service/appointments/new?customer_id=${cid}`)
    const res = await assertUnchanged(t, app, TABLES, () => agent.post('/service/appointments', { ...kept, form_token: tokenOf(p.body), ...over }))
    t.equal(res.statusCode, 422, `${field}: 422`)
    t.match(res.body, msg(key), `${field}: ${key}`)
    if (field !== 'purpose') t.match(res.body, 'value="保留的目的"', 'the purpose typed is kept')
  }
  const other = await createViaForm(rep, { name: '另一家公司' })
  await rep.post(`/customers/${other}/contacts`, { name: '别家联系人', mobile: '13700001111', valid: 'on' })
  const foreignContact = (await app.db.selectFrom('contacts').select('id').where('customer_id', '=', other).executeTakeFirstOrThrow()).id
  const wrongContact = await assertUnchanged(t, app, TABLES, () => book(agent, cid, { contact_id: String(foreignContact), scheduled_at: '2030-05-01T09:00', purpose: 'x' }))
  t.equal(wrongContact.statusCode, 422)
  t.match(wrongContact.body, msg('errors.invalidChoice'), 'a contact of another customer is refused')

  // a supervisor books for a rep of his team, not for someone outside it
  const supForm = await sup.get(`/service/appointments/new?customer_id=${cid}`)
  t.match(supForm.body, `<option value="${o.users.rep.id}">张三</option>`, 'a supervisor chooses the responsible caller')
  t.notMatch(supForm.body, `<option value="${o.users.agent.id}">`, 'from his team only')
  t.equal((await book(sup, cid, { caller_id: String(o.users.rep.id), scheduled_at: '2030-03-01T10:00', purpose: '主管安排' })).statusCode, 303, 'another caller at the same time is no clash')
  const outside = await assertUnchanged(t, app, TABLES, () => book(sup, cid, { caller_id: String(o.users.agent.id), scheduled_at: '2030-03-02T10:00', purpose: 'x' }))
  t.equal(outside.statusCode, 422)
  t.match(outside.body, msg('errors.invalidChoice'))
  t.equal((await agent.get('/service/appointments/new?customer_id=abc')).statusCode, 404)
  t.equal((await agent.get('/service/appointments/new?customer_id=99999')).statusCode, 404)
})

t.test('a callback booked on the call screen; today\'s calls in time order with start-call; do-not-call flagged', async (t) => {
  const { app, o, agent, sup, cid, contactId } = await office(t)
  const now = Date.now()
  const request = await logCall(agent, {
    caller_phone: '139 1234 5678', customer_id: String(cid), contact_id: String(contactId), subject: '询问报价',
    book_callback: 'on', callback_at: local(app, new Date(now - HOUR)), callback_purpose: '回复报价'
  })
  const callback = await app.db.selectFrom('appointments').selectAll().where('request_id', '=', request).executeTakeFirstOrThrow()
  t.match(callback, { customer_id: cid, contact_id: contactId, kind: 'callback', purpose: '回复报价', caller_id: o.users.agent.id, status: 'scheduled' }, 'booked with the request')
  const audit = await app.db.selectFrom('audit_log').selectAll().where('entity', '=', 'appointment').where('entity_id', '=', String(callback.id)).execute()
  t.equal(audit.length, 1, 'with its audit row')

  const today = formatter('zh-CN', app.config.timeZone).today()
  const early = await booked(app, agent, cid, { scheduled_at: local(app, new Date(now - 3 * HOUR)), purpose: '上午回访', confirm_clash: 'on' })
  const late = await booked(app, agent, cid, { scheduled_at: `${today}T23:59`, purpose: '今晚回访', confirm_clash: 'on' })
  const later = await booked(app, agent, cid, { scheduled_at: local(app, new Date(now + 49 * HOUR)), purpose: '后天回访', confirm_clash: 'on' })
  const theirs = await booked(app, sup, cid, { caller_id: String(o.users.rep.id), scheduled_at: local(app, new Date(now - 2 * HOUR)), purpose: '业务员回访' })

  const page = await agent.get('/service/appointments/today')
  t.equal(page.statusCode, 200)
  t.same(listed(page.body), [early, callback.id, late], 'mine, up to the end of today, in time order')
  t.notOk(listed(page.body).includes(later), 'not the day after tomorrow')
  t.notOk(listed(page.body).includes(theirs), 'not someone else\'s')
  t.match(rowOf(page.body, callback.id), `href="/service/calls/new?phone=139%201234%205678"`, 'start call, with the contact\'s phone')
  t.match(rowOf(page.body, early), `href="/service/calls/new?phone=0755-8888%201234"`, 'without a contact, the customer\'s phone')
  t.match(rowOf(page.body, early), `<span class="badge danger">${msg('service.overdue')}</span>`, 'past ones are marked overdue')
  t.same(listed((await (await signIn(app, 'rep')).get('/service/appointments/today')).body), [theirs], 'the rep sees his own')

  // the contact's mobile goes on the do-not-call list
  const dnc = await sup.get('/service/dnc')
  t.equal((await sup.post('/service/dnc', { form_token: tokenOf(dnc.body), phone: '13912345678', reason: '客户要求不再来电' })).statusCode, 303)
  const flagged = await agent.get('/service/appointments/today')
  t.match(rowOf(flagged.body, callback.id), `<span class="badge danger">${msg('service.dnc')}</span>`, 'a do-not-call number is flagged')
  t.notMatch(rowOf(flagged.body, callback.id), '/service/calls/new', 'and has no start-call link')
  t.match((await sup.get('/service/appointments')).body, msg('service.dnc'), 'the supervisor\'s list flags it too')
})

t.test('outcomes: done with result, no answer rebooks, cancelled; double submits; refused input', async (t) => {
  const { app, o, agent, sup, cid, contactId } = await office(t)
  const at = local(app, new Date(Date.now() - HOUR))
  const a = await booked(app, agent, cid, { contact_id: String(contactId), scheduled_at: at, purpose: '回访甲' })
  const b = await booked(app, agent, cid, { scheduled_at: at, purpose: '回访乙', confirm_clash: 'on' })
  const c = await booked(app, agent, cid, { scheduled_at: at, purpose: '回访丙', confirm_clash: 'on' })
  const outcome = (id: number, form: Record<string, string>, who = agent) => who.post(`/service/appointments/${id}/outcome`, form)

  const done = await auditOf(app, () => outcome(a, { version: '1', outcome: 'done', result: '客户已确认订单' }))
  t.equal(done.result.statusCode, 303)
  t.equal(done.result.headers.location, '/service/appointments/today')
  t.match(await appt(app, a), { status: 'done', result: '客户已确认订单', version: 2 })
  t.equal(done.rows.length, 1)
  t.match(done.rows[0], { action: 'outcome', entity: 'appointment', entity_id: String(a), user_name: '小陈' })
  t.same(changesOf(done.rows[0]).status, ['scheduled', 'done'])
  const tl = await app.db.selectFrom('customer_timeline').select('title').where('kind', '=', 'appointment.done').where('ref_id', '=', String(a)).execute()
  t.same(tl.map((r) => r.title), ['回访甲 · 客户已确认订单'], 'the result is on the customer\'s timeline')
  t.notOk(listed((await agent.get('/service/appointments/today')).body).includes(a), 'a done call leaves the list')
  const twice = await auditOf(app, () => outcome(a, { version: '1', outcome: 'done', result: '客户已确认订单' }))
  t.equal(twice.result.statusCode, 303, 'a double submit is answered like the first')
  t.equal(twice.rows.length, 0, 'and records nothing more')

  const noDate = await assertUnchanged(t, app, TABLES, () => outcome(b, { version: '1', outcome: 'no_answer', result: '无人接听' }))
  t.equal(noDate.statusCode, 422, 'no answer needs the next time')
  t.match(rowOf(noDate.body, b), msg('errors.required'), 'the message is on the row')
  t.match(rowOf(noDate.body, b), 'value="无人接听"', 'what was typed is kept')
  const bad = await assertUnchanged(t, app, TABLES, () => outcome(b, { version: '1', outcome: 'no_answer', result: '', rebook_at: '下周' }))
  t.equal(bad.statusCode, 422)
  t.match(rowOf(bad.body, b), msg('errors.dateTime'))
  t.equal((await assertUnchanged(t, app, TABLES, () => outcome(b, { version: '1', outcome: 'maybe' }))).statusCode, 422)

  const next = await auditOf(app, () => outcome(b, { version: '1', outcome: 'no_answer', result: '无人接听', rebook_at: '2030-06-01T15:30' }))
  t.equal(next.result.statusCode, 303)
  t.match(await appt(app, b), { status: 'no_answer', result: '无人接听' })
  const rebooked = await app.db.selectFrom('appointments').selectAll().where('rebooked_from', '=', b).execute()
  t.equal(rebooked.length, 1, 'the next attempt is booked')
  t.match(rebooked[0], { customer_id: cid, purpose: '回访乙', status: 'scheduled', kind: 'callback' })
  t.equal(rebooked[0].scheduled_at.toISOString(), '2030-06-01T07:30:00.000Z')
  t.same(next.rows.map((r) => [r.action, r.entity_id]), [['create', String(rebooked[0].id)], ['outcome', String(b)]], 'audited: the new one and the outcome')
  await outcome(b, { version: '1', outcome: 'no_answer', result: '无人接听', rebook_at: '2030-06-01T15:30' })
  t.equal((await app.db.selectFrom('appointments').select('id').where('rebooked_from', '=', b).execute()).length, 1, 'a double submit books no second attempt')

  t.equal((await outcome(c, { version: '1', outcome: 'cancelled', result: '客户取消' })).statusCode, 303)
  t.match(await appt(app, c), { status: 'cancelled', result: '客户取消' })
  const closed = await assertUnchanged(t, app, TABLES, () => outcome(c, { version: '2', outcome: 'done' }))
  t.equal(closed.statusCode, 422, 'a closed appointment takes no other outcome')
  t.match(closed.body, `<div class="flash error" role="alert">${msg('service.errors.appointmentClosed')}`, 'said on top, as the row has left the list')

  // a supervisor moved it meanwhile: the agent's stale form is refused
  const d = await booked(app, agent, cid, { scheduled_at: at, purpose: '回访丁', confirm_clash: 'on' })
  const e = await booked(app, sup, cid, { caller_id: String(o.users.rep.id), scheduled_at: at, purpose: '回访戊' })
  const boss = await signIn(app, 'boss')
  t.equal((await boss.post('/service/appointments/bulk', { ids: String(d), scheduled_at: local(app, new Date(Date.now() + HOUR)) })).statusCode, 303)
  const stale = await assertUnchanged(t, app, TABLES, () => outcome(d, { version: '1', outcome: 'done' }))
  t.equal(stale.statusCode, 409)
  t.match(stale.body, msg('service.errors.appointmentChanged'))
  t.equal((await outcome(e, { version: '1', outcome: 'done' }, sup)).statusCode, 303, 'a supervisor records an outcome for his team')
  t.equal((await assertUnchanged(t, app, TABLES, () => outcome(e, { version: '2', outcome: 'done' }))).statusCode, 404, 'an agent cannot touch another\'s appointment')
})

t.test('supervisor: the team\'s appointments, bulk reschedule and change of caller; nobody else', async (t) => {
  const { app, o, agent, sup, cid } = await office(t)
  const r1 = await booked(app, sup, cid, { caller_id: String(o.users.rep.id), scheduled_at: '2030-07-01T09:00', purpose: '甲' })
  const r2 = await booked(app, sup, cid, { caller_id: String(o.users.rep.id), scheduled_at: '2030-07-02T09:00', purpose: '乙' })
  const mine = await booked(app, agent, cid, { scheduled_at: '2030-07-01T09:00', purpose: '坐席的' })

  const list = await sup.get('/service/appointments')
  t.equal(list.statusCode, 200)
  const ids = (body: string) => [...body.matchAll(/name="ids" value="(\d+)"/g)].map((m) => Number(m[1]))
  t.same(ids(list.body), [r1, r2], 'his team\'s, in time order; not the service desk\'s')
  t.same(ids((await sup.get(`/service/appointments?caller=${o.users.rep.id}&day=2030-07-02`)).body), [r2], 'filtered by caller and day')
  t.equal((await sup.get('/service/appointments?day=July')).statusCode, 400)

  const move = await auditOf(app, () => sup.post('/service/appointments/bulk', { ids: [String(r1), String(r2)], caller_id: String(o.users.rep2.id), scheduled_at: '' }))
  t.equal(move.result.statusCode, 303)
  t.same([(await appt(app, r1)).caller_id, (await appt(app, r2)).caller_id], [o.users.rep2.id, o.users.rep2.id], 'both given to another caller')
  t.equal((await appt(app, r1)).version, 2)
  t.equal(move.rows.length, 2, 'one audit row each')
  t.same(changesOf(move.rows[0]).caller_id, [o.users.rep.id, o.users.rep2.id])
  t.match((await sup.get('/service/appointments')).body, msg('service.bulkDone'))

  const time = await auditOf(app, () => sup.post('/service/appointments/bulk', { ids: String(r1), scheduled_at: '2030-08-01T14:00' }))
  t.equal(time.result.statusCode, 303)
  t.equal((await appt(app, r1)).scheduled_at.toISOString(), '2030-08-01T06:00:00.000Z', 'rescheduled, in the office time zone')
  t.equal((await appt(app, r1)).caller_id, o.users.rep2.id, 'the caller kept')
  t.same(changesOf(time.rows[0]).scheduled_at, ['2030-07-01T01:00:00.000Z', '2030-08-01T06:00:00.000Z'])

  const outside = await assertUnchanged(t, app, TABLES, () => sup.post('/service/appointments/bulk', { ids: String(mine), scheduled_at: '2030-08-01T14:00' }))
  t.equal(outside.statusCode, 303)
  t.match((await sup.get('/service/appointments')).body, msg('service.bulkNone'), 'another team\'s appointment is not changed')
  const nothing = await assertUnchanged(t, app, TABLES, () => sup.post('/service/appointments/bulk', { ids: [String(r1), String(r2)], caller_id: '', scheduled_at: '' }))
  t.equal(nothing.statusCode, 422)
  t.match(nothing.body, msg('service.errors.bulkNothing'))
  t.same([...nothing.body.matchAll(/name="ids" value="(\d+)" checked/g)].map((m) => Number(m[1])).sort((x, y) => x - y), [r1, r2], 'the selection is kept')
  const none = await assertUnchanged(t, app, TABLES, () => sup.post('/service/appointments/bulk', { caller_id: String(o.users.rep.id), scheduled_at: '2030-09-01T10:00' }))
  t.equal(none.statusCode, 422)
  t.match(none.body, 'value="2030-09-01T10:00"', 'the new time typed is kept')
  const foreign = await assertUnchanged(t, app, TABLES, () => sup.post('/service/appointments/bulk', { ids: String(r1), caller_id: String(o.users.agent.id) }))
  t.equal(foreign.statusCode, 422)
  t.match(foreign.body, msg('errors.invalidChoice'), 'a caller outside his team is refused')

  for (const who of ['agent', 'rep']) {
    const c = who === 'agent' ? agent : await signIn(app, who)
    t.equal((await c.get('/service/appointments')).statusCode, 403, `${who} has no supervisor list`)
    const res = await assertUnchanged(t, app, TABLES, () => c.post('/service/appointments/bulk', { ids: String(r1), caller_id: String(o.users.rep.id) }))
    t.equal(res.statusCode, 403, `${who} cannot change in bulk`)
  }
})

t.test('workbench reminders: my appointments due today and overdue, not later ones', async (t) => {
  const { app, agent, cid } = await office(t)
  const tz = app.config.timeZone
  const f = formatter('zh-CN', tz)
  const tomorrow = f.date(new Date(officeTime(`${f.today()}T12:00`, tz).getTime() + 24 * HOUR))
  const overdue = await booked(app, agent, cid, { scheduled_at: local(app, new Date(Date.now() - 2 * HOUR)), purpose: '逾期的回访' })
  await booked(app, agent, cid, { scheduled_at: `${tomorrow}T00:30`, purpose: '明天凌晨的回访' })
  await booked(app, agent, cid, { scheduled_at: local(app, new Date(Date.now() + 72 * HOUR)), purpose: '三天后的回访' })
  const home = await agent.get('/')
  t.match(home.body, /<tr class="overdue"><td>[^<]+<\/td><td><a href="\/service\/appointments\/today">深圳华强电子有限公司 · 逾期的回访<\/a>/, 'an overdue one, marked, linking to today\'s calls')
  t.notMatch(home.body, '明天凌晨的回访', 'tomorrow is not due today')
  t.notMatch(home.body, '三天后的回访')
  t.equal((await agent.post(`/service/appointments/${overdue}/outcome`, { version: '1', outcome: 'done' })).statusCode, 303)
  t.notMatch((await agent.get('/')).body, '逾期的回访', 'a done one is no reminder')
})

t.test('who may use each appointment route, and scope', async (t) => {
  const { app, o, agent, sup, cid } = await office(t)
  const foreign = await createViaForm(await signIn(app, 'other'), { name: '客服部的客户' })
  const agentAppt = await booked(app, agent, cid, { scheduled_at: '2030-07-01T09:00', purpose: '坐席的' })
  const repAppt = await booked(app, sup, cid, { caller_id: String(o.users.rep.id), scheduled_at: '2030-07-01T09:00', purpose: '业务员的' })
  const clients = await matrixClients(app)
  const READ: Who[] = ['admin', 'decision', 'supervisor', 'user', 'agent']
  const CREATE: Who[] = ['admin', 'decision', 'supervisor', 'agent']
  const ASSIGN: Who[] = ['admin', 'decision', 'supervisor']
  const bad = { customer_id: String(cid), kind: 'callback', scheduled_at: '', purpose: '' }
  const rows: MatrixRoute<null>[] = [
    { method: 'GET', url: '/service/appointments/today', allow: READ },
    { method: 'GET', url: `/service/appointments/new?customer_id=${cid}`, allow: CREATE },
    { method: 'GET', url: `/service/appointments/new?customer_id=${foreign}`, allow: CREATE, expect: { supervisor: 404 } },
    { method: 'POST', url: '/service/appointments', form: bad, allow: CREATE, ok: 422 },
    { method: 'POST', url: '/service/appointments', form: { ...bad, customer_id: String(foreign) }, allow: CREATE, ok: 422, expect: { supervisor: 404 } },
    { method: 'POST', url: `/service/appointments/${agentAppt}/outcome`, form: { version: '', outcome: 'x' }, allow: CREATE, ok: 422, expect: { supervisor: 404 } },
    { method: 'POST', url: `/service/appointments/${repAppt}/outcome`, form: { version: '', outcome: 'x' }, allow: CREATE, ok: 422, expect: { agent: 404 } },
    { method: 'POST', url: '/service/appointments/99999/outcome', form: { version: '1', outcome: 'done' }, allow: CREATE, ok: 404 },
    { method: 'GET', url: '/service/appointments', allow: ASSIGN },
    { method: 'GET', url: '/service/appointments?day=bad', allow: ASSIGN, ok: 400 },
    { method: 'POST', url: '/service/appointments/bulk', form: { caller_id: '' }, allow: ASSIGN, ok: 422 }
  ]
  await runMatrix(t, app, { routes: rows, ctx: null, clients, tables: TABLES })
  assertCovered(t, app, rows, null, '/service/appointments')
  t.same((await app.db.selectFrom('appointments').select(['status', 'version']).orderBy('id').execute()), [{ status: 'scheduled', version: 1 }, { status: 'scheduled', version: 1 }], 'the matrix changed nothing')
})
