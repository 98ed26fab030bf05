// TOTP second factor (RFC 6238: 6 digits, 30-second steps, SHA-1, which is what
// every authenticator app speaks). Enrol, confirm, disable, admin reset, and the
// second step of sign-in with its limits: a code is accepted one step either side
// of now, each step only once per user (replay), and wrong codes count towards the
// account lockout like wrong passwords do.
//
// Storage: the base32 secret is sealed with AES-256-GCM under a key derived from the
// server secret (settings 'secret'), bound to the user id. The server secret lives in
// the same database, so this does not resist a full dump; it keeps the TOTP secret out
// of anything that copies the users table or one column of it (an export, a report,
// a replica of some tables, a leaked query result) and stops a secret being copied
// from one user's row to another's.
import crypto from 'node:crypto'
import { Secret, TOTP } from 'otpauth'
import { sql } from 'kysely'
import type { Config } from '../../config.ts'
import type { DB } from '../../db/index.ts'
import { audit, type Actor } from '../../platform/audit.ts'
import { endUserSessions } from '../../platform/sessions.ts'
import { verifyPassword } from './passwords.ts'

export const PERIOD = 30
/** a sign-in that proved the password may wait this long for its code */
export const PENDING_MAX_MS = 5 * 60_000
/** wrong codes in a row before the half-signed-in session is ended */
export const MAX_TRIES = 5
const SETTING = 'totp_required_for_admins'
const CACHE_MS = 5_000

// ---- secrets ----------------------------------------------------------------

export function newSecret(): string { return new Secret({ size: 20 }).base32 }

function keyFor(serverSecret: Buffer): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', serverSecret, Buffer.alloc(0), 'kehu:totp-secret:v1', 32))
}

/** 'v1.<iv>.<ciphertext+tag>', base64url; `owner` (a user id) is authenticated with it */
export function sealSecret(serverSecret: Buffer, owner: number, base32: string): string {
  const iv = crypto.randomBytes(12)
  const c = crypto.createCipheriv('aes-256-gcm', keyFor(serverSecret), iv)
  c.setAAD(Buffer.from(`user:${owner}`))
  const body = Buffer.concat([c.update(base32, 'utf8'), c.final(), c.getAuthTag()])
  return `v1.${iv.toString('base64url')}.${body.toString('base64url')}`
}

/** the base32 secret, or null when the value was not sealed for this owner with this key */
export function openSecret(serverSecret: Buffer, owner: number, sealed: string | null | undefined): string | null {
  const m = /^v1\.([\w-]+)\.([\w-]+)$/.exec(sealed ?? '')
  if (!m) return null
  try {
    const body = Buffer.from(m[2], 'base64url')
    const d = crypto.createDecipheriv('aes-256-gcm', keyFor(serverSecret), Buffer.from(m[1], 'base64url'))
    d.setAAD(Buffer.from(`user:${owner}`))
    d.setAuthTag(body.subarray(body.length - 16))
    return Buffer.concat([d.update(body.subarray(0, body.length - 16)), d.final()]).toString('utf8')
  } catch {
    return null
  }
}

/** The step (30-second counter) the code belongs to, within one step of now; null if none. */
export function matchStep(base32: string, code: string, now = Date.now()): number | null {
  const delta = TOTP.validate({ token: code, secret: Secret.fromBase32(base32), period: PERIOD, timestamp: now, window: 1 })
  return delta === null ? null : TOTP.counter({ period: PERIOD, timestamp: now }) + delta
}

/** A code as typed: spaces and dashes (as some apps show "123 456") removed. */
export function normaliseCode(v: unknown): string | null {
  if (typeof v !== 'string') return null
  const s = v.replace(/[\s-]/g, '')
  return /^\d{6}$/.test(s) ? s : null
}

// ---- enrolment --------------------------------------------------------------

/** The otpauth:// link an authenticator app reads from the QR code. */
export function otpauthUri(issuer: string, login: string, base32: string): string {
  return new TOTP({ issuer, label: login, secret: Secret.fromBase32(base32), period: PERIOD }).toString()
}

