// Demo customers for `npm run demo` (issue 3 item 14): about 3,000 Chinese companies,
// distributors, public bodies and individuals over two years, spread over the sales
// reps by territory, each with contacts, and demand and communication records, the
// review queue, birthdays this week and next steps due, all on the timeline.
//
// Everything is computed in JavaScript first (names, phones, dates, and the search
// columns by the module's own derive(), so search finds demo customers exactly as
// typed-in ones), then written with one statement per table. Ids and codes come
// from the real sequences, so the next customer entered in the UI simply gets the
// next code.
import { sql, type Insertable } from 'kysely'
import type { DB } from '../../db/index.ts'
import type { Database } from '../../db/types.ts'
import { formatter, officeTime } from '../../platform/format.ts'
import { DEFAULT_LANG, translator } from '../../platform/i18n.ts'
import type { DemoContext, DemoSeeder, DemoUser } from '../demo.ts'
import { derive, initials as pinyinInitials } from './derive.ts'
import * as W from './demo-words.ts'
import type { CustomerStatus, Grade } from './tables.ts'

export const DEMO_CUSTOMERS = 3000

// ---- helpers the other modules' demo seeders share --------------------------------

type Rows<T extends keyof Database & string> = Insertable<Database[T]>[]

// The rows travel as a single JSON parameter (no limit of 65,535 parameters, one
// round trip) and take the table's column types. Every row should carry the same
// keys; a key missing from a row is NULL.
function insertSql(table: string, rows: object[]) {
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))]
  const list = sql.join(cols.map((c) => sql.ref(c)))
  return sql`insert into ${sql.table(table)} (${list})
    select ${list} from jsonb_populate_recordset(null::${sql.table(table)}, ${JSON.stringify(rows)}::jsonb)`
}

/** one INSERT … SELECT for any number of rows */
export async function insertRows<T extends keyof Database & string>(db: DB, table: T, rows: Rows<T>): Promise<void> {
  if (rows.length) await insertSql(table, rows).execute(db)
}

/**
 * Two tables that point at each other (a customer at its main contact, the contact at
 * its customer) in one statement: foreign keys are checked at the end of the
 * statement, so no UPDATE of the fresh rows is needed afterwards (an UPDATE would
 * rewrite every row and all of its index entries).
 */
export async function insertPair<A extends keyof Database & string, B extends keyof Database & string>(db: DB, a: A, aRows: Rows<A>, b: B, bRows: Rows<B>) {
  await sql`with a as (${insertSql(a, aRows)}), b as (${insertSql(b, bRows)}) select 1`.execute(db)
}

/**
 * The pool's statement_timeout (5 s by default) guards request queries; a demo
 * seeder's statements write thousands of rows each and get a minute for their own
 * transaction (seedDemo() runs every seeder in one), as an import does.
 */
export async function longStatements(db: DB) {
  await sql`select set_config('statement_timeout', '60000', true)`.execute(db)
}

/** n ids from a table's serial sequence, ascending, so rows can point at each other before they are written */
export async function nextIds(db: DB, table: string, n: number): Promise<number[]> {
  if (n <= 0) return []
  const { rows } = await sql<{ v: number }>`select nextval(pg_get_serial_sequence(${table}, 'id'))::int as v from generate_series(1, ${n})`.execute(db)
  return rows.map((r) => Number(r.v)).sort((a, b) => a - b)
}

/** 'YYYY-MM-DD' plus n days (calendar arithmetic) */
export function addDays(day: string, n: number): string {
  const [y, m, d] = day.split('-').map(Number)
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10)
}

export interface DemoClock {
  now: Date
  /** today in the office time zone */
  today: string
  /** the office date `offset` days ago */
  day(offset: number): string
  /** `minute` minutes after midnight, `offset` days ago, office time */
  at(offset: number, minute: number): Date
  isWeekend(offset: number): boolean
}

