// Form input: HTML forms send strings (or arrays for repeated names). Schemas are zod;
// errors become locale keys per field, so the same form is re-rendered with the
// values kept and a message beside each field (HTTP 422).
import { z } from 'zod'

export type FieldErrors = Record<string, { key: string; params?: Record<string, string | number> }>

export class FormError extends Error {
  constructor(public errors: FieldErrors) { super('invalid form') }
}

// PostgreSQL text cannot hold a NUL character: refused here as invalid input, not by the database (a 500)
const NO_NUL = /^[^\u0000]*$/

/** trimmed string, '' → undefined, with a max length */
export const text = (max: number) => z.preprocess((v) => (typeof v === 'string' ? (v.trim() === '' ? undefined : v.trim()) : v), z.string().max(max).regex(NO_NUL, 'errors.invalid').optional())
export const requiredText = (max: number) => z.preprocess((v) => (typeof v === 'string' ? v.trim() : v), z.string().min(1).max(max).regex(NO_NUL, 'errors.invalid'))
export const checkbox = z.preprocess((v) => v === 'on' || v === 'true' || v === '1' || v === true, z.boolean())
export const intId = z.coerce.number().int().positive().max(2_147_483_647)
export const optionalIntId = z.preprocess((v) => (v === '' || v === undefined ? undefined : v), intId.optional())
/** a value that may come once or several times (checkbox groups) */
export const many = (inner: z.ZodType<string>) => z.preprocess((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]), z.array(inner).max(500))

function issueToError(issue: z.core.$ZodIssue): FieldErrors[string] {
  // a schema's own locale key wins, whatever the check (regex, refine, custom), a
  // module's too ('service.errors.…')
  if (/^(?:[A-Za-z]+\.)?errors\./.test(issue.message)) return { key: issue.message }
  if (issue.code === 'too_small') return { key: 'errors.required' }
  if (issue.code === 'too_big') return { key: 'errors.tooLong', params: { max: Number(issue.maximum) } }
  if (issue.code === 'invalid_format' && issue.format === 'email') return { key: 'errors.email' }
  if (issue.code === 'custom' && issue.message.startsWith('errors.')) return { key: issue.message }
  if (issue.code === 'invalid_type' && issue.input === undefined) return { key: 'errors.required' }
  return { key: 'errors.invalid' }
}

export function parseForm<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const r = schema.safeParse(body ?? {})
  if (r.success) return r.data
  const errors: FieldErrors = {}
  for (const issue of r.error.issues) {
    const field = String(issue.path[0] ?? '_form')
    if (!errors[field]) errors[field] = issueToError(issue)
  }
  throw new FormError(errors)
}

/** a form body as plain strings, for re-rendering what the user typed */
export function formValues(body: unknown): Record<string, string> {
  const out: Record<string, string> = {}
  if (body && typeof body === 'object') {
    for (const [k, v] of Object.entries(body)) {
      if (k === '_csrf' || k === 'password' || k.endsWith('password')) continue
      out[k] = Array.isArray(v) ? v.map(String).join(',') : String(v ?? '')
    }
  }
  return out
}
