// The service desk (客户服务): call screen, requests, leads, appointments, knowledge
// base, do-not-call list and the supervisor's views.
import type { FastifyPluginAsync } from 'fastify'
import { registerNav } from '../../platform/nav.ts'
import { registerPermissions } from '../../platform/permissions.ts'
import appointmentRoutes from './appointments-routes.ts'
import callRoutes from './call-routes.ts'
import dncRoutes from './dnc-routes.ts'
import kbRoutes from './kb-routes.ts'
import leadRoutes from './leads-routes.ts'
import './reminders.ts'
import reportRoutes from './report-routes.ts'
import requestRoutes from './request-routes.ts'

registerPermissions({ module: 'service', labelKey: 'service.perm.service', actions: ['read', 'create', 'update', 'delete', 'assign', 'export', 'print'] })
registerPermissions({ module: 'leads', labelKey: 'service.perm.leads', actions: ['read', 'assign'] })
registerPermissions({ module: 'knowledge', labelKey: 'service.perm.knowledge', actions: ['read', 'create', 'update', 'delete'] })
registerPermissions({ module: 'dnc', labelKey: 'service.perm.dnc', actions: ['read', 'update'] })

registerNav({ key: 'service.call', labelKey: 'service.nav.call', href: '/service/calls/new', perm: 'service.create', order: 20 })
registerNav({ key: 'service.requests', labelKey: 'service.nav.requests', href: '/service/requests', perm: 'service.read', order: 21 })

const routes: FastifyPluginAsync = async (app) => {
  await app.register(callRoutes)
  await app.register(requestRoutes)
  await app.register(leadRoutes)
  await app.register(appointmentRoutes)
  await app.register(kbRoutes)
  await app.register(dncRoutes)
  await app.register(reportRoutes)
}

export default routes