export function demoClock(ctx: DemoContext): DemoClock {
  const tz = ctx.config.timeZone
  const today = formatter('zh-CN', tz).date(ctx.now)
  const day = (offset: number) => addDays(today, -offset)
  // officeTime() builds an Intl formatter per call: once a day is plenty (a time on
  // the day a clock changes may be an hour off, which a demo can live with)
  const midnights = new Map<number, number>()
  const midnight = (offset: number) => midnights.get(offset) ?? (midnights.set(offset, officeTime(`${day(offset)}T00:00`, tz).getTime()), midnights.get(offset)!)
  return {
    now: ctx.now, today, day,
    at: (offset, minute) => new Date(midnight(offset) + minute * 60_000),
    isWeekend: (offset) => [0, 6].includes(new Date(`${day(offset)}T00:00:00Z`).getUTCDay())
  }
}

/** a minute of the working day, 08:30–18:00 */
export const workMinute = (rand: W.Rand) => W.between(rand, 510, 1080)

// ---- the customers --------------------------------------------------------------

type Kind = 'A' | 'B' | 'G' | 'P'
type ContactRow = Insertable<Database['contacts']> & { id: number; name: string }
type CustomerRow = Insertable<Database['customers']> & { id: number; code: string; name: string }
interface Plan {
  row: CustomerRow
  contacts: ContactRow[]
  owner: DemoUser
  created: number // days ago
  createdAt: Date
}

const STATUS_GRADES: Record<CustomerStatus, ReadonlyArray<readonly [Grade, number]>> = {
  won: [['A', 25], ['B', 35], ['C', 30], ['D', 10]],
  interested: [['A', 15], ['B', 35], ['C', 35], ['D', 15]],
  potential: [['B', 10], ['C', 30], ['D', 60]],
  lost: [['D', 40], ['E', 60]],
  dead: [['E', 1]]
}
const REJECT_REASONS = ['与已有客户重复，请先查重', '企业名称不完整，请填写营业执照上的全称', '缺少联系电话', '行业和企业性质填写有误']
const REMARKS = ['每年三月集中采购', '需开具增值税专用发票', '只接受上午来电', '决策人是老板本人', '付款周期较长，注意账期', '曾参加去年秋季展会']

interface Office {
  owners: Array<readonly [DemoUser, number]>
  territory: Map<number, W.City[]>
  reviewerOf: Map<number, number>
}

/** who owns customers (reps mostly, their supervisors a few), their territories, and who reviews their entries */
async function office(db: DB, ctx: DemoContext): Promise<Office> {
  const keyOf = new Map(Object.entries(ctx.departments).map(([k, id]) => [id, k]))
  const deps = new Map((await db.selectFrom('departments').select(['id', 'parent_id', 'head_user_id']).execute()).map((d) => [d.id, d]))
  const cities = (t: W.City['territory'][]) => W.CITIES.filter((c) => t.includes(c.territory))
  const territories: Record<string, W.City[]> = { east: cities(['east']), south: cities(['south']), sales1: cities(['east', 'south']), sales2: cities(['north']) }
  const owners: Array<readonly [DemoUser, number]> = []
  const territory = new Map<number, W.City[]>()
  const reviewerOf = new Map<number, number>()
  for (const u of [...ctx.byRole.user, ...ctx.byRole.supervisor]) {
    const key = keyOf.get(u.departmentId) ?? ''
    const sales = key in territories
    if (u.role === 'supervisor' && !sales) continue
    owners.push([u, u.role === 'supervisor' ? 5 : sales ? 13 : 4])
    territory.set(u.id, territories[key] ?? W.CITIES)
    // the nearest department head above him reviews what he enters
    let d = deps.get(u.departmentId)
    while (d && (!d.head_user_id || d.head_user_id === u.id)) d = d.parent_id ? deps.get(d.parent_id) : undefined
    reviewerOf.set(u.id, d?.head_user_id ?? ctx.byRole.decision[0].id)
  }
  return { owners, territory, reviewerOf }
}

