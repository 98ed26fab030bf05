// One import row through the same rules as the customer form: labels and names are
// first turned into the codes and ids the form would send (import-resolve.ts), then
// customerSchema / contactSchema check them, then derive() computes the search
// columns. The result is either the row's errors or its insert-ready values.
import { FormError, parseForm, type FieldErrors } from '../../platform/forms.ts'
import { normalizePhone } from '../../platform/phone.ts'
import type { Principal } from '../../platform/principal.ts'
import { derive } from './derive.ts'
import type { ImportField, Mapping } from './import-fields.ts'
import { normalizeDate, type Resolved, type Resolvers } from './import-resolve.ts'
import { CODE_FIELDS, contactSchema, customerSchema } from './schemas.ts'

export interface RowError { field: ImportField | '_row'; key: string; params?: Record<string, string | number>; value?: string }

/** The customer columns an import writes, with their SQL types (import-write.ts reads them back with these). */
export const CUSTOMER_COLUMNS = {
  customer_type: 'varchar', name: 'varchar', short_name: 'varchar', legal_rep: 'varchar', email: 'varchar', region_code: 'varchar',
  address: 'varchar', phone: 'varchar', fax: 'varchar', website: 'varchar', nature: 'varchar', industry: 'varchar',
  sales_channel: 'varchar', brands: 'varchar', size: 'varchar', credit: 'varchar', assessment: 'varchar', grade: 'varchar',
  status: 'varchar', source: 'varchar', tags: 'text[]', owner_id: 'int', registered_on: 'date', collected_by: 'varchar',
  remarks: 'text', entered_by: 'int', review_state: 'varchar', reviewed_by: 'int'
} as const
export const CONTACT_COLUMNS = {
  name: 'varchar', gender: 'varchar', position: 'varchar', mobile: 'varchar', office_phone: 'varchar', email: 'varchar'
} as const

export interface StagedRow {
  errors: RowError[] | null
  name: string | null
  phones: string[]
  customer?: Record<string, unknown>
  contact?: Record<string, unknown> | null
  name_initials?: string
  first_letter?: string
  search_grams?: string[]
  search_rest?: string
  phone_rows?: { phone: string; last4: string; contact: boolean }[]
}

// schema field → the import field its error belongs to
const SCHEMA_TO_FIELD: Record<string, ImportField> = { region_code: 'region', owner_id: 'owner' }
const CONTACT_FIELDS = ['contact_name', 'contact_gender', 'contact_position', 'contact_mobile', 'contact_office_phone', 'contact_email'] as const

export interface ValidateContext { user: Principal; resolvers: Resolvers; jobId: number }

/** the row's cells as field → text, by the mapping */
export function mapRow(cells: string[], mapping: Mapping): Partial<Record<ImportField, string>> {
  const out: Partial<Record<ImportField, string>> = {}
  for (const [i, f] of Object.entries(mapping)) {
    const v = (cells[Number(i)] ?? '').trim()
    if (v) out[f] = v
  }
  return out
}

