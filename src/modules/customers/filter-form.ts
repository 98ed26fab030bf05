// The customer list's filter form and letter bar, rendered once per filter and kept.
// Every full list page carries them: some 150 options (provinces, code lists, owners)
// and 27 letter links, which took more of Node's time than the fifty rows did (155
// against 111 µs per page, CPU profile of the supervisor's list page). Their HTML
// depends only on what the key and the inputs below hold: the language, whether the
// trash filter is offered, whether the owner filter is (reps get no owner list), the
// filter itself (its query string), and the code lists, owners and provinces. Those
// three come from caches that hand out the same objects until they are read again
// (lookups.ts, regions.ts); when one of them is a new object, everything kept goes.
import type { FastifyRequest } from 'fastify'
import { eta, viewContext } from '../../platform/render.ts'

type Inputs = { lists: object; owners: readonly object[]; provinces: readonly object[] }

let keptFor: Inputs | null = null
const kept = new Map<string, string>()
/** filters are typed by users: a bound, so that odd query strings cannot pile up */
const MAX_KEPT = 200

export function filterFormHtml(req: FastifyRequest, inputs: Inputs, data: { f: unknown; qs: string; lk: unknown; cols: ReadonlySet<string>; optionalColumns: readonly string[] }): string {
  const canDelete = !!req.user?.perms.has('customers.delete')
  const key = `${req.lang}|${canDelete ? 1 : 0}|${inputs.owners.length ? 1 : 0}|${data.qs}`
  if (!keptFor || keptFor.lists !== inputs.lists || keptFor.owners !== inputs.owners || keptFor.provinces !== inputs.provinces) {
    keptFor = inputs
    kept.clear()
  }
  const hit = kept.get(key)
  if (hit !== undefined) return hit
  const html = eta.render('/customers/_filters', { ...viewContext(req), ...data, owners: inputs.owners, provinces: inputs.provinces })
  if (kept.size >= MAX_KEPT) kept.clear()
  kept.set(key, html)
  return html
}
