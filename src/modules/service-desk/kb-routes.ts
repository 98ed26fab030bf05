// Knowledge base (知识库) pages: list and search, article page (counts its readers),
// create and edit with a preview, delete after a confirmation page; the call
// screen's search-as-you-type and "use in this request"; linking an article to an
// existing request from the request page.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { DB } from '../../db/index.ts'
import { actorOf } from '../../platform/audit.ts'
import { ConflictError, newFormToken } from '../../platform/concurrency.ts'
import { codeOptions } from '../../platform/codes.ts'
import { HttpError, notFound } from '../../platform/errors.ts'
import { FormError, formValues, optionalIntId, parseForm, type FieldErrors } from '../../platform/forms.ts'
import { redirect, requirePermission } from '../../platform/guard.ts'
import { registerNav } from '../../platform/nav.ts'
import { wantsFragment } from '../../platform/render.ts'
import { setFlash } from '../../platform/sessions.ts'
import { hasArticles, kbListSchema, listArticles, suggestArticles } from './kb-queries.ts'
import {
  articleSchema, countView, createArticle, deleteArticle, getArticle, linkArticle, pickableArticle, restoreArticle, sanitizeBody,
  updateArticle, versionSchema
} from './kb-service.ts'
import { showRequest } from './request-routes.ts'
import { getRequest } from './requests-service.ts'

registerNav({ key: 'service.kb', labelKey: 'serviceKb.nav', href: '/service/kb', perm: 'knowledge.read', order: 24 })

function idOf(req: FastifyRequest): number {
  const v = (req.params as { id?: string }).id ?? ''
  if (!/^\d{1,10}$/.test(v) || Number(v) > 2_147_483_647 || Number(v) < 1) throw notFound()
  return Number(v)
}

const suggestQuery = z.object({ kb_q: z.string().optional(), mode: z.enum(['call', 'link']).optional() })
const chosenQuery = z.object({ article_id: optionalIntId })
const linkSchema = z.object({ article_id: optionalIntId, kb_q: z.string().optional() })

/** category labels by code, retired ones included, for lists and article pages */
async function categoryLabels(db: DB) {
  const rows = await db.selectFrom('code_items').select(['code', 'label_zh', 'label_en']).where('kind', '=', 'kb_category').execute()
  return Object.fromEntries(rows.map((r) => [r.code, r]))
}

const asValues = (a: { category: string; title: string; body_html: string; published: boolean; version: number }) =>
  ({ category: a.category, title: a.title, body_html: a.body_html, published: a.published ? 'on' : '', version: String(a.version) })

