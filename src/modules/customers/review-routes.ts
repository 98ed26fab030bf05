// The review queue (审核): supervisors approve pending customers or send them back
// to their owner with a reason.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { actorOf } from '../../platform/audit.ts'
import { ConflictError } from '../../platform/concurrency.ts'
import { FormError, formValues, parseForm, requiredText, type FieldErrors } from '../../platform/forms.ts'
import { redirect, requirePermission } from '../../platform/guard.ts'
import { setFlash } from '../../platform/sessions.ts'
import { idParam, lookups } from './http.ts'
import { decide, pendingCount, reviewQueue } from './review-service.ts'
import { getCustomer } from './service.ts'

const cursor = z.preprocess((v) => (v === '' || v === undefined ? undefined : v), z.coerce.number().int().positive().max(2_147_483_647).optional())
const approveSchema = z.object({ version: z.coerce.number().int().positive().max(2_147_483_647), after: cursor })
const rejectSchema = approveSchema.extend({ reason: requiredText(300) })

interface RowMessage { id: number; errors?: FieldErrors; values?: Record<string, string>; conflict?: { changedBy: string | null } }

const routes: FastifyPluginAsync = async (app) => {
  const db = app.db
  const guard = { preHandler: requirePermission('customers.review') }

  async function queuePage(req: FastifyRequest, reply: FastifyReply, after: number | undefined, msg?: RowMessage, status = 200) {
    const user = req.user!
    const [queue, count, lk] = await Promise.all([reviewQueue(db, user, after), after ? null : pendingCount(db, user), lookups(req)])
    return reply.page('/customers/review', { ...queue, count, after, msg, lk, module: 'customers' }, { status })
  }

  app.get('/customers/review', guard, async (req, reply) => {
    const r = cursor.safeParse((req.query as { after?: unknown }).after)
    return queuePage(req, reply, r.success ? r.data : undefined)
  })

  async function review(req: FastifyRequest, reply: FastifyReply, action: 'approve' | 'reject') {
    const id = idParam(req)
    const body = req.body as Record<string, unknown>
    await getCustomer(db, req.user!, id) // out of scope is 404 whatever was posted
    const after = cursor.safeParse(body?.after).data
    try {
      const input = parseForm(action === 'approve' ? approveSchema : rejectSchema, body)
      await decide(db, actorOf(req), req.user!, id, input.version,
        action === 'approve' ? { action } : { action, reason: (input as z.output<typeof rejectSchema>).reason })
    } catch (e) {
      if (e instanceof FormError) return queuePage(req, reply, after, { id, errors: e.errors, values: formValues(body) }, 422)
      if (e instanceof ConflictError) return queuePage(req, reply, after, { id, conflict: { changedBy: e.changedBy } }, 409)
      throw e
    }
    setFlash(req, action === 'approve' ? 'customerAdmin.review.approved' : 'customerAdmin.review.rejected')
    return redirect(req, reply, after ? `/customers/review?after=${after}` : '/customers/review')
  }

  app.post('/customers/:id/approve', guard, (req, reply) => review(req, reply, 'approve'))
  app.post('/customers/:id/reject', guard, (req, reply) => review(req, reply, 'reject'))
}

export default routes
