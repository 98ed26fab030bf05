// Users (用户): created, edited, disabled and re-enabled here; never deleted, so the
// audit log and every record they own keep a name. Changes that take a user's
// access away (disable, password reset) end his sessions in the same transaction.
import { sql } from 'kysely'
import type { Config } from '../../config.ts'
import type { DB } from '../../db/index.ts'
import { audit, type Actor } from '../../platform/audit.ts'
import { notFound } from '../../platform/errors.ts'
import { isPermission } from '../../platform/permissions.ts'
import { endUserSessions } from '../../platform/sessions.ts'
import { hashPassword } from '../auth/passwords.ts'
import { oncePerToken } from '../../platform/concurrency.ts'
import { Conflict, isUniqueViolation, lastEditor, Refusal } from './shared.ts'

export interface UserFilters { q?: string; departmentId?: number; roleId?: number; active?: boolean; after?: string }

export const USERS_PAGE = 100

/** One page of users in login order; `after` is the last login of the previous page. */
export async function listUsers(db: DB, f: UserFilters) {
  let q = db.selectFrom('users as u')
    .innerJoin('departments as d', 'd.id', 'u.department_id')
    .innerJoin('roles as r', 'r.id', 'u.role_id')
    .select(['u.id', 'u.login', 'u.name', 'u.active', 'u.locked_until', 'u.is_default', 'u.email', 'u.phone_ext',
      'd.name as department', 'r.name_zh as role_zh', 'r.name_en as role_en'])
  if (f.q) {
    const like = `%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
    q = q.where((eb) => eb.or([eb('u.login', 'ilike', like), eb('u.name', 'ilike', like)]))
  }
  if (f.departmentId) {
    // a department filter includes the departments below it, like the tree shows
    q = q.where('d.path', 'like', (eb) => eb.selectFrom('departments').select(sql<string>`path || '%'`.as('p')).where('id', '=', f.departmentId!))
  }
  if (f.roleId) q = q.where('u.role_id', '=', f.roleId)
  if (f.active !== undefined) q = q.where('u.active', '=', f.active)
  if (f.after) q = q.where(sql`lower(u.login)`, '>', f.after.toLowerCase())
  const rows = await q.orderBy(sql`lower(u.login)`).limit(USERS_PAGE + 1).execute()
  return { rows: rows.slice(0, USERS_PAGE), more: rows.length > USERS_PAGE }
}

export async function getUser(db: DB, id: number) {
  return db.selectFrom('users as u')
    .innerJoin('departments as d', 'd.id', 'u.department_id')
    .innerJoin('roles as r', 'r.id', 'u.role_id')
    .select(['u.id', 'u.login', 'u.name', 'u.email', 'u.phone_ext', 'u.department_id', 'u.role_id', 'u.active', 'u.is_default',
      'u.lang', 'u.must_change_password', 'u.failed_logins', 'u.locked_until', 'u.totp_enabled', 'u.grants', 'u.revokes',
      'u.last_login_at', 'u.created_at', 'u.password_changed_at', 'u.version',
      'd.name as department', 'd.path as dept_path', 'r.code as role_code', 'r.name_zh as role_zh', 'r.name_en as role_en',
      'r.permissions as role_permissions', 'r.data_scope'])
    .where('u.id', '=', id).executeTakeFirst()
}

export type UserRow = NonNullable<Awaited<ReturnType<typeof getUser>>>

export interface UserInput {
  login: string; name: string; email: string | null; phoneExt: string | null
  departmentId: number; roleId: number; lang: string
}

// What the audit log keeps of a user: names for department and role, so the log
// reads on its own; never the hash or the second-factor secret.
const auditView = (u: UserRow) => ({
  login: u.login, name: u.name, email: u.email, phone_ext: u.phone_ext, department: u.department, role: u.role_code,
  lang: u.lang, active: u.active, must_change_password: u.must_change_password,
  grants: u.grants, revokes: u.revokes, failed_logins: u.failed_logins, locked_until: u.locked_until
})

async function refuseTakenLogin(trx: DB, login: string, exceptId?: number) {
  let q = trx.selectFrom('users').select('id').where(sql`lower(login)`, '=', login.toLowerCase())
  if (exceptId) q = q.where('id', '<>', exceptId)
  if (await q.executeTakeFirst()) throw new Refusal('admin.users.loginTaken', { login }, 'login')
}

async function refuseUnknownRefs(trx: DB, input: UserInput) {
  if (!(await trx.selectFrom('departments').select('id').where('id', '=', input.departmentId).executeTakeFirst())) {
    throw new Refusal('errors.invalid', undefined, 'department_id')
  }
  if (!(await trx.selectFrom('roles').select('id').where('id', '=', input.roleId).executeTakeFirst())) {
    throw new Refusal('errors.invalid', undefined, 'role_id')
  }
}

// the unique index on lower(login) settles a race between two admins
async function guardLogin<T>(login: string, fn: () => Promise<T>): Promise<T> {
  try { return await fn() } catch (e) {
    if (isUniqueViolation(e)) throw new Refusal('admin.users.loginTaken', { login }, 'login')
    throw e
  }
}

/**
 * Creates a user who must choose his own password at first sign-in; returns his id.
 * The form's one-time token makes a second post of the same form return that id.
 */
export async function createUser(db: DB, config: Config, actor: Actor, input: UserInput & { password: string }, formToken: unknown): Promise<number> {
  const hash = await hashPassword(config, input.password)
  return guardLogin(input.login, async () => {
    const { result } = await oncePerToken(db, formToken, actor.userId!, async (trx) => {
      await refuseTakenLogin(trx, input.login)
      await refuseUnknownRefs(trx, input)
      const row = await trx.insertInto('users').values({
        login: input.login, name: input.name, email: input.email, phone_ext: input.phoneExt,
        department_id: input.departmentId, role_id: input.roleId, lang: input.lang,
        password_hash: hash, must_change_password: true
      }).returning('id').executeTakeFirstOrThrow()
      const after = (await getUser(trx, row.id))!
      await audit(trx, actor, { action: 'create', entity: 'user', entityId: row.id, summary: `${after.login} ${after.name}`, after: auditView(after) })
      return String(row.id)
    })
    return Number(result)
  })
}

async function lockUser(trx: DB, id: number) {
  // row lock first (plain select: FOR UPDATE cannot take the joined tables' rows here)
  const locked = await trx.selectFrom('users').select('id').where('id', '=', id).forUpdate().executeTakeFirst()
  if (!locked) throw notFound()
  return (await getUser(trx, id))!
}

export async function updateUser(db: DB, actor: Actor, id: number, input: UserInput & { version: number }) {
  return guardLogin(input.login, () => db.transaction().execute(async (trx) => {
    const before = await lockUser(trx, id)
    if (before.version !== input.version) {
      throw new Conflict(await lastEditor(trx, 'user', id), {
        login: before.login, name: before.name, email: before.email, phone_ext: before.phone_ext,
        department_id: before.department, role_id: before.role_zh, lang: before.lang
      }, before.version)
    }
    if (input.login.toLowerCase() !== before.login.toLowerCase()) await refuseTakenLogin(trx, input.login, id)
    await refuseUnknownRefs(trx, input)
    if (before.is_default && input.roleId !== before.role_id) throw new Refusal('admin.users.defaultRole', undefined, 'role_id')
    await trx.updateTable('users').set({
      login: input.login, name: input.name, email: input.email, phone_ext: input.phoneExt,
      department_id: input.departmentId, role_id: input.roleId, lang: input.lang,
      version: sql`version + 1`, updated_at: sql`now()`
    }).where('id', '=', id).execute()
    const after = (await getUser(trx, id))!
    await audit(trx, actor, { action: 'update', entity: 'user', entityId: id, summary: `${after.login} ${after.name}`, before: auditView(before), after: auditView(after) })
    return after
  }))
}

/** Disables (ending every session at once) or re-enables a user. */
export async function setUserActive(db: DB, actor: Actor, id: number, active: boolean) {
  return db.transaction().execute(async (trx) => {
    const before = await lockUser(trx, id)
    if (before.active === active) return before
    if (!active && before.is_default) throw new Refusal('admin.users.defaultDisable')
    if (!active && id === actor.userId) throw new Refusal('admin.users.selfDisable')
    await trx.updateTable('users').set({ active, version: sql`version + 1`, updated_at: sql`now()` }).where('id', '=', id).execute()
    if (!active) await endUserSessions(trx, id)
    const after = (await getUser(trx, id))!
    await audit(trx, actor, { action: active ? 'enable' : 'disable', entity: 'user', entityId: id, summary: `${after.login} ${after.name}`, before: { active: before.active }, after: { active } })
    return after
  })
}

/** An administrator sets a new password: the user must change it at next sign-in. */
export async function resetPassword(db: DB, config: Config, actor: Actor, id: number, password: string) {
  if (id === actor.userId) throw new Refusal('admin.users.selfReset', undefined, 'password')
  const hash = await hashPassword(config, password)
  return db.transaction().execute(async (trx) => {
    const before = await lockUser(trx, id)
    await trx.updateTable('users').set({
      password_hash: hash, must_change_password: true, password_changed_at: new Date(), version: sql`version + 1`, updated_at: sql`now()`
    }).where('id', '=', id).execute()
    await endUserSessions(trx, id)
    await audit(trx, actor, {
      action: 'password.reset', entity: 'user', entityId: id, summary: `${before.login} ${before.name}`,
      before: { must_change_password: before.must_change_password }, after: { must_change_password: true }
    })
  })
}

/** Lifts a lockout after repeated failed sign-ins. */
export async function unlockUser(db: DB, actor: Actor, id: number) {
  return db.transaction().execute(async (trx) => {
    const before = await lockUser(trx, id)
    if (!before.locked_until && before.failed_logins === 0) return
    await trx.updateTable('users').set({ locked_until: null, failed_logins: 0 }).where('id', '=', id).execute()
    await audit(trx, actor, {
      action: 'unlock', entity: 'user', entityId: id, summary: `${before.login} ${before.name}`,
      before: { locked_until: before.locked_until, failed_logins: before.failed_logins }, after: { locked_until: null, failed_logins: 0 }
    })
  })
}

/**
 * Per-user adjustments on top of the role: the form sends the permissions the user
 * should end up with; what the role lacks becomes a grant, what it has but the form
 * leaves out becomes a revoke. An administrator's role holds everything by
 * definition and is not adjusted per user.
 */
export async function setUserPermissions(db: DB, actor: Actor, id: number, input: { perms: string[]; version: number }) {
  return db.transaction().execute(async (trx) => {
    const before = await lockUser(trx, id)
    if (before.version !== input.version) throw new Conflict(await lastEditor(trx, 'user', id), { grants: before.grants, revokes: before.revokes }, before.version)
    if (before.role_code === 'admin') throw new Refusal('admin.users.adminAll')
    const wanted = new Set(input.perms)
    for (const p of wanted) if (!isPermission(p)) throw new Refusal('errors.invalid')
    const role = new Set(before.role_permissions)
    const grants = [...wanted].filter((p) => !role.has(p)).sort()
    const revokes = [...role].filter((p) => !wanted.has(p) && isPermission(p)).sort()
    if (grants.join() === [...before.grants].sort().join() && revokes.join() === [...before.revokes].sort().join()) return
    await trx.updateTable('users').set({ grants, revokes, version: sql`version + 1`, updated_at: sql`now()` }).where('id', '=', id).execute()
    await audit(trx, actor, {
      action: 'update', entity: 'user', entityId: id, summary: `${before.login}: permissions`,
      before: { grants: before.grants, revokes: before.revokes }, after: { grants, revokes }
    })
  })
}
