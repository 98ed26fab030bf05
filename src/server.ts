// Reads config, builds the app, listens; on SIGTERM/SIGINT stops taking requests,
// finishes the ones in flight, closes the database (PGlite checkpoints) and exits.
import { buildApp } from './app.ts'
import { ConfigError, loadConfig } from './config.ts'
import { DataDirLockedError } from './db/lock.ts'
import { MigrationError } from './db/migrate.ts'

export async function start(env = process.env) {
  let config
  try {
    config = loadConfig(env)
  } catch (e) {
    if (e instanceof ConfigError) { console.error(e.message); process.exit(2) }
    throw e
  }
  let app
  try {
    app = await buildApp(config)
  } catch (e) {
    if (e instanceof DataDirLockedError || e instanceof MigrationError) { console.error(e.message); process.exit(3) }
    throw e
  }
  let closing = false
  const shutdown = async (signal: string) => {
    if (closing) return
    closing = true
    app.log.info({ signal }, 'shutting down')
    const force = setTimeout(() => { app.log.error('shutdown timed out'); process.exit(1) }, 10_000)
    force.unref()
    await app.close()
    process.exit(0)
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  process.on('SIGINT', () => void shutdown('SIGINT'))
  await app.listen({ port: config.port, host: config.host })
  const where = config.databaseUrl ? 'PostgreSQL' : `embedded PGlite in ${config.dataDir}`
  app.log.info(`Kehu is ready at http://localhost:${config.port} (${where})`)
  return app
}

if (import.meta.url === `file://${process.argv[1]}`) await start()
