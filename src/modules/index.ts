// Every module, in the order their routes register. A module is a Fastify plugin
// exported from its routes.ts.
import type { FastifyPluginAsync } from 'fastify'
import auth from './auth/routes.ts'
import workbench from './workbench/routes.ts'

export const modules: FastifyPluginAsync[] = [auth, workbench]
