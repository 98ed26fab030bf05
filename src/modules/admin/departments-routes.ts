// /admin/departments: the tree, and one page per department with its edit forms
// (rename, move, head, delete). Each form posts to its own route and, when refused,
// the page comes back with the message beside that form and nothing changed.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { actorOf } from '../../platform/audit.ts'
import { notFound } from '../../platform/errors.ts'
import { formValues, intId, optionalIntId, parseForm, requiredText } from '../../platform/forms.ts'
import { redirect, requirePermission } from '../../platform/guard.ts'
import { setFlash } from '../../platform/sessions.ts'
import {
  buildTree, createDepartment, deleteDepartment, getDepartment, listDepartments, moveDepartment, renameDepartment, setDepartmentHead
} from './departments-service.ts'
import { failureOf, idParam, type Failure } from './shared.ts'

const createSchema = z.object({ name: requiredText(100), parent_id: intId })
const renameSchema = z.object({ name: requiredText(100), version: intId })
const moveSchema = z.object({ parent_id: intId, version: intId })
const headSchema = z.object({ head_user_id: optionalIntId, version: intId })

type Form = 'rename' | 'move' | 'head' | 'delete'

const routes: FastifyPluginAsync = async (app) => {
  const guard = { preHandler: requirePermission('departments.admin') }

  async function treePage(reply: FastifyReply, extra: Record<string, unknown> = {}, status = 200) {
    const { roots, flat } = buildTree(await listDepartments(app.db))
    return reply.page('/admin/departments/tree', { roots, flat, values: {}, errors: {}, module: 'admin', ...extra }, { status })
  }

  async function detailPage(reply: FastifyReply, id: number, failed?: { form: Form; failure: Failure; values: Record<string, string> }) {
    const dept = await getDepartment(app.db, id)
    if (!dept) throw notFound()
    const { flat } = buildTree(await listDepartments(app.db))
    const node = flat.find((d) => d.id === id)!
    // a department cannot go under itself or anything below it: those are not offered
    const parents = flat.filter((d) => !d.path.startsWith(dept.path))
    const members = await app.db.selectFrom('users as u').innerJoin('roles as r', 'r.id', 'u.role_id')
      .select(['u.id', 'u.login', 'u.name', 'u.active', 'r.name_zh as role_zh', 'r.name_en as role_en'])
      .where('u.department_id', '=', id).orderBy('u.active', 'desc').orderBy('u.login').limit(500).execute()
    const heads = await app.db.selectFrom('users').select(['id', 'name', 'login']).where('active', '=', true).orderBy('login').execute()
    const f = failed?.failure
    return reply.page('/admin/departments/show', {
      dept: { ...dept, version: f?.conflict?.version ?? dept.version }, node, parents, members, heads,
      failed: failed?.form, errors: f?.errors ?? {}, message: f?.message, conflict: f?.conflict, values: failed?.values ?? {},
      crumbs: flat.filter((d) => dept.path.startsWith(d.path) && d.id !== id), module: 'admin'
    }, { status: f ? (f.conflict ? 409 : 422) : 200 })
  }

  app.get('/admin/departments', guard, async (_req, reply) => treePage(reply))

  app.post('/admin/departments', guard, async (req, reply) => {
    try {
      const input = parseForm(createSchema, req.body)
      const d = await createDepartment(app.db, actorOf(req), { name: input.name, parentId: input.parent_id })
      setFlash(req, 'admin.departments.created')
      return redirect(req, reply, `/admin/departments/${d.id}`)
    } catch (e) {
      const f = failureOf(e)
      return treePage(reply, { values: formValues(req.body), errors: f.errors, message: f.message }, 422)
    }
  })

  const withId = (req: FastifyRequest) => {
    const id = idParam((req.params as { id?: string }).id)
    if (id === null) throw notFound()
    return id
  }

  app.get('/admin/departments/:id', guard, async (req, reply) => detailPage(reply, withId(req)))

  // Each action: parse, call the service, come back to the page with a flash or the refusal.
  const action = (form: Form, run: (req: FastifyRequest, id: number) => Promise<unknown>, flash: string) =>
    async (req: FastifyRequest, reply: FastifyReply) => {
      const id = withId(req)
      try {
        await run(req, id)
      } catch (e) {
        return detailPage(reply, id, { form, failure: failureOf(e), values: formValues(req.body) })
      }
      setFlash(req, flash)
      return redirect(req, reply, form === 'delete' ? '/admin/departments' : `/admin/departments/${id}`)
    }

  app.post('/admin/departments/:id/rename', guard, action('rename', (req, id) => {
    const input = parseForm(renameSchema, req.body)
    return renameDepartment(app.db, actorOf(req), id, input)
  }, 'app.saved'))

  app.post('/admin/departments/:id/move', guard, action('move', (req, id) => {
    const input = parseForm(moveSchema, req.body)
    return moveDepartment(app.db, actorOf(req), id, { parentId: input.parent_id, version: input.version })
  }, 'admin.departments.moved'))

  app.post('/admin/departments/:id/head', guard, action('head', (req, id) => {
    const input = parseForm(headSchema, req.body)
    return setDepartmentHead(app.db, actorOf(req), id, { headUserId: input.head_user_id ?? null, version: input.version })
  }, 'app.saved'))

  app.post('/admin/departments/:id/delete', guard, action('delete', (req, id) => deleteDepartment(app.db, actorOf(req), id), 'admin.departments.deleted'))
}

export default routes