/** The QR code as an SVG data URI, drawn here: nothing is fetched from the internet. */
export async function qrDataUri(text: string): Promise<string> {
  // loaded here, not at start-up: only the enrolment page draws a code
  const { default: QRCode } = await import('qrcode')
  const svg = await QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 })
  return `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`
}

/** Turns TOTP on once the user proved his app shows the right code. */
export async function enableTotp(db: DB, serverSecret: Buffer, actor: Actor, userId: number, base32: string, code: string, keepSession?: string): Promise<boolean> {
  if (matchStep(base32, code) === null) return false
  const sealed = sealSecret(serverSecret, userId, base32)
  return db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('users').select(['login', 'totp_enabled']).where('id', '=', userId).forUpdate().executeTakeFirst()
    if (!before) return false
    await trx.updateTable('users').set({ totp_secret: sealed, totp_enabled: true, version: sql`version + 1` as never, updated_at: new Date() })
      .where('id', '=', userId).execute()
    // totp_secret is masked by the audit writer; only the switch itself is shown
    await audit(trx, actor, { action: 'totp.enable', entity: 'user', entityId: userId, summary: before.login,
      before: { totp_enabled: before.totp_enabled }, after: { totp_enabled: true } })
    // sessions signed in with the password alone end; the current one stays
    await endUserSessions(trx, userId, keepSession)
    return true
  })
}

/** The user turns TOTP off himself: his current password is required. */
export async function disableTotp(db: DB, actor: Actor, userId: number, password: string): Promise<boolean> {
  const user = await db.selectFrom('users').select(['password_hash']).where('id', '=', userId).executeTakeFirst()
  if (!user || !(await verifyPassword(user.password_hash, password))) return false
  await db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('users').select(['login', 'totp_enabled']).where('id', '=', userId).forUpdate().executeTakeFirstOrThrow()
    await trx.updateTable('users').set({ totp_secret: null, totp_enabled: false, version: sql`version + 1` as never, updated_at: new Date() })
      .where('id', '=', userId).execute()
    await audit(trx, actor, { action: 'totp.disable', entity: 'user', entityId: userId, summary: before.login,
      before: { totp_enabled: before.totp_enabled }, after: { totp_enabled: false } })
  })
  return true
}

/**
 * An administrator clears a user's TOTP (lost phone). The caller checks the
 * permission (users admin). The user's sessions end; at his next sign-in the
 * password alone is asked, and he can enrol again (or must, if he is an
 * administrator and the setting requires it). Returns false for an unknown user.
 */
export async function resetTotp(db: DB, actor: Actor, userId: number): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('users').select(['login', 'name', 'totp_enabled']).where('id', '=', userId).forUpdate().executeTakeFirst()
    if (!before) return false
    await trx.updateTable('users').set({ totp_secret: null, totp_enabled: false, version: sql`version + 1` as never, updated_at: new Date() })
      .where('id', '=', userId).execute()
    await audit(trx, actor, { action: 'totp.reset', entity: 'user', entityId: userId, summary: `${before.login} ${before.name}`,
      before: { totp_enabled: before.totp_enabled }, after: { totp_enabled: false } })
    await endUserSessions(trx, userId)
    return true
  })
}

// ---- second step of sign-in -------------------------------------------------

export type CodeResult =
  | { ok: true; login: string }
  | { ok: false; reason: 'code' | 'locked' | 'unavailable' }

/**
 * Checks a sign-in code for a user whose password was just proven. The user row is
 * locked for the check, so two requests with the same code cannot both pass. The
 * last accepted step is read from the audit log (each TOTP sign-in records it), so
 * a code seen over someone's shoulder cannot be used again within its 90 seconds.
 */
