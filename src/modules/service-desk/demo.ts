// Demo service desk for `npm run demo` (issue 4 item 8): three months of service
// requests across the agents with their follow-up logs, leads, appointments (each
// agent has calls today, some overdue), the knowledge base and the do-not-call list.
//
// Written like the customers' demo (customers/demo.ts): computed in JavaScript, one
// statement per table. Request numbers follow numbers.ts (SR-YYYYMMDD-NNNN by office
// day, in the order received) and daily_counters ends at each day's last number, so
// the next request taken today gets the next one. Search columns come from
// requests-service.ts's own function.
import type { Insertable } from 'kysely'
import type { DB } from '../../db/index.ts'
import type { Database } from '../../db/types.ts'
import { cjkGrams } from '../../platform/cjk.ts'
import { formatter } from '../../platform/format.ts'
import { normalizePhone } from '../../platform/phone.ts'
import { demoClock, insertRows, longStatements, nextIds, workMinute, type DemoClock } from '../customers/demo.ts'
import * as W from '../customers/demo-words.ts'
import type { DemoSeeder, DemoUser } from '../demo.ts'
import * as S from './demo-words.ts'
import { DUE_HOURS, searchColumns } from './requests-service.ts'
import type { Channel, Priority, RequestStatus } from './tables.ts'

/** days of requests, today included */
export const DEMO_REQUEST_DAYS = 92
const MINUTE = 60_000, DAY = 86_400_000

type Row<T extends keyof Database> = Insertable<Database[T]>
type RequestRow = Row<'service_requests'> & { id: number; number: string; received_at: Date; subject: string; created_by: number }
type Followup = Row<'request_followups'> & { at: Date }
type Appt = Row<'appointments'> & { id: number; created_at: Date; scheduled_at: Date; purpose: string; caller_id: number; from?: Appt }
interface Caller { customer_id: number; owner_id: number; contact_id: number; name: string; mobile: string }
type Timeline = Row<'customer_timeline'>

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
const inline = (s: string) => esc(s).replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>')

/** the knowledge base: HTML of paragraphs, lists and bold only, and its plain text one block a line */
async function articles(db: DB, clock: DemoClock, rand: W.Rand, authors: number[]) {
  const rows = S.ARTICLES.map((a, i) => {
    const html = a.blocks.map((b) => (typeof b === 'string' ? `<p>${inline(b)}</p>` : `<ul>${b.map((li) => `<li>${inline(li)}</li>`).join('')}</ul>`)).join('\n')
    const text = a.blocks.flatMap((b) => (typeof b === 'string' ? [b] : b)).map((s) => s.replace(/\*\*/g, '')).join('\n')
    // the way kb-service.ts computes an article's search columns: CJK grams of title and
    // text, the rest lower-cased for pg_trgm
    const latin = `${a.title} ${text}`.toLowerCase().replace(/[\u3400-\u9fff\uf900-\ufaff]+/g, ' ').replace(/\s+/g, ' ').trim()
    const created = clock.at(W.between(rand, 100, 400), workMinute(rand))
    const author = authors[i % authors.length]
    return {
      id: 0, category: a.category, title: a.title, body_html: html, body_text: text, search_grams: cjkGrams(a.title, text), search_text: latin,
      views: W.between(rand, 5, 400), published: true, created_by: author, updated_by: author, deleted_at: null, version: 1, created_at: created, updated_at: created
    }
  })
  // ids in the order they were written, as if typed in over the months
  const ids = await nextIds(db, 'kb_articles', rows.length)
  rows.sort((a, b) => a.created_at.getTime() - b.created_at.getTime()).forEach((r, i) => { r.id = ids[i] })
  await insertRows(db, 'kb_articles', rows)
  return rows
}

const AGE_STATUS: Array<[minDays: number, ReadonlyArray<readonly [RequestStatus, number]>]> = [
  [14, [['archived', 85], ['answered', 15]]],
  [4, [['archived', 40], ['answered', 53], ['in_progress', 5], ['received', 2]]],
  [1, [['archived', 20], ['answered', 55], ['in_progress', 17], ['received', 8]]],
  [0, [['answered', 35], ['in_progress', 25], ['received', 40]]]
]

