// Roles (角色): a permission set from the catalogue plus a data scope. The five
// built-in roles cannot be deleted; the system administrator's role holds every
// permission by definition (platform/permissions.ts), so its grid and scope are fixed.
import { sql } from 'kysely'
import type { DB } from '../../db/index.ts'
import { audit, type Actor } from '../../platform/audit.ts'
import { notFound } from '../../platform/errors.ts'
import { isPermission } from '../../platform/permissions.ts'
import type { ScopeKind } from '../../platform/principal.ts'
import { Conflict, isUniqueViolation, lastEditor, Refusal } from './shared.ts'

export async function listRoles(db: DB) {
  return db.selectFrom('roles as r')
    .select(['r.id', 'r.code', 'r.name_zh', 'r.name_en', 'r.builtin', 'r.data_scope', 'r.permissions'])
    .select((eb) => eb.selectFrom('users as u').select(eb.fn.countAll<number>().as('n')).whereRef('u.role_id', '=', 'r.id').as('users'))
    .orderBy('r.builtin', 'desc').orderBy('r.id').execute()
}

export async function getRole(db: DB, id: number) {
  return db.selectFrom('roles').selectAll().where('id', '=', id).executeTakeFirst()
}

export interface RoleInput { nameZh: string; nameEn: string; scope: ScopeKind; perms: string[] }

type RoleRow = NonNullable<Awaited<ReturnType<typeof getRole>>>
const auditView = (r: RoleRow) => ({ code: r.code, name_zh: r.name_zh, name_en: r.name_en, data_scope: r.data_scope, permissions: r.permissions })

function cleanPerms(perms: string[]): string[] {
  for (const p of perms) if (!isPermission(p)) throw new Refusal('admin.roles.unknownPermission', { perm: p.slice(0, 80) })
  return [...new Set(perms)].sort()
}

async function refuseDuplicateName(trx: DB, input: RoleInput, exceptId?: number) {
  let q = trx.selectFrom('roles').select(['name_zh', 'name_en'])
    .where((eb) => eb.or([eb(sql`lower(name_zh)`, '=', input.nameZh.toLowerCase()), eb(sql`lower(name_en)`, '=', input.nameEn.toLowerCase())]))
  if (exceptId) q = q.where('id', '<>', exceptId)
  const other = await q.executeTakeFirst()
  if (!other) return
  if (other.name_zh.toLowerCase() === input.nameZh.toLowerCase()) throw new Refusal('admin.roles.nameTaken', { name: input.nameZh }, 'name_zh')
  throw new Refusal('admin.roles.nameTaken', { name: input.nameEn }, 'name_en')
}

export async function createRole(db: DB, actor: Actor, input: RoleInput & { code: string }) {
  const perms = cleanPerms(input.perms)
  try {
    return await db.transaction().execute(async (trx) => {
      if (await trx.selectFrom('roles').select('id').where('code', '=', input.code).executeTakeFirst()) {
        throw new Refusal('admin.roles.codeTaken', { code: input.code }, 'code')
      }
      await refuseDuplicateName(trx, input)
      const row = await trx.insertInto('roles').values({
        code: input.code, name_zh: input.nameZh, name_en: input.nameEn, data_scope: input.scope, permissions: perms, builtin: false
      }).returningAll().executeTakeFirstOrThrow()
      await audit(trx, actor, { action: 'create', entity: 'role', entityId: row.id, summary: `${row.code} ${row.name_zh}`, after: auditView(row) })
      return row
    })
  } catch (e) {
    if (isUniqueViolation(e)) throw new Refusal('admin.roles.codeTaken', { code: input.code }, 'code')
    throw e
  }
}

export async function updateRole(db: DB, actor: Actor, id: number, input: RoleInput & { version: number }) {
  return db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('roles').selectAll().where('id', '=', id).forUpdate().executeTakeFirst()
    if (!before) throw notFound()
    if (before.version !== input.version) {
      throw new Conflict(await lastEditor(trx, 'role', id), {
        name_zh: before.name_zh, name_en: before.name_en, data_scope: before.data_scope, permissions: before.permissions
      }, before.version)
    }
    await refuseDuplicateName(trx, input, id)
    // the administrator's grid and scope are not the form's to change
    const fixed = before.code === 'admin'
    const perms = fixed ? before.permissions : cleanPerms(input.perms)
    const scope = fixed ? before.data_scope : input.scope
    const b = auditView(before)
    if (JSON.stringify(b) === JSON.stringify({ ...b, name_zh: input.nameZh, name_en: input.nameEn, data_scope: scope, permissions: perms })) return before
    const after = await trx.updateTable('roles').set({
      name_zh: input.nameZh, name_en: input.nameEn, data_scope: scope, permissions: perms,
      version: sql`version + 1`, updated_at: sql`now()`
    }).where('id', '=', id).returningAll().executeTakeFirstOrThrow()
    const a = auditView(after)
    await audit(trx, actor, { action: 'update', entity: 'role', entityId: id, summary: `${after.code} ${after.name_zh}`, before: b, after: a })
    return after
  })
}

export async function deleteRole(db: DB, actor: Actor, id: number) {
  return db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('roles').selectAll().where('id', '=', id).forUpdate().executeTakeFirst()
    if (!before) throw notFound()
    if (before.builtin) throw new Refusal('admin.roles.builtinDelete')
    const { n } = await trx.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).where('role_id', '=', id).executeTakeFirstOrThrow()
    if (Number(n)) throw new Refusal('admin.roles.inUse', { n: Number(n) })
    await trx.deleteFrom('roles').where('id', '=', id).execute()
    await audit(trx, actor, { action: 'delete', entity: 'role', entityId: id, summary: `${before.code} ${before.name_zh}`, before: auditView(before), after: null })
  })
}
