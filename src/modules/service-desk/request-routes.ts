// Service request lists and the request page: status flow, assignment, follow-ups,
// linking to a customer (a search-as-you-type picker).
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { actorOf } from '../../platform/audit.ts'
import { ConflictError } from '../../platform/concurrency.ts'
import { codeOptions } from '../../platform/codes.ts'
import { HttpError, notFound } from '../../platform/errors.ts'
import { FormError, formValues, parseForm } from '../../platform/forms.ts'
import { redirect, requirePermission } from '../../platform/guard.ts'
import { inScope } from '../../platform/scope.ts'
import { setFlash } from '../../platform/sessions.ts'
import { linkCandidates } from './call-service.ts'
import { listRequests, requestListSchema } from './requests-queries.ts'
import { addNote, assign, followups, getRequest, linkCustomer, transition, TRANSITIONS } from './requests-service.ts'
import { assignSchema, linkSchema, noteSchema, transitionSchema } from './schemas.ts'

function idOf(req: FastifyRequest): number {
  const v = (req.params as { id?: string }).id ?? ''
  if (!/^\d{1,10}$/.test(v) || Number(v) > 2_147_483_647) throw notFound()
  return Number(v)
}

/**
 * the request page; other routes of the module re-render it with their form's errors
 * (kb-routes.ts). `extra.form` names the form that failed, so only it shows the
 * messages and `extra.values` (what was typed); `linkQ`/`keep` feed the customer picker.
 */
export async function showRequest(req: FastifyRequest, reply: FastifyReply, id: number, extra: Record<string, unknown> = {}, status = 200, fragment?: string) {
  const db = req.server.db
  const user = req.user!
  const r = await getRequest(db, user, id)
  const picker = !r.customer_id && user.perms.has('service.update')
  const linkQ = typeof extra.linkQ === 'string' ? extra.linkQ : ''
  const [log, customer, contact, assignees, categories, articles, link] = await Promise.all([
    followups(db, id),
    r.customer_id ? db.selectFrom('customers').select(['id', 'code', 'name']).where('id', '=', r.customer_id).executeTakeFirst() : undefined,
    r.contact_id ? db.selectFrom('contacts').select(['id', 'name', 'mobile']).where('id', '=', r.contact_id).executeTakeFirst() : undefined,
    user.perms.has('service.assign')
      ? db.selectFrom('users').select(['id', 'name']).where('active', '=', true).where(inScope(user, 'users.id')).orderBy('name').limit(300).execute()
      : Promise.resolve([]),
    codeOptions(db, 'consult_category', { keep: r.category }),
    db.selectFrom('request_articles as ra').innerJoin('kb_articles as a', 'a.id', 'ra.article_id').select(['a.id', 'a.title'])
      .where('ra.request_id', '=', id).where('a.deleted_at', 'is', null).orderBy('a.id').execute(),
    picker ? linkCandidates(db, user, r.caller_phone_norm, linkQ, typeof extra.keep === 'number' ? extra.keep : undefined) : Promise.resolve(null)
  ])
  const names = new Map((await db.selectFrom('users').select(['id', 'name']).where('id', 'in', [r.created_by, r.assignee_id ?? 0]).execute()).map((u) => [u.id, u.name]))
  return reply.page('/service/request', {
    r, log, customer, contact, assignees, categories, articles, names, next: TRANSITIONS[r.status], now: new Date(), module: 'service',
    errors: {}, values: {}, link, linkQ, ...extra
  }, { status, fragment })
}

