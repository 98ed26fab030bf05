// Shared by the service desk tests: logging a call through the real call screen,
// reading a request page's version, the audit rows a step wrote, the messages a page
// must show (in the default language, escaped as the templates escape them).
import type { FastifyInstance } from 'fastify'
import { translator } from '../../../src/platform/i18n.ts'
import { escapeHtml } from '../../../src/platform/render.ts'
import type { Client, Res } from '../../helpers/app.ts'

const zh = translator('zh-CN')
/** a message as the page shows it */
export const msg = (key: string, params?: Record<string, string | number>) => escapeHtml(zh(key, params))

export const tokenOf = (body: string) => {
  const m = /name="form_token" value="([^"]+)"/.exec(body)
  if (!m) throw new Error('no form token on the page')
  return m[1]
}

export const requestIdOf = (res: Res) => {
  const m = /\/service\/requests\/(\d+)/.exec(String(res.headers.location ?? ''))
  if (res.statusCode !== 303 || !m) throw new Error(`no request made: ${res.statusCode} ${res.body.slice(0, 400)}`)
  return Number(m[1])
}

/** opens the call screen (for its one-time token) and saves the request; returns its id */
export async function logCall(c: Client, form: Record<string, string>): Promise<number> {
  const page = await c.get('/service/calls/new')
  const res = await c.post('/service/requests', { channel: 'phone', status: 'received', priority: 'normal', form_token: tokenOf(page.body), ...form })
  return requestIdOf(res)
}

/** the request page's current version (from its hidden field) */
export async function versionOf(c: Client, id: number): Promise<string> {
  const page = await c.get(`/service/requests/${id}`)
  const m = /name="version" value="(\d+)"/.exec(page.body)
  if (!m) throw new Error(`no version on /service/requests/${id} (${page.statusCode})`)
  return m[1]
}

/** runs `fn` and returns the audit rows it wrote */
export async function auditOf<T>(app: FastifyInstance, fn: () => Promise<T>) {
  const last = await app.db.selectFrom('audit_log').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst()
  const result = await fn()
  const rows = await app.db.selectFrom('audit_log').selectAll().where('id', '>', Number(last?.id ?? 0)).orderBy('id').execute()
  return { result, rows }
}

/** the HTML of the request list's rows only (numbers and subjects), for order and membership checks */
export const listedIds = (body: string) => [...body.matchAll(/<td><a href="\/service\/requests\/(\d+)">SR-/g)].map((m) => Number(m[1]))
