// The do-not-call list's pages: the list (search, filter, keyset "more"), adding a
// number, enabling and disabling one, and importing a CSV/XLSX through a preview.
// Everyone who takes calls may read the list; changing it is dnc.update.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { actorOf } from '../../platform/audit.ts'
import { ConflictError, newFormToken } from '../../platform/concurrency.ts'
import { HttpError, notFound } from '../../platform/errors.ts'
import { FormError, formValues, parseForm, requiredText } from '../../platform/forms.ts'
import { redirect, refuseBeforeUpload, requirePermission } from '../../platform/guard.ts'
import { registerNav } from '../../platform/nav.ts'
import { wantsFragment } from '../../platform/render.ts'
import { setFlash } from '../../platform/sessions.ts'
import { acceptUploads, type UploadedFile } from '../customers/upload.ts'
import {
  addNumber, checkRows, createImport, getImport, getNumber, IMPORT_MAX_BYTES, IMPORT_MAX_ROWS, listNumbers, NothingToAdd, PHONE_CHARS,
  PREVIEW_SHOWN, recentImports, setEnabled, UploadError, writeImport
} from './dnc-service.ts'

registerNav({ key: 'service.dnc', labelKey: 'serviceDnc.nav', href: '/service/dnc', perm: 'dnc.read', order: 25 })

const MB = IMPORT_MAX_BYTES / 1024 / 1024
const opt = <T extends z.ZodType>(s: T) => z.preprocess((v) => (v === '' || v === undefined ? undefined : v), s.optional())
const listSchema = z.object({
  q: opt(z.string().max(100)),
  state: opt(z.enum(['enabled', 'disabled'])),
  after: opt(z.coerce.number().int().positive().max(2_147_483_647))
})
const addSchema = z.object({
  phone: z.preprocess((v) => (typeof v === 'string' ? v.trim() : v), z.string().min(1).max(40).regex(PHONE_CHARS, 'errors.phone')),
  reason: requiredText(300)
})
const versionSchema = z.object({ version: z.coerce.number().int().positive().max(2_147_483_647) })

function idOf(req: FastifyRequest): number {
  const v = (req.params as { id?: string }).id ?? ''
  if (!/^\d{1,10}$/.test(v) || Number(v) > 2_147_483_647) throw notFound()
  return Number(v)
}

/** the list's filters as a query string (without the cursor), for "more" and for coming back after a change */
function queryString(f: z.output<typeof listSchema>) {
  return new URLSearchParams(Object.entries(f).filter(([k, v]) => k !== 'after' && v !== undefined).map(([k, v]) => [k, String(v)])).toString()
}

