// The customer archive's routes: registers its permissions, navigation, reminders
// and each group of pages.
import type { FastifyPluginAsync } from 'fastify'
import { registerNav } from '../../platform/nav.ts'
import { registerPermissions } from '../../platform/permissions.ts'
import bulkRoutes from './bulk-routes.ts'
import detailRoutes from './detail-routes.ts'
import formRoutes from './form-routes.ts'
import ioRoutes from './io-routes.ts'
import listRoutes from './list-routes.ts'
import mergeRoutes from './merge-routes.ts'
import printRoutes from './print-routes.ts'
import './reminders.ts'
import reviewRoutes from './review-routes.ts'
import searchRoutes from './search-routes.ts'
import { CUSTOMER_PERMS } from './service.ts'

registerPermissions({ module: 'customers', labelKey: 'customers.perm', actions: CUSTOMER_PERMS })
registerNav({ key: 'customers', labelKey: 'customers.nav', href: '/customers', perm: 'customers.read', order: 10 })

const routes: FastifyPluginAsync = async (app) => {
  // fixed paths (/customers/new, /customers/review, /customers/import…) before /customers/:id
  await app.register(searchRoutes)
  await app.register(reviewRoutes)
  await app.register(mergeRoutes)
  await app.register(bulkRoutes)
  await app.register(ioRoutes)
  await app.register(printRoutes)
  await app.register(listRoutes)
  await app.register(formRoutes)
  await app.register(detailRoutes)
}

export default routes
