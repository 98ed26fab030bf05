// TOTP pages: the code step of sign-in (/login/totp), enrolment and switching off
// (/account/totp), and the hook that sends administrators without TOTP to enrol
// when the setting requires it.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { z } from 'zod'
import { actorOf } from '../../platform/audit.ts'
import { redirect } from '../../platform/guard.ts'
import { translator } from '../../platform/i18n.ts'
import { endSession, setFlash, setSessionData, startSession } from '../../platform/sessions.ts'
import { PASSWORD_MAX } from './passwords.ts'
import { safeNext } from './routes.ts'
import {
  disableTotp, enableTotp, MAX_TRIES, newSecret, normaliseCode, openSecret, otpauthUri, PENDING_MAX_MS, qrDataUri,
  sealSecret, totpRequiredForAdmins, verifySignInCode
} from './totp.ts'

interface Pending { userId: number; next: string; tries: number }

/** The half-signed-in state the password step left, if it is still valid. */
function pendingOf(req: FastifyRequest): Pending | null {
  const s = req.session
  if (!s || s.userId !== null) return null
  const { pendingUserId, pendingAt, next, totpTries } = s.data as Record<string, unknown>
  if (typeof pendingUserId !== 'number' || typeof pendingAt !== 'number') return null
  if (Date.now() - pendingAt > PENDING_MAX_MS || pendingAt > Date.now() + 60_000) return null
  return { userId: pendingUserId, next: safeNext(next), tries: typeof totpTries === 'number' ? totpTries : 0 }
}

/** Paths an administrator who must enrol can still reach. */
const ENROL_PATHS = /^\/(account\/totp(\/(enable|disable))?|logout|lang)$/

const disableSchema = z.object({ password: z.string().min(1).max(PASSWORD_MAX) })

