// The workbench (工作台): the home page with what is due today and overdue.
import type { FastifyPluginAsync } from 'fastify'
import { formatter } from '../../platform/format.ts'
import { registerNav } from '../../platform/nav.ts'
import { remindersFor } from '../../platform/reminders.ts'

registerNav({ key: 'workbench', labelKey: 'nav.workbench', href: '/', order: 0 })

const routes: FastifyPluginAsync = async (app) => {
  app.get('/', async (req, reply) => {
    const today = formatter(req.lang, app.config.timeZone).today()
    const reminders = await remindersFor(app.db, req.user!, today)
    return reply.page('/workbench/home', { reminders, module: 'workbench' })
  })
}

export default routes