export const serviceDeskDemo: DemoSeeder = {
  name: 'service-desk',
  async seed(db, ctx) {
    const agents = ctx.byRole.agent
    if (!agents.length) return
    await longStatements(db)
    const rand = ctx.random
    const clock = demoClock(ctx)
    const limit = clock.now.getTime() - MINUTE
    const deps = new Map((await db.selectFrom('departments').select(['id', 'path', 'head_user_id']).execute()).map((d) => [d.id, d]))
    const headOf = (dep: number) => deps.get(dep)?.head_user_id ?? ctx.byRole.supervisor[0]?.id ?? agents[0].id
    const head = headOf(ctx.departments.service)
    // a lead goes to the customer's owner if he is a rep, else to a rep of the owner's team
    const paths = new Map([...deps.values()].map((d) => [d.id, d.path]))
    const staff = new Map(ctx.users.map((u) => [u.id, u]))
    const reps = ctx.byRole.user
    const repsFor = (ownerId?: number): DemoUser[] => {
      const owner = staff.get(ownerId ?? 0)
      if (!owner) return reps
      if (owner.role === 'user') return [owner]
      const team = reps.filter((u) => paths.get(u.departmentId)!.startsWith(paths.get(owner.departmentId)!))
      return team.length ? team : reps
    }
    const categories = (await db.selectFrom('code_items').select('code').where('kind', '=', 'consult_category').where('enabled', '=', true).execute()).map((r) => r.code)

    // who calls: contacts of approved customers, the active ones more often
    const people = await db.selectFrom('customers as c').innerJoin('contacts as k', 'k.customer_id', 'c.id')
      .select(['c.id as customer_id', 'c.owner_id', 'c.status', 'k.id as contact_id', 'k.name', 'k.mobile'])
      .where('c.deleted_at', 'is', null).where('c.review_state', '=', 'approved').where('k.valid', '=', true).where('k.deleted_at', 'is', null)
      .where('k.mobile', 'is not', null).orderBy('k.id').execute()
    const ownerOf = new Map(people.map((p) => [p.customer_id, p.owner_id]))
    const callers: Caller[] = people.flatMap((p) => Array<Caller>(p.status === 'won' || p.status === 'interested' ? 3 : 1).fill(p as Caller))
    const used = new Set((await db.selectFrom('customer_phones').select('phone').execute()).map((r) => r.phone))
    const strangers = Array.from({ length: 250 }, () => ({
      name: W.weighted(rand, [[W.pickOf(rand, W.SURNAMES) + W.pickOf(rand, ['先生', '女士']), 70], [W.person(rand).name, 15], [null, 15]] as const),
      phone: rand() < 0.8 ? W.mobile(rand, used) : W.landline(rand, W.pickOf(rand, W.CITIES), used)
    }))
    const kb = await articles(db, clock, rand, [head, headOf(ctx.departments.marketing)])

    // ---- requests, day by day
    const requests: RequestRow[] = [], followups: Followup[] = [], leads: Row<'leads'>[] = [], links: Row<'request_articles'>[] = []
    const stepsOf = new Map<RequestRow, Followup[]>()
    const linkedBy = new Map<RequestRow, number>()
    let unassigned = 0
    for (let d = DEMO_REQUEST_DAYS - 1; d >= 0; d--) {
      const count = clock.isWeekend(d) ? W.between(rand, 3, 8) : W.between(rand, 18, 28)
      for (let i = 0; i < count; i++) {
        const t0 = clock.at(d, clock.isWeekend(d) ? W.between(rand, 540, 1020) : workMinute(rand))
        if (t0.getTime() > limit - 4 * MINUTE) continue
        const ageDays = (clock.now.getTime() - t0.getTime()) / DAY
        const agent = rand() < 0.1 ? head : W.pickOf(rand, agents).id
        const known = rand() < 0.72 ? W.pickOf(rand, callers) : null
        const stranger = known ? null : strangers[Math.floor(strangers.length * rand() ** 1.5)]
        const cat = W.weighted(rand, [['PRODUCT', 30], ['PRICE', 20], ['ORDER', 20], ['TECH', 20], ['OTHER', 10]] as const)
        const tpl = W.pickOf(rand, S.REQUESTS[cat])
        const p = W.pickOf(rand, W.PRODUCTS)
        const priority = W.weighted<Priority>(rand, [['normal', 70], ['high', 15], ['low', 10], ['urgent', 5]])
        const channel = W.weighted<Channel>(rand, [['phone', 75], ['email', 10], ['web', 10], ['visit', 5]])
        const target = W.weighted(rand, AGE_STATUS.find(([min]) => ageDays >= min)![1])
        const callerPhone = known ? known.mobile : stranger!.phone
        const r: RequestRow = {
          id: 0, number: '', received_at: t0, channel, caller_phone: callerPhone, caller_phone_norm: normalizePhone(callerPhone) || null,
          caller_name: known ? known.name : stranger!.name, customer_id: known?.customer_id ?? null, contact_id: known?.contact_id ?? null,
          category: categories.includes(cat) ? cat : categories[0] ?? null, subject: tpl.subject.replace('{p}', p), content: tpl.content.replace('{p}', p),
          answer: null, status: 'received', priority, assignee_id: agent, created_by: agent, due_at: new Date(t0.getTime() + DUE_HOURS[priority] * 3_600_000),
          is_lead: (cat === 'PRODUCT' || cat === 'PRICE') && rand() < 0.12, answered_at: null, archived_at: null, deleted_at: null,
          version: 1, created_at: t0, updated_at: t0
        }
        const steps: Followup[] = []
        // every change but a note updates the request (and its version), as the service does
        const step = (at: Date, f: Omit<Followup, 'at' | 'request_id'>) => {
          steps.push({ ...f, at, request_id: 0 })
          if (f.kind !== 'note' && steps.length > 1) { r.updated_at = at; r.version = (r.version as number) + 1 }
        }
        const answered = (at: Date, by: number) => {
          step(at, { user_id: by, kind: 'status', from_status: steps.length ? r.status as string : null, to_status: 'answered', note: null })
          Object.assign(r, { status: 'answered', answer: tpl.answer.replace('{p}', p), answered_at: at })
        }
        if ((target === 'answered' || target === 'archived') && rand() < 0.55) answered(t0, agent) // answered on the phone
        else step(t0, { user_id: agent, kind: 'status', from_status: null, to_status: 'received', note: null })
        let t = t0
        /** the time of the next step, lo–hi minutes after the last one; null while it is still to come */
        const later = (lo: number, hi: number) => {
          const x = t.getTime() + W.between(rand, lo, hi) * MINUTE
          return x < limit ? new Date(x) : null
        }
        let x: Date | null
        // a supervisor hands some to the other agent, and puts a few new ones back in the pool
        if (r.status === 'received' && (x = later(5, 60))) {
          if (target === 'received' && ageDays < 3 && (channel !== 'phone' || rand() < 0.3) && unassigned < 15) {
            step(t = x, { user_id: head, kind: 'assign', from_status: null, to_status: null, note: null })
            r.assignee_id = null
            unassigned++
          } else if (rand() < 0.08) {
            const to = agents.length > 1 ? agents.find((a) => a.id !== agent)!.id : head
            step(t = x, { user_id: head, kind: 'assign', from_status: null, to_status: null, note: String(to) })
            r.assignee_id = to
          }
        }
        const by = r.assignee_id ?? agent
        if (known && r.status === 'received' && rand() < 0.04 && (x = later(10, 120))) {
          // logged as an unknown caller first, linked to the customer once he was known
          step(t = x, { user_id: by, kind: 'link', from_status: null, to_status: null, note: String(known.customer_id) })
          linkedBy.set(r, by)
        }
        if (r.status === 'received' && target !== 'received' && (target === 'in_progress' || rand() < 0.7) && (x = later(5, 240))) {
          step(t = x, { user_id: by, kind: 'status', from_status: 'received', to_status: 'in_progress', note: null })
          r.status = 'in_progress'
        }
        if (rand() < 0.2 && (x = later(5, 180))) step(t = x, { user_id: by, kind: 'note', from_status: null, to_status: null, note: W.pickOf(rand, S.NOTES) })
        if (r.status !== 'answered' && (target === 'answered' || target === 'archived') && (x = later(30, 2 * 1440))) answered(t = x, by)
        if (r.status === 'answered' && target === 'archived' && (x = later(2 * 1440, 10 * 1440))) {
          step(t = x, { user_id: by, kind: 'status', from_status: 'answered', to_status: 'archived', note: null })
          Object.assign(r, { status: 'archived', archived_at: t })
        }
        requests.push(r)
        stepsOf.set(r, steps)
      }
    }

    // ids and numbers in the order the requests came in, numbered per office day
    requests.sort((a, b) => a.received_at.getTime() - b.received_at.getTime())
    const ids = await nextIds(db, 'service_requests', requests.length)
    const fmt = formatter('zh-CN', ctx.config.timeZone)
    const counters = new Map<string, number>()
    const timeline: Timeline[] = []
    requests.forEach((r, i) => {
      const day = fmt.date(r.received_at)
      const n = (counters.get(day) ?? 0) + 1
      counters.set(day, n)
      r.id = ids[i]
      r.number = `SR-${day.replaceAll('-', '')}-${String(n).padStart(4, '0')}`
      Object.assign(r, searchColumns(r))
      for (const f of stepsOf.get(r)!) followups.push({ ...f, request_id: r.id })
      if (r.customer_id) {
        timeline.push({ customer_id: r.customer_id, at: r.received_at, kind: linkedBy.has(r) ? 'request.linked' : 'request.created', ref_id: String(r.id),
          title: `${r.number} ${r.subject}`.slice(0, 300), href: `/service/requests/${r.id}`, user_id: linkedBy.get(r) ?? r.created_by })
      }
      const article = kb.filter((a) => a.category === ({ PRODUCT: 'PRODUCT', PRICE: 'PRICE', TECH: 'FAQ', ORDER: 'FAQ' } as Record<string, string>)[r.category ?? ''])
      if (article.length && rand() < 0.15) links.push({ request_id: r.id, article_id: W.pickOf(rand, article).id })
      if (r.is_lead) leads.push(lead(rand, clock, r, repsFor(ownerOf.get(r.customer_id ?? 0))))
    })
    await insertRows(db, 'service_requests', requests)
    await insertRows(db, 'request_followups', followups.sort((a, b) => a.at.getTime() - b.at.getTime()))
    await insertRows(db, 'request_articles', links)
    await insertRows(db, 'leads', leads)
    await insertRows(db, 'daily_counters', [...counters].map(([day, n]) => ({ kind: 'SR', day, n })))

    // ---- appointments and the do-not-call list
    const dncCaller = W.pickOf(rand, callers)
    const appts = appointments(rand, clock, agents, reps, requests, callers, dncCaller, head)
    const apptIds = await nextIds(db, 'appointments', appts.length)
    appts.sort((a, b) => a.created_at.getTime() - b.created_at.getTime()).forEach((a, i) => { a.id = apptIds[i] })
    for (const a of appts) {
      a.rebooked_from = a.from?.id ?? null
      if (!a.request_id && !a.from) timeline.push({ customer_id: a.customer_id, at: a.created_at, kind: 'appointment.booked', ref_id: String(a.id), title: a.purpose, href: null, user_id: a.created_by })
      if (a.status !== 'scheduled') {
        timeline.push({ customer_id: a.customer_id, at: a.updated_at as Date, kind: `appointment.${a.status}`, ref_id: String(a.id),
          title: `${a.purpose}${a.result ? ' · ' + a.result : ''}`.slice(0, 300), href: null, user_id: a.caller_id })
      }
    }
    await insertRows(db, 'appointments', appts.map(({ from: _f, ...a }) => a))
    const dnc = [{ phone: dncCaller.mobile }, ...Array.from({ length: 4 }, (_, i) => ({ phone: i === 3 ? W.landline(rand, W.pickOf(rand, W.CITIES), used) : W.mobile(rand, used) }))]
    await insertRows(db, 'dnc_numbers', dnc.map((x, i) => {
      const at = clock.at(W.between(rand, 5, 80), workMinute(rand))
      return { phone: normalizePhone(x.phone), phone_display: x.phone, reason: S.DNC_REASONS[i % S.DNC_REASONS.length], enabled: true, created_by: head, version: 1, created_at: at, updated_at: at }
    }))
    await insertRows(db, 'customer_timeline', timeline.sort((a, b) => (a.at as Date).getTime() - (b.at as Date).getTime()))
  }
}

