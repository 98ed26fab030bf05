// Two house rules for writes: optimistic locking (a stale `version` is refused,
// never silently overwritten) and one-time form tokens (a double-submitted create
// form returns the first result instead of making a second record).
import crypto from 'node:crypto'
import { sql, type Kysely, type QueryCreator } from 'kysely'
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
  const t = checkFormToken(token)
  try {
    const result = await db.transaction().execute(async (trx) => {
      const r = await create(trx)
      await trx.insertInto('form_tokens').values({ token: t, user_id: userId, result: r }).execute()
      return r
    })
    return { result, repeated: false }
  } catch (e) {
    return firstResult<T>(db, t, userId, e)
  }
}

/**
 * The same rule for a create that is one statement (data-modifying CTEs): the claim is
 * one more CTE of it, reading the new row's id from the CTE `from`, so the create needs
 * no transaction of its own (a statement is atomic) and no statement of its own. A
 * repeated post fails at the claim's unique key; `statement` runs it and handles that.
 */
export function claimFrom<DB extends Database>(q: QueryCreator<DB>, token: string, userId: number, from: string) {
  return q.insertInto('form_tokens').columns(['token', 'user_id', 'result'])
    .expression(sql`select ${token}::text, ${userId}::int, ${sql.ref(`${from}.id`)}::text from ${sql.table(from)}`)
}

/** Runs a one-statement create whose token claim is `claimFrom`: the first result for a repeated post. */
export async function oncePerStatement(db: Kysely<Database>, token: string, userId: number,
  run: () => Promise<string>): Promise<{ result: string; repeated: boolean }> {
  try {
    return { result: await run(), repeated: false }
  } catch (e) {
    return firstResult<string>(db, token, userId, e)
  }
}

/** a form's one-time token, or 400 (a form without one was not made by this app) */
export function checkFormToken(token: unknown): string {
  if (typeof token !== 'string' || !TOKEN.test(token)) throw new HttpError(400, 'errors.formToken')
  return token
}

/** after a failed create: the first post's result when the token was claimed by it, else the failure */
async function firstResult<T extends string>(db: Kysely<Database>, token: string, userId: number, e: unknown): Promise<{ result: T; repeated: true }> {
  const first = await db.selectFrom('form_tokens').select(['user_id', 'result']).where('token', '=', token).executeTakeFirst()
  if (!first) throw e
  if (first.user_id !== userId || first.result === null) throw new HttpError(409, 'errors.formToken')
  return { result: first.result as T, repeated: true }
}
