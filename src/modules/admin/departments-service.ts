// Departments (部门): a tree of any depth. `path` ('/1/4/9/') is the chain of ids from
// the root; data scope finds a whole subtree by prefix, so every create and move
// keeps the paths of the department and everything below it right, in one transaction.
import { sql } from 'kysely'
import type { DB } from '../../db/index.ts'
import { audit, type Actor } from '../../platform/audit.ts'
import { notFound } from '../../platform/errors.ts'
import { Conflict, isForeignKeyViolation, isUniqueViolation, lastEditor, Refusal } from './shared.ts'

export interface DepartmentRow {
  id: number
  parent_id: number | null
  name: string
  path: string
  head_user_id: number | null
  head_name: string | null
  version: number
  users: number
  active_users: number
}

export interface DepartmentNode extends DepartmentRow { depth: number; children: DepartmentNode[] }

export async function listDepartments(db: DB): Promise<DepartmentRow[]> {
  return db.selectFrom('departments as d')
    .leftJoin('users as h', 'h.id', 'd.head_user_id')
    .select(['d.id', 'd.parent_id', 'd.name', 'd.path', 'd.head_user_id', 'h.name as head_name', 'd.version'])
    .select((eb) => [
      eb.selectFrom('users as u').select(eb.fn.countAll<number>().as('n')).whereRef('u.department_id', '=', 'd.id').as('users'),
      eb.selectFrom('users as u').select(eb.fn.countAll<number>().as('n')).whereRef('u.department_id', '=', 'd.id').where('u.active', '=', true).as('active_users')
    ])
    .orderBy('d.sort').orderBy('d.name')
    .execute() as Promise<DepartmentRow[]>
}

/** The rows as a tree (roots first), and a flat list in tree order for selects. */
export function buildTree(rows: DepartmentRow[]): { roots: DepartmentNode[]; flat: DepartmentNode[] } {
  const nodes = new Map(rows.map((r) => [r.id, { ...r, users: Number(r.users), active_users: Number(r.active_users), depth: 0, children: [] as DepartmentNode[] }]))
  const roots: DepartmentNode[] = []
  for (const n of nodes.values()) {
    const parent = n.parent_id === null ? undefined : nodes.get(n.parent_id)
    if (parent) parent.children.push(n)
    else roots.push(n)
  }
  const flat: DepartmentNode[] = []
  const walk = (list: DepartmentNode[], depth: number) => {
    for (const n of list) { n.depth = depth; flat.push(n); walk(n.children, depth + 1) }
  }
  walk(roots, 0)
  return { roots, flat }
}

export async function getDepartment(db: DB, id: number) {
  return db.selectFrom('departments').selectAll().where('id', '=', id).executeTakeFirst()
}

const auditView = (d: { name: string; parent_id: number | null; path: string; head_user_id: number | null }) =>
  ({ name: d.name, parent_id: d.parent_id, path: d.path, head_user_id: d.head_user_id })

async function lockForEdit(trx: DB, id: number, version: number) {
  const row = await trx.selectFrom('departments').selectAll().where('id', '=', id).forUpdate().executeTakeFirst()
  if (!row) throw notFound()
  if (row.version !== version) throw new Conflict(await lastEditor(trx, 'department', id), { name: row.name }, row.version)
  return row
}

async function refuseDuplicateName(trx: DB, parentId: number | null, name: string, exceptId: number | null, field: string) {
  let q = trx.selectFrom('departments').select('id').where('name', '=', name)
  q = parentId === null ? q.where('parent_id', 'is', null) : q.where('parent_id', '=', parentId)
  if (exceptId !== null) q = q.where('id', '<>', exceptId)
  if (await q.executeTakeFirst()) throw new Refusal('admin.departments.duplicateName', { name }, field)
}

// The unique index on (parent, name) is the last word when two admins race.
async function guardUnique<T>(name: string, field: string, fn: () => Promise<T>): Promise<T> {
  try { return await fn() } catch (e) {
    if (isUniqueViolation(e)) throw new Refusal('admin.departments.duplicateName', { name }, field)
    throw e
  }
}

export async function createDepartment(db: DB, actor: Actor, input: { name: string; parentId: number }) {
  return guardUnique(input.name, 'name', () => db.transaction().execute(async (trx) => {
    const parent = await trx.selectFrom('departments').select(['id', 'path']).where('id', '=', input.parentId).executeTakeFirst()
    if (!parent) throw new Refusal('admin.departments.noParent', undefined, 'parent_id')
    await refuseDuplicateName(trx, parent.id, input.name, null, 'name')
    const row = await trx.insertInto('departments').values({ name: input.name, parent_id: parent.id }).returning('id').executeTakeFirstOrThrow()
    const created = await trx.updateTable('departments').set({ path: `${parent.path}${row.id}/` })
      .where('id', '=', row.id).returningAll().executeTakeFirstOrThrow()
    await audit(trx, actor, { action: 'create', entity: 'department', entityId: row.id, summary: input.name, after: auditView(created) })
    return created
  }))
}

