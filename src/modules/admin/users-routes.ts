// /admin/users: list with filters, create, show, edit, disable/enable, password
// reset, unlock and per-user permissions. Routes parse and render; the rules live
// in users-service.ts.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { actorOf } from '../../platform/audit.ts'
import { notFound } from '../../platform/errors.ts'
import { formValues } from '../../platform/forms.ts'
import { redirect, requirePermission } from '../../platform/guard.ts'
import { LANGS } from '../../platform/i18n.ts'
import { permissionCatalogue } from '../../platform/permissions.ts'
import { setFlash } from '../../platform/sessions.ts'
import { buildTree, listDepartments } from './departments-service.ts'
import { newFormToken } from '../../platform/concurrency.ts'
import { failureOf, idParam, type Failure } from './shared.ts'
import { parseCreate, parseEdit, parsePermissions, parseReset, toInput } from './users-schemas.ts'
import {
  createUser, getUser, listUsers, resetPassword, setUserActive, setUserPermissions, unlockUser, updateUser, type UserFilters, type UserRow
} from './users-service.ts'

export const LANG_NAMES: Record<string, string> = { 'zh-CN': '中文', en: 'English' }

const statusOf = (f: Failure) => (f.conflict ? 409 : 422)

const routes: FastifyPluginAsync = async (app) => {
  const guard = { preHandler: requirePermission('users.admin') }

  /** departments (in tree order), roles and languages for the form's selects */
  async function choices() {
    const { flat } = buildTree(await listDepartments(app.db))
    const roles = await app.db.selectFrom('roles').select(['id', 'code', 'name_zh', 'name_en']).orderBy('builtin', 'desc').orderBy('id').execute()
    return {
      departments: flat.map((d) => ({ value: d.id, label: '\u3000'.repeat(d.depth) + d.name })),
      roles,
      langs: LANGS.map((l) => ({ value: l, label: LANG_NAMES[l] }))
    }
  }

  async function loadUser(req: FastifyRequest): Promise<UserRow> {
    const id = idParam((req.params as { id?: string }).id)
    const user = id === null ? undefined : await getUser(app.db, id)
    if (!user) throw notFound()
    return user
  }

  // ---- list ----
  app.get('/admin/users', guard, async (req, reply) => {
    const q = req.query as Record<string, string | undefined>
    const str = (v: unknown, max: number) => (typeof v === 'string' && v.trim() ? v.trim().slice(0, max) : undefined)
    const filters: UserFilters = {
      q: str(q.q, 60),
      departmentId: idParam(q.department) ?? undefined,
      roleId: idParam(q.role) ?? undefined,
      active: q.active === '1' ? true : q.active === '0' ? false : undefined,
      after: str(q.after, 60)
    }
    const { rows, more } = await listUsers(app.db, filters)
    const params = new URLSearchParams()
    for (const k of ['q', 'department', 'role', 'active'] as const) if (typeof q[k] === 'string' && q[k]) params.set(k, q[k]!)
    const firstUrl = `/admin/users?${params}`
    if (more) params.set('after', rows[rows.length - 1].login)
    return reply.page('/admin/users/list', {
      rows, more, firstUrl, nextUrl: `/admin/users?${params}`, filters: { q: filters.q ?? '', department: q.department ?? '', role: q.role ?? '', active: q.active ?? '' },
      paged: !!filters.after, ...(await choices()), module: 'admin'
    }, { fragment: '/admin/users/_rows' })
  })

  // ---- create ----
  const newForm = async (reply: FastifyReply, values: Record<string, string>, f?: Failure) =>
    reply.page('/admin/users/form', {
      mode: 'new', values, errors: f?.errors ?? {}, message: f?.message, ...(await choices()), module: 'admin'
    }, { status: f ? statusOf(f) : 200 })

  app.get('/admin/users/new', guard, async (_req, reply) => {
    const user = await app.db.selectFrom('roles').select('id').where('code', '=', 'user').executeTakeFirst()
    return newForm(reply, { department_id: '1', role_id: String(user?.id ?? ''), lang: 'zh-CN', _token: newFormToken() })
  })

  app.post('/admin/users', guard, async (req, reply) => {
    let id: number
    try {
      const input = parseCreate(app.config, req.body)
      id = await createUser(app.db, app.config, actorOf(req), { ...toInput(input), password: input.password }, input._token)
    } catch (e) {
      return newForm(reply, formValues(req.body), failureOf(e))
    }
    setFlash(req, 'admin.users.created')
    return redirect(req, reply, `/admin/users/${id}`)
  })

  // ---- show (with the disable, reset and unlock actions) ----
  async function showPage(reply: FastifyReply, user: UserRow, failed?: { form: string; failure: Failure }) {
    const locked = !!user.locked_until && user.locked_until.getTime() > Date.now()
    const f = failed?.failure
    return reply.page('/admin/users/show', {
      u: user, locked, failed: failed?.form, errors: f?.errors ?? {}, message: f?.message, module: 'admin'
    }, { status: f ? statusOf(f) : 200 })
  }

  app.get('/admin/users/:id', guard, async (req, reply) => showPage(reply, await loadUser(req)))

  const action = (form: string, run: (req: FastifyRequest, user: UserRow) => Promise<unknown>, flash: string) =>
    async (req: FastifyRequest, reply: FastifyReply) => {
      const user = await loadUser(req)
      try {
        await run(req, user)
      } catch (e) {
        return showPage(reply, user, { form, failure: failureOf(e) })
      }
      setFlash(req, flash)
      return redirect(req, reply, `/admin/users/${user.id}`)
    }

  app.post('/admin/users/:id/disable', guard, action('status', (req, u) => setUserActive(app.db, actorOf(req), u.id, false), 'admin.users.disabledDone'))
  app.post('/admin/users/:id/enable', guard, action('status', (req, u) => setUserActive(app.db, actorOf(req), u.id, true), 'admin.users.enabledDone'))
  app.post('/admin/users/:id/unlock', guard, action('unlock', (req, u) => unlockUser(app.db, actorOf(req), u.id), 'admin.users.unlocked'))
  app.post('/admin/users/:id/password', guard, action('password', (req, u) => {
    const input = parseReset(app.config, req.body, u.login)
    return resetPassword(app.db, app.config, actorOf(req), u.id, input.password)
  }, 'admin.users.passwordReset'))

  // ---- edit ----
  const editForm = async (reply: FastifyReply, user: UserRow, values: Record<string, string>, f?: Failure) =>
    reply.page('/admin/users/form', {
      mode: 'edit', u: user, values: f?.conflict ? { ...values, version: String(f.conflict.version) } : values,
      errors: f?.errors ?? {}, message: f?.message, conflict: f?.conflict, ...(await choices()), module: 'admin'
    }, { status: f ? statusOf(f) : 200 })

  app.get('/admin/users/:id/edit', guard, async (req, reply) => {
    const u = await loadUser(req)
    return editForm(reply, u, {
      login: u.login, name: u.name, email: u.email ?? '', phone_ext: u.phone_ext ?? '', department_id: String(u.department_id),
      role_id: String(u.role_id), lang: u.lang, version: String(u.version)
    })
  })

  app.post('/admin/users/:id', guard, async (req, reply) => {
    const u = await loadUser(req)
    try {
      const input = parseEdit(req.body)
      await updateUser(app.db, actorOf(req), u.id, { ...toInput(input), version: input.version })
    } catch (e) {
      return editForm(reply, u, formValues(req.body), failureOf(e))
    }
    setFlash(req, 'app.saved')
    return redirect(req, reply, `/admin/users/${u.id}`)
  })

  // ---- per-user permissions ----
  const permsPage = async (reply: FastifyReply, u: UserRow, f?: Failure) =>
    reply.page('/admin/users/permissions', {
      u: f?.conflict ? { ...u, version: f.conflict.version } : u, catalogue: permissionCatalogue(),
      role: new Set(u.role_permissions), granted: new Set(u.grants), revoked: new Set(u.revokes),
      message: f?.message, conflict: f?.conflict, module: 'admin'
    }, { status: f ? statusOf(f) : 200 })

  app.get('/admin/users/:id/permissions', guard, async (req, reply) => permsPage(reply, await loadUser(req)))

  app.post('/admin/users/:id/permissions', guard, async (req, reply) => {
    const u = await loadUser(req)
    try {
      const input = parsePermissions(req.body)
      await setUserPermissions(app.db, actorOf(req), u.id, { perms: input.perm, version: input.version })
    } catch (e) {
      return permsPage(reply, u, failureOf(e))
    }
    setFlash(req, 'app.saved')
    return redirect(req, reply, `/admin/users/${u.id}`)
  })
}

export default routes
