// Users see a page in their language with what to do next and a request id; the
// log gets the detail. htmx requests get the same message as a small fragment.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { translator } from './i18n.ts'
import { wantsFragment } from './render.ts'

/**
 * An expected refusal: status + locale key, rendered as an error page. `labels` are
 * parameters that are locale keys themselves (a status, a kind): the page shows them
 * in the user's language, not as the codes the service layer knows them by.
 */
export class HttpError extends Error {
  constructor(public status: number, public key: string, public params?: Record<string, string | number>,
    public labels?: Record<string, string>) { super(key) }
}

/** label parameters (locale keys) in the user's language */
function translated(req: FastifyRequest, labels: Record<string, string>) {
  const t = translator(req.lang)
  return Object.fromEntries(Object.entries(labels).map(([k, key]) => [k, t(key)]))
}

export const notFound = () => new HttpError(404, 'errors.notFound')
export const forbidden = () => new HttpError(403, 'errors.forbidden')

export function errorPage(req: FastifyRequest, reply: FastifyReply, status: number, key: string, params?: Record<string, string | number>) {
  const tpl = wantsFragment(req) ? '/partials/error-fragment' : '/error'
  // htmx swaps nothing on 4xx/5xx by default; retarget so the message is seen
  if (wantsFragment(req)) reply.header('HX-Retarget', '#flash').header('HX-Reswap', 'innerHTML')
  return reply.header('Cache-Control', 'no-store').fragment(tpl, { status, messageKey: key, params }, status)
}

export default fp(async (app) => {
  app.setErrorHandler((err: FastifyError | HttpError, req, reply) => {
    if (err instanceof HttpError) {
      if (err.status >= 500) req.log.error(err)
      return errorPage(req, reply, err.status, err.key, err.labels ? { ...err.params, ...translated(req, err.labels) } : err.params)
    }
    const status = (err as FastifyError).statusCode ?? 500
    if (status === 413) return errorPage(req, reply, 413, 'errors.tooLarge')
    if (status === 429) return errorPage(req, reply, 429, 'errors.rateLimited')
    if (status >= 400 && status < 500) {
      req.log.info({ err: err.message }, 'client error')
      return errorPage(req, reply, status, 'errors.badRequest')
    }
    req.log.error({ err }, 'unhandled error')
    return errorPage(req, reply, 500, 'errors.server')
  })
  app.setNotFoundHandler((req, reply) => errorPage(req, reply, 404, 'errors.notFound'))
}, { name: 'errors' })
