// Two house rules for writes: optimistic locking (a stale `version` is refused,
// never silently overwritten) and one-time form tokens (a double-submitted create
// form returns the first result instead of making a second record).
import crypto from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database } from '../db/types.ts'
import { HttpError } from './errors.ts'

/** Thrown when the row changed since the form was opened; carries the row as it is now. */
export class ConflictError extends Error {
  constructor(public current: Record<string, unknown>, public changedBy: string | null) { super('version conflict') }
}

export const newFormToken = () => crypto.randomBytes(18).toString('base64url')

const TOKEN = /^[A-Za-z0-9_-]{16,64}$/

/**
 * Runs `create` in a transaction that ends by claiming the token with its result. A
 * post of a token already claimed fails somewhere (at the claim, or earlier where the
 * first post's record is in the way: a login taken, an appointment clashing), is rolled
 * back whole, and gets the first result back; a concurrent one waits for the first to
 * commit. Claiming last rather than first saves every save a statement and costs only
 * a repeated post, the rare case, its own work.
 */
export async function oncePerToken<T extends string>(db: Kysely<Database>, token: unknown, userId: number,
  create: (trx: Kysely<Database>) => Promise<T>): Promise<{ result: T; repeated: boolean }> {
  if (typeof token !== 'string' || !TOKEN.test(token)) throw new HttpError(400, 'errors.formToken')
  try {
    const result = await db.transaction().execute(async (trx) => {
      const r = await create(trx)
      await trx.insertInto('form_tokens').values({ token, user_id: userId, result: r }).execute()
      return r
    })
    return { result, repeated: false }
  } catch (e) {
    const first = await db.selectFrom('form_tokens').select(['user_id', 'result']).where('token', '=', token).executeTakeFirst()
    if (!first) throw e
    if (first.user_id !== userId || first.result === null) throw new HttpError(409, 'errors.formToken')
    return { result: first.result as T, repeated: true }
  }
}
