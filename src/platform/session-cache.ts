// Sessions with their user, role and department, kept in memory between requests.
//
// Reading them was one statement on every request: of a list page's two statements,
// of a rows fragment's two, of a search's two. An entry is dropped as soon as its
// session, user, role or department may have changed (db/auth-changes.ts: this
// process's writes at once, everyone's by NOTIFY after commit), so disabling a user
// or changing a role still takes effect on the next request. Nothing is kept while
// the database's notifications are not heard.
import type { AuthChange, AuthChanges } from '../db/auth-changes.ts'

/** long enough that a working session is read about once a minute, short enough to bound a missed notification */
const MAX_AGE_MS = 60_000
const MAX_ENTRIES = 10_000

interface Entry<T> { value: T; at: number }

export class SessionCache<T> {
  readonly #entries = new Map<string, Entry<T>>()
  // Bumped by every change: a read that started before a change must not store what it read.
  #generation = 0

  readonly #unsubscribe: () => void
  constructor(private readonly changes: AuthChanges) {
    this.#unsubscribe = changes.subscribe((c) => this.#changed(c))
  }

  close() {
    this.#unsubscribe()
    this.#entries.clear()
  }

  #changed(change: AuthChange) {
    this.#generation++
    if (change === null) this.#entries.clear()
    else this.#entries.delete(change)
  }

  get(idHash: string, now = Date.now()): T | undefined {
    const e = this.#entries.get(idHash)
    if (!e) return undefined
    if (now - e.at > MAX_AGE_MS) {
      this.#entries.delete(idHash)
      return undefined
    }
    return e.value
  }

  /** what a read returns, given the generation from before the read */
  set(idHash: string, value: T, generation: number, now = Date.now()) {
    if (!this.changes.live || generation !== this.#generation) return
    if (this.#entries.size >= MAX_ENTRIES) this.#entries.clear()
    this.#entries.set(idHash, { value, at: now })
  }

  get generation() { return this.#generation }
}
