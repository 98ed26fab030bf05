// Pages and fragments from Eta templates. A page template includes its fragment
// file, so an htmx request that targets the fragment gets the same markup without
// the layout; the choice is made here, once (DESIGN.md "Request flow").
import path from 'node:path'
import { Eta } from 'eta'
import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { translator, label, type Lang } from './i18n.ts'
import { formatter } from './format.ts'
import { navFor } from './nav.ts'

const VIEWS = path.resolve(import.meta.dirname, '../../views')

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }
export function escapeHtml(v: unknown): string {
  if (v === null || v === undefined) return ''
  const s = String(v)
  return /[&<>"']/.test(s) ? s.replace(/[&<>"']/g, (c) => ESC[c]) : s
}

export const eta = new Eta({ views: VIEWS, cache: true, autoEscape: true, escapeFunction: escapeHtml, useWith: false, autoTrim: [false, 'nl'] })

// Eta works out a template's file on every render and include (a JSON key, path.join,
// path.relative): about a fifth of the list page's template time in a CPU profile,
// more than some of the templates themselves. Template names are constants of the
// code, so each (including file, name) pair is resolved once, by Eta's own rules.
const resolveOnce = new Map<string, string>()
const resolveEta = eta.resolvePath
eta.resolvePath = function (template, options) {
  const key = `${options?.filepath ?? ''}\0${template}`
  let file = resolveOnce.get(key)
  if (file === undefined) resolveOnce.set(key, (file = resolveEta.call(this, template, options)))
  return file
}

/** True when htmx asked for a piece of a page rather than a whole page. */
export function wantsFragment(req: FastifyRequest): boolean {
  const h = req.headers
  return h['hx-request'] === 'true' && h['hx-boosted'] !== 'true' && h['hx-history-restore-request'] !== 'true'
}

export function viewContext(req: FastifyRequest) {
  const lang: Lang = req.lang
  const cfg = req.server.config
  const user = req.user
  return {
    t: translator(lang),
    lang,
    label: (zh: string, en: string) => label(lang, zh, en),
    fmt: formatter(lang, cfg.timeZone),
    user,
    can: (p: string) => !!user?.perms.has(p),
    csrf: req.csrfToken(),
    requestId: req.id,
    flash: req.flash,
    path: req.url.split('?')[0],
    nav: user ? navFor(user) : [],
    query: req.query as Record<string, unknown>
  }
}

declare module 'fastify' {
  interface FastifyReply {
    /** Full page, or only `fragment` when htmx targets it. */
    page(template: string, data?: Record<string, unknown>, opts?: { fragment?: string; status?: number }): FastifyReply
    fragment(template: string, data?: Record<string, unknown>, status?: number): FastifyReply
  }
}

export default fp(async (app) => {
  function send(reply: FastifyReply, template: string, data: Record<string, unknown>, status: number) {
    const html = eta.render(template, { ...viewContext(reply.request), ...data })
    return reply.code(status).header('Vary', 'HX-Request').type('text/html; charset=utf-8').send(html)
  }
  app.decorateReply('page', function (this: FastifyReply, template: string, data = {}, opts: { fragment?: string; status?: number } = {}) {
    const tpl = opts.fragment && wantsFragment(this.request) ? opts.fragment : template
    return send(this, tpl, data, opts.status ?? 200)
  })
  app.decorateReply('fragment', function (this: FastifyReply, template: string, data = {}, status = 200) {
    return send(this, template, data, status)
  })
}, { name: 'render' })
