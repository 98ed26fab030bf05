// Sign-in, sign-out, first run, own password and language.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { actorOf } from '../../platform/audit.ts'
import { FormError, formValues, parseForm, requiredText, type FieldErrors } from '../../platform/forms.ts'
import { redirect } from '../../platform/guard.ts'
import { isLang } from '../../platform/i18n.ts'
import { HttpError } from '../../platform/errors.ts'
import { cookieOptions, endSession, LANG_COOKIE, setFlash, startSession } from '../../platform/sessions.ts'
import { passwordProblem, PASSWORD_MAX } from './passwords.ts'
import { changePassword, createFirstAdmin, setLanguage, signIn } from './service.ts'

/** only same-site paths, so `next` cannot send the user to another host */
export function safeNext(v: unknown): string {
  return typeof v === 'string' && /^\/(?![/\\])[\x21-\x7e]*$/.test(v) && !v.startsWith('/login') ? v : '/'
}

const signInSchema = z.object({ login: requiredText(60), password: z.string().min(1).max(PASSWORD_MAX), next: z.string().max(500).optional() })
const setupSchema = z.object({
  login: requiredText(60).pipe(z.string().regex(/^[A-Za-z0-9._-]+$/, 'errors.loginChars')),
  name: requiredText(60),
  password: z.string().min(1).max(PASSWORD_MAX),
  password2: z.string().max(PASSWORD_MAX)
})
const passwordSchema = z.object({ current: z.string().min(1).max(PASSWORD_MAX), password: z.string().min(1).max(PASSWORD_MAX), password2: z.string().max(PASSWORD_MAX) })

const routes: FastifyPluginAsync = async (app) => {
  const config = app.config

  const loginPage = (req: FastifyRequest, reply: FastifyReply, data: Record<string, unknown> = {}, status = 200) =>
    reply.header('Cache-Control', 'no-store').page('/auth/login', { values: {}, next: safeNext((req.query as { next?: string }).next), ...data }, { status })

  app.get('/login', { config: { public: true } }, async (req, reply) => {
    if (!app.setupDone()) return redirect(req, reply, '/setup')
    if (req.user) return redirect(req, reply, '/')
    return loginPage(req, reply)
  })

  app.post('/login', {
    config: { public: true, rateLimit: { max: config.loginRatePerMinute, timeWindow: 60_000 } }
  }, async (req, reply) => {
    let input
    try { input = parseForm(signInSchema, req.body) } catch (e) {
      if (e instanceof FormError) return loginPage(req, reply, { values: formValues(req.body), message: 'auth.invalid' }, 422)
      throw e
    }
    const result = await signIn(app.db, config, actorOf(req), input.login, input.password)
    const next = safeNext(input.next)
    if (!result.ok) {
      const message = result.reason === 'locked' ? 'auth.locked' : result.reason === 'disabled' ? 'auth.disabled' : 'auth.invalid'
      return loginPage(req, reply, { values: { login: input.login }, message, next }, 401)
    }
    if (result.totp) {
      // password proven, second factor still owed: a session that is not signed in yet
      await startSession(req, reply, null, { pendingUserId: result.userId, pendingAt: Date.now(), next })
      return redirect(req, reply, '/login/totp')
    }
    await startSession(req, reply, result.userId)
    return redirect(req, reply, next)
  })

  app.post('/logout', { config: { public: true } }, async (req, reply) => {
    await endSession(req, reply)
    // the browser forgets what it cached and stored for this site (shared office PCs)
    reply.header('Clear-Site-Data', '"cache", "storage"')
    return redirect(req, reply, '/login')
  })

  app.get('/setup', { config: { public: true } }, async (req, reply) => {
    if (app.setupDone()) return redirect(req, reply, '/login')
    return reply.page('/auth/setup', { values: {}, errors: {} })
  })

  app.post('/setup', { config: { public: true } }, async (req, reply) => {
    if (app.setupDone()) return redirect(req, reply, '/login')
    let errors: FieldErrors = {}
    let input
    try {
      input = parseForm(setupSchema, req.body)
      const problem = passwordProblem(config, input.password, input.login)
      if (problem) errors.password = problem
      else if (input.password !== input.password2) errors.password2 = { key: 'errors.passwordMismatch' }
    } catch (e) {
      if (!(e instanceof FormError)) throw e
      errors = e.errors
    }
    if (!input || Object.keys(errors).length) return reply.page('/auth/setup', { values: formValues(req.body), errors }, { status: 422 })
    try {
      const user = await createFirstAdmin(app.db, config, actorOf(req), input)
      app.markSetupDone()
      await startSession(req, reply, user.id)
      return redirect(req, reply, '/')
    } catch (e) {
      if ((e as { code?: string }).code === '23505') { app.markSetupDone(); return redirect(req, reply, '/login') }
      throw e
    }
  })

  app.get('/account/password', { config: { allowPasswordChange: true } }, async (_req, reply) =>
    reply.page('/auth/password', { errors: {} }))

  // limited like sign-in: with someone else's open session, this form would
  // otherwise let him guess the current password without limit
  app.post('/account/password', {
    config: { allowPasswordChange: true, rateLimit: { max: config.loginRatePerMinute, timeWindow: 60_000 } }
  }, async (req, reply) => {
    const user = req.user!
    let errors: FieldErrors = {}
    let input
    try {
      input = parseForm(passwordSchema, req.body)
      const problem = passwordProblem(config, input.password, user.login)
      if (problem) errors.password = problem
      else if (input.password !== input.password2) errors.password2 = { key: 'errors.passwordMismatch' }
      else if (input.password === input.current) errors.password = { key: 'errors.passwordSame' }
    } catch (e) {
      if (!(e instanceof FormError)) throw e
      errors = e.errors
    }
    if (!input || Object.keys(errors).length) return reply.page('/auth/password', { errors }, { status: 422 })
    const ok = await changePassword(app.db, config, actorOf(req), user.id, input.current, input.password, req.session!.idHash)
    if (!ok) return reply.page('/auth/password', { errors: { current: { key: 'errors.passwordWrong' } } }, { status: 422 })
    // a fresh session id after a credential change; other sessions were ended
    await startSession(req, reply, user.id)
    setFlash(req, 'auth.passwordChanged')
    return redirect(req, reply, '/')
  })

  app.post('/lang', { config: { public: true, allowPasswordChange: true } }, async (req, reply) => {
    const lang = (req.body as { lang?: unknown } | undefined)?.lang
    if (!isLang(lang)) throw new HttpError(422, 'errors.badRequest')
    reply.setCookie(LANG_COOKIE, lang, { ...cookieOptions(req), maxAge: 365 * 86400 })
    if (req.user) await setLanguage(app.db, actorOf(req), req.user.id, lang)
    const back = (req.body as { back?: unknown }).back
    return redirect(req, reply, safeNext(back))
  })
}

export default routes
