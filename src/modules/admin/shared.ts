// What every admin page shares: how a service says "no" (Refusal), how a stale edit
// is reported (Conflict), and how either becomes messages on the re-rendered form.
import { FormError, type FieldErrors } from '../../platform/forms.ts'
import type { DB } from '../../db/index.ts'

type Params = Record<string, string | number>

/**
 * A rule refused the change (duplicate login, department cycle, item in use…).
 * With `field` the message goes beside that field, otherwise above the form.
 */
export class Refusal extends Error {
  constructor(public key: string, public params?: Params, public field?: string) { super(key) }
}

/**
 * The row changed since the form was loaded: nothing was saved. The form is shown
 * again with the saved values beside it and the current version, so saving once
 * more is a deliberate choice to overwrite.
 */
export class Conflict extends Error {
  constructor(public by: string, public current: Record<string, unknown>, public version: number) { super('conflict') }
}

export interface Failure {
  errors: FieldErrors
  message?: { key: string; params?: Params }
  conflict?: Conflict
}

/** Turns an expected failure into messages for the form; anything else is rethrown. */
export function failureOf(e: unknown): Failure {
  if (e instanceof FormError) return { errors: e.errors }
  if (e instanceof Refusal) {
    return e.field ? { errors: { [e.field]: { key: e.key, params: e.params } } } : { errors: {}, message: { key: e.key, params: e.params } }
  }
  if (e instanceof Conflict) return { errors: {}, message: { key: 'errors.conflict', params: { name: e.by } }, conflict: e }
  throw e
}

export const isUniqueViolation = (e: unknown) => (e as { code?: string }).code === '23505'
export const isForeignKeyViolation = (e: unknown) => (e as { code?: string }).code === '23503'

/** Who last changed a record, from the audit log: named in the conflict message. */
export async function lastEditor(db: DB, entity: string, id: number | string): Promise<string> {
  const row = await db.selectFrom('audit_log').select('user_name')
    .where('entity', '=', entity).where('entity_id', '=', String(id))
    .orderBy('id', 'desc').limit(1).executeTakeFirst()
  return row?.user_name ?? '?'
}

/** A positive int id from a route parameter, or null (the route answers 404). */
export function idParam(v: unknown): number | null {
  const s = String(v ?? '')
  if (!/^\d{1,10}$/.test(s)) return null
  const n = Number(s)
  return n > 0 && n <= 2_147_483_647 ? n : null
}

/**
 * Rules zod does not say well (patterns with their own message, cross-field checks):
 * `add` collects per-field errors, and parse throws them together as one FormError,
 * so the form shows every problem at once.
 */
export function checkFields(run: (add: (field: string, key: string, params?: Params) => void) => void) {
  const errors: FieldErrors = {}
  run((field, key, params) => { if (!errors[field]) errors[field] = { key, params } })
  if (Object.keys(errors).length) throw new FormError(errors)
}

/** '' or whitespace → undefined, other strings trimmed; for optional fields */
export const blank = (v: unknown) => (typeof v === 'string' ? (v.trim() === '' ? undefined : v.trim()) : v)
