// CSRF: a synchroniser token per session (htmx sends it as X-CSRF-Token, forms as
// _csrf). Before sign-in there is no session, so the sign-in and first-run forms use
// a token bound to a random pre-session cookie by an HMAC with the server secret.
// The check runs in preValidation, once the form body is parsed; the query string
// is never accepted as a source.
import crypto from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { cookieOptions, randomToken } from './sessions.ts'
import { HttpError } from './errors.ts'

const PRE_COOKIE = 'kehu_pre'
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS'])

declare module 'fastify' {
  interface FastifyRequest { csrfToken(): string }
}

function equal(a: string, b: string) {
  const x = Buffer.from(a), y = Buffer.from(b)
  return x.length === y.length && crypto.timingSafeEqual(x, y)
}

export default fp(async (app) => {
  const hmac = (v: string) => crypto.createHmac('sha256', app.secret).update(`csrf:${v}`).digest('base64url')

  app.decorateRequest('csrfToken', function (this: FastifyRequest) {
    if (this.session) return this.session.csrf
    let pre = this.cookies[PRE_COOKIE]
    if (!pre || pre.length > 100) {
      pre = randomToken(16)
      this.cookies[PRE_COOKIE] = pre
      // set on the reply in onSend below
      ;(this as unknown as { newPre?: string }).newPre = pre
    }
    return hmac(pre)
  })

  app.addHook('onSend', async (req, reply) => {
    const pre = (req as unknown as { newPre?: string }).newPre
    if (pre) reply.setCookie(PRE_COOKIE, pre, cookieOptions(req))
  })

  app.addHook('preValidation', async (req) => {
    if (SAFE.has(req.method)) return
    const header = req.headers['x-csrf-token']
    const body = req.body as Record<string, unknown> | undefined
    const sent = typeof header === 'string' ? header : typeof body?._csrf === 'string' ? body._csrf : ''
    let expected = ''
    if (req.session) expected = req.session.csrf
    else if (req.cookies[PRE_COOKIE]) expected = hmac(req.cookies[PRE_COOKIE]!)
    if (!sent || !expected || !equal(sent, expected)) {
      throw new HttpError(403, 'errors.csrf')
    }
  })
}, { name: 'csrf', dependencies: ['sessions'] })
