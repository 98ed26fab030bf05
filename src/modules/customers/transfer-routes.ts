// Customer transfer (客户转移): when a rep leaves or a territory changes, a supervisor
// moves every customer of one owner to another. The page previews the count; the
// apply is the bulk "transfer" on the filter owner = X (bulk-routes.ts), so the
// same scope re-check, batches, audit rows and report apply.
import type { FastifyPluginAsync } from 'fastify'
import { z } from 'zod'
import type { FieldErrors } from '../../platform/forms.ts'
import { requirePermission } from '../../platform/guard.ts'
import { inScope } from '../../platform/scope.ts'
import { BULK_MAX, previewTargets, type Preview } from './bulk-service.ts'

const userId = z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().positive().max(2_147_483_647).optional())

const routes: FastifyPluginAsync = async (app) => {
  const db = app.db

  app.get('/customers/transfer', { preHandler: requirePermission('customers.assign') }, async (req, reply) => {
    const user = req.user!
    const q = req.query as Record<string, unknown>
    // from: anyone in scope, including a disabled account (the rep who left); to: active users only
    const people = await db.selectFrom('users').select(['id', 'name', 'login', 'active']).where(inScope(user, 'users.id'))
      .orderBy('active', 'desc').orderBy('name').limit(1000).execute()
    const from = userId.safeParse(q.from), to = userId.safeParse(q.to)
    const values = { from: typeof q.from === 'string' ? q.from : '', to: typeof q.to === 'string' ? q.to : '' }
    const errors: FieldErrors = {}
    const fromUser = from.success && from.data ? people.find((p) => p.id === from.data) : undefined
    const toUser = to.success && to.data ? people.find((p) => p.id === to.data && p.active) : undefined
    if (!from.success || (from.data && !fromUser)) errors.from = { key: 'errors.invalidChoice' }
    if (!to.success || (to.data && !toUser)) errors.to = { key: 'errors.invalidChoice' }
    if (fromUser && toUser && fromUser.id === toUser.id) errors.to = { key: 'customerAdmin.transfer.sameOwner' }
    let preview: Preview | null = null
    if (fromUser && !errors.from) preview = await previewTargets(db, user, { kind: 'filter', filter: { owner: fromUser.id } })
    return reply.page('/customers/transfer', {
      people, values, errors, fromUser, toUser: errors.to ? undefined : toUser, preview, max: BULK_MAX, module: 'customers'
    }, { status: Object.keys(errors).length ? 422 : 200 })
  })
}

export default routes
