// Appointments: book (from the call screen, the customer page or here), each agent's
// "today's calls" with one-key "start call", outcomes, and the supervisor's bulk changes.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { actorOf } from '../../platform/audit.ts'
import { ConflictError, newFormToken } from '../../platform/concurrency.ts'
import { formatter, officeTime } from '../../platform/format.ts'
import { HttpError, notFound } from '../../platform/errors.ts'
import { checkbox, FormError, formValues, optionalIntId, parseForm, requiredText, text, type FieldErrors } from '../../platform/forms.ts'
import { redirect, requirePermission } from '../../platform/guard.ts'
import { registerNav } from '../../platform/nav.ts'
import { registerReminders } from '../../platform/reminders.ts'
import { inScope } from '../../platform/scope.ts'
import { setFlash } from '../../platform/sessions.ts'
import { findCustomer } from '../customers/service.ts'
import { book, bulkChange, callList, ClashError, dncFlag, getAppointment, recordOutcome } from './appointments-service.ts'

registerNav({ key: 'service.today', labelKey: 'service.nav.today', href: '/service/appointments/today', perm: 'service.read', order: 22 })
registerNav({ key: 'service.appointments', labelKey: 'service.nav.appointments', href: '/service/appointments', perm: 'service.assign', order: 23 })

const localDateTime = z.string().regex(/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}$/, 'errors.dateTime')
const bookSchema = z.object({
  customer_id: z.coerce.number().int().positive().max(2_147_483_647),
  contact_id: optionalIntId,
  kind: z.enum(['callback', 'visit']),
  scheduled_at: localDateTime,
  purpose: requiredText(300),
  caller_id: optionalIntId,
  confirm_clash: checkbox
})
const outcomeSchema = z.object({
  version: z.coerce.number().int().positive(),
  outcome: z.enum(['done', 'no_answer', 'cancelled']),
  result: text(1000),
  rebook_at: z.preprocess((v) => (v === '' ? undefined : v), localDateTime.optional())
})
const bulkSchema = z.object({
  ids: z.preprocess((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]), z.array(z.coerce.number().int().positive().max(2_147_483_647)).min(1).max(500)),
  caller_id: optionalIntId,
  scheduled_at: z.preprocess((v) => (v === '' ? undefined : v), localDateTime.optional())
}).refine((v) => v.caller_id || v.scheduled_at, { path: ['caller_id'], message: 'service.errors.bulkNothing' })

const dayEnd = (day: string, tz: string) => new Date(officeTime(`${day}T00:00`, tz).getTime() + 86_400_000)
const endOfToday = (tz: string) => dayEnd(formatter('zh-CN', tz).today(), tz)

// The workbench hands reminder sources the office's date but not its zone; "due today"
// ends at the office's midnight (the routes below set the zone from the app's config).
let officeZone = 'Asia/Shanghai'

registerReminders({
  key: 'service.appointments', perm: 'service.read',
  async load(db, user, today) {
    const rows = await db.selectFrom('appointments as a').innerJoin('customers as c', 'c.id', 'a.customer_id')
      .select(['a.id', 'a.scheduled_at', 'a.purpose', 'c.name']).where('a.caller_id', '=', user.id).where('a.status', '=', 'scheduled')
      .where('a.scheduled_at', '<', dayEnd(today, officeZone)).orderBy('a.scheduled_at').limit(30).execute()
    const now = Date.now()
    return rows.map((a) => ({ kindKey: 'service.reminder.appointment', title: `${a.name} · ${a.purpose}`, href: '/service/appointments/today', due: a.scheduled_at, overdue: a.scheduled_at.getTime() < now }))
  }
})

