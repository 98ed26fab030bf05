// /admin/settings: a small form of office-wide switches.
import type { FastifyPluginAsync } from 'fastify'
import { actorOf } from '../../platform/audit.ts'
import { redirect, requirePermission } from '../../platform/guard.ts'
import { setFlash } from '../../platform/sessions.ts'
import { getSettings, saveSettings, SETTINGS } from './settings-service.ts'

const routes: FastifyPluginAsync = async (app) => {
  const guard = { preHandler: requirePermission('settings.admin') }

  app.get('/admin/settings', guard, async (_req, reply) =>
    reply.page('/admin/settings/form', { defs: SETTINGS, values: await getSettings(app.db), module: 'admin' }))

  app.post('/admin/settings', guard, async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>
    // an unchecked box is simply absent from the form: every listed key is set
    const input = Object.fromEntries(SETTINGS.map((s) => [s.key, body[s.key] === 'on' || body[s.key] === 'true' || body[s.key] === '1']))
    const changed = await saveSettings(app.db, actorOf(req), input)
    setFlash(req, changed ? 'app.saved' : 'admin.settings.unchanged')
    return redirect(req, reply, '/admin/settings')
  })
}

export default routes