/** a sales lead raised with a request: new ones wait in the inbox, older ones were assigned, won or dropped */
function lead(rand: W.Rand, clock: DemoClock, r: RequestRow, reps: DemoUser[]): Row<'leads'> {
  const age = (clock.now.getTime() - r.received_at.getTime()) / DAY
  const status = W.weighted(rand, age < 7 ? [['new', 60], ['assigned', 40]] as const
    : age < 30 ? [['new', 10], ['assigned', 50], ['converted', 25], ['dropped', 15]] as const : [['assigned', 20], ['converted', 45], ['dropped', 35]] as const)
  const rep = reps.length ? W.pickOf(rand, reps) : undefined
  const assignedAt = new Date(Math.min(r.received_at.getTime() + W.between(rand, 60, 2 * 1440) * MINUTE, clock.now.getTime() - MINUTE))
  const assigned = status !== 'new' && rep
  const closed = status === 'converted' || status === 'dropped'
  return {
    request_id: r.id, customer_id: r.customer_id ?? null, contact_id: r.contact_id ?? null, note: W.pickOf(rand, S.LEAD_NOTES),
    status: assigned ? status : 'new', created_by: r.created_by, assigned_to: assigned ? rep.id : null, assigned_at: assigned ? assignedAt : null,
    version: assigned ? (closed ? 3 : 2) : 1, created_at: r.received_at, updated_at: assigned ? assignedAt : r.received_at
  }
}

