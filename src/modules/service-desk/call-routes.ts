// The call screen (来电受理): one page, keyboard first. The telephony system can open
// /service/calls/new?phone=… (screen pop); typing a number looks the caller up.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { actorOf } from '../../platform/audit.ts'
import { newFormToken } from '../../platform/concurrency.ts'
import { codeOptions } from '../../platform/codes.ts'
import { FormError, formValues, parseForm, type FieldErrors } from '../../platform/forms.ts'
import { redirect, requirePermission } from '../../platform/guard.ts'
import { setFlash } from '../../platform/sessions.ts'
import { lookupCaller } from './call-service.ts'
import { createRequest } from './requests-service.ts'
import { requestSchema } from './schemas.ts'

// `phone` from the telephony system's screen pop; `caller_phone` from the screen's own field
const phoneQuery = z.object({ phone: z.string().max(60).optional(), caller_phone: z.string().max(60).optional() })
const phoneOf = (q: unknown) => {
  const r = phoneQuery.safeParse(q)
  return r.success ? (r.data.phone ?? r.data.caller_phone ?? '').trim() : ''
}

const routes: FastifyPluginAsync = async (app) => {
  const db = app.db

  async function screen(req: FastifyRequest, reply: FastifyReply, values: Record<string, string>, errors: FieldErrors = {}, status = 200) {
    const phone = values.caller_phone ?? ''
    const [lookup, categories] = await Promise.all([
      phone ? lookupCaller(db, req.user!, phone) : Promise.resolve(null),
      codeOptions(db, 'consult_category')
    ])
    // one known caller: the request is linked to him without a click
    const only = lookup && lookup.matches.length === 1 && lookup.matches[0].full ? lookup.matches[0] : null
    if (only && !values.customer_id) {
      values.customer_id = String(only.customer.id)
      if (only.contact) values.contact_id = String(only.contact.id)
    }
    return reply.page('/service/call', {
      values, errors, lookup, categories, formToken: values.form_token || newFormToken(), module: 'service'
    }, { status })
  }

  app.get('/service/calls/new', { preHandler: requirePermission('service.create') }, async (req, reply) => {
    const phone = phoneOf(req.query)
    return screen(req, reply, { caller_phone: phone, channel: 'phone', status: 'received', priority: 'normal' })
  })

  app.get('/service/calls/lookup', { preHandler: requirePermission('service.create') }, async (req, reply) => {
    const phone = phoneOf(req.query)
    const lookup = phone ? await lookupCaller(db, req.user!, phone) : null
    const only = lookup && lookup.matches.length === 1 && lookup.matches[0].full ? lookup.matches[0] : null
    return reply.fragment('/service/_caller', { lookup, selected: only ? { customer_id: String(only.customer.id), contact_id: only.contact ? String(only.contact.id) : '' } : null, oob: true })
  })

  app.post('/service/requests', { preHandler: requirePermission('service.create') }, async (req, reply) => {
    const body = req.body as Record<string, unknown>
    try {
      const input = parseForm(requestSchema, body)
      const { id, repeated } = await createRequest(db, app.config, actorOf(req), req.user!, input, body.form_token)
      if (!repeated) setFlash(req, 'service.saved')
      // save-and-new goes back to an empty call screen; save shows the request
      return redirect(req, reply, body.next === 'new' ? `/service/calls/new?saved=${id}` : `/service/requests/${id}?saved=1`)
    } catch (e) {
      if (e instanceof FormError) return screen(req, reply, formValues(body), e.errors, 422)
      throw e
    }
  })
}

export default routes