const routes: FastifyPluginAsync = async (app) => {
  const db = app.db
  const read = { preHandler: requirePermission('dnc.read') }
  const update = { preHandler: requirePermission('dnc.update') }

  acceptUploads(app, IMPORT_MAX_BYTES + 64 * 1024)
  // a body over the limit is refused by Fastify with a bare 413: say what the limit is
  app.setErrorHandler(async (err) => {
    if (!(err instanceof HttpError) && (err as { statusCode?: number }).statusCode === 413) throw new HttpError(413, 'serviceDnc.import.err.tooLarge', { mb: MB })
    throw err
  })

  /** the list page; a refused add or change re-renders it with its message (filters come from the query, or the form's hidden fields) */
  async function listPage(req: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}, status = 200, filters: unknown = req.query) {
    const parsed = listSchema.safeParse(filters ?? {})
    if (!parsed.success) throw new HttpError(400, 'serviceDnc.errors.badFilter')
    const f = parsed.data
    const list = await listNumbers(db, f)
    const data = { ...list, f, qs: queryString(f), now: new Date(), module: 'service', errors: {}, values: {}, formToken: newFormToken(), ...extra }
    if (req.method === 'GET' && f.after && wantsFragment(req)) return reply.fragment('/service/_dnc-rows', data)
    return reply.page('/service/dnc', data, { status, fragment: req.method === 'GET' ? '/service/_dnc-table' : undefined })
  }

  app.get('/service/dnc', read, async (req, reply) => listPage(req, reply))

  app.post('/service/dnc', update, async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>
    try {
      const f = parseForm(addSchema, body)
      const { repeated } = await addNumber(db, actorOf(req), req.user!, f, body.form_token)
      if (!repeated) setFlash(req, 'serviceDnc.added')
    } catch (e) {
      if (e instanceof FormError) {
        const values = formValues(body)
        return listPage(req, reply, { errors: e.errors, values, formToken: values.form_token || newFormToken() }, 422, {})
      }
      throw e
    }
    return redirect(req, reply, '/service/dnc')
  })

  for (const [action, enabled] of [['disable', false], ['enable', true]] as const) {
    app.post(`/service/dnc/:id/${action}`, update, async (req, reply) => {
      const id = idOf(req)
      await getNumber(db, id)
      const body = (req.body ?? {}) as Record<string, unknown>
      // the list's filters ride along in hidden fields, so the user comes back to what he was looking at
      const back = listSchema.safeParse({ q: body.q, state: body.state })
      const qs = back.success ? queryString(back.data) : ''
      try {
        const { version } = parseForm(versionSchema, body)
        const { changed } = await setEnabled(db, actorOf(req), id, version, enabled)
        setFlash(req, changed ? `serviceDnc.${action}d` : `serviceDnc.already.${action}d`)
      } catch (e) {
        if (e instanceof FormError) return listPage(req, reply, { failed: { id, key: 'serviceDnc.errors.reload' } }, 422, back.success ? back.data : {})
        if (e instanceof ConflictError) {
          return listPage(req, reply, { failed: { id, key: 'serviceDnc.errors.conflict', params: { name: e.changedBy ?? '' } } }, 409, back.success ? back.data : {})
        }
        throw e
      }
      return redirect(req, reply, `/service/dnc${qs ? `?${qs}` : ''}`)
    })
  }

  // ---- import ---------------------------------------------------------------------

  async function uploadPage(req: FastifyRequest, reply: FastifyReply, error?: { key: string; params?: Record<string, string | number> }, status = 200) {
    return reply.page('/service/dnc-import', { imports: await recentImports(db, req.user!), error, mb: MB, maxRows: IMPORT_MAX_ROWS, module: 'service' }, { status })
  }

  app.get('/service/dnc/import', update, async (req, reply) => uploadPage(req, reply))

  // The permission is checked before the body is read: a refused user's upload is not
  // buffered first. (The preHandler checks again, as on every route.)
  app.post('/service/dnc/import', {
    ...update,
    preParsing: refuseBeforeUpload('dnc.update')
  }, async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>
    const file = body.file && typeof body.file === 'object' && Buffer.isBuffer((body.file as UploadedFile).data) ? body.file as UploadedFile : undefined
    try {
      const id = await createImport(db, req.user!, file)
      return redirect(req, reply, `/service/dnc/import/${id}`)
    } catch (e) {
      if (e instanceof UploadError) return uploadPage(req, reply, { key: e.key, params: e.params }, 422)
      throw e
    }
  })

  async function previewPage(req: FastifyRequest, reply: FastifyReply, id: number, error?: string, status = 200) {
    const imp = await getImport(db, req.user!, id)
    const check = imp.state === 'preview' ? await checkRows(db, imp.rows) : null
    return reply.page('/service/dnc-preview', { imp, check, shownMax: PREVIEW_SHOWN, error, module: 'service' }, { status })
  }

  app.get('/service/dnc/import/:id', update, async (req, reply) => previewPage(req, reply, idOf(req)))

  app.post('/service/dnc/import/:id', update, async (req, reply) => {
    const id = idOf(req)
    await getImport(db, req.user!, id)
    try {
      const { added, repeated } = await writeImport(db, actorOf(req), req.user!, id)
      if (!repeated) req.log.info({ import: id, added }, 'do-not-call import written')
    } catch (e) {
      if (e instanceof NothingToAdd) return previewPage(req, reply, id, 'serviceDnc.import.nothing', 422)
      throw e
    }
    return redirect(req, reply, `/service/dnc/import/${id}`)
  })
}

export default routes