const routes: FastifyPluginAsync = async (app) => {
  const db = app.db

  async function renderForm(req: FastifyRequest, reply: FastifyReply, data: {
    values: Record<string, string>; errors?: FieldErrors; id?: number; preview?: string
    conflict?: { current: Record<string, string>; changedBy: string | null }
  }, status = 200) {
    return reply.page('/service/kb-form', {
      ...data, errors: data.errors ?? {}, module: 'service',
      categories: await codeOptions(db, 'kb_category', { keep: data.conflict?.current.category ?? data.values.category }),
      formToken: data.values.form_token || newFormToken()
    }, { status })
  }

  /** "preview" re-renders the form with the body as it would be saved, saving nothing */
  function wantsPreview(body: Record<string, unknown>) { return body.preview === '1' }

  app.get('/service/kb', { preHandler: requirePermission('knowledge.read') }, async (req, reply) => {
    const r = kbListSchema.safeParse(req.query ?? {})
    if (!r.success) throw new HttpError(400, 'serviceKb.errors.badFilter')
    const f = r.data
    const list = await listArticles(db, req.user!, f)
    const labels = await categoryLabels(db)
    const qs = new URLSearchParams(Object.entries(f).filter(([k, v]) => k !== 'after' && v !== undefined).map(([k, v]) => [k, String(v)])).toString()
    const data = { ...list, f, qs, labels }
    if (f.after && wantsFragment(req)) return reply.fragment('/service/_kb-rows', data)
    const filtered = !!(f.q || f.category || f.state)
    const empty = !list.rows.length && !filtered && !(await hasArticles(db))
    return reply.page('/service/kb-list', { ...data, filtered, empty, categories: await codeOptions(db, 'kb_category'), module: 'service' },
      { fragment: '/service/_kb-table' })
  })

  app.get('/service/kb/suggest', { preHandler: requirePermission('knowledge.read') }, async (req, reply) => {
    const p = suggestQuery.safeParse(req.query ?? {})
    const q = p.success ? (p.data.kb_q ?? '').trim().slice(0, 100) : ''
    const hits = q ? await suggestArticles(db, req.user!, q) : []
    return reply.fragment('/service/_kb-suggest', { q, hits, mode: p.success ? p.data.mode ?? 'call' : 'call', labels: await categoryLabels(db) })
  })

  // the call screen's "use in this request": the hidden article_id and the chosen title
  app.get('/service/kb/chosen', { preHandler: requirePermission('knowledge.read') }, async (req, reply) => {
    const p = chosenQuery.safeParse(req.query ?? {})
    if (!p.success) throw notFound()
    const article = p.data.article_id ? await pickableArticle(db, p.data.article_id) : undefined
    if (p.data.article_id && !article) throw notFound()
    return reply.fragment('/service/_kb-chosen', { article })
  })

  app.get('/service/kb/new', { preHandler: requirePermission('knowledge.create') }, async (req, reply) => {
    const q = req.query as Record<string, unknown>
    const category = typeof q.category === 'string' ? q.category.slice(0, 40) : ''
    return renderForm(req, reply, { values: { published: 'on', category } })
  })

  app.post('/service/kb', { preHandler: requirePermission('knowledge.create') }, async (req, reply) => {
    const body = req.body as Record<string, unknown>
    try {
      const input = parseForm(articleSchema, body)
      if (wantsPreview(body)) return renderForm(req, reply, { values: formValues(body), preview: sanitizeBody(input.body_html) })
      const { id, repeated } = await createArticle(db, actorOf(req), req.user!, input, body.form_token)
      if (!repeated) setFlash(req, 'serviceKb.created')
      return redirect(req, reply, `/service/kb/${id}`)
    } catch (e) {
      if (e instanceof FormError) return renderForm(req, reply, { values: formValues(body), errors: e.errors }, 422)
      throw e
    }
  })

  app.get('/service/kb/:id', { preHandler: requirePermission('knowledge.read') }, async (req, reply) => {
    const a = await getArticle(db, req.user!, idOf(req))
    // a HEAD or an editor's look at a draft or deleted article is not a reader
    const counts = req.method === 'GET' && !a.deleted_at && a.published
    const views = counts ? await countView(db, a.id) : a.views
    return reply.page('/service/kb-article', { a: { ...a, views }, html: sanitizeBody(a.body_html), labels: await categoryLabels(db), module: 'service' })
  })

  app.get('/service/kb/:id/edit', { preHandler: requirePermission('knowledge.update') }, async (req, reply) => {
    const a = await getArticle(db, req.user!, idOf(req), { forEdit: true })
    return renderForm(req, reply, { values: asValues(a), id: a.id })
  })

  app.post('/service/kb/:id', { preHandler: requirePermission('knowledge.update') }, async (req, reply) => {
    const id = idOf(req)
    const body = req.body as Record<string, unknown>
    await getArticle(db, req.user!, id, { forEdit: true }) // unknown or deleted is 404 whatever was posted
    try {
      const { version } = parseForm(versionSchema, body)
      const input = parseForm(articleSchema, body)
      if (wantsPreview(body)) return renderForm(req, reply, { values: formValues(body), id, preview: sanitizeBody(input.body_html) })
      await updateArticle(db, actorOf(req), req.user!, id, version, input)
      setFlash(req, 'app.saved')
      return redirect(req, reply, `/service/kb/${id}`)
    } catch (e) {
      if (e instanceof FormError) return renderForm(req, reply, { values: formValues(body), errors: e.errors, id }, 422)
      if (e instanceof ConflictError) {
        // keep what this user typed, show the other person's version and take its number
        const current = asValues(e.current as Parameters<typeof asValues>[0])
        return renderForm(req, reply, { values: { ...formValues(body), version: current.version }, id, conflict: { current, changedBy: e.changedBy } }, 409)
      }
      throw e
    }
  })

  async function confirmPage(req: FastifyRequest, reply: FastifyReply, id: number, extra: Record<string, unknown> = {}, status = 200) {
    const a = await getArticle(db, req.user!, id, { forEdit: true })
    const links = await db.selectFrom('request_articles').select((eb) => eb.fn.countAll<number>().as('n')).where('article_id', '=', id).executeTakeFirstOrThrow()
    return reply.page('/service/kb-delete', { a, links: Number(links.n), module: 'service', ...extra }, { status })
  }

  app.get('/service/kb/:id/delete', { preHandler: requirePermission('knowledge.delete') }, async (req, reply) => confirmPage(req, reply, idOf(req)))

  app.post('/service/kb/:id/delete', { preHandler: requirePermission('knowledge.delete') }, async (req, reply) => {
    const id = idOf(req)
    const body = req.body as Record<string, unknown>
    await getArticle(db, req.user!, id, { forEdit: true })
    // only the confirmation page's button deletes; any other post shows that page
    if (body.confirm !== 'yes') return confirmPage(req, reply, id)
    try {
      const { version } = parseForm(versionSchema, body)
      await deleteArticle(db, actorOf(req), req.user!, id, version)
    } catch (e) {
      if (e instanceof FormError) return confirmPage(req, reply, id, { errors: e.errors }, 422)
      if (e instanceof ConflictError) return confirmPage(req, reply, id, { conflictBy: e.changedBy }, 409)
      throw e
    }
    setFlash(req, 'serviceKb.deleted')
    return redirect(req, reply, '/service/kb')
  })

  app.post('/service/kb/:id/restore', { preHandler: requirePermission('knowledge.delete') }, async (req, reply) => {
    const id = idOf(req)
    await restoreArticle(db, actorOf(req), req.user!, id)
    setFlash(req, 'serviceKb.restored')
    return redirect(req, reply, `/service/kb/${id}`)
  })

  app.post('/service/requests/:id/articles', { preHandler: requirePermission('service.update') }, async (req, reply) => {
    const id = idOf(req)
    const body = req.body as Record<string, unknown>
    await getRequest(db, req.user!, id) // out of scope is 404 whatever was posted
    const p = linkSchema.safeParse(body ?? {})
    const kbQ = p.success ? (p.data.kb_q ?? '').trim().slice(0, 100) : ''
    // without JavaScript the search box posts here: show the hits to pick from
    if (p.success && !p.data.article_id && kbQ) {
      const kbHits = req.user!.perms.has('knowledge.read') ? await suggestArticles(db, req.user!, kbQ) : []
      return showRequest(req, reply, id, { kbQ, kbHits, kbLabels: await categoryLabels(db) })
    }
    try {
      if (!p.success) throw new FormError({ article_id: { key: 'serviceKb.errors.pickArticle' } })
      const added = await linkArticle(db, actorOf(req), req.user!, id, p.data.article_id)
      setFlash(req, added ? 'serviceKb.linked' : 'serviceKb.alreadyLinked')
    } catch (e) {
      if (e instanceof FormError) return showRequest(req, reply, id, { form: 'articles', errors: e.errors, kbQ }, 422)
      throw e
    }
    return redirect(req, reply, `/service/requests/${id}#articles`)
  })
}

export default routes
