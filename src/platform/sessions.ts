// Sessions in the database (both drivers), keyed by a SHA-256 of the cookie value.
// One query loads the session with its user, role and department, and the result is
// kept in memory until any of them changes (session-cache.ts), so permissions and
// data scope are current: disabling a user or moving him to another department takes
// effect on his next request.
import crypto from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { sql } from 'kysely'
import type { DB } from '../db/index.ts'
import { DEFAULT_LANG, isLang, type Lang } from './i18n.ts'
import { effectivePermissions } from './permissions.ts'
import type { Principal } from './principal.ts'
import { SessionCache } from './session-cache.ts'

export interface SessionState {
  idHash: string
  userId: number | null
  csrf: string
  data: Record<string, unknown>
  createdAt: Date
}

declare module 'fastify' {
  interface FastifyRequest {
    session: SessionState | null
    user: Principal | null
    /** a one-time message (locale key) carried over a redirect */
    flash: string | null
    /** the message this reply hands to the next page (setFlash) */
    newFlash: string | null
    lang: Lang
  }
}

const TOUCH_EVERY_MS = 60_000
export const LANG_COOKIE = 'kehu_lang'
const FLASH_COOKIE = 'kehu_flash'
/** a locale key; anything else in the cookie is ignored (it is shown through t(), escaped) */
const FLASH_KEY = /^[A-Za-z][A-Za-z0-9_.]{0,99}$/

export const hashId = (id: string) => crypto.createHash('sha256').update(id).digest('base64url')
export const randomToken = (bytes = 32) => crypto.randomBytes(bytes).toString('base64url')

export function cookieName(req: FastifyRequest): string {
  return isSecure(req) ? '__Host-kehu_sid' : 'kehu_sid'
}

export function isSecure(req: FastifyRequest): boolean {
  const s = req.server.config.cookieSecure
  return s === 'auto' ? req.protocol === 'https' : s
}

export function cookieOptions(req: FastifyRequest) {
  return { path: '/', httpOnly: true, sameSite: 'lax' as const, secure: isSecure(req) }
}

/** Starts a fresh session (a new id: the old one, if any, is destroyed — rotation at sign-in). */
export async function startSession(req: FastifyRequest, reply: FastifyReply, userId: number | null, data: Record<string, unknown> = {}) {
  const db = req.server.db
  if (req.session) await db.deleteFrom('sessions').where('id_hash', '=', req.session.idHash).execute()
  const id = randomToken()
  const state: SessionState = { idHash: hashId(id), userId, csrf: randomToken(), data, createdAt: new Date() }
  await db.insertInto('sessions').values({
    id_hash: state.idHash, user_id: userId, csrf: state.csrf, data: JSON.stringify(data) as never,
    ip: req.ip, user_agent: (req.headers['user-agent'] ?? '').slice(0, 300)
  }).execute()
  req.session = state
  reply.setCookie(cookieName(req), id, cookieOptions(req))
  return state
}

export async function endSession(req: FastifyRequest, reply: FastifyReply) {
  if (req.session) await req.server.db.deleteFrom('sessions').where('id_hash', '=', req.session.idHash).execute()
  req.session = null
  req.user = null
  // the same attributes as when set: a browser ignores a __Host- cookie without Secure, even one that deletes
  reply.clearCookie(cookieName(req), cookieOptions(req))
}

export async function setSessionData(req: FastifyRequest, data: Record<string, unknown>) {
  if (!req.session) return
  req.session.data = data
  await req.server.db.updateTable('sessions').set({ data: JSON.stringify(data) as never }).where('id_hash', '=', req.session.idHash).execute()
}

/**
 * A message (a locale key) shown once on the next page, after a 303. It travels in a
 * cookie of its own, not in the session row: a save would otherwise write the session
 * once to set it and the next page once more to clear it, two statements on every
 * save for a few bytes the browser can carry. Set on the reply in onSend below.
 */
export function setFlash(req: FastifyRequest, key: string) {
  req.newFlash = key
}

/** Ends every session of a user (disabled, password changed), optionally keeping one. */
export async function endUserSessions(db: DB, userId: number, exceptIdHash?: string) {
  let q = db.deleteFrom('sessions').where('user_id', '=', userId)
  if (exceptIdHash) q = q.where('id_hash', '<>', exceptIdHash)
  await q.execute()
}

const readSession = (db: DB, idHash: string) => db.selectFrom('sessions as s')
  .leftJoin('users as u', 'u.id', 's.user_id')
  .leftJoin('roles as r', 'r.id', 'u.role_id')
  .leftJoin('departments as d', 'd.id', 'u.department_id')
  .select([
    's.id_hash', 's.user_id', 's.csrf', 's.data', 's.created_at', 's.last_seen_at',
    'u.login', 'u.name', 'u.lang', 'u.active', 'u.must_change_password', 'u.totp_enabled', 'u.department_id',
    'u.role_id', 'u.grants', 'u.revokes',
    'r.code as role_code', 'r.name_zh as role_zh', 'r.name_en as role_en', 'r.data_scope', 'r.permissions',
    'd.path as dept_path', 'd.name as dept_name'
  ])
  .where('s.id_hash', '=', idHash)
  .executeTakeFirst()

