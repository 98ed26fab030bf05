// The global search of the top bar (/search, and its dropdown of suggestions) and the
// duplicate warning of the new-customer form (/customers/duplicates).
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import { redirect, requirePermission } from '../../platform/guard.ts'
import { wantsFragment } from '../../platform/render.ts'
import { findDuplicates } from './search-duplicates.ts'
import { directHit, searchCustomers, type SearchResult } from './search.ts'

export const SUGGEST_LIMIT = 8

/** one query-string value as text (a repeated parameter counts once) */
function param(req: FastifyRequest, name: string, max = 200): string {
  const v = (req.query as Record<string, unknown> | undefined)?.[name]
  const s = Array.isArray(v) ? v[0] : v
  return typeof s === 'string' ? s.slice(0, max) : ''
}

/** what "new customer" should be prefilled with when nothing was found */
function prefill(result: SearchResult, q: string): string {
  if (result.status !== 'ok') return ''
  const key = result.term.kind === 'phone' ? 'phone' : /@/.test(q) ? 'email' : 'name'
  return new URLSearchParams({ [key]: q.trim() }).toString()
}

const routes: FastifyPluginAsync = async (app) => {
  const db = app.db

  // The whole company is searched (nobody should enter a customer that exists), but a
  // customer outside the user's scope is shown in the brief view only, without a link.
  app.get('/search', { preHandler: requirePermission('customers.read') }, async (req, reply) => {
    const q = param(req, 'q')
    const result = await searchCustomers(db, req.user!, q, { scope: 'brief' })
    // an exact code or phone of one customer the user may open: go straight there (not
    // while the results page updates as one types: half a number must not navigate away)
    const hit = result.status === 'ok' && !wantsFragment(req) ? directHit(result.rows) : undefined
    if (hit) return redirect(req, reply, `/customers/${hit.id}`)
    return reply.page('/customers/search', { q, result, newQs: prefill(result, q) }, { fragment: '/customers/search-results' })
  })

  app.get('/search/suggest', { preHandler: requirePermission('customers.read') }, async (req, reply) => {
    const q = param(req, 'q')
    // opened directly rather than by the dropdown: the full results page is the answer
    if (!wantsFragment(req)) return reply.redirect(`/search?${new URLSearchParams({ q })}`, 303)
    const result = await searchCustomers(db, req.user!, q, { scope: 'brief', limit: SUGGEST_LIMIT })
    return reply.fragment('/customers/search-suggest', { q, result })
  })

  app.get('/customers/duplicates', { preHandler: requirePermission('customers.create') }, async (req, reply) => {
    const dups = await findDuplicates(db, req.user!, { name: param(req, 'name'), phone: param(req, 'phone', 40), email: param(req, 'email', 120) })
    // the tick survives a refresh of the warning while the user keeps typing
    return reply.fragment('/customers/_duplicates', { dups, confirmed: param(req, 'confirm_duplicate') === '1' })
  })
}

export default routes
