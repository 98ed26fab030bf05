// Bulk actions on the customer list: the list's bulk bar posts the ticked rows (or
// "everything this filter finds") here; a preview shows how many and which, "apply"
// changes them and leads to a report. The transfer page and saved filters are list
// actions too and are registered from here.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { actorOf } from '../../platform/audit.ts'
import { HttpError, notFound } from '../../platform/errors.ts'
import { FormError, formValues, intId, parseForm, requiredText, type FieldErrors } from '../../platform/forms.ts'
import { redirect, requirePermission } from '../../platform/guard.ts'
import { applyBulk, BULK_ACTIONS, BULK_MAX, bulkReport, parseFilter, permissionFor, previewTargets, TargetsChanged, type BulkOp, type Target } from './bulk-service.ts'
import filterRoutes from './filter-routes.ts'
import { idParam, lookups, ownerChoices } from './http.ts'
import { filterQueryString } from './list-routes.ts'
import { GRADES, STATUSES } from './schemas.ts'
import transferRoutes from './transfer-routes.ts'

const ID = /^\d{1,10}$/

/** Which customers the form names. Malformed ids name no record: 404, like any id. */
function parseTarget(body: Record<string, unknown>): Target {
  const kind = body.target === undefined || body.target === '' ? 'selected' : body.target
  if (kind === 'filter') {
    const f = parseFilter(body.filter)
    if (!f) throw new FormError({ filter: { key: 'customers.badFilter' } })
    return { kind: 'filter', filter: f }
  }
  if (kind !== 'selected') throw new FormError({ target: { key: 'errors.invalid' } })
  const raw = body.ids === undefined ? [] : Array.isArray(body.ids) ? body.ids : [body.ids]
  if (raw.length > 500) throw new FormError({ ids: { key: 'customerAdmin.bulk.tooManyTicked', params: { max: 500 } } })
  if (!raw.every((v) => typeof v === 'string' && ID.test(v) && Number(v) >= 1 && Number(v) <= 2_147_483_647)) throw notFound()
  const ids = [...new Set(raw.map(Number))]
  if (!ids.length) throw new FormError({ ids: { key: 'customerAdmin.bulk.noneTicked' } })
  return { kind: 'selected', ids }
}

// a missing choice reads "required"; an unknown one, or the same field posted twice, "invalid"
const choice = <T extends readonly [string, ...string[]]>(values: T) =>
  z.preprocess((v) => (v === '' ? undefined : Array.isArray(v) ? '[]' : v), z.string().pipe(z.enum(values)))
const actionSchema = z.object({ action: choice(BULK_ACTIONS) })
const expectedSchema = z.object({ expected: z.string().regex(/^\d{1,6}$/).transform(Number).pipe(z.number().max(BULK_MAX)) })
const valueSchemas = {
  transfer: z.object({ owner_id: intId }),
  grade: z.object({ grade: choice(GRADES) }),
  status: z.object({ status: choice(STATUSES) }),
  tag: z.object({ tag: z.preprocess((v) => (typeof v === 'string' ? v.trim().replace(/^[,，;；\s]+|[,，;；\s]+$/g, '') : v), requiredText(20)) })
}

/** the action and its value; FormError per field when missing or invalid */
function parseOp(body: Record<string, unknown>): BulkOp {
  const { action } = parseForm(actionSchema, body)
  if (action === 'transfer') return { action, ownerId: parseForm(valueSchemas.transfer, body).owner_id }
  if (action === 'grade') return { action, grade: parseForm(valueSchemas.grade, body).grade }
  if (action === 'status') return { action, status: parseForm(valueSchemas.status, body).status }
  return { action, tag: parseForm(valueSchemas.tag, body).tag }
}

/** an action named in the form that this user may not run: 403 before anything else */
function checkActionPermission(req: FastifyRequest, body: Record<string, unknown>) {
  const a = actionSchema.safeParse(body)
  if (a.success && !req.user!.perms.has(permissionFor(a.data.action))) throw new HttpError(403, 'errors.forbidden')
}

const routes: FastifyPluginAsync = async (app) => {
  const db = app.db
  const guard = { preHandler: requirePermission('customers.update', 'customers.assign') }

  async function previewPage(req: FastifyRequest, reply: FastifyReply, target: Target | null, body: Record<string, unknown>,
    opts: { errors?: FieldErrors; changedCount?: number } = {}, status = 200) {
    const user = req.user!
    const preview = target ? await previewTargets(db, user, target) : { count: 0, tooMany: false, rows: [] }
    const values = formValues(body)
    delete values.ids
    return reply.page('/customers/bulk', {
      preview, target, values, errors: opts.errors ?? {}, changedCount: opts.changedCount,
      filterQs: target?.kind === 'filter' ? filterQueryString(target.filter) : '',
      owners: await ownerChoices(db, user), lk: await lookups(req), max: BULK_MAX, module: 'customers'
    }, { status })
  }

  app.post('/customers/bulk', guard, async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>
    checkActionPermission(req, body)
    let target: Target
    try {
      target = parseTarget(body)
    } catch (e) {
      if (e instanceof FormError) return previewPage(req, reply, null, body, { errors: e.errors }, 422)
      throw e
    }
    return previewPage(req, reply, target, body)
  })

  app.post('/customers/bulk/apply', guard, async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>
    checkActionPermission(req, body)
    let target: Target | null = null
    try {
      target = parseTarget(body)
      // every ticked customer must exist in scope before the form is looked at further
      if (target.kind === 'selected') await previewTargets(db, req.user!, target)
      const op = parseOp(body)
      const { expected } = parseForm(expectedSchema, body)
      const r = await applyBulk(db, actorOf(req), req.user!, target, op, expected)
      return redirect(req, reply, `/customers/bulk/done/${r.reportId}`)
    } catch (e) {
      if (e instanceof FormError) return previewPage(req, reply, target, body, { errors: e.errors }, 422)
      if (e instanceof TargetsChanged) return previewPage(req, reply, target, body, { changedCount: e.count }, 409)
      throw e
    }
  })

  app.get('/customers/bulk/done/:id', guard, async (req, reply) => {
    const report = await bulkReport(db, req.user!, idParam(req))
    return reply.page('/customers/bulk-done', { report, lk: await lookups(req), module: 'customers' })
  })

  await app.register(transferRoutes)
  await app.register(filterRoutes)
}

export default routes
