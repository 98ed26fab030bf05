// Merging two customers (合并): pick the pair (by id or code), compare them side by
// side with a choice per field, then merge in one transaction. Supervisors and
// decision makers only (customers.review), both customers in their scope.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { actorOf } from '../../platform/audit.ts'
import { ConflictError } from '../../platform/concurrency.ts'
import { notFound } from '../../platform/errors.ts'
import { FormError, parseForm, type FieldErrors } from '../../platform/forms.ts'
import { redirect, requirePermission } from '../../platform/guard.ts'
import { regionName } from '../../platform/regions.ts'
import { setFlash } from '../../platform/sessions.ts'
import { lookups } from './http.ts'
import { attachedCounts, defaultChoices, findByRef, MERGE_FIELDS, mergeCustomers, type Choices, type MergeField } from './merge-service.ts'
import { CODE_FIELDS } from './schemas.ts'
import { getCustomer } from './service.ts'

const idNum = z.coerce.number().int().positive().max(2_147_483_647)
const side = z.preprocess((v) => (v === undefined || v === '' ? 'a' : v), z.enum(['a', 'b']))
const mergeSchema = z.object({
  a: idNum, b: idNum, va: idNum, vb: idNum,
  ...Object.fromEntries(MERGE_FIELDS.map((f) => [`p_${f}`, side])) as Record<`p_${MergeField}`, typeof side>
})
const ref = z.string().trim().max(30)

type Customer = Awaited<ReturnType<typeof getCustomer>>

const routes: FastifyPluginAsync = async (app) => {
  const db = app.db
  const guard = { preHandler: requirePermission('customers.review') }

  function pickPage(reply: FastifyReply, values: { a?: string; b?: string }, errors: FieldErrors, status: number) {
    return reply.page('/customers/merge-pick', { values, errors, module: 'customers' }, { status })
  }

  /** the side-by-side page: each field as shown text for both customers, and the current choice */
  async function mergePage(req: FastifyRequest, reply: FastifyReply, a: Customer, b: Customer,
    opts: { choices?: Choices; errors?: FieldErrors; conflict?: { changedBy: string | null } } = {}, status = 200) {
    const lk = await lookups(req)
    const owners = new Map((await db.selectFrom('users').select(['id', 'name']).where('id', 'in', [a.owner_id, b.owner_id]).execute()).map((u) => [u.id, u.name]))
    const regions = new Map<string, string>()
    for (const c of [a.region_code, b.region_code]) if (c && !regions.has(c)) regions.set(c, await regionName(db, c))
    const shown = (f: MergeField, c: Customer): string => {
      const v = c[f]
      if (v === null || v === undefined || v === '') return ''
      if (f === 'owner_id') return owners.get(c.owner_id) ?? String(v)
      if (f === 'region_code') return regions.get(String(v)) || String(v)
      if (f in CODE_FIELDS) return lk.codeLabel(CODE_FIELDS[f as keyof typeof CODE_FIELDS], String(v))
      return String(v)
    }
    const choices = opts.choices ?? defaultChoices(a, b)
    const fields = MERGE_FIELDS.map((f) => {
      const av = shown(f, a), bv = shown(f, b)
      return { field: f, a: av, b: bv, same: av === bv, pick: choices[f] }
    })
    const [ca, cb] = await Promise.all([attachedCounts(db, a.id), attachedCounts(db, b.id)])
    return reply.page('/customers/merge', {
      a, b, fields, counts: { a: ca, b: cb }, tags: [...new Set([...a.tags, ...b.tags])],
      errors: opts.errors ?? {}, conflict: opts.conflict, module: 'customers'
    }, { status })
  }

  app.get('/customers/merge', guard, async (req, reply) => {
    const q = req.query as Record<string, unknown>
    const ra = ref.safeParse(q.a ?? ''), rb = ref.safeParse(q.b ?? '')
    const values = { a: ra.success ? ra.data : '', b: rb.success ? rb.data : '' }
    if (!ra.success || !rb.success) return pickPage(reply, values, { ...(ra.success ? {} : { a: { key: 'errors.invalid' } }), ...(rb.success ? {} : { b: { key: 'errors.invalid' } }) }, 422)
    if (!values.a && !values.b) return pickPage(reply, values, {}, 200)
    const errors: FieldErrors = {}
    if (!values.a) errors.a = { key: 'errors.required' }
    if (!values.b) errors.b = { key: 'errors.required' }
    if (Object.keys(errors).length) return pickPage(reply, values, errors, 422)
    // out of scope and nonexistent read the same: "no such customer in your scope"
    const [a, b] = await Promise.all([findByRef(db, req.user!, values.a), findByRef(db, req.user!, values.b)])
    if (!a) errors.a = { key: 'customerAdmin.merge.notFound' }
    if (!b) errors.b = { key: 'customerAdmin.merge.notFound' }
    if (!a || !b) return pickPage(reply, values, errors, 404)
    if (a.id === b.id) return pickPage(reply, values, { b: { key: 'customerAdmin.merge.same' } }, 422)
    return mergePage(req, reply, a, b)
  })

  app.post('/customers/merge', guard, async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>
    const ids = z.object({ a: idNum, b: idNum }).safeParse(body)
    if (!ids.success) throw notFound()
    const user = req.user!
    // both must exist in scope before anything else is looked at
    const a = await getCustomer(db, user, ids.data.a)
    const b = await getCustomer(db, user, ids.data.b)
    let choices: Choices | undefined
    try {
      const input = parseForm(mergeSchema, body)
      choices = Object.fromEntries(MERGE_FIELDS.map((f) => [f, input[`p_${f}`]])) as Choices
      await mergeCustomers(db, actorOf(req), user, { a: input.a, b: input.b, va: input.va, vb: input.vb, choices })
    } catch (e) {
      if (e instanceof FormError) return mergePage(req, reply, a, b, { choices, errors: e.errors }, 422)
      if (e instanceof ConflictError) {
        // show both as they are now; the supervisor looks again and re-submits
        const [a2, b2] = await Promise.all([getCustomer(db, user, a.id), getCustomer(db, user, b.id)])
        return mergePage(req, reply, a2, b2, { conflict: { changedBy: e.changedBy } }, 409)
      }
      throw e
    }
    setFlash(req, 'customerAdmin.merge.done')
    return redirect(req, reply, `/customers/${a.id}`)
  })
}

export default routes