type SessionRow = NonNullable<Awaited<ReturnType<typeof readSession>>>
/** what the cache holds: the row, and the principal made from it once */
interface Loaded { row: SessionRow; user: Principal | null }

function principalOf(row: SessionRow): Principal | null {
  if (row.user_id === null || !row.login) return null
  return {
    id: row.user_id, login: row.login, name: row.name!, lang: isLang(row.lang) ? row.lang : DEFAULT_LANG,
    departmentId: row.department_id!, departmentName: row.dept_name!, deptPath: row.dept_path!,
    roleId: row.role_id!, roleCode: row.role_code!, roleName: { zh: row.role_zh!, en: row.role_en! },
    scope: row.data_scope!,
    perms: effectivePermissions(row.role_code!, row.permissions ?? [], row.grants ?? [], row.revokes ?? []),
    mustChangePassword: row.must_change_password!, totpEnabled: row.totp_enabled!
  }
}

async function loadSession(req: FastifyRequest, id: string, cache: SessionCache<Loaded>) {
  const { db, config } = req.server
  const idHash = hashId(id)
  let loaded = cache.get(idHash)
  if (!loaded) {
    const generation = cache.generation
    const row = await readSession(db, idHash)
    if (!row) return
    loaded = { row, user: principalOf(row) }
    cache.set(idHash, loaded, generation)
  }
  const { row } = loaded
  const now = Date.now()
  const expired = now - row.created_at.getTime() > config.sessionAbsoluteMs ||
    now - row.last_seen_at.getTime() > config.sessionIdleMs ||
    (row.user_id !== null && !row.active)
  if (expired) {
    await db.deleteFrom('sessions').where('id_hash', '=', row.id_hash).execute()
    return
  }
  if (now - row.last_seen_at.getTime() > TOUCH_EVERY_MS) {
    // A raw statement, so that the cache's own watch on session writes (auth-changes.ts)
    // does not drop every cached session once a minute per person; the cached row
    // stands for the database's: touched there, touched here.
    await sql`update sessions set last_seen_at = now() where id_hash = ${row.id_hash}`.execute(db)
    row.last_seen_at = new Date(now)
  }
  req.session = { idHash: row.id_hash, userId: row.user_id, csrf: row.csrf, data: row.data ?? {}, createdAt: row.created_at }
  req.user = loaded.user
}

export default fp(async (app) => {
  app.decorateRequest('session', null)
  app.decorateRequest('user', null)
  app.decorateRequest('lang', DEFAULT_LANG)
  app.decorateRequest('flash', null)
  app.decorateRequest('newFlash', null)
  const cache = new SessionCache<Loaded>(app.store.authChanges)
  await app.store.watchAuth()
  app.addHook('onClose', async () => cache.close())
  app.addHook('onRequest', async (req) => {
    // static files and the health probe need no session: no database query for them
    if (req.url.startsWith('/public/') || req.url.startsWith('/vendor/') || req.url === '/healthz') return
    const id = req.cookies[cookieName(req)]
    if (id && id.length < 100) await loadSession(req, id, cache)
    const cookieLang = req.cookies[LANG_COOKIE]
    req.lang = req.user?.lang ?? (isLang(cookieLang) ? cookieLang : DEFAULT_LANG)
  })
  // the next page a person opens shows the message once, and the reply clears it
  app.addHook('preHandler', async (req) => {
    if (req.method !== 'GET' || req.url.startsWith('/public/') || req.url.startsWith('/vendor/')) return
    const flash = req.cookies[FLASH_COOKIE]
    if (flash !== undefined) req.flash = FLASH_KEY.test(flash) ? flash : ''
  })
  app.addHook('onSend', async (req, reply) => {
    if (req.newFlash) reply.setCookie(FLASH_COOKIE, req.newFlash, cookieOptions(req))
    else if (req.flash !== null) reply.clearCookie(FLASH_COOKIE, cookieOptions(req))
  })
  // Expired rows are removed by a periodic sweep; FOR UPDATE SKIP LOCKED would be
  // overkill for a plain delete, which is already safe to run from several instances.
  const sweep = setInterval(() => {
    const cutoff = new Date(Date.now() - app.config.sessionIdleMs)
    app.db.deleteFrom('sessions').where('last_seen_at', '<', cutoff).execute().catch((e) => app.log.warn(e, 'session sweep failed'))
  }, 10 * 60_000)
  sweep.unref()
  app.addHook('onClose', async () => clearInterval(sweep))
}, { name: 'sessions' })
