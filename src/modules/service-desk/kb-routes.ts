// Placeholder: these routes are being written.
import type { FastifyPluginAsync } from 'fastify'

const routes: FastifyPluginAsync = async () => {}

export default routes
