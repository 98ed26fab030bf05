// /admin/codes: the kinds of code list, the items of one kind with an add form, and
// one edit page per item (with delete when nothing uses it).
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { actorOf } from '../../platform/audit.ts'
import { notFound } from '../../platform/errors.ts'
import { checkbox, formValues, intId, parseForm, requiredText } from '../../platform/forms.ts'
import { redirect, requirePermission } from '../../platform/guard.ts'
import { setFlash } from '../../platform/sessions.ts'
import { codeUsage } from '../../platform/code-usage.ts'
import { createItem, deleteItem, getItem, getKind, listItems, listKinds, updateItem, type ItemInput } from './codes-service.ts'
import { blank, checkFields, failureOf, idParam, type Failure } from './shared.ts'

export const CODE_RE = /^[A-Za-z0-9_-]{1,40}$/
const KIND_RE = /^[a-z0-9_]{1,40}$/

const itemFields = {
  code: requiredText(40),
  label_zh: requiredText(100),
  label_en: z.preprocess(blank, z.string().max(100).optional()),
  sort: z.preprocess(blank, z.string().max(20).optional()),
  enabled: checkbox
}
const createSchema = z.object(itemFields)
const editSchema = z.object({ ...itemFields, version: intId })

/** the checked item as the service takes it; the code pattern has its own message */
function toItem(v: z.output<typeof createSchema>): ItemInput {
  const sort = v.sort ?? '0'
  checkFields((add) => {
    if (!CODE_RE.test(v.code)) add('code', 'admin.codes.codeChars')
    if (!/^\d{1,5}$/.test(sort)) add('sort', 'admin.codes.sortRange')
  })
  return { code: v.code, labelZh: v.label_zh, labelEn: v.label_en ?? '', sort: Number(sort), enabled: v.enabled }
}

const routes: FastifyPluginAsync = async (app) => {
  const guard = { preHandler: requirePermission('codes.admin') }

  const loadKind = async (req: FastifyRequest) => {
    const kind = String((req.params as { kind?: string }).kind ?? '')
    const row = KIND_RE.test(kind) ? await getKind(app.db, kind) : undefined
    if (!row) throw notFound()
    return row
  }

  app.get('/admin/codes', guard, async (_req, reply) =>
    reply.page('/admin/codes/kinds', { kinds: await listKinds(app.db), module: 'admin' }))

  const itemsPage = async (reply: FastifyReply, kind: Awaited<ReturnType<typeof loadKind>>, values: Record<string, string> = { enabled: 'on' }, f?: Failure) =>
    reply.page('/admin/codes/items', {
      kind, items: await listItems(app.db, kind.kind), values, errors: f?.errors ?? {}, message: f?.message, module: 'admin'
    }, { status: f ? 422 : 200 })

  app.get('/admin/codes/:kind', guard, async (req, reply) => itemsPage(reply, await loadKind(req)))

  app.post('/admin/codes/:kind', guard, async (req, reply) => {
    const kind = await loadKind(req)
    try {
      await createItem(app.db, actorOf(req), kind.kind, toItem(parseForm(createSchema, req.body)))
    } catch (e) {
      return itemsPage(reply, kind, formValues(req.body), failureOf(e))
    }
    setFlash(req, 'admin.codes.created')
    return redirect(req, reply, `/admin/codes/${kind.kind}`)
  })

  const loadItem = async (req: FastifyRequest) => {
    const kind = await loadKind(req)
    const id = idParam((req.params as { id?: string }).id)
    const item = id === null ? undefined : await getItem(app.db, kind.kind, id)
    if (!item) throw notFound()
    return { kind, item, uses: await codeUsage(app.db, kind.kind, item.code) }
  }

  type Loaded = Awaited<ReturnType<typeof loadItem>>
  const editPage = (reply: FastifyReply, l: Loaded, values: Record<string, string>, f?: Failure, failed?: string) =>
    reply.page('/admin/codes/edit', {
      ...l, values: f?.conflict ? { ...values, version: String(f.conflict.version) } : values,
      errors: f?.errors ?? {}, message: f?.message, conflict: f?.conflict, failed, module: 'admin'
    }, { status: f ? (f.conflict ? 409 : 422) : 200 })

  const itemValues = (i: Loaded['item']) => ({
    code: i.code, label_zh: i.label_zh, label_en: i.label_en, sort: String(i.sort), enabled: i.enabled ? 'on' : '', version: String(i.version)
  })

  app.get('/admin/codes/:kind/:id', guard, async (req, reply) => {
    const l = await loadItem(req)
    return editPage(reply, l, itemValues(l.item))
  })

  app.post('/admin/codes/:kind/:id', guard, async (req, reply) => {
    const l = await loadItem(req)
    try {
      const v = parseForm(editSchema, req.body)
      await updateItem(app.db, actorOf(req), l.kind.kind, l.item.id, { ...toItem(v), version: v.version })
    } catch (e) {
      return editPage(reply, l, formValues(req.body), failureOf(e), 'edit')
    }
    setFlash(req, 'app.saved')
    return redirect(req, reply, `/admin/codes/${l.kind.kind}`)
  })

  app.post('/admin/codes/:kind/:id/delete', guard, async (req, reply) => {
    const l = await loadItem(req)
    try {
      await deleteItem(app.db, actorOf(req), l.kind.kind, l.item.id)
    } catch (e) {
      return editPage(reply, l, itemValues(l.item), failureOf(e), 'delete')
    }
    setFlash(req, 'admin.codes.deleted')
    return redirect(req, reply, `/admin/codes/${l.kind.kind}`)
  })
}

export default routes
