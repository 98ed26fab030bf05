// Form schemas of the service desk.
import { z } from 'zod'
import { checkbox, intId, optionalIntId, requiredText, text } from '../../platform/forms.ts'

export const CHANNELS = ['phone', 'visit', 'email', 'web'] as const
export const STATUSES = ['received', 'in_progress', 'answered', 'archived'] as const
export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const

const emptyToUndef = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v)
const phone = z.preprocess(emptyToUndef, z.string().trim().max(40).regex(/^[\d\s+\-()（）#*.转分机extEXT]+$/, 'errors.phone').optional())
// the shape is not enough: 2026-02-30T25:61 would reach the time-zone arithmetic and fail there (a 500)
const realDateTime = (v: string) => {
  const d = new Date(`${v.replace(' ', 'T')}:00Z`)
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 16) === v.replace(' ', 'T')
}
const localDateTime = z.preprocess(emptyToUndef, z.string().regex(/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}$/, 'errors.dateTime').refine(realDateTime, 'errors.dateTime').optional())

export const requestSchema = z.object({
  channel: z.enum(CHANNELS),
  caller_phone: phone,
  caller_name: text(60),
  customer_id: optionalIntId,
  contact_id: optionalIntId,
  category: z.preprocess(emptyToUndef, z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'errors.invalid').optional()),
  subject: requiredText(200),
  content: text(8000),
  answer: text(8000),
  status: z.enum(STATUSES).default('received'),
  priority: z.enum(PRIORITIES).default('normal'),
  is_lead: checkbox,
  lead_note: text(1000),
  book_callback: checkbox,
  callback_at: localDateTime,
  callback_purpose: text(300),
  article_id: optionalIntId
}).superRefine((v, ctx) => {
  if (v.book_callback && !v.callback_at) ctx.addIssue({ code: 'custom', path: ['callback_at'], message: 'errors.required' })
  if (v.book_callback && !v.customer_id) ctx.addIssue({ code: 'custom', path: ['callback_at'], message: 'service.errors.callbackNeedsCustomer' })
  if (v.status === 'archived') ctx.addIssue({ code: 'custom', path: ['status'], message: 'errors.invalidChoice' })
  // as in the status flow: a request is only "answered" with its answer written
  if (v.status === 'answered' && !v.answer) ctx.addIssue({ code: 'custom', path: ['answer'], message: 'service.errors.answerRequired' })
})
export type RequestInput = z.output<typeof requestSchema>

// a version or id past the integer column's range is refused here, not by the database (a 500)
const version = intId

export const transitionSchema = z.object({
  version,
  to: z.enum(STATUSES),
  note: text(2000),
  answer: text(8000)
})

export const assignSchema = z.object({ version, assignee_id: optionalIntId })
export const noteSchema = z.object({ note: requiredText(2000) })
export const linkSchema = z.object({ version, customer_id: intId, contact_id: optionalIntId })
