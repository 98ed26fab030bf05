// What the user forms accept. Patterns with their own message are checked in
// userRules() so every problem of a submitted form is reported at once.
import { z } from 'zod'
import type { Config } from '../../config.ts'
import { FormError, intId, many, parseForm, requiredText, type FieldErrors } from '../../platform/forms.ts'
import { LANGS } from '../../platform/i18n.ts'
import { passwordProblem, PASSWORD_MAX } from '../auth/passwords.ts'
import { blank, checkFields } from './shared.ts'

export const LOGIN_RE = /^[A-Za-z0-9._-]+$/
const PHONE_EXT_RE = /^[0-9#*+ -]+$/

const base = {
  login: requiredText(60),
  name: requiredText(60),
  email: z.preprocess(blank, z.email().max(120).optional()),
  phone_ext: z.preprocess(blank, z.string().max(20).optional()),
  department_id: intId,
  role_id: intId,
  lang: z.enum(LANGS)
}

const createSchema = z.object({ ...base, password: z.string().min(1).max(PASSWORD_MAX), _token: z.string().max(100).optional() })
const editSchema = z.object({ ...base, version: intId })
const resetSchema = z.object({ password: z.string().min(1).max(PASSWORD_MAX) })
const permsSchema = z.object({ perm: many(z.string().max(80)), version: intId })

// zod's errors and ours merged, so a bad login and a weak password show together
function parseAll<S extends z.ZodType>(schema: S, body: unknown, rules: (v: Record<string, unknown>, add: (f: string, k: string, p?: Record<string, string | number>) => void) => void): z.output<S> {
  let errors: FieldErrors = {}
  let out: z.output<S> | undefined
  try { out = parseForm(schema, body) } catch (e) { if (!(e instanceof FormError)) throw e; errors = e.errors }
  try {
    checkFields((add) => rules((body ?? {}) as Record<string, unknown>, add))
  } catch (e) { if (!(e instanceof FormError)) throw e; errors = { ...e.errors, ...errors } }
  if (Object.keys(errors).length || !out) throw new FormError(errors)
  return out
}

function userRules(v: Record<string, unknown>, add: (f: string, k: string) => void) {
  const login = typeof v.login === 'string' ? v.login.trim() : ''
  if (login && !LOGIN_RE.test(login)) add('login', 'errors.loginChars')
  const ext = typeof v.phone_ext === 'string' ? v.phone_ext.trim() : ''
  if (ext && !PHONE_EXT_RE.test(ext)) add('phone_ext', 'admin.users.phoneExtChars')
}

export function parseCreate(config: Config, body: unknown) {
  return parseAll(createSchema, body, (v, add) => {
    userRules(v, add)
    if (typeof v.password === 'string' && v.password) {
      const problem = passwordProblem(config, v.password, typeof v.login === 'string' ? v.login.trim() : undefined)
      if (problem) add('password', problem.key, problem.params)
    }
  })
}

export const parseEdit = (body: unknown) => parseAll(editSchema, body, userRules)

export function parseReset(config: Config, body: unknown, login: string) {
  return parseAll(resetSchema, body, (v, add) => {
    if (typeof v.password === 'string' && v.password) {
      const problem = passwordProblem(config, v.password, login)
      if (problem) add('password', problem.key, problem.params)
    }
  })
}

export const parsePermissions = (body: unknown) => parseForm(permsSchema, body)

export const toInput = (v: z.output<typeof editSchema> | z.output<typeof createSchema>) => ({
  login: v.login, name: v.name, email: v.email ?? null, phoneExt: v.phone_ext ?? null,
  departmentId: v.department_id, roleId: v.role_id, lang: v.lang
})
