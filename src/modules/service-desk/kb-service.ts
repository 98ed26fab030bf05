// The knowledge base (知识库): articles agents read out on the phone and link to
// requests. Bodies are HTML typed by supervisors, so they are sanitised on save
// against a strict allow-list and only the sanitised copy is ever stored or shown.
import type SanitizeHtml from 'sanitize-html'
import { sql, type Kysely } from 'kysely'
import { z } from 'zod'
import type { DB } from '../../db/index.ts'
import type { Database } from '../../db/types.ts'
import { audit, type Actor } from '../../platform/audit.ts'
import { cjkGrams } from '../../platform/cjk.ts'
import { isCode } from '../../platform/codes.ts'
import { ConflictError, oncePerToken } from '../../platform/concurrency.ts'
import { notFound } from '../../platform/errors.ts'
import { checkbox, FormError, requiredText } from '../../platform/forms.ts'
import { lazyRequire } from '../../platform/lazy.ts'
import type { Principal } from '../../platform/principal.ts'
import { getRequest } from './requests-service.ts'

type Tx = Kysely<Database>

/** what a form may send; the body is kept under the 1 MB form limit even in Chinese */
export const articleSchema = z.object({
  category: z.preprocess((v) => (typeof v === 'string' ? v.trim() : v), z.string().min(1).max(40).regex(/^[A-Za-z0-9_-]+$/, 'errors.invalidChoice')),
  title: requiredText(200),
  body_html: requiredText(60_000),
  published: checkbox
})
export type ArticleInput = z.output<typeof articleSchema>

export const versionSchema = z.object({ version: z.coerce.number().int().positive().max(2_147_483_647) })

// loaded on the first article saved (with its HTML parser): most processes never save one
const sanitizeHtml = lazyRequire<typeof SanitizeHtml>('sanitize-html')

function cell(tagName: string, attribs: SanitizeHtml.Attributes) {
  const out: SanitizeHtml.Attributes = {}
  for (const k of ['colspan', 'rowspan']) if (/^[1-9]\d?$/.test(attribs[k] ?? '')) out[k] = attribs[k]
  return { tagName, attribs: out }
}

const allowed = (): SanitizeHtml.IOptions => ({
  allowedTags: ['p', 'h2', 'h3', 'h4', 'ul', 'ol', 'li', 'b', 'strong', 'i', 'em', 'u', 'a', 'br', 'blockquote', 'code', 'pre',
    'table', 'thead', 'tbody', 'tfoot', 'tr', 'th', 'td', 'caption'],
  allowedAttributes: { a: ['href', 'rel'], td: ['colspan', 'rowspan'], th: ['colspan', 'rowspan'] },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesAppliedToAttributes: ['href'],
  allowProtocolRelative: false,
  disallowedTagsMode: 'discard',
  // pasted pages bring h1/h5/h6: keep them as the nearest allowed heading; a cell
  // keeps colspan/rowspan only as small numbers
  transformTags: {
    h1: 'h2', h5: 'h4', h6: 'h4',
    a: sanitizeHtml().simpleTransform('a', { rel: 'noopener noreferrer' }),
    td: cell, th: cell
  }
})
let ALLOWED: SanitizeHtml.IOptions | undefined

/** the HTML that may be stored and shown: everything outside the allow-list removed */
export function sanitizeBody(html: string): string {
  return sanitizeHtml()(html, (ALLOWED ??= allowed())).trim()
}

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" }

