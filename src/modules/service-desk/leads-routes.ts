// The lead inbox: supervisors assign, reps work the leads assigned to them.
import type { FastifyPluginAsync } from 'fastify'
import { z } from 'zod'
import { actorOf } from '../../platform/audit.ts'
import { ConflictError } from '../../platform/concurrency.ts'
import { HttpError, notFound } from '../../platform/errors.ts'
import { FormError, parseForm } from '../../platform/forms.ts'
import { redirect, requirePermission } from '../../platform/guard.ts'
import { registerNav } from '../../platform/nav.ts'
import { registerReminders } from '../../platform/reminders.ts'
import { inScope } from '../../platform/scope.ts'
import { setFlash } from '../../platform/sessions.ts'
import { assignLead, closeLead, listLeads } from './leads-service.ts'

registerNav({ key: 'service.leads', labelKey: 'service.nav.leads', href: '/service/leads', perm: 'leads.read', order: 24 })
registerReminders({
  key: 'service.leads', perm: 'leads.read',
  async load(db, user) {
    const rows = await db.selectFrom('leads as l').leftJoin('customers as c', 'c.id', 'l.customer_id').leftJoin('service_requests as r', 'r.id', 'l.request_id')
      .select(['l.id', 'l.assigned_at', 'c.name', 'r.subject']).where('l.assigned_to', '=', user.id).where('l.status', '=', 'assigned').orderBy('l.id').limit(20).execute()
    return rows.map((l) => ({ kindKey: 'service.reminder.lead', title: `${l.name ?? ''} ${l.subject ?? ''}`.trim(), href: '/service/leads', due: l.assigned_at ?? new Date(), overdue: false }))
  }
})

const idOf = (v: string | undefined) => {
  if (!/^\d{1,10}$/.test(v ?? '') || Number(v) > 2_147_483_647) throw notFound()
  return Number(v)
}

const routes: FastifyPluginAsync = async (app) => {
  const db = app.db
  app.get('/service/leads', { preHandler: requirePermission('leads.read') }, async (req, reply) => {
    const s = z.enum(['new', 'assigned', 'converted', 'dropped']).optional().safeParse((req.query as { status?: string }).status || undefined)
    if (!s.success) throw new HttpError(400, 'service.errors.badFilter')
    const user = req.user!
    const [leads, reps] = await Promise.all([
      listLeads(db, user, s.data),
      user.perms.has('leads.assign') ? db.selectFrom('users').select(['id', 'name']).where('active', '=', true).where(inScope(user, 'users.id')).orderBy('name').limit(300).execute() : Promise.resolve([])
    ])
    return reply.page('/service/leads', { leads, reps, status: s.data, module: 'service' })
  })

  app.post('/service/leads/:id/assign', { preHandler: requirePermission('leads.assign') }, async (req, reply) => {
    const id = idOf((req.params as { id?: string }).id)
    try {
      const f = parseForm(z.object({ version: z.coerce.number().int().positive(), assigned_to: z.coerce.number().int().positive().max(2_147_483_647) }), req.body)
      await assignLead(db, actorOf(req), req.user!, id, f.version, f.assigned_to)
    } catch (e) {
      if (e instanceof FormError || e instanceof ConflictError) throw new HttpError(e instanceof ConflictError ? 409 : 422, e instanceof ConflictError ? 'service.errors.leadChanged' : 'errors.invalidChoice')
      throw e
    }
    await setFlash(req, 'app.saved')
    return redirect(req, reply, '/service/leads')
  })

  app.post('/service/leads/:id/close', { preHandler: requirePermission('leads.read') }, async (req, reply) => {
    const id = idOf((req.params as { id?: string }).id)
    try {
      const f = parseForm(z.object({ version: z.coerce.number().int().positive(), status: z.enum(['converted', 'dropped']) }), req.body)
      await closeLead(db, actorOf(req), req.user!, id, f.version, f.status)
    } catch (e) {
      if (e instanceof FormError || e instanceof ConflictError) throw new HttpError(e instanceof ConflictError ? 409 : 422, e instanceof ConflictError ? 'service.errors.leadChanged' : 'errors.invalidChoice')
      throw e
    }
    await setFlash(req, 'app.saved')
    return redirect(req, reply, '/service/leads')
  })
}

export default routes
