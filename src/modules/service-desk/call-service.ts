// The call screen's caller lookup: from a number in any format to the customer(s)
// and contact behind it, with what the agent needs while on the phone.
import { sql } from 'kysely'
import { dbWithGenericPlans, type DB } from '../../db/index.ts'
import { normalizePhone } from '../../platform/phone.ts'
import type { Principal } from '../../platform/principal.ts'
import { inScope } from '../../platform/scope.ts'
import { timelinePage } from '../customers/service.ts'
import { searchCustomers, type SearchResult } from '../customers/search.ts'
import { requestScope } from './requests-service.ts'
import { OPEN } from './requests-queries.ts'

export interface CallerMatch {
  customer: { id: number; code: string; name: string; grade: string; status: string; owner_name: string | null; phone: string | null }
  contact: { id: number; name: string; mobile: string | null; office_phone: string | null } | null
  /** false: outside the user's scope, only the brief view (name, code, owner, grade, status) is shown */
  full: boolean
}

/** the numbers that match what was typed, newest customers first (live customers only) */
function phoneQuery(db: DB, digits: string, limit: number) {
  // exact number first; then numbers that end with what was typed (a landline typed
  // without its area code). Both are read from the index on (last4, customer_id) that
  // also holds the number (0011_service_speed.sql), without a table row per candidate:
  // the exact number ends with itself, so "ends with" alone finds it too. Four to six
  // digits are a number's last digits: the newest customers first, so the index order
  // serves and the walk stops at `limit` live customers instead of sorting hundreds.
  let q = db.selectFrom('customer_phones as p')
    .innerJoin('customers as c', 'c.id', 'p.customer_id')
    .where('c.deleted_at', 'is', null).where('c.merged_into', 'is', null)
    .where('p.last4', '=', digits.slice(-4))
  if (digits.length >= 7) q = q.where('p.phone', 'like', `%${digits}`).orderBy(sql`p.phone = ${digits}`, 'desc')
  return q.orderBy('p.customer_id', 'desc').limit(limit)
}

export async function findByPhone(db: DB, digits: string, limit = 10) {
  if (digits.length < 4) return []
  return phoneQuery(db, digits, limit).select(['p.customer_id', 'p.contact_id']).execute()
}

export async function lookupCaller(db: DB, user: Principal, raw: string) {
  const digits = normalizePhone(raw)
  // the matches with their customer, owner, contact and whether the user may see the
  // customer in full, in one statement: the call screen asks on every number typed
  const [hits, dnc] = await Promise.all([
    digits.length < 4 ? [] : phoneQuery(db, digits, 10)
      .leftJoin('users as o', 'o.id', 'c.owner_id')
      .leftJoin('contacts as k', 'k.id', 'p.contact_id')
      .select(['c.id', 'c.code', 'c.name', 'c.grade', 'c.status', 'c.phone', 'o.name as owner_name',
        'k.id as contact_id', 'k.name as contact_name', 'k.mobile', 'k.office_phone', inScope(user, 'c.owner_id').as('full')])
      .execute(),
    digits.length >= 4 ? db.selectFrom('dnc_numbers').select(['phone_display', 'reason']).where('phone', '=', digits).where('enabled', '=', true).executeTakeFirst() : undefined
  ])
  const matches: CallerMatch[] = []
  for (const h of hits) {
    const seen = matches.find((m) => m.customer.id === h.id)
    // a customer found by several numbers: the first with a contact names the caller
    if (seen) { if (!seen.contact && h.contact_id) seen.contact = contactOf(h); continue }
    if (matches.length === 5) continue
    const { id, code, name, grade, status, phone, owner_name } = h
    matches.push({ customer: { id, code, name, grade, status, phone, owner_name }, contact: contactOf(h), full: !!h.full })
  }
  if (!matches.length) return { digits, matches, dnc, details: new Map<number, Awaited<ReturnType<typeof callerDetails>>>(), unknownRequests: await unknownCallerRequests(db, user, digits) }
  // history only for the customers the user may see in full, and only when few matched
  const shown = matches.filter((m) => m.full).slice(0, 3)
  const details = new Map(await Promise.all(shown.map(async (m) => [m.customer.id, await callerDetails(db, user, m.customer.id)] as const)))
  return { digits, matches, dnc, details, unknownRequests: [] as Awaited<ReturnType<typeof unknownCallerRequests>> }
}

function contactOf(h: { contact_id: number | null; contact_name: string | null; mobile: string | null; office_phone: string | null }): CallerMatch['contact'] {
  return h.contact_id ? { id: h.contact_id, name: h.contact_name!, mobile: h.mobile, office_phone: h.office_phone } : null
}

/**
 * Open requests shown on the caller card, and counted beyond them. Each shown one is a
 * link, and the card lies on the agent's Tab path from the caller's name to the
 * subject: with ten of them a keyboard-only agent pressed Tab 14 times before he could
 * type (npm run bench:agent). The newest three, and how many more; the customer's page,
 * linked from the card, lists them all.
 */
const OPEN_SHOWN = 3
const OPEN_COUNTED = 10

