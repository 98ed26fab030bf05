// The service desk's workbench reminders: the open requests assigned to the user that
// are overdue or due today, and, for those who assign work, the unassigned overdue
// requests in their data scope (the most recently overdue first, capped, with one line
// saying there are more). Each query reads one partial index range up to a LIMIT.
import type { DB } from '../../db/index.ts'
import { translator } from '../../platform/i18n.ts'
import type { Principal } from '../../platform/principal.ts'
import { registerReminders, type Reminder } from '../../platform/reminders.ts'
import { addDays } from './report-queries.ts'
import { dayStart } from './requests-queries.ts'
import { requestScope } from './requests-service.ts'

export const REMINDER_LIMIT = 20
const OPEN = ['received', 'in_progress'] as const

// The workbench hands sources the office's date but not its zone, and "due today" ends
// at the office's midnight; the service desk's routes set it from the app's config.
let officeZone = 'Asia/Shanghai'
export function setReminderTimeZone(tz: string) { officeZone = tz }

export async function dueRequests(db: DB, user: Principal, today: string): Promise<Reminder[]> {
  const rows = await db.selectFrom('service_requests as r').select(['r.id', 'r.number', 'r.subject', 'r.due_at'])
    .where('r.assignee_id', '=', user.id).where('r.status', 'in', OPEN).where('r.deleted_at', 'is', null)
    .where('r.due_at', '<', dayStart(addDays(today, 1), officeZone))
    .orderBy('r.due_at').orderBy('r.id').limit(REMINDER_LIMIT).execute()
  const now = Date.now()
  return rows.map((r) => ({ kindKey: 'serviceReports.reminder.due', title: `${r.number} ${r.subject}`, href: `/service/requests/${r.id}`,
    due: r.due_at, overdue: r.due_at.getTime() < now }))
}

export async function unassignedOverdue(db: DB, user: Principal, today: string): Promise<Reminder[]> {
  const now = new Date()
  const rows = await db.selectFrom('service_requests as r').select(['r.id', 'r.number', 'r.subject', 'r.due_at'])
    .where('r.assignee_id', 'is', null).where('r.status', 'in', OPEN).where('r.deleted_at', 'is', null)
    .where('r.due_at', '<', now).where(requestScope(user))
    .orderBy('r.due_at', 'desc').orderBy('r.id', 'desc').limit(REMINDER_LIMIT + 1).execute()
  const out: Reminder[] = rows.slice(0, REMINDER_LIMIT).map((r) => ({
    kindKey: 'serviceReports.reminder.unassigned', title: `${r.number} ${r.subject}`, href: `/service/requests/${r.id}`, due: r.due_at, overdue: true
  }))
  if (rows.length > REMINDER_LIMIT) {
    out.push({ kindKey: 'serviceReports.reminder.unassigned', title: translator(user.lang)('serviceReports.reminder.more', { n: REMINDER_LIMIT }),
      href: '/service/requests?view=unassigned', due: today, overdue: true })
  }
  return out
}

registerReminders({ key: 'service.requests', perm: 'service.read', load: dueRequests })
registerReminders({ key: 'service.unassigned', perm: 'service.assign', load: unassignedOverdue })
