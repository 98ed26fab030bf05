// Small helpers the customer routes share: id parsing and the view data of forms.
import type { FastifyRequest } from 'fastify'
import type { DB } from '../../db/index.ts'
import { notFound } from '../../platform/errors.ts'
import type { Principal } from '../../platform/principal.ts'
import { inScope } from '../../platform/scope.ts'
import { codeLists, lookupHelpers } from './lookups.ts'

/** a route's numeric id; anything else is a record that does not exist */
export function idParam(req: FastifyRequest, name = 'id'): number {
  const v = (req.params as Record<string, string>)[name]
  if (!/^\d{1,10}$/.test(v ?? '')) throw notFound()
  const n = Number(v)
  if (n > 2_147_483_647 || n < 1) throw notFound()
  return n
}

export async function lookups(req: FastifyRequest) {
  return lookupHelpers(await codeLists(req.server.db), req.lang)
}

/** the people a user may make owner of a customer: active users in his scope */
export async function ownerChoices(db: DB, user: Principal) {
  if (!user.perms.has('customers.assign')) return []
  return db.selectFrom('users').select(['id', 'name', 'login']).where('active', '=', true).where(inScope(user, 'users.id'))
    .orderBy('name').limit(500).execute()
}

/** a row as the strings a form shows */
export function asFormValues(row: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(row)) {
    out[k] = v === null || v === undefined ? '' : Array.isArray(v) ? v.join(', ') : v instanceof Date ? v.toISOString() : String(v)
  }
  return out
}