/** each agent's diary: calls today (one to a do-not-call number), two left over from earlier days, the coming days, and three months of outcomes; reps' visits */
function appointments(rand: W.Rand, clock: DemoClock, agents: DemoUser[], reps: DemoUser[], requests: RequestRow[], callers: Caller[], dnc: Caller, head: number): Appt[] {
  const out: Appt[] = []
  const limit = clock.now.getTime() - MINUTE
  const add = (caller: number, at: Date, who: Caller | null, opts: { kind?: Appt['kind']; purpose?: string; from?: Appt; createdAt?: Date } = {}): Appt => {
    // a callback booked while answering a request, or one booked on its own a few days before
    const req = !who && !opts.from && rand() < 0.4 ? requests.find((r) => r.created_by === caller && r.customer_id && r.received_at.getTime() < at.getTime() - 30 * MINUTE &&
      r.received_at.getTime() > at.getTime() - 4 * DAY && rand() < 0.3) : undefined
    const c = who ?? (req ? { customer_id: req.customer_id!, contact_id: req.contact_id! } as Caller : W.pickOf(rand, callers))
    const createdAt = opts.createdAt ?? (req ? req.received_at : new Date(Math.min(at.getTime() - W.between(rand, 60, 5 * 1440) * MINUTE, limit)))
    const a: Appt = {
      id: 0, customer_id: c.customer_id, contact_id: c.contact_id ?? null, kind: opts.kind ?? 'callback', scheduled_at: at,
      purpose: opts.purpose ?? W.pickOf(rand, S.PURPOSES), caller_id: caller, status: 'scheduled', result: null, request_id: req?.id ?? null, from: opts.from,
      rebooked_from: null, created_by: opts.from || req || rand() < 0.8 ? caller : head, version: 1, created_at: createdAt, updated_at: createdAt
    }
    out.push(a)
    return a
  }
  const close = (a: Appt, status: 'done' | 'no_answer' | 'cancelled', day: number) => {
    const at = new Date(Math.min(a.scheduled_at.getTime() + W.between(rand, 1, 20) * MINUTE, limit))
    Object.assign(a, { status, result: W.pickOf(rand, S.RESULTS[status]), version: 2, updated_at: at })
    if (status !== 'no_answer') return
    // no answer: the next attempt is booked for the next working day
    let next = day - 1
    while (next > 0 && clock.isWeekend(next)) next--
    const b = add(a.caller_id, clock.at(next, workMinute(rand)), { customer_id: a.customer_id, contact_id: a.contact_id } as Caller,
      { purpose: a.purpose, from: a, createdAt: at, kind: a.kind })
    b.request_id = a.request_id
    if (b.scheduled_at.getTime() < limit - 3_600_000) close(b, rand() < 0.8 ? 'done' : 'cancelled', next)
  }
  agents.forEach((agent, n) => {
    // today's list names six different customers
    const today = new Set<number>([dnc.customer_id])
    const fresh = () => { let c: Caller; do c = W.pickOf(rand, callers); while (today.has(c.customer_id)); today.add(c.customer_id); return c }
    ;[570, 615, 660, 840, 930, 1005].forEach((m, i) => add(agent.id, clock.at(0, m), n === 0 && i === 0 ? dnc : fresh()))
    add(agent.id, clock.at(1, 960), null)
    add(agent.id, clock.at(3, 630), null)
    for (let i = 0; i < 8; i++) add(agent.id, clock.at(-W.between(rand, 1, 10), workMinute(rand)), null)
    for (let d = 90; d >= 2; d--) {
      if (clock.isWeekend(d) || rand() > 0.8) continue
      close(add(agent.id, clock.at(d, workMinute(rand)), null), W.weighted(rand, [['done', 65], ['no_answer', 20], ['cancelled', 15]] as const), d)
    }
  })
  for (const rep of reps) {
    const mine = callers.filter((c) => c.owner_id === rep.id)
    if (!mine.length) continue
    const visit = (d: number) => add(rep.id, clock.at(d, d === 0 ? 900 : workMinute(rand)), W.pickOf(rand, mine), { kind: 'visit', purpose: W.pickOf(rand, S.VISIT_PURPOSES) })
    visit(0)
    for (let i = 0; i < 2; i++) visit(-W.between(rand, 1, 7))
    for (let i = 0; i < 4; i++) { const d = W.between(rand, 3, 60); close(visit(d), 'done', d) }
  }
  return out
}
