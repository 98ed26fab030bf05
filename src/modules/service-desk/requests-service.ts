// Service requests (咨询受理单): intake, the status flow, assignment, follow-ups and
// linking an unknown caller to a customer later. One transaction per change, with
// its audit row, its follow-up log entry and the customer's timeline row.
import { sql, type Kysely, type RawBuilder, type SqlBool } from 'kysely'
import type { Config } from '../../config.ts'
import type { DB } from '../../db/index.ts'
import type { Database } from '../../db/types.ts'
import { audit, auditFrom, type Actor } from '../../platform/audit.ts'
import { checkFormToken, claimFrom, ConflictError, oncePerStatement, oncePerToken } from '../../platform/concurrency.ts'
import { HttpError, notFound } from '../../platform/errors.ts'
import { FormError, type FieldErrors } from '../../platform/forms.ts'
import { isCodeCondition } from '../../platform/codes.ts'
import { officeTime } from '../../platform/format.ts'
import { cjkGrams } from '../../platform/cjk.ts'
import { normalizePhone } from '../../platform/phone.ts'
import type { Principal } from '../../platform/principal.ts'
import { inScope } from '../../platform/scope.ts'
import { addTimeline, customerLinkChecks } from '../customers/service.ts'
import { nextDailyNumberIf } from './numbers.ts'
import type { RequestInput } from './schemas.ts'
import type { Priority, RequestStatus } from './tables.ts'

type Tx = Kysely<Database>

/** hours to answer by priority: the due time shown and the overdue highlighting */
export const DUE_HOURS: Record<Priority, number> = { urgent: 2, high: 4, normal: 24, low: 72 }

/** the status flow; anything else is refused */
export const TRANSITIONS: Record<RequestStatus, RequestStatus[]> = {
  received: ['in_progress', 'answered'],
  in_progress: ['answered'],
  answered: ['archived', 'in_progress'],
  archived: []
}

/** a request is the user's when he received it or it is assigned to him (or, per scope, to his team) */
export function requestScope(user: Principal, alias = 'r'): RawBuilder<SqlBool> {
  if (user.scope === 'all') return sql<SqlBool>`true`
  return sql<SqlBool>`(${inScope(user, `${alias}.created_by`)} or ${inScope(user, `${alias}.assignee_id`)})`
}

export async function getRequest(db: Tx, user: Principal, id: number) {
  if (!Number.isSafeInteger(id) || id < 1 || id > 2_147_483_647) throw notFound()
  const r = await db.selectFrom('service_requests as r').selectAll('r').where('r.id', '=', id).where('r.deleted_at', 'is', null)
    .where(requestScope(user)).executeTakeFirst()
  if (!r) throw notFound()
  return r
}

/** the search columns of a request; the demo seeder (demo.ts) computes its requests' with this too */
export function searchColumns(i: { subject: string; content?: string | null; answer?: string | null; caller_name?: string | null; caller_phone_norm?: string | null; number: string }) {
  const latin = [i.number, i.subject, i.content, i.answer, i.caller_name, i.caller_phone_norm].filter(Boolean).join(' ')
    .toLowerCase().replace(/[\u3400-\u9fff\uf900-\ufaff]+/g, ' ').replace(/\s+/g, ' ').trim()
  return { search_grams: cjkGrams(i.subject, i.content, i.answer, i.caller_name), search_text: latin.slice(0, 8000) }
}

/**
 * What a request's form refers to must exist and be visible to the user: its customer
 * and contact, its category, its knowledge-base article. Checked by the statement that
 * takes its number (one round trip for all of them), which takes none when one fails.
 */
async function checkAndNumber(db: DB, config: Config, user: Principal, input: RequestInput): Promise<string> {
  const checks: Record<string, RawBuilder<SqlBool>> = linkChecks(user, input.customer_id, input.contact_id)
  if (input.category) checks.category = isCodeCondition('consult_category', input.category)
  if (input.article_id) checks.article_id = sql<SqlBool>`exists (select 1 from kb_articles where id = ${input.article_id} and deleted_at is null)`
  const { number, failed } = await nextDailyNumberIf(db, 'SR', 'SR', config.timeZone, checks)
  if (!number) throw refused(failed)
  return number
}

