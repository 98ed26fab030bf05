// Region look-ups for the cascading picker (views/partials/region-picker.eta): the
// options one level down from a chosen province or city. Reference data, so any
// signed-in user may read it; the guard sends anonymous visitors to sign-in.
import type { FastifyPluginAsync } from 'fastify'
import { HttpError } from '../../platform/errors.ts'
import { childRegions, REGION_CODE } from '../../platform/regions.ts'

const ELEMENT_ID = /^[A-Za-z][\w-]{0,80}$/

const routes: FastifyPluginAsync = async (app) => {
  // ?parent=CODE. The picker's selects carry the form's own field name (so that a
  // browser without JavaScript still posts them), which is what htmx sends their
  // value under; htmx names that field in HX-Trigger-Name, so it is read from there.
  // ?clear=ID (sent by the province select) also empties the district select,
  // out of band, so a stale district cannot stay under a new province.
  app.get('/regions/children', async (req, reply) => {
    const q = req.query as Record<string, unknown>
    const trigger = req.headers['hx-trigger-name']
    let parent = q.parent ?? (typeof trigger === 'string' ? q[trigger] : undefined)
    if (Array.isArray(parent)) parent = parent.at(-1)
    if (parent !== undefined && typeof parent !== 'string') throw new HttpError(422, 'errors.invalid')
    const code = parent?.trim() ?? ''
    if (code !== '' && !REGION_CODE.test(code)) throw new HttpError(422, 'errors.invalid')
    const clear = typeof q.clear === 'string' && ELEMENT_ID.test(q.clear) ? q.clear : null
    const regions = code ? await childRegions(app.db, code) : []
    return reply.fragment('/regions/options', { regions, clear })
  })
}

export default routes