export function validateRow(v: Partial<Record<ImportField, string>>, ctx: ValidateContext): StagedRow {
  const { resolvers: r, user } = ctx
  const errors: RowError[] = []
  const fail = (field: ImportField, key: string, value?: string, params?: RowError['params']) => {
    if (!errors.some((e) => e.field === field)) errors.push({ field, key, value, ...(params ? { params } : {}) })
  }
  const pick = (field: ImportField, res: (s: string) => Resolved, fallback?: string): string | undefined => {
    const raw = v[field]
    if (!raw) return fallback
    const x = res(raw)
    if ('ok' in x) return x.ok
    fail(field, x.error, raw)
    return undefined
  }

  const codeOf = (field: keyof typeof CODE_FIELDS, fallback?: string) => pick(field, (s) => r.code(CODE_FIELDS[field], s), fallback)
  let owner = user.id
  if (v.owner) {
    const o = r.owner(v.owner)
    if ('ok' in o) owner = o.ok
    else fail('owner', o.error, v.owner)
  }
  const body: Record<string, unknown> = {
    customer_type: codeOf('customer_type', 'A'), name: v.name ?? '', short_name: v.short_name, legal_rep: v.legal_rep,
    email: v.email, region_code: pick('region', r.region), address: v.address, phone: v.phone, fax: v.fax,
    website: v.website, nature: codeOf('nature'), industry: codeOf('industry'), sales_channel: codeOf('sales_channel'),
    brands: v.brands, size: codeOf('size'), credit: codeOf('credit'), assessment: v.assessment,
    grade: pick('grade', r.grade, 'D'), status: pick('status', r.status, 'potential'), source: codeOf('source'),
    tags: v.tags ?? '', owner_id: String(owner), registered_on: v.registered_on ? normalizeDate(v.registered_on) : undefined,
    collected_by: v.collected_by, remarks: v.remarks
  }
  // a field already refused above was dropped from the body, so the schema does not
  // report it twice; the three the form always sends fall back to its defaults
  if (body.customer_type === undefined) body.customer_type = 'A'
  if (body.grade === undefined) body.grade = 'D'
  if (body.status === undefined) body.status = 'potential'

  const schemaErrors = (fn: () => unknown): FieldErrors => {
    try { fn(); return {} } catch (e) { if (e instanceof FormError) return e.errors; throw e }
  }
  let input: ReturnType<typeof customerSchema.parse> | undefined
  const ce = schemaErrors(() => { input = parseForm(customerSchema, body) })
  for (const [k, e] of Object.entries(ce)) {
    const field = (SCHEMA_TO_FIELD[k] ?? k) as ImportField
    fail(field, e.key, v[field], e.params)
  }

  let contact: Record<string, unknown> | null = null
  if (CONTACT_FIELDS.some((f) => v[f])) {
    const kbody = {
      name: v.contact_name ?? '', gender: pick('contact_gender', r.gender), position: pick('contact_position', (s) => r.code('position', s)),
      mobile: v.contact_mobile, office_phone: v.contact_office_phone, email: v.contact_email, valid: 'on'
    }
    let k: ReturnType<typeof contactSchema.parse> | undefined
    const ke = schemaErrors(() => { k = parseForm(contactSchema, kbody) })
    for (const [f, e] of Object.entries(ke)) fail(`contact_${f}` as ImportField, e.key, v[`contact_${f}` as ImportField], e.params)
    if (k) contact = { name: k.name, gender: k.gender ?? null, position: k.position ?? null, mobile: k.mobile ?? null, office_phone: k.office_phone ?? null, email: k.email ?? null }
  }

  const phones = [...new Set([v.phone, v.contact_mobile, v.contact_office_phone].map(normalizePhone).filter((p) => p.length >= 7))]
  if (errors.length || !input) return { errors: errors.length ? errors : [{ field: '_row', key: 'errors.invalid' }], name: v.name ?? null, phones }

  const pending = !user.perms.has('customers.review')
  const customer: Record<string, unknown> = {
    customer_type: input.customer_type, name: input.name, short_name: input.short_name ?? null, legal_rep: input.legal_rep ?? null,
    email: input.email ?? null, region_code: input.region_code ?? null, address: input.address ?? null, phone: input.phone ?? null,
    fax: input.fax ?? null, website: input.website ?? null, nature: input.nature ?? null, industry: input.industry ?? null,
    sales_channel: input.sales_channel ?? null, brands: input.brands ?? null, size: input.size ?? null, credit: input.credit ?? null,
    assessment: input.assessment ?? null, grade: input.grade, status: input.status, source: input.source ?? null,
    tags: [...new Set(input.tags)], owner_id: owner, registered_on: input.registered_on ?? null,
    collected_by: input.collected_by ?? null, remarks: input.remarks ?? null,
    entered_by: user.id, review_state: pending ? 'pending' : 'approved', reviewed_by: pending ? null : user.id
  }
  // code '' leaves the code out of derive()'s search text; the write puts it in front
  const d = derive({
    code: '', name: input.name, short_name: input.short_name, email: input.email, phone: input.phone, fax: input.fax,
    customer_type: input.customer_type,
    contacts: contact ? [{ id: -1, name: String(contact.name), mobile: contact.mobile as string | null, office_phone: contact.office_phone as string | null, email: contact.email as string | null }] : []
  })
  return {
    errors: null, name: input.name, phones, customer, contact,
    name_initials: d.name_initials, first_letter: d.first_letter, search_grams: d.search_grams, search_rest: d.search_text,
    phone_rows: d.phones.map((p) => ({ phone: p.phone, last4: p.last4, contact: p.contact_id === -1 }))
  }
}