const routes: FastifyPluginAsync = async (app) => {
  const db = app.db
  const tz = app.config.timeZone
  officeZone = tz

  app.get('/service/appointments/today', { preHandler: requirePermission('service.read') }, async (req, reply) => {
    const rows = await callList(db, req.user!.id, endOfToday(tz))
    return reply.page('/service/today', { rows, now: new Date(), module: 'service', errors: {} })
  })

  async function bookForm(req: FastifyRequest, reply: FastifyReply, values: Record<string, string>, errors: FieldErrors = {}, clashList: unknown[] = [], status = 200) {
    const cid = Number(values.customer_id)
    const customer = cid ? await findCustomer(db, req.user!, cid) : undefined
    if (!customer) throw notFound()
    const [contacts, callers] = await Promise.all([
      db.selectFrom('contacts').select(['id', 'name']).where('customer_id', '=', cid).where('deleted_at', 'is', null).where('valid', '=', true).execute(),
      req.user!.perms.has('service.assign') ? db.selectFrom('users').select(['id', 'name']).where('active', '=', true).where(inScope(req.user!, 'users.id')).orderBy('name').limit(300).execute() : Promise.resolve([])
    ])
    return reply.page('/service/book', { customer, contacts, callers, values, errors, clashes: clashList, formToken: values.form_token || newFormToken(), module: 'service' }, { status })
  }

  app.get('/service/appointments/new', { preHandler: requirePermission('service.create') }, async (req, reply) => {
    const q = z.object({ customer_id: z.string().regex(/^\d{1,10}$/) }).safeParse(req.query)
    if (!q.success) throw notFound()
    return bookForm(req, reply, { customer_id: q.data.customer_id, kind: 'callback', caller_id: String(req.user!.id) })
  })

  app.post('/service/appointments', { preHandler: requirePermission('service.create') }, async (req, reply) => {
    const body = req.body as Record<string, unknown>
    try {
      const f = parseForm(bookSchema, body)
      const { repeated } = await book(db, actorOf(req), req.user!, { ...f, scheduled_at: officeTime(f.scheduled_at, tz) }, body.form_token)
      if (!repeated) setFlash(req, 'service.booked')
      return redirect(req, reply, `/customers/${f.customer_id}`)
    } catch (e) {
      if (e instanceof FormError) return bookForm(req, reply, formValues(body), e.errors, [], 422)
      if (e instanceof ClashError) return bookForm(req, reply, formValues(body), { scheduled_at: { key: 'service.errors.clash' } }, e.found, 422)
      throw e
    }
  })

  app.post('/service/appointments/:id/outcome', { preHandler: requirePermission('service.update') }, async (req, reply) => {
    const v = (req.params as { id?: string }).id ?? ''
    if (!/^\d{1,10}$/.test(v) || Number(v) > 2_147_483_647) throw notFound()
    await getAppointment(db, req.user!, Number(v)) // someone else's is 404 whatever was posted
    try {
      const f = parseForm(outcomeSchema, req.body)
      await recordOutcome(db, actorOf(req), req.user!, Number(v), f.version, f.outcome, f.result, f.rebook_at ? officeTime(f.rebook_at, tz) : undefined)
    } catch (e) {
      if (e instanceof FormError) {
        // the row's message and what was typed in it (or, for a row that left the list, the message on top)
        const rows = await callList(db, req.user!.id, endOfToday(tz))
        return reply.page('/service/today', { rows, now: new Date(), module: 'service', errors: e.errors, failedId: Number(v), values: formValues(req.body) }, { status: 422 })
      }
      if (e instanceof ConflictError) throw new HttpError(409, 'service.errors.appointmentChanged')
      throw e
    }
    setFlash(req, 'app.saved')
    return redirect(req, reply, '/service/appointments/today')
  })

  // the supervisor's view: everyone's scheduled appointments in his scope, with bulk changes;
  // a refused bulk change shows it again with its message and the selection kept
  const filterSchema = z.object({ caller: z.coerce.number().int().positive().max(2_147_483_647).optional(), day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional() })
  async function supervisorList(req: FastifyRequest, reply: FastifyReply, filters: z.output<typeof filterSchema>, extra: Record<string, unknown> = {}, status = 200) {
    const user = req.user!
    let list = db.selectFrom('appointments as a').innerJoin('customers as c', 'c.id', 'a.customer_id').innerJoin('users as u', 'u.id', 'a.caller_id')
      .select(['a.id', 'a.scheduled_at', 'a.purpose', 'a.kind', 'c.name as customer_name', 'u.name as caller_name', dncFlag().as('dnc')])
      .where('a.status', '=', 'scheduled').where(inScope(user, 'a.caller_id'))
    if (filters.caller) list = list.where('a.caller_id', '=', filters.caller)
    if (filters.day) list = list.where('a.scheduled_at', '>=', officeTime(`${filters.day}T00:00`, tz)).where('a.scheduled_at', '<', dayEnd(filters.day, tz))
    const [rows, callers] = await Promise.all([
      list.orderBy('a.scheduled_at').limit(500).execute(),
      db.selectFrom('users').select(['id', 'name']).where('active', '=', true).where(inScope(user, 'users.id')).orderBy('name').limit(300).execute()
    ])
    return reply.page('/service/appointments', { rows, callers, q: filters, module: 'service', errors: {}, values: {}, selected: [], ...extra }, { status })
  }

  app.get('/service/appointments', { preHandler: requirePermission('service.assign') }, async (req, reply) => {
    const q = filterSchema.safeParse(Object.fromEntries(Object.entries(req.query as object).filter(([, x]) => x !== '')))
    if (!q.success) throw new HttpError(400, 'service.errors.badFilter')
    return supervisorList(req, reply, q.data)
  })

  app.post('/service/appointments/bulk', { preHandler: requirePermission('service.assign') }, async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>
    try {
      const f = parseForm(bulkSchema, body)
      const n = await bulkChange(db, actorOf(req), req.user!, f.ids, { caller_id: f.caller_id, scheduled_at: f.scheduled_at ? officeTime(f.scheduled_at, tz) : undefined })
      setFlash(req, n ? 'service.bulkDone' : 'service.bulkNone')
    } catch (e) {
      if (e instanceof FormError) {
        const ids = body.ids === undefined ? [] : (Array.isArray(body.ids) ? body.ids : [body.ids]).map(Number).filter(Number.isSafeInteger)
        return supervisorList(req, reply, {}, { errors: e.errors, values: formValues(body), selected: ids }, 422)
      }
      throw e
    }
    return redirect(req, reply, '/service/appointments')
  })
}

export default routes
