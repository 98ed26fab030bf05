// Create, edit, delete and restore a customer.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { actorOf } from '../../platform/audit.ts'
import { ConflictError, newFormToken } from '../../platform/concurrency.ts'
import { FormError, formValues, parseForm, type FieldErrors } from '../../platform/forms.ts'
import { redirect, requirePermission } from '../../platform/guard.ts'
import { regionPicker } from '../../platform/regions.ts'
import { setFlash } from '../../platform/sessions.ts'
import { asFormValues, idParam, lookups, ownerChoices } from './http.ts'
import { customerSchema, versionSchema } from './schemas.ts'
import { duplicatesBeforeCreate, duplicatesOfForm, type Duplicate } from './search-duplicates.ts'
import { createCustomer, getCustomer, restoreCustomer, softDeleteCustomer, updateCustomer } from './service.ts'

const routes: FastifyPluginAsync = async (app) => {
  const db = app.db

  async function renderForm(req: FastifyRequest, reply: FastifyReply, data: {
    values: Record<string, string>; errors?: FieldErrors; id?: number; conflict?: { current: Record<string, string>; changedBy: string | null }
    duplicates?: Duplicate[]
  }, status = 200) {
    const values = data.values
    return reply.page('/customers/form', {
      ...data, errors: data.errors ?? {},
      lk: await lookups(req),
      owners: await ownerChoices(db, req.user!),
      region: await regionPicker(db, values.region_code || null),
      formToken: values.form_token || newFormToken()
    }, { status })
  }

  app.get('/customers/new', { preHandler: requirePermission('customers.create') }, async (req, reply) => {
    const q = req.query as Record<string, string>
    // prefilled from the call screen or a duplicate warning ("create anyway")
    const values: Record<string, string> = { customer_type: 'A', grade: 'D', status: 'potential', owner_id: String(req.user!.id) }
    for (const k of ['name', 'phone', 'email', 'customer_type'] as const) if (typeof q[k] === 'string') values[k] = q[k].slice(0, 200)
    return renderForm(req, reply, { values })
  })

  app.post('/customers', { preHandler: requirePermission('customers.create') }, async (req, reply) => {
    const body = req.body as Record<string, unknown>
    try {
      const input = parseForm(customerSchema, body)
      // a likely duplicate stops the save until the user ticks "create anyway" (查重)
      const duplicates = await duplicatesBeforeCreate(db, req.user!, body)
      if (duplicates.length) return renderForm(req, reply, { values: formValues(body), duplicates }, 422)
      const { id, repeated } = await createCustomer(db, actorOf(req), req.user!, input, body.form_token)
      if (!repeated) setFlash(req, req.user!.perms.has('customers.review') ? 'customers.created' : 'customers.createdPending')
      return redirect(req, reply, `/customers/${id}`)
    } catch (e) {
      if (e instanceof FormError) {
        // keep the duplicate warning (and its tick) on the page while other fields are fixed
        const duplicates = await duplicatesOfForm(db, req.user!, body)
        return renderForm(req, reply, { values: formValues(body), errors: e.errors, duplicates }, 422)
      }
      throw e
    }
  })

  app.get('/customers/:id/edit', { preHandler: requirePermission('customers.update') }, async (req, reply) => {
    const c = await getCustomer(db, req.user!, idParam(req))
    return renderForm(req, reply, { values: asFormValues(c), id: c.id })
  })

  app.post('/customers/:id', { preHandler: requirePermission('customers.update') }, async (req, reply) => {
    const id = idParam(req)
    const body = req.body as Record<string, unknown>
    await getCustomer(db, req.user!, id) // out of scope is 404 whatever was posted
    try {
      const { version } = parseForm(versionSchema, body)
      const input = parseForm(customerSchema, body)
      await updateCustomer(db, actorOf(req), req.user!, id, version, input)
      setFlash(req, 'app.saved')
      return redirect(req, reply, `/customers/${id}`)
    } catch (e) {
      if (e instanceof FormError) return renderForm(req, reply, { values: formValues(body), errors: e.errors, id }, 422)
      if (e instanceof ConflictError) {
        // keep what this user typed; show the other person's values and take their version
        const values = { ...formValues(body), version: String(e.current.version) }
        return renderForm(req, reply, { values, id, conflict: { current: asFormValues(e.current), changedBy: e.changedBy } }, 409)
      }
      throw e
    }
  })

  app.post('/customers/:id/delete', { preHandler: requirePermission('customers.delete') }, async (req, reply) => {
    const id = idParam(req)
    await softDeleteCustomer(db, actorOf(req), req.user!, id)
    setFlash(req, 'customers.deleted')
    return redirect(req, reply, '/customers')
  })

  app.post('/customers/:id/restore', { preHandler: requirePermission('customers.delete') }, async (req, reply) => {
    const id = idParam(req)
    await restoreCustomer(db, actorOf(req), req.user!, id)
    setFlash(req, 'customers.restored')
    return redirect(req, reply, `/customers/${id}`)
  })
}

export default routes
