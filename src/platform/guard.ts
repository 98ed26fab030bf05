// Authentication and permission checks, applied before any handler runs (and so
// before any write): signed-out users go to sign-in, a missing permission is 403.
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import { HttpError } from './errors.ts'
import { wantsFragment } from './render.ts'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** route needs no signed-in user (sign-in, first run, health, static) */
    public?: boolean
    /** route stays reachable while a password change is forced */
    allowPasswordChange?: boolean
  }
}

export function redirect(req: FastifyRequest, reply: FastifyReply, to: string) {
  if (req.headers['hx-request'] === 'true') return reply.header('HX-Redirect', to).code(204).send()
  return reply.redirect(to, 303)
}

/** route option: `preHandler: requirePermission('users.admin')` */
export function requirePermission(...perms: string[]): preHandlerAsyncHookHandler {
  return async (req) => {
    if (!req.user) throw new HttpError(401, 'errors.signIn')
    if (!perms.some((p) => req.user!.perms.has(p))) throw new HttpError(403, 'errors.forbidden')
  }
}

/**
 * route option for uploads: `preParsing: refuseBeforeUpload('customers.create')`.
 * The guard's own checks run after the body is read; an upload route makes the same
 * decisions before, so a refused user's file is never buffered: signed out → 401, a
 * forced password change → the change page (as everywhere), no permission → 403.
 */
export function refuseBeforeUpload(...perms: string[]) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    if (!req.user) throw new HttpError(401, 'errors.signIn')
    if (req.user.mustChangePassword) { redirect(req, reply, '/account/password'); return }
    if (!perms.some((p) => req.user!.perms.has(p))) throw new HttpError(403, 'errors.forbidden')
  }
}

export default fp(async (app) => {
  app.addHook('preValidation', async (req, reply) => {
    const cfg = req.routeOptions.config
    if (cfg?.public || !req.routeOptions.url || req.url.startsWith('/public/') || req.url.startsWith('/vendor/')) return
    if (!app.setupDone()) return redirect(req, reply, '/setup')
    if (!req.user) {
      if (req.method === 'GET' && !wantsFragment(req)) {
        const next = encodeURIComponent(req.url)
        return redirect(req, reply, `/login?next=${next}`)
      }
      if (req.headers['hx-request'] === 'true') return redirect(req, reply, '/login')
      throw new HttpError(401, 'errors.signIn')
    }
    if (req.user.mustChangePassword && !cfg?.allowPasswordChange) return redirect(req, reply, '/account/password')
    reply.header('Cache-Control', 'no-store')
  })
  // Public routes answer signed-in users too (/login redirects them, /lang): a reply
  // to anyone with a session is personal and stays out of every cache.
  app.addHook('onSend', async (req, reply) => {
    if (req.session && !reply.hasHeader('cache-control')) reply.header('Cache-Control', 'no-store')
  })
}, { name: 'guard', dependencies: ['sessions'] })