/** the customer and contact a request may point at: both must exist and be visible to the user */
async function checkLinks(db: Tx, user: Principal, customerId: number, contactId?: number) {
  const checks = linkChecks(user, customerId, contactId)
  const names = Object.keys(checks)
  const { rows } = await sql<Record<string, boolean>>`select ${sql.join(names.map((k) => sql`${checks[k]} as ${sql.ref(k)}`))}`.execute(db)
  const failed = names.filter((k) => !rows[0][k])
  if (failed.length) throw refused(failed)
}

function linkChecks(user: Principal, customerId?: number, contactId?: number): Record<string, RawBuilder<SqlBool>> {
  if (!customerId) {
    if (contactId) throw new FormError({ contact_id: { key: 'errors.invalidChoice' } })
    return {}
  }
  const { customer, contact } = customerLinkChecks(user, customerId, contactId)
  return { customer_id: customer, contact_id: contact }
}

/** the form's message per failed check; a contact of a customer the user may not link is the customer's error alone */
function refused(failed: string[]) {
  const errors: FieldErrors = {}
  for (const f of failed) errors[f] = { key: f === 'contact_id' ? 'serviceRequests.contactOfOther' : 'errors.invalidChoice' }
  if (errors.customer_id) delete errors.contact_id
  return new FormError(errors)
}

export async function createRequest(db: DB, config: Config, actor: Actor, user: Principal, input: RequestInput, formToken: unknown) {
  const token = checkFormToken(formToken)
  const number = await checkAndNumber(db, config, user, input)
  const now = new Date()
  const phoneNorm = normalizePhone(input.caller_phone) || null
  const status = input.status
  const values = {
    number, channel: input.channel, caller_phone: input.caller_phone ?? null, caller_phone_norm: phoneNorm,
    caller_name: input.caller_name ?? null, customer_id: input.customer_id ?? null, contact_id: input.contact_id ?? null,
    category: input.category ?? null, subject: input.subject, content: input.content ?? null, answer: input.answer ?? null,
    status, priority: input.priority, assignee_id: user.id, created_by: user.id,
    due_at: new Date(now.getTime() + DUE_HOURS[input.priority] * 3_600_000), is_lead: input.is_lead,
    answered_at: status === 'answered' ? now : null
  }
  const summary = `${number} ${input.subject}`
  // The request, its first status row, the customer's timeline row and the audit row
  // in one statement: a save is what an agent does all day, and every statement is a
  // round trip (and CPU on both sides) that a saturated server pays for. The audit
  // row records the values as written; its entity id is the new row's.
  const insert = (trx: Tx) => trx
    .with('r', (q) => q.insertInto('service_requests').values({ ...values, ...searchColumns({ ...input, caller_phone_norm: phoneNorm, number }) }).returningAll())
    .with('f', (q) => q.insertInto('request_followups').columns(['request_id', 'user_id', 'kind', 'to_status'])
      .expression((eb) => eb.selectFrom('r').select((s) => ['r.id', sql<number>`${user.id}::int`.as('u'), sql<string>`'status'`.as('k'), s.ref('r.status').as('s')])))
    .with('t', (q) => q.insertInto('customer_timeline').columns(['customer_id', 'kind', 'ref_id', 'title', 'href', 'user_id'])
      .expression((eb) => eb.selectFrom('r').where('r.customer_id', 'is not', null).select((s) => [
        s.ref('r.customer_id').$notNull().as('c'), sql<string>`'request.created'`.as('k'), sql<string>`r.id::text`.as('ref'),
        sql<string>`${summary.slice(0, 300)}::text`.as('title'), sql<string>`'/service/requests/' || r.id`.as('href'), sql<number>`${user.id}::int`.as('u')])))
    .with('l', (q) => auditFrom(q, actor, { action: 'create', entity: 'service_request', summary, before: null, after: values }, 'r'))
  const extras = input.article_id || input.is_lead || (input.book_callback && input.callback_at && input.customer_id)
  if (!extras) {
    // the common call: one statement, its own transaction, the form token claimed in it
    const { result, repeated } = await oncePerStatement(db, token, user.id, async () => {
      const row = await insert(db).with('tok', (q) => claimFrom(q, token, user.id, 'r')).selectFrom('r').select('id').executeTakeFirstOrThrow()
      return String(row.id)
    })
    return { id: Number(result), repeated }
  }
  const { result, repeated } = await oncePerToken(db, token, user.id, async (trx) => {
    const row = await insert(trx).selectFrom('r').selectAll().executeTakeFirstOrThrow()
    if (input.article_id) await trx.insertInto('request_articles').values({ request_id: row.id, article_id: input.article_id }).execute()
    // the lead and the callback are records of their own: each gets its audit row
    if (input.is_lead) {
      const lead = await trx.insertInto('leads').values({ request_id: row.id, customer_id: row.customer_id, contact_id: row.contact_id, note: input.lead_note ?? null, created_by: user.id })
        .returningAll().executeTakeFirstOrThrow()
      await audit(trx, actor, { action: 'create', entity: 'lead', entityId: lead.id, summary: number, before: null, after: lead })
    }
    if (input.book_callback && input.callback_at && row.customer_id) {
      const appt = await trx.insertInto('appointments').values({
        customer_id: row.customer_id, contact_id: row.contact_id, kind: 'callback', scheduled_at: officeTime(input.callback_at, config.timeZone),
        purpose: input.callback_purpose ?? row.subject, caller_id: user.id, request_id: row.id, created_by: user.id
      }).returningAll().executeTakeFirstOrThrow()
      await audit(trx, actor, { action: 'create', entity: 'appointment', entityId: appt.id, summary: number, before: null, after: appt })
    }
    return String(row.id)
  })
  return { id: Number(result), repeated }
}

