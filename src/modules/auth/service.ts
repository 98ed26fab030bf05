// Sign-in, first run and password changes. Every attempt, success or failure, is
// audited; repeated failures lock the account until it times out or an admin unlocks.
import { sql } from 'kysely'
import type { Config } from '../../config.ts'
import type { DB } from '../../db/index.ts'
import { audit, type Actor } from '../../platform/audit.ts'
import { endUserSessions } from '../../platform/sessions.ts'
import { dummyHash, hashPassword, needsRehash, verifyPassword } from './passwords.ts'

export type SignInResult =
  | { ok: true; userId: number; totp: boolean }
  | { ok: false; reason: 'invalid' | 'locked' | 'disabled' }

export async function signIn(db: DB, config: Config, actor: Actor, login: string, password: string): Promise<SignInResult> {
  const name = login.trim().toLowerCase()
  const user = await db.selectFrom('users')
    .select(['id', 'name', 'login', 'password_hash', 'active', 'failed_logins', 'locked_until', 'totp_enabled'])
    .where(sql`lower(login)`, '=', name).executeTakeFirst()
  const fail = async (reason: 'invalid' | 'locked' | 'disabled', detail: Record<string, unknown> = {}) => {
    await audit(db, { ...actor, userId: user?.id ?? null, userName: user?.name ?? null },
      { action: 'signin.failed', entity: 'user', entityId: user?.id, summary: name.slice(0, 60), detail: { reason, ...detail } })
    return { ok: false as const, reason }
  }
  if (!user) {
    await verifyPassword(await dummyHash(config), password)
    return fail('invalid', { unknownLogin: true })
  }
  // Claim the attempt before checking the password: the count rises atomically, so
  // guesses sent in parallel cannot all be checked against one stale count. Once
  // LOCKOUT_THRESHOLD attempts are claimed (or the lock is on), the rest are refused
  // unseen. The lock's clock is the database's, like the check's.
  const claim = await db.updateTable('users')
    .set({ failed_logins: sql`failed_logins + 1` })
    .where('id', '=', user.id)
    .where('failed_logins', '<', config.lockoutThreshold)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', sql<Date>`now()`)]))
    .returning('failed_logins')
    .executeTakeFirst()
  if (!claim) return fail('locked')
  if (!(await verifyPassword(user.password_hash, password))) {
    const failures = claim.failed_logins
    const lock = failures >= config.lockoutThreshold
    if (lock) {
      await db.updateTable('users').set({
        failed_logins: 0, locked_until: sql<Date>`now() + make_interval(secs => ${config.lockoutMs / 1000})`
      }).where('id', '=', user.id).execute()
      await audit(db, { ...actor, userId: user.id, userName: user.name },
        { action: 'user.locked', entity: 'user', entityId: user.id, summary: user.login, detail: { failures } })
    }
    return fail(lock ? 'locked' : 'invalid', { failures })
  }
  if (!user.active) {
    await db.updateTable('users').set({ failed_logins: 0 }).where('id', '=', user.id).execute()
    return fail('disabled')
  }
  const rehash = needsRehash(config, user.password_hash) ? await hashPassword(config, password) : undefined
  await db.updateTable('users').set({
    failed_logins: 0, locked_until: null, last_login_at: new Date(), ...(rehash ? { password_hash: rehash } : {})
  }).where('id', '=', user.id).execute()
  if (!user.totp_enabled) {
    await audit(db, { ...actor, userId: user.id, userName: user.name }, { action: 'signin', entity: 'user', entityId: user.id, summary: user.login })
  }
  return { ok: true, userId: user.id, totp: user.totp_enabled }
}

export async function createFirstAdmin(db: DB, config: Config, actor: Actor, input: { login: string; name: string; password: string }) {
  const hash = await hashPassword(config, input.password)
  return db.transaction().execute(async (trx) => {
    // the primary key makes a second, concurrent first-run fail here
    await trx.insertInto('settings').values({ key: 'setup_done', value: JSON.stringify(new Date().toISOString()) }).execute()
    const role = await trx.selectFrom('roles').select('id').where('code', '=', 'admin').executeTakeFirstOrThrow()
    const user = await trx.insertInto('users').values({
      login: input.login, name: input.name, department_id: 1, role_id: role.id, password_hash: hash, is_default: true
    }).returningAll().executeTakeFirstOrThrow()
    await audit(trx, { ...actor, userId: user.id, userName: user.name },
      { action: 'create', entity: 'user', entityId: user.id, summary: `first run: ${user.login}`, after: { login: user.login, name: user.name, role: 'admin' } })
    return user
  })
}

export async function changePassword(db: DB, config: Config, actor: Actor, userId: number, current: string, next: string, keepSession: string) {
  const user = await db.selectFrom('users').select(['password_hash', 'login']).where('id', '=', userId).executeTakeFirstOrThrow()
  if (!(await verifyPassword(user.password_hash, current))) return false
  const hash = await hashPassword(config, next)
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('users').set({ password_hash: hash, must_change_password: false, password_changed_at: new Date(), version: sql`version + 1` as never })
      .where('id', '=', userId).execute()
    await audit(trx, actor, { action: 'password.change', entity: 'user', entityId: userId, summary: user.login })
    await endUserSessions(trx, userId, keepSession)
  })
  return true
}

export async function setLanguage(db: DB, actor: Actor, userId: number, lang: string) {
  await db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('users').select('lang').where('id', '=', userId).executeTakeFirstOrThrow()
    if (before.lang === lang) return
    await trx.updateTable('users').set({ lang }).where('id', '=', userId).execute()
    await audit(trx, actor, { action: 'update', entity: 'user', entityId: userId, summary: 'language', before, after: { lang } })
  })
}
