// Print pages: the current list and one customer, laid out for A4 (public/css/print.css),
// each audited as 'print'. Ordinary users' roles lack customers.print.
import type { FastifyPluginAsync } from 'fastify'
import { actorOf } from '../../platform/audit.ts'
import { requirePermission } from '../../platform/guard.ts'
import { idParam } from './http.ts'
import { filterQueryString, parseListQuery } from './list-routes.ts'
import { PRINT_LIMIT, printCustomer, printList } from './print-service.ts'

const routes: FastifyPluginAsync = async (app) => {
  const db = app.db
  const guard = { preHandler: requirePermission('customers.print') }

  app.get('/customers/print', guard, async (req, reply) => {
    const f = parseListQuery(req)
    const qs = filterQueryString(f)
    const printed = await printList(db, actorOf(req), req.user!, f, qs)
    return reply.page('/customers/print-list', { ...printed, qs, limit: PRINT_LIMIT, printedAt: new Date() })
  })

  app.get('/customers/:id/print', guard, async (req, reply) => {
    const data = await printCustomer(db, actorOf(req), req.user!, idParam(req))
    return reply.page('/customers/print-customer', { ...data, printedAt: new Date() })
  })
}

export default routes