export async function renameDepartment(db: DB, actor: Actor, id: number, input: { name: string; version: number }) {
  return guardUnique(input.name, 'name', () => db.transaction().execute(async (trx) => {
    const before = await lockForEdit(trx, id, input.version)
    if (before.name === input.name) return before
    await refuseDuplicateName(trx, before.parent_id, input.name, id, 'name')
    const after = await trx.updateTable('departments').set({ name: input.name, version: sql`version + 1`, updated_at: sql`now()` })
      .where('id', '=', id).returningAll().executeTakeFirstOrThrow()
    await audit(trx, actor, { action: 'update', entity: 'department', entityId: id, summary: `${before.name} → ${after.name}`, before: auditView(before), after: auditView(after) })
    return after
  }))
}

/** Moves a department (and its subtree) under another parent; refuses a cycle. */
export async function moveDepartment(db: DB, actor: Actor, id: number, input: { parentId: number; version: number }) {
  return db.transaction().execute(async (trx) => {
    const before = await lockForEdit(trx, id, input.version)
    if (before.parent_id === null) throw new Refusal('admin.departments.moveRoot')
    if (before.parent_id === input.parentId) return before
    const parent = await trx.selectFrom('departments').select(['id', 'path', 'name']).where('id', '=', input.parentId).executeTakeFirst()
    if (!parent) throw new Refusal('admin.departments.noParent', undefined, 'parent_id')
    // the new parent's path starts with ours when it is this department or below it
    if (parent.path.startsWith(before.path)) {
      throw new Refusal(parent.id === id ? 'admin.departments.moveUnderSelf' : 'admin.departments.moveUnderChild', { name: parent.name }, 'parent_id')
    }
    await refuseDuplicateName(trx, parent.id, before.name, id, 'parent_id')
    const newPath = `${parent.path}${id}/`
    // one statement rewrites the prefix of the whole subtree (this department included)
    const moved = await trx.updateTable('departments')
      .set({ path: sql`${newPath} || substr(path, ${before.path.length + 1})` })
      .where('path', 'like', `${before.path}%`).executeTakeFirst()
    const after = await trx.updateTable('departments').set({ parent_id: parent.id, version: sql`version + 1`, updated_at: sql`now()` })
      .where('id', '=', id).returningAll().executeTakeFirstOrThrow()
    const below = Number(moved.numUpdatedRows) - 1
    await audit(trx, actor, {
      action: 'move', entity: 'department', entityId: id,
      summary: `${before.name} → ${parent.name}${below ? ` (+${below})` : ''}`, before: auditView(before), after: auditView(after)
    })
    return after
  })
}

export async function setDepartmentHead(db: DB, actor: Actor, id: number, input: { headUserId: number | null; version: number }) {
  return db.transaction().execute(async (trx) => {
    const before = await lockForEdit(trx, id, input.version)
    if (before.head_user_id === input.headUserId) return before
    if (input.headUserId !== null) {
      const head = await trx.selectFrom('users').select('id').where('id', '=', input.headUserId).where('active', '=', true).executeTakeFirst()
      if (!head) throw new Refusal('admin.departments.noHead', undefined, 'head_user_id')
    }
    const after = await trx.updateTable('departments').set({ head_user_id: input.headUserId, version: sql`version + 1`, updated_at: sql`now()` })
      .where('id', '=', id).returningAll().executeTakeFirstOrThrow()
    await audit(trx, actor, { action: 'update', entity: 'department', entityId: id, summary: `${before.name}: head`, before: auditView(before), after: auditView(after) })
    return after
  })
}

/** Deletes an empty department; says how many users and sub-departments stop it otherwise. */
export async function deleteDepartment(db: DB, actor: Actor, id: number) {
  try {
    return await db.transaction().execute(async (trx) => {
      const before = await trx.selectFrom('departments').selectAll().where('id', '=', id).forUpdate().executeTakeFirst()
      if (!before) throw notFound()
      if (before.parent_id === null) throw new Refusal('admin.departments.deleteRoot')
      const count = async (q: Promise<{ n: number | string }>) => Number((await q).n)
      const users = await count(trx.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).where('department_id', '=', id).executeTakeFirstOrThrow())
      const children = await count(trx.selectFrom('departments').select((eb) => eb.fn.countAll<number>().as('n')).where('parent_id', '=', id).executeTakeFirstOrThrow())
      if (users && children) throw new Refusal('admin.departments.deleteHasBoth', { users, children })
      if (users) throw new Refusal('admin.departments.deleteHasUsers', { users })
      if (children) throw new Refusal('admin.departments.deleteHasChildren', { children })
      await trx.deleteFrom('departments').where('id', '=', id).execute()
      await audit(trx, actor, { action: 'delete', entity: 'department', entityId: id, summary: before.name, before: auditView(before), after: null })
      return before
    })
  } catch (e) {
    // another module's records still point at it
    if (isForeignKeyViolation(e)) throw new Refusal('admin.departments.inUse')
    throw e
  }
}