export function publicRequest(row: Record<string, unknown>) {
  const { search_grams: _g, search_text: _t, ...rest } = row
  return rest
}

async function conflict(trx: Tx, id: number): Promise<never> {
  const current = await trx.selectFrom('service_requests').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
  const last = await trx.selectFrom('audit_log').select('user_name').where('entity', '=', 'service_request').where('entity_id', '=', String(id))
    .orderBy('id', 'desc').limit(1).executeTakeFirst()
  throw new ConflictError(current, last?.user_name ?? null)
}

export async function transition(db: DB, actor: Actor, user: Principal, id: number, version: number, to: RequestStatus, note?: string, answer?: string) {
  const before = await getRequest(db, user, id)
  if (!TRANSITIONS[before.status].includes(to)) throw new HttpError(422, 'service.errors.illegalTransition', {}, { from: `service.status.${before.status}`, to: `service.status.${to}` })
  if (to === 'answered' && !(answer ?? before.answer)) throw new FormError({ answer: { key: 'service.errors.answerRequired' } })
  return db.transaction().execute(async (trx) => {
    const now = new Date()
    const after = await trx.updateTable('service_requests').set({
      status: to, version: sql`version + 1` as never, updated_at: now,
      ...(answer !== undefined ? { answer } : {}),
      ...(to === 'answered' ? { answered_at: now } : {}), ...(to === 'archived' ? { archived_at: now } : {}),
      ...(to === 'in_progress' && before.status === 'answered' ? { answered_at: null } : {})
    }).where('id', '=', id).where('version', '=', version).returningAll().executeTakeFirst()
    if (!after) return conflict(trx, id)
    await trx.insertInto('request_followups').values({ request_id: id, user_id: user.id, kind: 'status', from_status: before.status, to_status: to, note: note ?? null }).execute()
    await audit(trx, actor, { action: 'status', entity: 'service_request', entityId: id, summary: `${before.number} ${before.status} → ${to}`, before: publicRequest(before), after: publicRequest(after) })
    return after
  })
}

