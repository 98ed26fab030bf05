// /admin/roles: the list, and one form per role (names, data scope, permission grid).
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { actorOf } from '../../platform/audit.ts'
import { notFound } from '../../platform/errors.ts'
import { formValues, intId, many, parseForm, requiredText } from '../../platform/forms.ts'
import { redirect, requirePermission } from '../../platform/guard.ts'
import { allPermissions, permissionCatalogue } from '../../platform/permissions.ts'
import { setFlash } from '../../platform/sessions.ts'
import { createRole, deleteRole, getRole, listRoles, updateRole } from './roles-service.ts'
import { checkFields, failureOf, idParam, type Failure } from './shared.ts'

const SCOPES = ['own', 'subtree', 'all'] as const
const fields = { name_zh: requiredText(60), name_en: requiredText(60), data_scope: z.enum(SCOPES), perm: many(z.string().max(80)) }
const createSchema = z.object({ code: requiredText(40), ...fields })
const editSchema = z.object({ ...fields, version: intId })
const CODE_RE = /^[a-z][a-z0-9_-]*$/

const routes: FastifyPluginAsync = async (app) => {
  const guard = { preHandler: requirePermission('roles.admin') }

  app.get('/admin/roles', guard, async (_req, reply) => {
    const roles = await listRoles(app.db)
    return reply.page('/admin/roles/list', { roles, total: allPermissions().length, module: 'admin' })
  })

  // The form shows the checked boxes from `perms`: the role's, or what was posted.
  const form = (reply: FastifyReply, data: { role?: NonNullable<Awaited<ReturnType<typeof getRole>>>; values: Record<string, string>; perms: string[]; users?: number }, f?: Failure) =>
    reply.page('/admin/roles/form', {
      ...data, perms: new Set(data.perms), catalogue: permissionCatalogue(), scopes: SCOPES,
      errors: f?.errors ?? {}, message: f?.message, conflict: f?.conflict, module: 'admin'
    }, { status: f ? (f.conflict ? 409 : 422) : 200 })

  const posted = (body: unknown) => {
    const p = (body as { perm?: unknown } | undefined)?.perm
    return (Array.isArray(p) ? p : p === undefined ? [] : [p]).map(String)
  }

  app.get('/admin/roles/new', guard, async (_req, reply) => form(reply, { values: { data_scope: 'own' }, perms: [] }))

  app.post('/admin/roles', guard, async (req, reply) => {
    try {
      const input = parseForm(createSchema, req.body)
      const code = input.code.toLowerCase()
      checkFields((add) => { if (!CODE_RE.test(code)) add('code', 'admin.roles.codeChars') })
      await createRole(app.db, actorOf(req), { code, nameZh: input.name_zh, nameEn: input.name_en, scope: input.data_scope, perms: input.perm })
    } catch (e) {
      return form(reply, { values: formValues(req.body), perms: posted(req.body) }, failureOf(e))
    }
    setFlash(req, 'admin.roles.created')
    return redirect(req, reply, '/admin/roles')
  })

  const loadRole = async (req: FastifyRequest) => {
    const id = idParam((req.params as { id?: string }).id)
    const role = id === null ? undefined : await getRole(app.db, id)
    if (!role) throw notFound()
    const { n } = await app.db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).where('role_id', '=', role.id).executeTakeFirstOrThrow()
    return { role, users: Number(n) }
  }

  app.get('/admin/roles/:id', guard, async (req, reply) => {
    const { role, users } = await loadRole(req)
    return form(reply, {
      role, users, perms: role.permissions,
      values: { name_zh: role.name_zh, name_en: role.name_en, data_scope: role.data_scope, version: String(role.version) }
    })
  })

  app.post('/admin/roles/:id', guard, async (req, reply) => {
    const { role, users } = await loadRole(req)
    try {
      const input = parseForm(editSchema, req.body)
      await updateRole(app.db, actorOf(req), role.id, { nameZh: input.name_zh, nameEn: input.name_en, scope: input.data_scope, perms: input.perm, version: input.version })
    } catch (e) {
      const f = failureOf(e)
      const values = formValues(req.body)
      return form(reply, { role, users, values: f.conflict ? { ...values, version: String(f.conflict.version) } : values, perms: posted(req.body) }, f)
    }
    setFlash(req, 'app.saved')
    return redirect(req, reply, '/admin/roles')
  })

  app.post('/admin/roles/:id/delete', guard, async (req, reply) => {
    const { role, users } = await loadRole(req)
    try {
      await deleteRole(app.db, actorOf(req), role.id)
    } catch (e) {
      return form(reply, {
        role, users, perms: role.permissions,
        values: { name_zh: role.name_zh, name_en: role.name_en, data_scope: role.data_scope, version: String(role.version) }
      }, failureOf(e))
    }
    setFlash(req, 'admin.roles.deleted')
    return redirect(req, reply, '/admin/roles')
  })
}

export default routes
