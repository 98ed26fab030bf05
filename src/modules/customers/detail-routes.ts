// The customer page (360°) and what is added from it without leaving it:
// contacts, demand records, communication records, the timeline.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { actorOf } from '../../platform/audit.ts'
import { ConflictError } from '../../platform/concurrency.ts'
import { notFound } from '../../platform/errors.ts'
import { FormError, formValues, parseForm, type FieldErrors } from '../../platform/forms.ts'
import { redirect, requirePermission } from '../../platform/guard.ts'
import { regionName } from '../../platform/regions.ts'
import { setFlash } from '../../platform/sessions.ts'
import { addContact, deleteContact, getContact, listContacts, setMainContact, updateContact } from './contacts-service.ts'
import { asFormValues, idParam, lookups } from './http.ts'
import { addCommunication, addDemand, completeNextStep, deleteDemand, listCommunications, listDemands } from './records-service.ts'
import { communicationSchema, contactSchema, demandSchema, versionSchema } from './schemas.ts'
import { findCustomer, getCustomer } from './service.ts'
import { timelinePage } from './timeline.ts'

const routes: FastifyPluginAsync = async (app) => {
  const db = app.db
  const tz = app.config.timeZone

  /** `found`: the customer as the caller has already read it for this user (the page's GET) */
  async function pageData(req: FastifyRequest, id: number, found?: Awaited<ReturnType<typeof getCustomer>>) {
    const user = req.user!
    const c = found ?? await getCustomer(db, user, id, { includeDeleted: true })
    const [contacts, demands, comms, timeline, owner, region, lk] = await Promise.all([
      listContacts(db, id), listDemands(db, id), listCommunications(db, id), timelinePage(db, id),
      db.selectFrom('users').select(['name']).where('id', '=', c.owner_id).executeTakeFirst(),
      regionName(db, c.region_code), lookups(req)
    ])
    return { c, contacts, demands, comms, timeline, ownerName: owner?.name ?? '', region, lk, today: new Date().toISOString().slice(0, 10) }
  }

  app.get('/customers/:id', { preHandler: requirePermission('customers.read') }, async (req, reply) => {
    const id = idParam(req)
    // A merged customer's old address leads to the survivor, whoever asks (the survivor's
    // page then checks his scope). The customer is read first, as the page needs him, and
    // only when he is not there does a second statement look for a merge: one round trip
    // less on the page an agent or rep opens most.
    const c = await findCustomer(db, req.user!, id, { includeDeleted: true })
    const survivor = c ? c.merged_into : (await db.selectFrom('customers').select('merged_into').where('id', '=', id).executeTakeFirst())?.merged_into
    if (survivor) return redirect(req, reply, `/customers/${survivor}`)
    if (!c) throw notFound()
    return reply.page('/customers/show', { ...(await pageData(req, id, c)), commValues: {}, commErrors: {}, module: 'customers' })
  })

  app.get('/customers/:id/timeline', { preHandler: requirePermission('customers.read') }, async (req, reply) => {
    const id = idParam(req)
    await getCustomer(db, req.user!, id)
    const before = z.string().max(60).optional().safeParse((req.query as { before?: string }).before)
    const timeline = await timelinePage(db, id, before.success ? before.data : undefined)
    return reply.fragment('/customers/_timeline-rows', { timeline, cid: id })
  })

  // ---- communication records: logged from the customer page, no reload with htmx
  app.post('/customers/:id/communications', { preHandler: requirePermission('customers.update') }, async (req, reply) => {
    const id = idParam(req)
    const body = req.body as Record<string, unknown>
    // a record leaves the customer's own row as it is: the page below shows this one
    const c = await getCustomer(db, req.user!, id)
    let commErrors: FieldErrors = {}
    try {
      await addCommunication(db, actorOf(req), req.user!, id, parseForm(communicationSchema, body), tz)
    } catch (e) {
      if (!(e instanceof FormError)) throw e
      commErrors = e.errors
    }
    const failed = Object.keys(commErrors).length > 0
    if (req.headers['hx-request'] === 'true') {
      const data = await pageData(req, id, c)
      return reply.fragment('/customers/_communications', { ...data, commValues: failed ? formValues(body) : {}, commErrors }, failed ? 422 : 200)
    }
    if (failed) return reply.page('/customers/show', { ...(await pageData(req, id, c)), commValues: formValues(body), commErrors }, { status: 422 })
    setFlash(req, 'app.saved')
    return redirect(req, reply, `/customers/${id}#communications`)
  })

  app.post('/customers/:id/communications/:mid/done', { preHandler: requirePermission('customers.update') }, async (req, reply) => {
    const id = idParam(req)
    await completeNextStep(db, actorOf(req), req.user!, id, idParam(req, 'mid'))
    return redirect(req, reply, `/customers/${id}#communications`)
  })

  // ---- demand records
  app.post('/customers/:id/demands', { preHandler: requirePermission('customers.update') }, async (req, reply) => {
    const id = idParam(req)
    const body = req.body as Record<string, unknown>
    await getCustomer(db, req.user!, id)
    try {
      await addDemand(db, actorOf(req), req.user!, id, parseForm(demandSchema, body))
    } catch (e) {
      if (!(e instanceof FormError)) throw e
      return reply.page('/customers/show', { ...(await pageData(req, id)), commValues: {}, commErrors: {}, demandValues: formValues(body), demandErrors: e.errors }, { status: 422 })
    }
    setFlash(req, 'app.saved')
    return redirect(req, reply, `/customers/${id}#demands`)
  })

  app.post('/customers/:id/demands/:did/delete', { preHandler: requirePermission('customers.update') }, async (req, reply) => {
    const id = idParam(req)
    await deleteDemand(db, actorOf(req), req.user!, id, idParam(req, 'did'))
    return redirect(req, reply, `/customers/${id}#demands`)
  })

  // ---- contacts
  async function contactForm(req: FastifyRequest, reply: FastifyReply, cid: number, data: { values: Record<string, string>; errors?: FieldErrors; kid?: number; conflict?: { current: Record<string, string>; changedBy: string | null } }, status = 200) {
    const c = await getCustomer(db, req.user!, cid)
    return reply.page('/customers/contact-form', { c, ...data, errors: data.errors ?? {}, lk: await lookups(req), module: 'customers' }, { status })
  }

  app.get('/customers/:id/contacts/new', { preHandler: requirePermission('customers.update') }, async (req, reply) =>
    contactForm(req, reply, idParam(req), { values: { valid: 'on' } }))

  app.post('/customers/:id/contacts', { preHandler: requirePermission('customers.update') }, async (req, reply) => {
    const id = idParam(req)
    const body = req.body as Record<string, unknown>
    await getCustomer(db, req.user!, id)
    try {
      await addContact(db, actorOf(req), req.user!, id, parseForm(contactSchema, body))
    } catch (e) {
      if (e instanceof FormError) return contactForm(req, reply, id, { values: formValues(body), errors: e.errors }, 422)
      throw e
    }
    setFlash(req, 'app.saved')
    return redirect(req, reply, `/customers/${id}#contacts`)
  })

  app.get('/customers/:id/contacts/:kid/edit', { preHandler: requirePermission('customers.update') }, async (req, reply) => {
    const id = idParam(req), kid = idParam(req, 'kid')
    const k = await getContact(db, req.user!, id, kid)
    return contactForm(req, reply, id, { values: { ...asFormValues(k), is_key: k.is_key ? 'on' : '', valid: k.valid ? 'on' : '' }, kid })
  })

  app.post('/customers/:id/contacts/:kid', { preHandler: requirePermission('customers.update') }, async (req, reply) => {
    const id = idParam(req), kid = idParam(req, 'kid')
    const body = req.body as Record<string, unknown>
    await getContact(db, req.user!, id, kid)
    try {
      const { version } = parseForm(versionSchema, body)
      await updateContact(db, actorOf(req), req.user!, id, kid, version, parseForm(contactSchema, body))
    } catch (e) {
      if (e instanceof FormError) return contactForm(req, reply, id, { values: formValues(body), errors: e.errors, kid }, 422)
      if (e instanceof ConflictError) {
        return contactForm(req, reply, id, { values: { ...formValues(body), version: String(e.current.version) }, kid, conflict: { current: asFormValues(e.current), changedBy: e.changedBy } }, 409)
      }
      throw e
    }
    setFlash(req, 'app.saved')
    return redirect(req, reply, `/customers/${id}#contacts`)
  })

  app.post('/customers/:id/contacts/:kid/delete', { preHandler: requirePermission('customers.update') }, async (req, reply) => {
    const id = idParam(req)
    await deleteContact(db, actorOf(req), req.user!, id, idParam(req, 'kid'))
    setFlash(req, 'customers.contactDeleted')
    return redirect(req, reply, `/customers/${id}#contacts`)
  })

  app.post('/customers/:id/contacts/:kid/main', { preHandler: requirePermission('customers.update') }, async (req, reply) => {
    const id = idParam(req)
    await setMainContact(db, actorOf(req), req.user!, id, idParam(req, 'kid'))
    return redirect(req, reply, `/customers/${id}#contacts`)
  })
}

export default routes