/** open requests (the newest few and how many more), the last five interactions and due appointments of one customer */
export async function callerDetails(db: DB, user: Principal, customerId: number) {
  const [open, timeline, appointments] = await Promise.all([
    openRequestsQuery(db, user, customerId).execute(),
    timelinePage(db, customerId).then((p) => p.rows.slice(0, 5)),
    db.selectFrom('appointments as a').innerJoin('users as u', 'u.id', 'a.caller_id')
      .select(['a.id', 'a.scheduled_at', 'a.purpose', 'a.kind', 'u.name as caller_name'])
      .where('a.customer_id', '=', customerId).where('a.status', '=', 'scheduled').orderBy('a.scheduled_at').limit(5).execute()
  ])
  const more = Math.min(open.length, OPEN_COUNTED) - OPEN_SHOWN
  return { open: open.slice(0, OPEN_SHOWN), moreOpen: more > 0 ? `${more}${open.length > OPEN_COUNTED ? '+' : ''}` : null, timeline, appointments }
}

/**
 * a customer's open requests, newest first (exported so a test can EXPLAIN what runs).
 * One plan for every customer (the open requests' partial index, its statuses in the
 * text), made once: planned afresh it took 0.19 ms against 0.05 ms running it.
 */
export function openRequestsQuery(db: DB, user: Principal, customerId: number) {
  return dbWithGenericPlans(db).selectFrom('service_requests as r').select(['r.id', 'r.number', 'r.subject', 'r.status', 'r.due_at', 'r.priority'])
    .where('r.customer_id', '=', customerId).where('r.deleted_at', 'is', null).where(OPEN)
    .where(requestScope(user)).orderBy('r.id', 'desc').limit(OPEN_COUNTED + 1)
}

/** earlier requests from the same unknown number, so a repeat caller is recognised */
async function unknownCallerRequests(db: DB, user: Principal, digits: string) {
  if (digits.length < 7) return []
  return db.selectFrom('service_requests as r').select(['r.id', 'r.number', 'r.subject', 'r.status', 'r.received_at', 'r.caller_name'])
    .where('r.caller_phone_norm', '=', digits).where('r.customer_id', 'is', null).where('r.deleted_at', 'is', null)
    .where(requestScope(user)).orderBy('r.id', 'desc').limit(5).execute()
}

export interface LinkCandidate {
  id: number; code: string; name: string; grade: string; status: string; phone: string | null
  /** the caller's number belongs to this customer (or one of its contacts) */
  phoneMatch: boolean
  contacts: { id: number; name: string; mobile: string | null; office_phone: string | null; phoneMatch: boolean }[]
}

const CANDIDATES = 10
const CONTACTS_EACH = 20

/**
 * Customers an unknown caller's request may be linked to, in the user's scope: with
 * nothing typed, those having the caller's number; with a term, the customer search's
 * matches, the caller's number's first. `keep` (the customer chosen in a refused post)
 * stays on the list so the choice is still there.
 */
export async function linkCandidates(db: DB, user: Principal, callerDigits: string | null, q: string, keep?: number) {
  const phoneHits = callerDigits && callerDigits.length >= 7 ? await findByPhone(db, callerDigits, 50) : []
  const byPhone = new Set(phoneHits.map((h) => h.customer_id))
  const contactByPhone = new Set(phoneHits.map((h) => h.contact_id).filter((x): x is number => !!x))
  let status: SearchResult['status'] = 'ok'
  let ids: number[]
  if (q.trim()) {
    const found = await searchCustomers(db, user, q, { scope: 'scoped', limit: 50 })
    status = found.status
    ids = found.rows.filter((r) => r.in_scope).map((r) => r.id)
    ids = [...ids.filter((id) => byPhone.has(id)), ...ids.filter((id) => !byPhone.has(id))]
  } else ids = [...byPhone]
  if (keep && !ids.includes(keep)) ids.unshift(keep)
  // the scope again for the phone matches and the kept choice (the search is scoped already)
  const rows = ids.length ? await db.selectFrom('customers').select(['id', 'code', 'name', 'grade', 'status', 'phone'])
    .where('id', 'in', ids.slice(0, CANDIDATES * 2)).where('deleted_at', 'is', null).where('merged_into', 'is', null)
    .where(inScope(user, 'customers.owner_id')).execute() : []
  const order = new Map(ids.map((id, i) => [id, i]))
  rows.sort((a, b) => order.get(a.id)! - order.get(b.id)!)
  const top = rows.slice(0, CANDIDATES)
  const contacts = top.length ? await db.selectFrom('contacts').select(['id', 'customer_id', 'name', 'mobile', 'office_phone'])
    .where('customer_id', 'in', top.map((c) => c.id)).where('deleted_at', 'is', null).orderBy('customer_id').orderBy('id').execute() : []
  const candidates: LinkCandidate[] = top.map((c) => {
    const own = contacts.filter((k) => k.customer_id === c.id)
      .map((k) => ({ id: k.id, name: k.name, mobile: k.mobile, office_phone: k.office_phone, phoneMatch: contactByPhone.has(k.id) }))
    own.sort((a, b) => Number(b.phoneMatch) - Number(a.phoneMatch))
    return { ...c, phoneMatch: byPhone.has(c.id), contacts: own.slice(0, CONTACTS_EACH) }
  })
  return { status, candidates }
}
