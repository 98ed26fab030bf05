// Every module, in the order their routes register. A module is a Fastify plugin
// exported from its routes.ts.
import type { FastifyPluginAsync } from 'fastify'
import auth from './auth/routes.ts'
import totp from './auth/totp-routes.ts'
import workbench from './workbench/routes.ts'
import regions from './regions/routes.ts'
import admin from './admin/routes.ts'
import customers from './customers/routes.ts'
import serviceDesk from './service-desk/routes.ts'

export const modules: FastifyPluginAsync[] = [auth, totp, workbench, regions, admin, customers, serviceDesk]