/** the plain text of sanitised HTML, blocks on their own lines, for search and snippets */
export function plainText(cleanHtml: string): string {
  const spaced = cleanHtml.replace(/<br \/>|<\/(p|h2|h3|h4|li|tr|blockquote|pre|caption)>/g, '$&\n').replace(/<\/t[dh]>/g, '$& ')
  return sanitizeHtml()(spaced, { allowedTags: [], allowedAttributes: {} })
    .replace(/&(amp|lt|gt|quot|#39);/g, (m) => ENTITIES[m])
    .replace(/[ \t\u00a0]+/g, ' ').replace(/ *\n[\s]*/g, '\n').trim()
}

function searchColumns(title: string, bodyText: string) {
  const latin = `${title} ${bodyText}`.toLowerCase().replace(/[\u3400-\u9fff\uf900-\ufaff]+/g, ' ').replace(/\s+/g, ' ').trim()
  return { search_grams: cjkGrams(title, bodyText), search_text: latin }
}

/** the columns a save writes, or the field errors that stop it */
async function prepare(db: Tx, input: ArticleInput, keepCategory?: string) {
  const body_html = sanitizeBody(input.body_html)
  const body_text = plainText(body_html)
  const errors: Record<string, { key: string }> = {}
  if (!body_text) errors.body_html = { key: 'serviceKb.errors.bodyEmpty' }
  // a retired category stays on an article that has it; new choices must be enabled
  if (input.category !== keepCategory && !(await isCode(db, 'kb_category', input.category))) errors.category = { key: 'errors.invalidChoice' }
  if (Object.keys(errors).length) throw new FormError(errors)
  return { category: input.category, title: input.title, body_html, body_text, published: input.published, ...searchColumns(input.title, body_text) }
}

/** what the audit log keeps of an article: not the derived search columns or the counter */
export function publicArticle(row: Record<string, unknown>) {
  const { search_grams: _g, search_text: _t, body_text: _b, views: _v, ...rest } = row
  return rest
}

export const canEdit = (user: Principal) => user.perms.has('knowledge.update')

/** an article as this user may see it: drafts and deleted ones only for editors */
export async function getArticle(db: Tx, user: Principal, id: number, opts: { forEdit?: boolean } = {}) {
  if (!Number.isSafeInteger(id) || id < 1 || id > 2_147_483_647) throw notFound()
  const a = await db.selectFrom('kb_articles as a').leftJoin('users as c', 'c.id', 'a.created_by').leftJoin('users as u', 'u.id', 'a.updated_by')
    .selectAll('a').select(['c.name as created_by_name', 'u.name as updated_by_name']).where('a.id', '=', id).executeTakeFirst()
  if (!a) throw notFound()
  if ((a.deleted_at || !a.published) && !canEdit(user)) throw notFound()
  if (opts.forEdit && a.deleted_at) throw notFound()
  return a
}

/** one more reader: counted in its own statement, not audited (it changes no content) */
export async function countView(db: DB, id: number): Promise<number> {
  const r = await db.updateTable('kb_articles').set({ views: sql`views + 1` as never }).where('id', '=', id).returning('views').executeTakeFirst()
  return r?.views ?? 0
}

export async function createArticle(db: DB, actor: Actor, user: Principal, input: ArticleInput, formToken: unknown) {
  const cols = await prepare(db, input)
  const { result, repeated } = await oncePerToken(db, formToken, user.id, async (trx) => {
    const row = await trx.insertInto('kb_articles').values({ ...cols, created_by: user.id, updated_by: user.id }).returningAll().executeTakeFirstOrThrow()
    await audit(trx, actor, { action: 'create', entity: 'kb_article', entityId: row.id, summary: row.title, before: null, after: publicArticle(row) })
    return String(row.id)
  })
  return { id: Number(result), repeated }
}

async function conflict(trx: Tx, id: number): Promise<never> {
  const current = await trx.selectFrom('kb_articles').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
  const last = await trx.selectFrom('audit_log').select('user_name').where('entity', '=', 'kb_article').where('entity_id', '=', String(id))
    .orderBy('id', 'desc').limit(1).executeTakeFirst()
  throw new ConflictError(current, last?.user_name ?? null)
}

export async function updateArticle(db: DB, actor: Actor, user: Principal, id: number, version: number, input: ArticleInput) {
  const before = await getArticle(db, user, id, { forEdit: true })
  const cols = await prepare(db, input, before.category)
  return db.transaction().execute(async (trx) => {
    const after = await trx.updateTable('kb_articles').set({ ...cols, updated_by: user.id, updated_at: new Date(), version: sql`version + 1` as never })
      .where('id', '=', id).where('version', '=', version).where('deleted_at', 'is', null).returningAll().executeTakeFirst()
    if (!after) return conflict(trx, id)
    const { created_by_name: _c, updated_by_name: _u, ...old } = before
    await audit(trx, actor, { action: 'update', entity: 'kb_article', entityId: id, summary: after.title, before: publicArticle(old), after: publicArticle(after) })
    return after
  })
}

/** soft delete: the article leaves lists and search, links from requests stay restorable */
export async function deleteArticle(db: DB, actor: Actor, user: Principal, id: number, version: number) {
  const before = await getArticle(db, user, id, { forEdit: true })
  return db.transaction().execute(async (trx) => {
    const after = await trx.updateTable('kb_articles').set({ deleted_at: new Date(), updated_by: user.id, updated_at: new Date(), version: sql`version + 1` as never })
      .where('id', '=', id).where('version', '=', version).where('deleted_at', 'is', null).returningAll().executeTakeFirst()
    if (!after) return conflict(trx, id)
    await audit(trx, actor, { action: 'delete', entity: 'kb_article', entityId: id, summary: before.title,
      before: { deleted_at: null }, after: { deleted_at: after.deleted_at } })
  })
}

export async function restoreArticle(db: DB, actor: Actor, user: Principal, id: number) {
  const before = await getArticle(db, user, id)
  if (!before.deleted_at) return
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('kb_articles').set({ deleted_at: null, updated_by: user.id, updated_at: new Date(), version: sql`version + 1` as never })
      .where('id', '=', id).execute()
    await audit(trx, actor, { action: 'restore', entity: 'kb_article', entityId: id, summary: before.title,
      before: { deleted_at: before.deleted_at }, after: { deleted_at: null } })
  })
}

/** an article an agent may pick for a request: live and published */
export async function pickableArticle(db: Tx, id: number | undefined) {
  if (!id) return undefined
  return db.selectFrom('kb_articles').select(['id', 'title']).where('id', '=', id).where('deleted_at', 'is', null)
    .where('published', '=', true).executeTakeFirst()
}

/** links an article to a request the user may see (else 404); linking twice changes nothing */
export async function linkArticle(db: DB, actor: Actor, user: Principal, requestId: number, articleId: number | undefined) {
  const r = await getRequest(db, user, requestId)
  const a = await pickableArticle(db, articleId)
  if (!a) throw new FormError({ article_id: { key: 'serviceKb.errors.pickArticle' } })
  return db.transaction().execute(async (trx) => {
    const linked = (await trx.selectFrom('request_articles').select('article_id').where('request_id', '=', requestId).orderBy('article_id').execute())
      .map((x) => x.article_id)
    if (linked.includes(a.id)) return false
    await trx.insertInto('request_articles').values({ request_id: requestId, article_id: a.id }).onConflict((oc) => oc.doNothing()).execute()
    await audit(trx, actor, { action: 'link_article', entity: 'service_request', entityId: requestId, summary: `${r.number} → ${a.title}`,
      before: { article_ids: linked }, after: { article_ids: [...linked, a.id].sort((x, y) => x - y) } })
    return true
  })
}