export const customersDemo: DemoSeeder = {
  name: 'customers',
  async seed(db, ctx) {
    await longStatements(db)
    const rand = ctx.random
    const clock = demoClock(ctx)
    const lists = new Map<string, string[]>()
    for (const r of await db.selectFrom('code_items').select(['kind', 'code']).where('enabled', '=', true).orderBy('sort').execute()) {
      lists.set(r.kind, [...(lists.get(r.kind) ?? []), r.code])
    }
    // a code only if the office's code list has it (an admin may have changed the lists)
    const code = (kind: string, wanted: string) => (lists.get(kind)?.includes(wanted) ? wanted : lists.get(kind)?.[0] ?? null)
    const choose = (kind: string, items: ReadonlyArray<readonly [string, number]>) => code(kind, W.weighted(rand, items))
    const cities = [...new Set(W.CITIES.map((c) => c.region))]
    const districts = new Map<string, { code: string; name: string }[]>()
    for (const r of await db.selectFrom('regions').select(['code', 'name', 'parent_code']).where('level', '=', 3).where('parent_code', 'in', cities).execute()) {
      if (/区$/.test(r.name)) districts.set(r.parent_code!, [...(districts.get(r.parent_code!) ?? []), { code: r.code, name: r.name }])
    }
    const { owners, territory, reviewerOf } = await office(db, ctx)
    const tl = translator(DEFAULT_LANG)
    // for e-mail addresses only; the search columns are derive()'s
    const memo = new Map<string, string>()
    const initials = (w: string, person = false) => memo.get(w) ?? (memo.set(w, pinyinInitials(w, person)), memo.get(w)!)
    const names = new Set<string>(), mobiles = new Set<string>(), lines = new Set<string>()

    const plans: Plan[] = []
    for (let i = 0; i < DEMO_CUSTOMERS; i++) {
      const owner = W.weighted(rand, owners)
      const city = W.pickOf(rand, territory.get(owner.id)!)
      const district = W.pickOf(rand, districts.get(city.region) ?? [{ code: city.region, name: '' }])
      const kind = W.weighted<Kind>(rand, [['A', 82], ['B', 6], ['G', 2], ['P', 10]])
      let name: string, short: string | null = null, industry: string | null = null, domain = ''
      let brand = '', trade = ''
      do {
        brand = W.BRANDS[Math.floor(W.BRANDS.length * rand() ** 1.6)]
        const [tw, ind] = W.TRADES[Math.floor(W.TRADES.length * rand() ** 1.3)]
        trade = tw
        industry = ind
        if (kind === 'P') { name = W.person(rand).name; industry = null }
        else if (kind === 'G') { name = `${city.word}市${district.name}${W.pickOf(rand, W.PUBLIC_BODIES)}`; industry = 'OTHER' }
        else if (kind === 'B') { trade = W.pickOf(rand, ['商贸', '贸易', '经贸', '办公设备']); name = `${city.word}市${brand}${trade}有限公司`; industry = 'RETAIL' }
        else {
          const form = W.weighted(rand, W.LEGAL_FORMS.filter(([f]) => (f === '厂' ? ind === 'MFG' : f === '经营部' ? ind === 'RETAIL' : true)))
          name = W.weighted(rand, [[`${city.word}市${brand}${tw}${form}`, 60], [`${city.word}${brand}${tw}${form}`, 25], [`${brand}${tw}（${city.word}）${form}`, 15]] as const)
        }
      } while (names.has(name) && names.size < DEMO_CUSTOMERS * 3)
      names.add(name)
      if (kind === 'A' || kind === 'B') { short = brand + [...trade].slice(0, 2).join(''); domain = `${initials(brand)}${initials(trade)}.${rand() < 0.6 ? 'com' : 'com.cn'}` }
      if (kind === 'G') short = name.slice(city.word.length + 1)

      // when it was entered: two years back, busier lately, on working days mostly
      let created = Math.floor(730 * (1 - Math.sqrt(rand())))
      if (clock.isWeekend(created) && rand() < 0.85) created += 2
      let createdAt = clock.at(created, workMinute(rand))
      // a few minutes of margin: the contacts are added just after the customer
      if (createdAt.getTime() > clock.now.getTime() - 600_000) createdAt = clock.at(++created, workMinute(rand))
      const status = W.weighted<CustomerStatus>(rand, [['potential', 33], ['interested', 27], ['won', 25], ['lost', 8], ['dead', 7]])
      const phone = kind === 'P' ? W.mobile(rand, mobiles) : W.landline(rand, city, lines)
      const tags = new Set<string>()
      for (let n = W.weighted(rand, [[0, 45], [1, 35], [2, 20]] as const); n > 0; n--) tags.add(W.weighted(rand, W.TAGS))
      const row: CustomerRow = {
        id: 0, code: '', customer_type: code('customer_type', kind)!, name, short_name: short,
        legal_rep: kind === 'A' || kind === 'B' ? W.person(rand).name : null,
        email: domain && rand() < 0.6 ? `${W.pickOf(rand, ['info', 'sales', 'service', 'contact'])}@${domain}` : null,
        region_code: district.code,
        address: `${city.word}市${district.name}${W.pickOf(rand, W.STREETS)}${W.between(rand, 1, 999)}号${kind === 'P' ? `${W.between(rand, 1, 30)}栋${W.between(rand, 101, 2808)}室` : ''}`,
        phone, fax: kind !== 'P' && rand() < 0.25 ? W.landline(rand, city, lines) : null,
        website: domain && rand() < 0.35 ? `www.${domain}` : null,
        nature: kind === 'P' ? code('enterprise_nature', 'PERSON') : kind === 'G' ? code('enterprise_nature', 'GOV')
          : choose('enterprise_nature', [['PRIVATE', 70], ['SOE', 10], ['FOREIGN', 8], ['JV', 7]]),
        industry: industry ? code('industry', industry) : null,
        sales_channel: kind === 'B' ? choose('sales_channel', [['DISTRIB', 70], ['AGENT', 30]]) : choose('sales_channel', [['DIRECT', 60], ['AGENT', 15], ['ONLINE', 15], ['DISTRIB', 10]]),
        brands: kind === 'B' ? [...new Set([0, 1, 2].map(() => W.pickOf(rand, ['惠普', '联想', '得力', '佳能', '爱普生', '晨光', '华为', '兄弟'])))].join('、') : null,
        size: kind === 'P' ? null : choose('enterprise_size', [['S', 55], ['M', 35], ['L', 10]]),
        credit: kind === 'P' ? null : choose('credit_rating', [['AAA', 15], ['AA', 35], ['A', 40], ['B', 10]]),
        assessment: status === 'won' && rand() < 0.3 ? W.pickOf(rand, ['信誉良好，按时回款', '采购量稳定', '对价格敏感', '服务要求高']) : null,
        grade: W.weighted(rand, STATUS_GRADES[status]), status,
        source: choose('customer_source', [['PHONE', 25], ['WEB', 20], ['REFERRAL', 20], ['EVENT', 15], ['VISIT', 20]]),
        tags: [...tags], owner_id: owner.id, registered_on: clock.day(created), collected_by: owner.name,
        entered_by: owner.id, review_state: 'approved', reviewed_by: owner.id, reviewed_at: createdAt, review_note: null,
        remarks: rand() < 0.12 ? W.pickOf(rand, REMARKS) : null, version: 1, created_at: createdAt, updated_at: createdAt
      }
      if (owner.role === 'user' && rand() < 0.2) {
        // entered by his supervisor for him: approved at once
        row.entered_by = row.reviewed_by = reviewerOf.get(owner.id)!
      } else if (owner.role === 'user') {
        row.reviewed_by = reviewerOf.get(owner.id)!
        row.reviewed_at = row.updated_at = new Date(Math.min(createdAt.getTime() + W.between(rand, 20, 3 * 1440) * 60_000, clock.now.getTime() - 60_000))
        row.version = 2
      }

      const contacts: ContactRow[] = []
      const count = kind === 'P' ? 1 : kind === 'G' ? W.between(rand, 1, 2) : W.weighted(rand, [[1, 35], [2, 40], [3, 25]] as const)
      for (let k = 0; k < count; k++) {
        const who = kind === 'P' ? { name, gender: rand() < 0.55 ? 'M' as const : 'F' as const } : W.person(rand)
        const born = rand() < 0.3 ? `${W.between(rand, 1962, 1996)}-${String(W.between(rand, 1, 12)).padStart(2, '0')}-${String(W.between(rand, 1, 28)).padStart(2, '0')}` : null
        contacts.push({
          id: 0, customer_id: 0, name: who.name, gender: who.gender, birthday: born,
          position: kind === 'P' ? null : k === 0
            ? choose('position', [['GM', 30], ['CHAIR', 10], ['SALES', 20], ['MKT', 10], ['EXT', 10], ['HR', 5], ['CE', 5], ['STAFF', 10]])
            : choose('position', [['STAFF', 40], ['SALES', 15], ['MKT', 15], ['CE', 10], ['HR', 10], ['PR', 10]]),
          department: kind === 'P' ? null : W.pickOf(rand, W.CONTACT_DEPARTMENTS),
          office_phone: kind !== 'P' && rand() < 0.5 ? (rand() < 0.6 ? `${phone} 转 ${W.between(rand, 801, 899)}` : W.landline(rand, city, lines, rand() < 0.3)) : null,
          mobile: kind === 'P' ? phone : rand() < 0.93 ? W.mobile(rand, mobiles) : null,
          email: domain && rand() < 0.35 ? `${initials(who.name, true)}${rand() < 0.4 ? W.between(rand, 1, 99) : ''}@${domain}` : null,
          fax: null, postcode: null, address: null, profile: null,
          is_key: k === 0 || rand() < 0.2, valid: k === 0 || rand() > 0.05, updated_by: row.entered_by,
          version: 1, created_at: new Date(createdAt.getTime() + (k + 1) * 60_000), updated_at: new Date(createdAt.getTime() + (k + 1) * 60_000)
        })
      }
      plans.push({ row, contacts, owner, created, createdAt })
    }

    // the review queue: recent entries of ordinary users waiting, a few sent back
    const byAge = [...plans].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
    const reps = byAge.filter((p) => p.owner.role === 'user' && p.row.entered_by === p.owner.id)
    for (const p of reps.filter((p) => p.created <= 14).slice(-20)) {
      Object.assign(p.row, { review_state: 'pending', reviewed_by: null, reviewed_at: null, version: 1, updated_at: p.createdAt, status: 'potential', grade: 'D' })
    }
    for (const p of reps.filter((p) => p.created > 14 && p.created <= 45).slice(-4)) {
      Object.assign(p.row, { review_state: 'rejected', review_note: W.pickOf(rand, REJECT_REASONS), status: 'potential', grade: 'D' })
    }

    // ids and codes in the order the customers were entered, from the real sequences
    const [ids, contactIds, numbers] = await Promise.all([
      nextIds(db, 'customers', plans.length), nextIds(db, 'contacts', plans.reduce((s, p) => s + p.contacts.length, 0)),
      sql<{ n: number }>`select nextval('customer_code_seq')::int as n from generate_series(1, ${plans.length})`.execute(db)
        .then((r) => r.rows.map((x) => Number(x.n)).sort((a, b) => a - b))
    ])
    let nextContact = 0
    byAge.forEach((p, i) => {
      p.row.id = ids[i]
      // the format of nextCustomerCode() in service.ts
      p.row.code = `${String(p.row.customer_type).toUpperCase()}-${String(numbers[i]).padStart(6, '0')}`
      for (const k of p.contacts) { k.id = contactIds[nextContact++]; k.customer_id = p.row.id }
    })

    birthdaysThisWeek(rand, clock, byAge)
    const timeline: Insertable<Database['customer_timeline']>[] = []
    const phones: Insertable<Database['customer_phones']>[] = []
    for (const p of byAge) {
      const d = derive({ ...p.row, customer_type: String(p.row.customer_type), contacts: p.contacts })
      Object.assign(p.row, { name_initials: d.name_initials, first_letter: d.first_letter, search_grams: d.search_grams, search_text: d.search_text })
      for (const ph of d.phones) phones.push({ customer_id: p.row.id, ...ph })
      const user = p.row.entered_by!
      timeline.push({ customer_id: p.row.id, at: p.createdAt, kind: 'customer.created', ref_id: null, title: `${p.row.code} ${p.row.name}`.slice(0, 300), href: null, user_id: user })
      for (const k of p.contacts) timeline.push({ customer_id: p.row.id, at: k.created_at as Date, kind: 'contact.created', ref_id: null, title: k.name, href: null, user_id: user })
      if (p.row.reviewed_by && p.row.reviewed_by !== user) {
        const rejected = p.row.review_state === 'rejected'
        timeline.push({ customer_id: p.row.id, at: p.row.reviewed_at as Date, kind: rejected ? 'customer.rejected' : 'customer.approved', ref_id: null, href: null,
          title: rejected ? tl('customerAdmin.tl.rejected', { reason: p.row.review_note! }) : tl('customerAdmin.tl.approved'), user_id: p.row.reviewed_by })
      }
    }
    for (const p of byAge) p.row.main_contact_id = p.contacts[0].id
    await insertPair(db, 'customers', byAge.map((p) => p.row), 'contacts', byAge.flatMap((p) => p.contacts))
    await insertRows(db, 'customer_phones', phones)
    await records(db, ctx, clock, byAge, timeline)
    await insertRows(db, 'customer_timeline', timeline.sort((a, b) => (a.at as Date).getTime() - (b.at as Date).getTime()))
  }
}