export async function assign(db: DB, actor: Actor, user: Principal, id: number, version: number, assigneeId: number | null) {
  const before = await getRequest(db, user, id)
  if (assigneeId) {
    const u = await db.selectFrom('users').select('id').where('id', '=', assigneeId).where('active', '=', true)
      .where(inScope(user, 'users.id')).executeTakeFirst()
    if (!u) throw new FormError({ assignee_id: { key: 'errors.invalidChoice' } })
  }
  return db.transaction().execute(async (trx) => {
    const after = await trx.updateTable('service_requests').set({ assignee_id: assigneeId, version: sql`version + 1` as never, updated_at: new Date() })
      .where('id', '=', id).where('version', '=', version).returningAll().executeTakeFirst()
    if (!after) return conflict(trx, id)
    await trx.insertInto('request_followups').values({ request_id: id, user_id: user.id, kind: 'assign', note: assigneeId ? String(assigneeId) : null }).execute()
    await audit(trx, actor, { action: 'assign', entity: 'service_request', entityId: id, summary: before.number, before: { assignee_id: before.assignee_id }, after: { assignee_id: assigneeId } })
    return after
  })
}

export async function addNote(db: DB, actor: Actor, user: Principal, id: number, note: string) {
  const r = await getRequest(db, user, id)
  await db.transaction().execute(async (trx) => {
    const row = await trx.insertInto('request_followups').values({ request_id: id, user_id: user.id, kind: 'note', note }).returning('id').executeTakeFirstOrThrow()
    await audit(trx, actor, { action: 'create', entity: 'request_followup', entityId: row.id, summary: r.number, detail: { note } })
  })
}

/** an unknown caller's request, linked to a customer once he is known */
export async function linkCustomer(db: DB, actor: Actor, user: Principal, id: number, version: number, customerId: number, contactId?: number) {
  const before = await getRequest(db, user, id)
  // linking is for a request without a customer; it never silently moves one to another customer
  if (before.customer_id) throw new HttpError(409, 'serviceRequests.alreadyLinked')
  await checkLinks(db, user, customerId, contactId)
  return db.transaction().execute(async (trx) => {
    const after = await trx.updateTable('service_requests').set({ customer_id: customerId, contact_id: contactId ?? null, version: sql`version + 1` as never, updated_at: new Date() })
      .where('id', '=', id).where('version', '=', version).returningAll().executeTakeFirst()
    if (!after) return conflict(trx, id)
    await trx.insertInto('request_followups').values({ request_id: id, user_id: user.id, kind: 'link', note: String(customerId) }).execute()
    await addTimeline(trx, { customerId, kind: 'request.linked', refId: id, title: `${before.number} ${before.subject}`, href: `/service/requests/${id}`, userId: user.id, at: before.received_at })
    // a lead raised on the call now shows whose it is too (each lead changed has its own audit row)
    const leads = await trx.updateTable('leads').set({ customer_id: customerId, contact_id: contactId ?? null, version: sql`version + 1` as never, updated_at: new Date() })
      .where('request_id', '=', id).where('customer_id', 'is', null).returning('id').execute()
    for (const l of leads) {
      await audit(trx, actor, { action: 'link', entity: 'lead', entityId: l.id, summary: before.number, before: { customer_id: null, contact_id: null }, after: { customer_id: customerId, contact_id: contactId ?? null } })
    }
    await audit(trx, actor, { action: 'link', entity: 'service_request', entityId: id, summary: before.number,
      before: { customer_id: before.customer_id, contact_id: before.contact_id }, after: { customer_id: customerId, contact_id: contactId ?? null } })
    return after
  })
}

export async function followups(db: DB, requestId: number) {
  return db.selectFrom('request_followups as f').innerJoin('users as u', 'u.id', 'f.user_id')
    .select(['f.id', 'f.at', 'f.kind', 'f.from_status', 'f.to_status', 'f.note', 'u.name as user_name',
      // the log keeps ids; show whom it was assigned to and which customer it was linked to
      sql<string | null>`case when f.note ~ '^[0-9]{1,9}$' then case f.kind
        when 'assign' then (select a.name from users a where a.id = f.note::int)
        when 'link' then (select c.name from customers c where c.id = f.note::int) end end`.as('target_name')])
    .where('f.request_id', '=', requestId).orderBy('f.id').execute()
}
