// argon2id at or above the OWASP floor (m=19 MiB, t=2, p=1); a hash made under a
// weaker policy is replaced at the next successful sign-in.
import argon2 from 'argon2'
import type { Config } from '../../config.ts'

// A short list of the passwords that top every leaked-password list, plus the
// product's own name: refusing them stops the guesses an attacker tries first.
const COMMON = new Set(['password', 'password1', 'password123', '12345678', '123456789', '1234567890', '11111111',
  '00000000', '88888888', '66666666', '12341234', 'qwertyui', 'qwerty123', 'abc12345', 'abcd1234', 'a1234567',
  'iloveyou', 'admin123', 'admin1234', 'administrator', 'welcome1', 'letmein1', 'passw0rd', 'p@ssw0rd', '1qaz2wsx',
  'qwertyuiop', '123qweasd', 'zxcvbnm1', '5201314520', 'woaini1314', 'kehu1234', 'changeme', 'sunshine1', 'football1'])

export const PASSWORD_MAX = 200

export function hashPassword(config: Config, password: string): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id, memoryCost: config.argon2.memoryCost, timeCost: config.argon2.timeCost, parallelism: 1 })
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try { return await argon2.verify(hash, password) } catch { return false }
}

export function needsRehash(config: Config, hash: string): boolean {
  // parallelism must be named: needsRehash compares it with argon2's default (4),
  // which would re-hash every p=1 hash at every sign-in
  return argon2.needsRehash(hash, { memoryCost: config.argon2.memoryCost, timeCost: config.argon2.timeCost, parallelism: 1 })
}

/** locale key of the first rule the password breaks, or null */
export function passwordProblem(config: Config, password: string, login?: string): { key: string; params?: Record<string, number> } | null {
  if (password.length < config.passwordMinLength) return { key: 'errors.passwordShort', params: { min: config.passwordMinLength } }
  if (password.length > PASSWORD_MAX) return { key: 'errors.tooLong', params: { max: PASSWORD_MAX } }
  if (COMMON.has(password.toLowerCase())) return { key: 'errors.passwordCommon' }
  if (login && password.toLowerCase().includes(login.toLowerCase())) return { key: 'errors.passwordHasLogin' }
  return null
}

// verified against when the login name is unknown, so both failures take as long
let dummy: Promise<string> | undefined
export function dummyHash(config: Config) { return (dummy ??= hashPassword(config, 'no-such-user-' + Math.random())) }