const routes: FastifyPluginAsync = async (app) => {
  const config = app.config

  // ---- sign-in, second step (no signed-in user yet: public, checked here) ----

  const codePage = (reply: FastifyReply, data: Record<string, unknown> = {}, status = 200) =>
    reply.header('Cache-Control', 'no-store').page('/auth/totp-login', data, { status })

  const backToLogin = async (req: FastifyRequest, reply: FastifyReply) => {
    // only a half-signed-in session is ended here, never a real one
    if (req.session && req.session.userId === null) await endSession(req, reply)
    return redirect(req, reply, '/login')
  }

  app.get('/login/totp', { config: { public: true } }, async (req, reply) => {
    if (req.user) return redirect(req, reply, '/')
    if (!pendingOf(req)) return backToLogin(req, reply)
    return codePage(reply)
  })

  app.post('/login/totp', {
    config: { public: true, rateLimit: { max: config.loginRatePerMinute, timeWindow: 60_000 } }
  }, async (req, reply) => {
    if (req.user) return redirect(req, reply, '/')
    const pending = pendingOf(req)
    if (!pending) return backToLogin(req, reply)
    const code = normaliseCode((req.body as { code?: unknown } | undefined)?.code)
    if (!code) return codePage(reply, { message: 'totp.codeFormat' }, 422)
    const result = await verifySignInCode(app.db, config, app.secret, actorOf(req), pending.userId, code)
    if (result.ok) {
      await startSession(req, reply, pending.userId)
      return redirect(req, reply, pending.next)
    }
    if (result.reason === 'unavailable') return backToLogin(req, reply)
    if (result.reason === 'locked') {
      await endSession(req, reply)
      return reply.header('Cache-Control', 'no-store').page('/auth/login', { values: {}, next: '/', message: 'auth.locked' }, { status: 401 })
    }
    const tries = pending.tries + 1
    if (tries >= MAX_TRIES) return backToLogin(req, reply)
    await setSessionData(req, { ...req.session!.data, totpTries: tries })
    return codePage(reply, { message: 'totp.wrongCode', left: MAX_TRIES - tries }, 401)
  })

  // ---- own account: enrol, confirm, switch off ----

  /** The secret being enrolled lives in the session (sealed) until a code confirms it. */
  const enrolSecret = async (req: FastifyRequest): Promise<string> => {
    const user = req.user!
    const kept = openSecret(app.secret, user.id, req.session!.data.totpEnrol as string | undefined)
    if (kept) return kept
    const fresh = newSecret()
    await setSessionData(req, { ...req.session!.data, totpEnrol: sealSecret(app.secret, user.id, fresh) })
    return fresh
  }

  const setupPage = async (req: FastifyRequest, reply: FastifyReply, data: Record<string, unknown> = {}, status = 200) => {
    const user = req.user!
    const required = user.roleCode === 'admin' && await totpRequiredForAdmins(app.db)
    if (user.totpEnabled) return reply.page('/auth/totp-setup', { enabled: true, required, errors: {}, ...data }, { status })
    const secret = await enrolSecret(req)
    const qr = await qrDataUri(otpauthUri(translator(req.lang)('app.name'), user.login, secret))
    // groups of four are easier to type into an app by hand
    const grouped = secret.replace(/(.{4})/g, '$1 ').trim()
    return reply.page('/auth/totp-setup', { enabled: false, required, qr, secret: grouped, errors: {}, ...data }, { status })
  }

  app.get('/account/totp', async (req, reply) => setupPage(req, reply))

  app.post('/account/totp/enable', async (req, reply) => {
    const user = req.user!
    if (user.totpEnabled) return redirect(req, reply, '/account/totp')
    const code = normaliseCode((req.body as { code?: unknown } | undefined)?.code)
    const secret = openSecret(app.secret, user.id, req.session!.data.totpEnrol as string | undefined)
    if (!secret) return redirect(req, reply, '/account/totp') // the page expired with its session
    if (!code || !(await enableTotp(app.db, app.secret, actorOf(req), user.id, secret, code, req.session!.idHash))) {
      return setupPage(req, reply, { errors: { code: { key: code ? 'totp.wrongCode' : 'totp.codeFormat' } } }, 422)
    }
    // a fresh session id after a change of credentials, as for a new password
    const { totpEnrol: _done, ...rest } = req.session!.data
    await startSession(req, reply, user.id, rest)
    setFlash(req, 'totp.enabledNow')
    return redirect(req, reply, '/account/totp')
  })

  app.post('/account/totp/disable', {
    config: { rateLimit: { max: config.loginRatePerMinute, timeWindow: 60_000 } }
  }, async (req, reply) => {
    const user = req.user!
    if (!user.totpEnabled) return redirect(req, reply, '/account/totp')
    const parsed = disableSchema.safeParse(req.body ?? {})
    if (!parsed.success) return setupPage(req, reply, { errors: { password: { key: 'errors.required' } } }, 422)
    if (!(await disableTotp(app.db, actorOf(req), user.id, parsed.data.password))) {
      return setupPage(req, reply, { errors: { password: { key: 'errors.passwordWrong' } } }, 422)
    }
    await startSession(req, reply, user.id)
    setFlash(req, 'totp.disabledNow')
    return redirect(req, reply, '/account/totp')
  })

  // Administrators without TOTP, when the setting requires it, are sent to enrol.
  // This plugin is wrapped in fastify-plugin so the hook reaches every route of the
  // app. It runs after the guard (preValidation): the user is known and, if a
  // password change is forced, that comes first.
  app.addHook('preHandler', async (req, reply) => {
    const user = req.user
    if (!user || user.totpEnabled || user.roleCode !== 'admin' || user.mustChangePassword) return
    if (req.routeOptions.config?.public || !req.routeOptions.url) return
    if (ENROL_PATHS.test(req.url.split('?')[0])) return
    if (!(await totpRequiredForAdmins(app.db))) return
    return redirect(req, reply, '/account/totp')
  })
}

export default fp(routes, { name: 'totp' })
