// Word that a signed-in person's session, account, role or department has changed,
// for the sessions' in-memory cache (platform/session-cache.ts).
//
// Two paths, because either alone would leave a gap:
// - This process's own writes, seen by a Kysely plugin the moment they run: a test (or
//   an admin) that disables a user and then sends the next request must find it
//   refused, with no race against a notification in flight.
// - Everyone's writes, this process's included, announced by triggers (migration 0013)
//   with NOTIFY after they commit: other instances of the app, psql, and the window
//   in which a request of this process read the old row while a transaction that
//   changes it had not yet committed.
// The cache is used only while the LISTEN is in place (`live`); a lost listening
// connection turns it off and clears it until the LISTEN is back.
import {
  type KyselyPlugin, type OperationNode, type PluginTransformQueryArgs, type PluginTransformResultArgs,
  type QueryId, type QueryResult, type RootOperationNode, type UnknownRow
} from 'kysely'

export const AUTH_CHANNEL = 'kehu_principals'

/** null: anything may have changed; a string: that one session (its id hash) */
export type AuthChange = string | null

export class AuthChanges {
  readonly #subscribers = new Set<(change: AuthChange) => void>()
  /** true while changes made elsewhere are heard (the LISTEN is in place) */
  live = false
  subscribe(fn: (change: AuthChange) => void): () => void {
    this.#subscribers.add(fn)
    return () => { this.#subscribers.delete(fn) }
  }
  emit(change: AuthChange) {
    for (const fn of this.#subscribers) fn(change)
  }
  setLive(live: boolean) {
    this.live = live
    // whatever was cached before the LISTEN (or while it was lost) may be stale
    this.emit(null)
  }
}

const WATCHED = new Set(['users', 'roles', 'departments', 'sessions'])

function tableName(node: OperationNode | undefined): string | undefined {
  if (!node) return undefined
  if (node.kind === 'TableNode') return (node as unknown as { table: { identifier: { name: string } } }).table.identifier.name
  if (node.kind === 'AliasNode') return tableName((node as unknown as { node: OperationNode }).node)
  return undefined
}

/** the table an UPDATE or DELETE writes, when it is one we watch */
function watchedTable(node: RootOperationNode): string | undefined {
  let name: string | undefined
  if (node.kind === 'UpdateQueryNode') name = tableName(node.table)
  else if (node.kind === 'DeleteQueryNode') name = tableName(node.from?.froms[0])
  return name && WATCHED.has(name) ? name : undefined
}

/**
 * Tells `changes` after each UPDATE or DELETE of users, roles, departments or
 * sessions run through Kysely. Raw `sql` statements are not seen here; the triggers'
 * notifications cover them. (That is how the sessions' once-a-minute touch of
 * last_seen_at stays quiet: it is a raw statement, and the trigger ignores it.)
 */
export class AuthWrites implements KyselyPlugin {
  readonly #pending = new WeakMap<QueryId, true>()
  constructor(private readonly changes: AuthChanges) {}

  transformQuery({ node, queryId }: PluginTransformQueryArgs): RootOperationNode {
    if (watchedTable(node)) this.#pending.set(queryId, true)
    return node
  }

  async transformResult({ result, queryId }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    if (this.#pending.has(queryId)) this.changes.emit(null)
    return result
  }
}
