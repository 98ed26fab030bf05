// The customer list: filters in the query string (bookmarkable, saved per user),
// htmx swaps only the rows, "more" appends the next keyset page.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import { HttpError } from '../../platform/errors.ts'
import { requirePermission } from '../../platform/guard.ts'
import { wantsFragment } from '../../platform/render.ts'
import { childRegions } from '../../platform/regions.ts'
import { filterFormHtml } from './filter-form.ts'
import { activeUsers, codeLists, lookupHelpers } from './lookups.ts'
import { listCustomers, listQuerySchema, OPTIONAL_COLUMNS, shownColumns, type ListQuery } from './queries.ts'
import { listSavedFilters } from './saved-filters.ts'
import { isTimeout, parseTerm } from './search.ts'

export function parseListQuery(req: FastifyRequest): ListQuery {
  const r = listQuerySchema.safeParse(req.query ?? {})
  if (!r.success) throw new HttpError(400, 'customers.badFilter')
  return r.data
}

/** the query string of a filter, without the cursor (for links, export, saved filters) */
export function filterQueryString(f: ListQuery, extra: Record<string, string> = {}) {
  const p = new URLSearchParams()
  for (const [k, v] of Object.entries(f)) {
    if (k === 'after' || v === undefined || v === '') continue
    p.set(k, Array.isArray(v) ? v.join(',') : String(v))
  }
  for (const [k, v] of Object.entries(extra)) p.set(k, v)
  return p.toString()
}

/** a rep's owner filter: none. One array for all, as the filter form is kept per list (filter-form.ts) */
const NO_OWNERS: readonly { id: number; name: string }[] = Object.freeze([])

const routes: FastifyPluginAsync = async (app) => {
  const db = app.db

  app.get('/customers', { preHandler: requirePermission('customers.read') }, async (req, reply) => {
    const f = parseListQuery(req)
    const user = req.user!
    // a search term too short to use finds nothing; the page says why instead of showing everything
    const term = f.q === undefined ? null : parseTerm(f.q)
    let searchNote = term && !term.ok ? 'customerSearch.tooShort' : null
    // "more" asks for the next rows only; the filter form and the search box for the
    // table; only a full page shows the saved filters, which its statement brings along
    const rowsOnly = !!f.after && req.headers['hx-request'] === 'true'
    const fullPage = !rowsOnly && !wantsFragment(req)
    const { rows, next, count, savedFilters } = await listCustomers(db, user, f, { count: !f.after, savedFilters: fullPage }).catch((e) => {
      if (!isTimeout(e)) throw e
      searchNote = 'customerSearch.timeout'
      return { rows: [], next: null, count: null, savedFilters: undefined }
    })
    const lists = await codeLists(db)
    const lk = lookupHelpers(lists, req.lang)
    const cols = shownColumns(f)
    const data = { f, rows, next, count, lk, cols, searchNote, qs: filterQueryString(f), nextQs: next ? filterQueryString(f, { after: next }) : '' }
    if (rowsOnly) return reply.fragment('/customers/_rows', data)
    // none of the filter form's own lists are needed to swap the table
    if (!fullPage) return reply.fragment('/customers/_table', data)
    const [saved, provinces, owners] = await Promise.all([
      savedFilters ?? listSavedFilters(db, user.id, 'customers'),
      childRegions(db, null),
      user.scope === 'own' ? NO_OWNERS : activeUsers(db)
    ])
    const filtersHtml = filterFormHtml(req, { lists, owners, provinces }, { f, qs: data.qs, lk, cols, optionalColumns: OPTIONAL_COLUMNS })
    return reply.page('/customers/list', { ...data, saved, filtersHtml, module: 'customers' })
  })
}

export default routes
