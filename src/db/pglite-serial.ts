// Kysely's PGliteDriver hands the same single connection to every caller without
// a lock, so while one request is inside a transaction another request's queries
// would run inside that transaction (and vanish with its rollback). PGlite is one
// backend session anyway, so we serialise: a caller holds the connection from
// acquire to release — one query, or a whole transaction.
import { PGliteDialect, type DatabaseConnection, type Driver, type TransactionSettings } from 'kysely'

type Opts = Parameters<Driver['init']>[0]

class Mutex {
  #tail: Promise<void> = Promise.resolve()
  lock(): Promise<() => void> {
    let release!: () => void
    const next = new Promise<void>((r) => (release = r))
    const acquired = this.#tail.then(() => release)
    this.#tail = this.#tail.then(() => next)
    return acquired
  }
}

class SerialDriver implements Driver {
  readonly #inner: Driver
  readonly #mutex = new Mutex()
  readonly #releases = new Map<DatabaseConnection, () => void>()
  constructor(inner: Driver) { this.#inner = inner }
  init(o?: Opts) { return this.#inner.init(o) }
  async acquireConnection(o?: Opts): Promise<DatabaseConnection> {
    const release = await this.#mutex.lock()
    const conn = await this.#inner.acquireConnection(o)
    this.#releases.set(conn, release)
    return conn
  }
  async releaseConnection(conn: DatabaseConnection): Promise<void> {
    await this.#inner.releaseConnection(conn)
    const release = this.#releases.get(conn)
    this.#releases.delete(conn)
    // hand over on the next turn of the event loop, not in this microtask: PGlite runs
    // queries on this thread, and a queue of them passed on microtask by microtask
    // would keep the loop from accepting connections and reading requests meanwhile
    if (release) setImmediate(release)
  }
  beginTransaction(conn: DatabaseConnection, settings: TransactionSettings) { return this.#inner.beginTransaction(conn, settings) }
  commitTransaction(conn: DatabaseConnection) { return this.#inner.commitTransaction(conn) }
  rollbackTransaction(conn: DatabaseConnection) { return this.#inner.rollbackTransaction(conn) }
  savepoint(...a: Parameters<NonNullable<Driver['savepoint']>>) { return this.#inner.savepoint!(...a) }
  rollbackToSavepoint(...a: Parameters<NonNullable<Driver['rollbackToSavepoint']>>) { return this.#inner.rollbackToSavepoint!(...a) }
  releaseSavepoint(...a: Parameters<NonNullable<Driver['releaseSavepoint']>>) { return this.#inner.releaseSavepoint!(...a) }
  destroy() { return this.#inner.destroy() }
}

export class SerialPGliteDialect extends PGliteDialect {
  createDriver(): Driver { return new SerialDriver(super.createDriver()) }
}
