// Saved list filters: the list page's "save filter" form posts the current query
// string and a name; each user keeps his own, and only his own can be deleted.
import type { FastifyPluginAsync } from 'fastify'
import { actorOf } from '../../platform/audit.ts'
import { HttpError } from '../../platform/errors.ts'
import { redirect, requirePermission } from '../../platform/guard.ts'
import { setFlash } from '../../platform/sessions.ts'
import { parseFilter } from './bulk-service.ts'
import { idParam } from './http.ts'
import { filterQueryString } from './list-routes.ts'
import { deleteFilter, listSavedFilters, saveFilter } from './saved-filters.ts'

/** as many as the list page shows (listSavedFilters' limit) */
const MAX_SAVED = 50

const routes: FastifyPluginAsync = async (app) => {
  const db = app.db
  const guard = { preHandler: requirePermission('customers.read') }

  app.post('/customers/filters', guard, async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>
    const name = typeof body.name === 'string' ? body.name.trim() : null
    if (!name) throw new HttpError(422, 'customerAdmin.filters.nameRequired')
    if (name.length > 60) throw new HttpError(422, 'customerAdmin.filters.nameTooLong', { max: 60 })
    // stored as the list would write it: only known filters, in a canonical form
    const f = body.query === undefined || (typeof body.query === 'string' && body.query.length <= 2000) ? parseFilter(body.query) : null
    if (!f) throw new HttpError(422, 'customerAdmin.filters.invalid')
    const user = req.user!
    const saved = await listSavedFilters(db, user.id, 'customers')
    if (saved.length >= MAX_SAVED && !saved.some((s) => s.name === name)) throw new HttpError(422, 'customerAdmin.filters.tooMany', { max: MAX_SAVED })
    const qs = filterQueryString(f)
    await saveFilter(db, actorOf(req), user.id, 'customers', name, qs)
    setFlash(req, 'customerAdmin.filters.saved')
    return redirect(req, reply, qs ? `/customers?${qs}` : '/customers')
  })

  app.post('/customers/filters/:id/delete', guard, async (req, reply) => {
    await deleteFilter(db, actorOf(req), req.user!.id, idParam(req))
    setFlash(req, 'customerAdmin.filters.deleted')
    return redirect(req, reply, '/customers')
  })
}

export default routes
