// The workbench's reminders area: each module registers a source of due and overdue
// items; the workbench asks every source the user has permission for.
import type { DB } from '../db/index.ts'
import type { Principal } from './principal.ts'

export interface Reminder {
  /** locale key of the kind, e.g. 'customers.reminder.birthday' */
  kindKey: string
  title: string
  href: string
  due: string | Date
  overdue: boolean
}

export interface ReminderSource {
  key: string
  perm?: string
  load(db: DB, user: Principal, today: string): Promise<Reminder[]>
}

const sources: ReminderSource[] = []

export function registerReminders(source: ReminderSource) {
  if (!sources.some((s) => s.key === source.key)) sources.push(source)
}

export async function remindersFor(db: DB, user: Principal, today: string): Promise<Reminder[]> {
  const lists = await Promise.all(sources.filter((s) => !s.perm || user.perms.has(s.perm)).map((s) => s.load(db, user, today)))
  return lists.flat().sort((a, b) => String(a.due).localeCompare(String(b.due)))
}
