// Form schemas of the customer archive. Drop-down values are checked against the
// code lists by the service (they are data, not constants).
import { z } from 'zod'
import { optionalIntId, requiredText, text } from '../../platform/forms.ts'
import { regionField } from '../../platform/regions.ts'

export const GRADES = ['A', 'B', 'C', 'D', 'E'] as const
export const STATUSES = ['potential', 'interested', 'won', 'lost', 'dead'] as const
export const COMM_KINDS = ['call', 'visit', 'email', 'meeting'] as const

const emptyToUndef = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v)
const email = z.preprocess(emptyToUndef, z.string().trim().max(120).pipe(z.email()).optional())
const phone = z.preprocess(emptyToUndef, z.string().trim().max(40).regex(/^[\d\s+\-()（）#*.转分机extEXT]+$/, 'errors.phone').optional())
const date = z.preprocess(emptyToUndef, z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'errors.date').refine((s) => !Number.isNaN(Date.parse(s)), 'errors.date').optional())
const code = z.preprocess(emptyToUndef, z.string().max(40).regex(/^[A-Za-z0-9_-]+$/, 'errors.invalid').optional())
const tags = z.preprocess((v) => (typeof v === 'string' ? v.split(/[,，;；\s]+/).map((s) => s.trim()).filter(Boolean) : v ?? []),
  z.array(z.string().max(20, 'errors.tagTooLong')).max(20))

export const customerSchema = z.object({
  customer_type: z.string().regex(/^[A-Za-z0-9_-]{1,10}$/, 'errors.invalid'),
  name: requiredText(200),
  short_name: text(60),
  legal_rep: text(60),
  email,
  region_code: regionField(),
  address: text(300),
  phone,
  fax: phone,
  website: text(200),
  nature: code,
  industry: code,
  sales_channel: code,
  brands: text(300),
  size: code,
  credit: code,
  assessment: text(300),
  grade: z.enum(GRADES),
  status: z.enum(STATUSES),
  source: code,
  tags,
  owner_id: optionalIntId,
  registered_on: date,
  collected_by: text(60),
  remarks: text(4000)
})
export type CustomerInput = z.output<typeof customerSchema>

/** the drop-down fields and the code list each one draws from */
export const CODE_FIELDS = {
  customer_type: 'customer_type', nature: 'enterprise_nature', industry: 'industry', sales_channel: 'sales_channel',
  size: 'enterprise_size', credit: 'credit_rating', source: 'customer_source'
} as const

export const contactSchema = z.object({
  name: requiredText(60),
  gender: z.preprocess(emptyToUndef, z.enum(['M', 'F']).optional()),
  birthday: date,
  position: code,
  department: text(60),
  office_phone: phone,
  mobile: phone,
  email,
  fax: phone,
  postcode: z.preprocess(emptyToUndef, z.string().trim().regex(/^\d{6}$/, 'errors.postcode').optional()),
  address: text(300),
  profile: text(2000),
  is_key: z.preprocess((v) => v === 'on' || v === 'true' || v === '1', z.boolean()),
  valid: z.preprocess((v) => v === 'on' || v === 'true' || v === '1', z.boolean())
})
export type ContactInput = z.output<typeof contactSchema>

export const demandSchema = z.object({
  kind: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'errors.invalid'),
  description: requiredText(1000),
  valid_from: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'errors.date'),
  valid_to: date
}).refine((d) => !d.valid_to || d.valid_to >= d.valid_from, { path: ['valid_to'], message: 'errors.dateOrder' })
export type DemandInput = z.output<typeof demandSchema>

export const communicationSchema = z.object({
  kind: z.enum(COMM_KINDS),
  contact_id: optionalIntId,
  at: z.preprocess(emptyToUndef, z.string().regex(/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}$/, 'errors.dateTime').optional()),
  summary: requiredText(2000),
  next_step: text(300),
  next_date: date
})
export type CommunicationInput = z.output<typeof communicationSchema>

export const versionSchema = z.object({ version: z.coerce.number().int().positive() })
