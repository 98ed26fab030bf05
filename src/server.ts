// Reads config, builds the app, listens; on SIGTERM/SIGINT stops taking requests,
// finishes the ones in flight, closes the database (PGlite checkpoints) and exits.
import type { Server } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { ConfigError, loadConfig } from './config.ts'
import { assertDataDirFree, DataDirLockedError } from './db/lock.ts'
import { MigrationError } from './db/migrate.ts'

export interface StartOptions {
  /** runs on the built, migrated app before it takes requests (npm run demo seeds here) */
  beforeListen?: (app: FastifyInstance) => Promise<void>
}

export async function start(env = process.env, opts: StartOptions = {}) {
  let config
  try {
    config = loadConfig(env)
  } catch (e) {
    if (e instanceof ConfigError) { console.error(e.message); process.exit(2) }
    throw e
  }
  let app
  try {
    // Refusals that need no app come first: the app itself (every module, PGlite)
    // takes seconds to load, and a second process on a busy DATA_DIR should stop at once.
    if (!config.databaseUrl) assertDataDirFree(config.dataDir)
    const { buildApp } = await import('./app.ts')
    app = await buildApp(config)
  } catch (e) {
    if (e instanceof DataDirLockedError || e instanceof MigrationError) { console.error(e.message); process.exit(3) }
    throw e
  }
  if (opts.beforeListen) {
    try { await opts.beforeListen(app) } catch (e) { await app.close(); throw e }
  }
  let closing = false
  const shutdown = async (signal: string) => {
    if (closing) return
    closing = true
    app.log.info({ signal }, 'shutting down')
    const force = setTimeout(() => { app.log.error('shutdown timed out'); process.exit(1) }, 10_000)
    force.unref()
    // Connections the kernel has already taken but the server has not accepted yet (a
    // busy event loop) would be reset when the listener closes, requests and all: keep
    // accepting, answering 503, until none has come for 200 ms (3 s at most), then close.
    app.draining = true
    await quiet(app.server, 200, 3000)
    await app.close()
    process.exit(0)
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  process.on('SIGINT', () => void shutdown('SIGINT'))
  try {
    await app.listen({ port: config.port, host: config.host })
  } catch (e) {
    // port taken, or not allowed: say so and release the database, no stack trace
    console.error(`Cannot listen on ${config.host}:${config.port}: ${(e as Error).message}`)
    await app.close()
    process.exit(3)
  }
  const where = config.databaseUrl ? 'PostgreSQL' : `embedded PGlite in ${config.dataDir}`
  app.log.info(`Kehu is ready at http://localhost:${config.port} (${where})`)
  return app
}

/** resolves once `server` has had no new connection for `ms`, or after `max` ms */
function quiet(server: Server, ms: number, max: number): Promise<void> {
  return new Promise((resolve) => {
    const start = Date.now()
    let last = start
    const seen = () => { last = Date.now() }
    server.on('connection', seen)
    const check = setInterval(() => {
      if (Date.now() - last < ms && Date.now() - start < max) return
      clearInterval(check)
      server.off('connection', seen)
      resolve()
    }, 25)
  })
}

if (import.meta.url === `file://${process.argv[1]}`) await start()
