// The customer archive's workbench reminders, for the signed-in user within his data
// scope: contact birthdays (today and the next 7 days), customer anniversaries
// (registered on this day, a year or more ago), demand records expiring within 7 days
// or expired in the last 7, his own communication next steps due or overdue, and the
// review queue: pending customers for reviewers, returned ones for their owners.
// Each query reads an index range and stops at a LIMIT, whatever the table sizes.
import { sql } from 'kysely'
import type { DB } from '../../db/index.ts'
import { translator } from '../../platform/i18n.ts'
import type { Principal } from '../../platform/principal.ts'
import { registerReminders, type Reminder } from '../../platform/reminders.ts'
import { inScope } from '../../platform/scope.ts'
import { pendingCount, returnedToOwner } from './review-service.ts'

export const REMINDER_LIMIT = 50
export const WINDOW_DAYS = 7

/** 'YYYY-MM-DD' plus n days (calendar arithmetic, no time zone involved) */
export function addDays(day: string, n: number): string {
  const [y, m, d] = day.split('-').map(Number)
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10)
}

const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0
const md = (day: string) => Number(day.slice(5, 7)) * 100 + Number(day.slice(8, 10))

/**
 * The month*100+day keys of the days from `from` for `days` days, each with its date.
 * In a year without 29 February, people born on it are remembered on the 28th.
 */
export function monthDays(from: string, days: number): Map<number, string> {
  const out = new Map<number, string>()
  for (let i = 0; i < days; i++) {
    const d = addDays(from, i)
    out.set(md(d), d)
    if (md(d) === 228 && !isLeap(Number(d.slice(0, 4)))) out.set(229, d)
  }
  return out
}

// the same expressions as the indexes contacts_birthday_idx and customers_anniversary_idx
const birthdayKey = sql<number>`((extract(month from k.birthday) * 100 + extract(day from k.birthday))::int)`
const anniversaryKey = sql<number>`((extract(month from c.registered_on) * 100 + extract(day from c.registered_on))::int)`

// The queries are exported as builders so a test can EXPLAIN exactly what runs.
export const birthdayQuery = (db: DB, user: Principal, keys: number[]) =>
  db.selectFrom('contacts as k').innerJoin('customers as c', 'c.id', 'k.customer_id')
    .select(['k.name', 'k.birthday', 'c.id as cid', 'c.name as cname', birthdayKey.as('md')])
    .where(sql<boolean>`${birthdayKey} in (${sql.join(keys)})`)
    .where('k.birthday', 'is not', null).where('k.deleted_at', 'is', null).where('k.valid', '=', true)
    .where('c.deleted_at', 'is', null).where('c.merged_into', 'is', null).where(inScope(user, 'c.owner_id'))
    .limit(REMINDER_LIMIT)

export const anniversaryQuery = (db: DB, user: Principal, keys: number[], today: string) =>
  db.selectFrom('customers as c').select(['c.id', 'c.name', 'c.registered_on'])
    .where(sql<boolean>`${anniversaryKey} in (${sql.join(keys)})`)
    .where('c.registered_on', '<=', addDays(today, -365))
    .where('c.deleted_at', 'is', null).where('c.merged_into', 'is', null).where(inScope(user, 'c.owner_id'))
    .limit(REMINDER_LIMIT)

export const demandQuery = (db: DB, user: Principal, today: string) =>
  db.selectFrom('demand_records as d').innerJoin('customers as c', 'c.id', 'd.customer_id')
    .select(['d.description', 'd.valid_to', 'c.id as cid', 'c.name as cname'])
    .where('d.valid_to', '>=', addDays(today, -WINDOW_DAYS)).where('d.valid_to', '<=', addDays(today, WINDOW_DAYS))
    .where('d.deleted_at', 'is', null)
    .where('c.deleted_at', 'is', null).where('c.merged_into', 'is', null).where(inScope(user, 'c.owner_id'))
    .orderBy('d.valid_to').limit(REMINDER_LIMIT)