const routes: FastifyPluginAsync = async (app) => {
  const db = app.db
  const tz = app.config.timeZone

  app.get('/service/requests', { preHandler: requirePermission('service.read') }, async (req, reply) => {
    const r = requestListSchema.safeParse(req.query ?? {})
    if (!r.success) throw new HttpError(400, 'service.errors.badFilter')
    const f = r.data
    const list = await listRequests(db, req.user!, f, tz)
    const qs = new URLSearchParams(Object.entries(f).filter(([k, v]) => k !== 'after' && v !== undefined).map(([k, v]) => [k, String(v)])).toString()
    const data = { ...list, f, qs, now: new Date() }
    if (f.after && req.headers['hx-request'] === 'true') return reply.fragment('/service/_request-rows', data)
    const categories = await codeOptions(db, 'consult_category')
    return reply.page('/service/requests', { ...data, categories, module: 'service' }, { fragment: '/service/_request-table' })
  })

  const show = showRequest

  app.get('/service/requests/:id', { preHandler: requirePermission('service.read') }, async (req, reply) => show(req, reply, idOf(req)))

  // the link picker's matches as one types; without JavaScript, the request page with them
  app.get('/service/requests/:id/link-candidates', { preHandler: requirePermission('service.update') }, async (req, reply) => {
    const id = idOf(req)
    const q = (req.query as { q?: unknown }).q
    // a NUL cannot go into a PostgreSQL string: it is dropped, like the rest of what cannot be a search term
    return show(req, reply, id, { linkQ: typeof q === 'string' ? q.replaceAll('\u0000', '').slice(0, 100) : '' }, 200, '/service/_link-candidates')
  })

  app.post('/service/requests/:id/status', { preHandler: requirePermission('service.update') }, async (req, reply) => {
    const id = idOf(req)
    await getRequest(db, req.user!, id)
    try {
      const f = parseForm(transitionSchema, req.body)
      await transition(db, actorOf(req), req.user!, id, f.version, f.to, f.note, f.answer)
    } catch (e) {
      if (e instanceof FormError) return show(req, reply, id, { errors: e.errors, form: 'status', values: formValues(req.body) }, 422)
      if (e instanceof ConflictError) return show(req, reply, id, { conflictBy: e.changedBy, form: 'status', values: formValues(req.body) }, 409)
      throw e
    }
    setFlash(req, 'app.saved')
    return redirect(req, reply, `/service/requests/${id}`)
  })

  app.post('/service/requests/:id/assign', { preHandler: requirePermission('service.assign') }, async (req, reply) => {
    const id = idOf(req)
    await getRequest(db, req.user!, id)
    try {
      const f = parseForm(assignSchema, req.body)
      await assign(db, actorOf(req), req.user!, id, f.version, f.assignee_id ?? null)
    } catch (e) {
      if (e instanceof FormError) return show(req, reply, id, { errors: e.errors, form: 'assign', values: formValues(req.body) }, 422)
      if (e instanceof ConflictError) return show(req, reply, id, { conflictBy: e.changedBy, form: 'assign', values: formValues(req.body) }, 409)
      throw e
    }
    setFlash(req, 'app.saved')
    return redirect(req, reply, `/service/requests/${id}`)
  })

  app.post('/service/requests/:id/notes', { preHandler: requirePermission('service.update') }, async (req, reply) => {
    const id = idOf(req)
    await getRequest(db, req.user!, id)
    try {
      await addNote(db, actorOf(req), req.user!, id, parseForm(noteSchema, req.body).note)
    } catch (e) {
      if (e instanceof FormError) return show(req, reply, id, { errors: e.errors, form: 'note', values: formValues(req.body) }, 422)
      throw e
    }
    return redirect(req, reply, `/service/requests/${id}#log`)
  })

  app.post('/service/requests/:id/link', { preHandler: requirePermission('service.update') }, async (req, reply) => {
    const id = idOf(req)
    await getRequest(db, req.user!, id)
    try {
      const f = parseForm(linkSchema, req.body)
      await linkCustomer(db, actorOf(req), req.user!, id, f.version, f.customer_id, f.contact_id)
    } catch (e) {
      const values = formValues(req.body)
      // the customer chosen stays on the picker's list, checked
      const keep = /^\d{1,9}$/.test(values.customer_id ?? '') ? Number(values.customer_id) : undefined
      if (e instanceof FormError) return show(req, reply, id, { errors: e.errors, form: 'link', values, keep }, 422)
      if (e instanceof ConflictError) return show(req, reply, id, { conflictBy: e.changedBy, form: 'link', values, keep }, 409)
      throw e
    }
    setFlash(req, 'app.saved')
    return redirect(req, reply, `/service/requests/${id}`)
  })
}

export default routes