export async function verifySignInCode(db: DB, config: Config, serverSecret: Buffer, actor: Actor, userId: number, code: string): Promise<CodeResult> {
  return db.transaction().execute(async (trx) => {
    const user = await trx.selectFrom('users').select(['id', 'login', 'name', 'active', 'totp_enabled', 'totp_secret', 'locked_until'])
      .where('id', '=', userId).forUpdate().executeTakeFirst()
    if (!user || !user.active || !user.totp_enabled) return { ok: false as const, reason: 'unavailable' as const }
    const who = { ...actor, userId: user.id, userName: user.name }
    if (user.locked_until && user.locked_until.getTime() > Date.now()) {
      await audit(trx, who, { action: 'signin.failed', entity: 'user', entityId: user.id, summary: user.login, detail: { reason: 'locked', totp: true } })
      return { ok: false as const, reason: 'locked' as const }
    }
    const secret = openSecret(serverSecret, user.id, user.totp_secret)
    const step = secret ? matchStep(secret, code) : null
    const last = await lastUsedStep(trx, user.id)
    if (step === null || step <= last) {
      await audit(trx, who, { action: 'signin.failed', entity: 'user', entityId: user.id, summary: user.login,
        detail: { reason: 'totp', ...(step !== null ? { replay: true } : {}), ...(secret ? {} : { unreadableSecret: true }) } })
      const failures = await recentCodeFailures(trx, config, user.id)
      if (failures >= config.lockoutThreshold) {
        await trx.updateTable('users').set({ locked_until: new Date(Date.now() + config.lockoutMs), failed_logins: 0 }).where('id', '=', user.id).execute()
        await audit(trx, who, { action: 'user.locked', entity: 'user', entityId: user.id, summary: user.login, detail: { failures, totp: true } })
        return { ok: false as const, reason: 'locked' as const }
      }
      return { ok: false as const, reason: 'code' as const }
    }
    await audit(trx, who, { action: 'signin', entity: 'user', entityId: user.id, summary: user.login, detail: { totp: true, step } })
    return { ok: true as const, login: user.login }
  })
}

async function lastUsedStep(db: DB, userId: number): Promise<number> {
  const row = await db.selectFrom('audit_log').select(sql<string>`changes->>'step'`.as('step'))
    .where('entity', '=', 'user').where('entity_id', '=', String(userId)).where('action', '=', 'signin')
    .where(sql<boolean>`changes->>'step' is not null`)
    .orderBy('id', 'desc').limit(1).executeTakeFirst()
  return row ? Number(row.step) : -1
}

// Wrong codes since the last success, lock or unlock, within the lockout window. A
// correct password resets users.failed_logins, so the count for codes is kept here.
async function recentCodeFailures(db: DB, config: Config, userId: number): Promise<number> {
  const id = String(userId)
  const row = await db.selectFrom('audit_log').select((eb) => eb.fn.countAll<number>().as('n'))
    .where('entity', '=', 'user').where('entity_id', '=', id).where('action', '=', 'signin.failed')
    .where(sql<boolean>`changes->>'reason' = 'totp'`)
    .where('at', '>', new Date(Date.now() - config.lockoutMs))
    .where('id', '>', (eb) => eb.selectFrom('audit_log').select(sql<number>`coalesce(max(id), 0)`.as('m'))
      .where('entity', '=', 'user').where('entity_id', '=', id).where('action', 'in', ['signin', 'user.locked', 'unlock']))
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

// ---- the setting that makes TOTP mandatory for administrators -----------------

const cache = new WeakMap<DB, { value: boolean; at: number }>()

/** settings 'totp_required_for_admins', read at most every few seconds per database */
export async function totpRequiredForAdmins(db: DB): Promise<boolean> {
  const hit = cache.get(db)
  if (hit && Date.now() - hit.at < CACHE_MS) return hit.value
  const row = await db.selectFrom('settings').select('value').where('key', '=', SETTING).executeTakeFirst()
  const value = row?.value === true || row?.value === 'true'
  cache.set(db, { value, at: Date.now() })
  return value
}

/** For the settings page: turn the requirement on or off (audited; takes effect at once here). */
export async function setTotpRequiredForAdmins(db: DB, actor: Actor, required: boolean): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('settings').select('value').where('key', '=', SETTING).forUpdate().executeTakeFirst()
    const before = row?.value === true || row?.value === 'true'
    await trx.insertInto('settings').values({ key: SETTING, value: JSON.stringify(required) })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify(required), updated_at: new Date() })).execute()
    await audit(trx, actor, { action: 'update', entity: 'setting', entityId: SETTING, summary: SETTING,
      before: { [SETTING]: before }, after: { [SETTING]: required } })
  })
  cache.delete(db)
}