export const nextStepQuery = (db: DB, user: Principal, today: string) =>
  db.selectFrom('communications as m').innerJoin('customers as c', 'c.id', 'm.customer_id')
    .select(['m.next_step', 'm.summary', 'm.next_date', 'c.id as cid', 'c.name as cname'])
    .where('m.user_id', '=', user.id).where('m.next_date', 'is not', null).where('m.next_date', '<=', today).where('m.next_done', '=', false)
    .where('c.deleted_at', 'is', null).where('c.merged_into', 'is', null).where(inScope(user, 'c.owner_id'))
    .orderBy('m.next_date').limit(REMINDER_LIMIT)

async function birthdays(db: DB, user: Principal, today: string): Promise<Reminder[]> {
  const days = monthDays(today, WINDOW_DAYS + 1)
  const t = translator(user.lang)
  const rows = await birthdayQuery(db, user, [...days.keys()]).execute()
  return rows.map((r) => ({
    kindKey: 'customerAdmin.reminder.birthday', href: `/customers/${r.cid}#contacts`, due: days.get(Number(r.md)) ?? today, overdue: false,
    title: t('customerAdmin.reminder.birthdayTitle', { contact: r.name, customer: r.cname })
  }))
}

async function anniversaries(db: DB, user: Principal, today: string): Promise<Reminder[]> {
  const days = monthDays(today, 1)
  const t = translator(user.lang)
  const rows = await anniversaryQuery(db, user, [...days.keys()], today).execute()
  return rows.map((r) => {
    const years = Number(today.slice(0, 4)) - Number(String(r.registered_on).slice(0, 4))
    return { kindKey: 'customerAdmin.reminder.anniversary', href: `/customers/${r.id}`, due: today, overdue: false,
      title: t('customerAdmin.reminder.anniversaryTitle', { customer: r.name, years }) }
  })
}

async function expiringDemands(db: DB, user: Principal, today: string): Promise<Reminder[]> {
  const t = translator(user.lang)
  const rows = await demandQuery(db, user, today).execute()
  return rows.map((r) => ({
    kindKey: 'customerAdmin.reminder.demand', href: `/customers/${r.cid}#demands`, due: r.valid_to!, overdue: r.valid_to! < today,
    title: t(r.valid_to! < today ? 'customerAdmin.reminder.demandExpired' : 'customerAdmin.reminder.demandTitle',
      { customer: r.cname, description: r.description.slice(0, 80) })
  }))
}

async function nextSteps(db: DB, user: Principal, today: string): Promise<Reminder[]> {
  const t = translator(user.lang)
  const rows = await nextStepQuery(db, user, today).execute()
  return rows.map((r) => ({
    kindKey: 'customerAdmin.reminder.nextStep', href: `/customers/${r.cid}#communications`, due: r.next_date!, overdue: r.next_date! < today,
    title: t('customerAdmin.reminder.nextStepTitle', { customer: r.cname, step: (r.next_step ?? r.summary).slice(0, 80) })
  }))
}

async function returned(db: DB, user: Principal, today: string): Promise<Reminder[]> {
  const t = translator(user.lang)
  return (await returnedToOwner(db, user.id)).map((r) => ({
    kindKey: 'customerAdmin.reminder.rejected', href: `/customers/${r.id}`, due: today, overdue: false,
    title: t('customerAdmin.reminder.rejectedTitle', { customer: r.name, reason: r.review_note ?? '' })
  }))
}

export async function customerReminders(db: DB, user: Principal, today: string): Promise<Reminder[]> {
  const lists = await Promise.all([birthdays(db, user, today), anniversaries(db, user, today), expiringDemands(db, user, today),
    nextSteps(db, user, today), returned(db, user, today)])
  return lists.flat()
}

export async function reviewReminders(db: DB, user: Principal, today: string): Promise<Reminder[]> {
  const { n, capped } = await pendingCount(db, user)
  if (!n) return []
  const t = translator(user.lang)
  return [{ kindKey: 'customerAdmin.reminder.review', href: '/customers/review', due: today, overdue: false,
    title: t(capped ? 'customerAdmin.reminder.reviewTitleCapped' : 'customerAdmin.reminder.reviewTitle', { n }) }]
}

registerReminders({ key: 'customers', perm: 'customers.read', load: customerReminders })
registerReminders({ key: 'customers.review', perm: 'customers.review', load: reviewReminders })