/** a couple of each owner's contacts have their birthday in the coming week (the workbench shows them) */
function birthdaysThisWeek(rand: W.Rand, clock: DemoClock, plans: Plan[]) {
  const seen = new Map<number, number>()
  for (const p of plans) {
    if (p.row.review_state !== 'approved' || p.row.customer_type === 'P' || rand() > 0.05) continue
    const n = seen.get(p.owner.id) ?? 0
    if (n >= 2) continue
    seen.set(p.owner.id, n + 1)
    const md = addDays(clock.today, W.between(rand, 0, 6)).slice(5)
    p.contacts[0].birthday = `${md === '02-29' ? 1988 : W.between(rand, 1965, 1995)}-${md}`
  }
}

/** demand and communication records, with the reminders they raise spread over the owners */
async function records(db: DB, ctx: DemoContext, clock: DemoClock, plans: Plan[], timeline: Insertable<Database['customer_timeline']>[]) {
  const rand = ctx.random
  const kinds = (await db.selectFrom('code_items').select('code').where('kind', '=', 'demand_kind').where('enabled', '=', true).orderBy('sort').execute()).map((r) => r.code)
  type Demand = Insertable<Database['demand_records']> & { customer_id: number; description: string; created_at: Date }
  type Comm = Insertable<Database['communications']> & { id: number; at: Date; user_id: number; summary: string; kind: 'call' | 'visit' | 'email' | 'meeting' }
  const demands: Demand[] = [], comms: Comm[] = []
  const expiring = new Set<number>()
  const latest = new Map<number, Comm[]>() // owner → his customers' latest records
  for (const p of plans) {
    const live = p.contacts.filter((k) => k.valid)
    if (kinds.length && p.row.review_state === 'approved' && rand() < 0.22) {
      const from = W.between(rand, 0, Math.min(p.created, 360))
      const kind = W.pickOf(rand, kinds)
      let to: string | null = rand() < 0.2 ? null : addDays(clock.day(from), W.pickOf(rand, [90, 180, 365]))
      if (!expiring.has(p.owner.id) && from > 10) { to = addDays(clock.today, W.between(rand, -5, 6)); expiring.add(p.owner.id) }
      const at = clock.at(from, workMinute(rand))
      demands.push({ customer_id: p.row.id, kind, description: W.pickOf(rand, W.DEMANDS[kind] ?? W.DEMANDS.INFO), valid_from: clock.day(from), valid_to: to,
        created_by: p.owner.id, version: 1, created_at: at < clock.now ? at : clock.now, updated_at: at < clock.now ? at : clock.now })
    }
    const status = p.row.status as CustomerStatus
    const max = p.row.review_state !== 'approved' ? 1 : { won: 6, interested: 5, potential: 3, lost: 2, dead: 1 }[status]
    const n = W.between(rand, status === 'won' || status === 'interested' ? 1 : 0, max)
    const days = [...new Set(Array.from({ length: n }, () => W.between(rand, 0, Math.min(p.created, 180))))].sort((a, b) => b - a)
    const mine: Comm[] = []
    for (const d of days) {
      const kind = W.weighted(rand, [['call', 50], ['visit', 20], ['email', 20], ['meeting', 10]] as const)
      let at = clock.at(d, workMinute(rand))
      if (at <= p.createdAt) at = new Date(p.createdAt.getTime() + 30 * 60_000)
      if (at >= clock.now) continue
      const step = rand() < 0.3
      mine.push({ id: 0, customer_id: p.row.id, contact_id: live.length ? W.pickOf(rand, live).id : null, kind, at, user_id: p.owner.id,
        summary: W.pickOf(rand, W.COMMUNICATIONS[kind]), next_step: step ? W.pickOf(rand, W.NEXT_STEPS) : null,
        // an earlier record's next step was taken: the records after it are the proof
        next_date: step ? addDays(clock.day(d), W.between(rand, 2, 10)) : null, next_done: step, created_at: at })
    }
    comms.push(...mine)
    const last = mine[mine.length - 1]
    if (last) latest.set(p.owner.id, [...(latest.get(p.owner.id) ?? []), last])
  }
  // each owner's latest records: a few next steps due today, a few overdue, more to come
  for (const list of latest.values()) {
    let today = 0, overdue = 0
    for (const m of list.filter(() => rand() < 0.5)) {
      const ago = Math.round((clock.now.getTime() - m.at.getTime()) / 86_400_000)
      const due = today < 3 && ago >= 1 ? 0 : overdue < 4 && ago >= 3 ? -W.between(rand, 1, Math.min(ago - 1, 10)) : W.between(rand, 1, 21)
      if (due === 0) today++
      else if (due < 0) overdue++
      Object.assign(m, { next_step: W.pickOf(rand, W.NEXT_STEPS), next_date: addDays(clock.today, due), next_done: false })
      if (due > 0 && rand() < 0.6) Object.assign(m, { next_step: null, next_date: null })
    }
  }
  const ids = await nextIds(db, 'communications', comms.length)
  comms.sort((a, b) => a.at.getTime() - b.at.getTime()).forEach((m, i) => {
    m.id = ids[i]
    timeline.push({ customer_id: m.customer_id, at: m.at, kind: `communication.${m.kind}`, ref_id: String(m.id), title: m.summary, href: null, user_id: m.user_id })
  })
  for (const d of demands) timeline.push({ customer_id: d.customer_id, at: d.created_at, kind: 'demand.created', ref_id: null, title: d.description, href: null, user_id: d.created_by ?? null })
  await insertRows(db, 'demand_records', demands)
  await insertRows(db, 'communications', comms)
}
