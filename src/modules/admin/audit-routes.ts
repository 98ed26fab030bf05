// /admin/audit: the audit log viewer, read-only (the table itself refuses updates).
// Open to audit.read: administrators and decision makers.
import type { FastifyPluginAsync } from 'fastify'
import { notFound } from '../../platform/errors.ts'
import { requirePermission } from '../../platform/guard.ts'
import type { FieldErrors } from '../../platform/forms.ts'
import { changeLines, getAuditRow, listAudit, show, type AuditFilters } from './audit-queries.ts'

const ENTITIES = ['user', 'department', 'role', 'code_item', 'setting']
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/
const TOKEN_RE = /^[\w.:-]{1,40}$/
const BIG_ID_RE = /^\d{1,15}$/

const validDate = (s: string) => DATE_RE.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s)

const routes: FastifyPluginAsync = async (app) => {
  const guard = { preHandler: requirePermission('audit.read') }

  app.get('/admin/audit', guard, async (req, reply) => {
    const q = req.query as Record<string, unknown>
    const str = (k: string) => (typeof q[k] === 'string' ? (q[k] as string).trim() : '')
    const values = { user: str('user'), action: str('action'), entity: str('entity'), record: str('record'), from: str('from'), to: str('to') }
    const errors: FieldErrors = {}
    const f: AuditFilters = {}
    if (values.user) { if (BIG_ID_RE.test(values.user) && Number(values.user) <= 2_147_483_647) f.userId = Number(values.user); else errors.user = { key: 'errors.invalid' } }
    for (const k of ['action', 'entity', 'record'] as const) {
      if (!values[k]) continue
      if (TOKEN_RE.test(values[k])) f[k] = values[k]
      else errors[k] = values[k].length > 40 ? { key: 'errors.tooLong', params: { max: 40 } } : { key: 'errors.invalid' }
    }
    for (const k of ['from', 'to'] as const) {
      if (!values[k]) continue
      if (validDate(values[k])) f[k] = values[k]
      else errors[k] = { key: 'admin.audit.badDate' }
    }
    if (f.from && f.to && f.from > f.to) errors.to = { key: 'admin.audit.badRange' }
    const before = str('before')
    if (before && BIG_ID_RE.test(before)) f.before = Number(before)

    const bad = Object.keys(errors).length > 0
    const { rows, more } = bad ? { rows: [], more: false } : await listAudit(app.db, f, app.config.timeZone)
    const params = new URLSearchParams(Object.entries(values).filter(([, v]) => v))
    const firstUrl = `/admin/audit?${params}`
    if (more) params.set('before', String(rows[rows.length - 1].id))
    const users = await app.db.selectFrom('users').select(['id', 'login', 'name']).orderBy('login').execute()
    return reply.page('/admin/audit/list', {
      rows, more, values, errors, users, entities: ENTITIES, firstUrl, olderUrl: `/admin/audit?${params}`,
      paged: !!f.before, filtered: params.size > 0, module: 'admin'
    }, { fragment: '/admin/audit/_rows', status: bad ? 422 : 200 })
  })

  app.get('/admin/audit/:id', guard, async (req, reply) => {
    const id = String((req.params as { id?: string }).id ?? '')
    const row = BIG_ID_RE.test(id) ? await getAuditRow(app.db, Number(id)) : undefined
    if (!row) throw notFound()
    return reply.page('/admin/audit/show', { row, ...changeLines(row.changes), show, module: 'admin' })
  })
}

export default routes
