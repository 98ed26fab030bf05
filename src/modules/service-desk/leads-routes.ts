// The lead inbox: supervisors assign, reps work the leads assigned to them.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { actorOf } from '../../platform/audit.ts'
import { ConflictError } from '../../platform/concurrency.ts'
import { HttpError, notFound } from '../../platform/errors.ts'
import { FormError, formValues, intId, parseForm } from '../../platform/forms.ts'
import { redirect, requirePermission } from '../../platform/guard.ts'
import { registerNav } from '../../platform/nav.ts'
import { registerReminders } from '../../platform/reminders.ts'
import { inScope } from '../../platform/scope.ts'
import { setFlash } from '../../platform/sessions.ts'
import { assignLead, closeLead, getLead, listLeads } from './leads-service.ts'

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

const assignForm = z.object({ version: intId, assigned_to: intId })
const closeForm = z.object({ version: intId, status: z.enum(['converted', 'dropped']) })

const routes: FastifyPluginAsync = async (app) => {
  const db = app.db

  /** the inbox; a refused post re-renders it with the message on that lead's row and the choice kept */
  async function inbox(req: FastifyRequest, reply: FastifyReply, status?: string, failed?: { id: number; key: string; values: Record<string, string> }, code = 200) {
    const user = req.user!
    const [leads, reps] = await Promise.all([
      listLeads(db, user, status),
      user.perms.has('leads.assign') ? db.selectFrom('users').select(['id', 'name']).where('active', '=', true).where(inScope(user, 'users.id')).orderBy('name').limit(300).execute() : Promise.resolve([])
    ])
    return reply.page('/service/leads', { leads, reps, status, failed, module: 'service' }, { status: code })
  }

  app.get('/service/leads', { preHandler: requirePermission('leads.read') }, async (req, reply) => {
    const s = z.enum(['new', 'assigned', 'converted', 'dropped']).optional().safeParse((req.query as { status?: string }).status || undefined)
    if (!s.success) throw new HttpError(400, 'service.errors.badFilter')
    return inbox(req, reply, s.data)
  })

  // the lead is looked up in the user's scope first: out of scope is 404 whatever was posted
  app.post('/service/leads/:id/assign', { preHandler: requirePermission('leads.assign') }, async (req, reply) => {
    const id = idOf((req.params as { id?: string }).id)
    await getLead(db, req.user!, id)
    try {
      const f = parseForm(assignForm, req.body)
      await assignLead(db, actorOf(req), req.user!, id, f.version, f.assigned_to)
    } catch (e) {
      const values = formValues(req.body)
      if (e instanceof FormError) return inbox(req, reply, undefined, { id, key: Object.values(e.errors)[0]?.key ?? 'errors.invalid', values }, 422)
      if (e instanceof ConflictError) return inbox(req, reply, undefined, { id, key: 'service.errors.leadChanged', values }, 409)
      throw e
    }
    setFlash(req, 'app.saved')
    return redirect(req, reply, '/service/leads')
  })

  app.post('/service/leads/:id/close', { preHandler: requirePermission('leads.read') }, async (req, reply) => {
    const id = idOf((req.params as { id?: string }).id)
    await getLead(db, req.user!, id)
    try {
      const f = parseForm(closeForm, req.body)
      await closeLead(db, actorOf(req), req.user!, id, f.version, f.status)
    } catch (e) {
      const values = formValues(req.body)
      if (e instanceof FormError) return inbox(req, reply, undefined, { id, key: Object.values(e.errors)[0]?.key ?? 'errors.invalid', values }, 422)
      if (e instanceof ConflictError) return inbox(req, reply, undefined, { id, key: 'service.errors.leadChanged', values }, 409)
      throw e
    }
    setFlash(req, 'app.saved')
    return redirect(req, reply, '/service/leads')
  })
}

export default routes
