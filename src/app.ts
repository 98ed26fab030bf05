// buildApp(): the platform plugins, then each module. Used by server.ts, the tests
// (app.inject) and the benchmarks, so all three run the same application.
import crypto from 'node:crypto'
import path from 'node:path'
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import cookie from '@fastify/cookie'
import formbody from '@fastify/formbody'
import helmet from '@fastify/helmet'
import rateLimit from '@fastify/rate-limit'
import staticFiles from '@fastify/static'
import { sql } from 'kysely'
import qs from 'node:querystring'
import type { Config } from './config.ts'
import { openStore, type DB, type Store } from './db/index.ts'
import { migrate } from './db/migrate.ts'
import { ensureRegions } from './platform/regions.ts'
import renderPlugin from './platform/render.ts'
import sessionsPlugin from './platform/sessions.ts'
import csrfPlugin from './platform/csrf.ts'
import guardPlugin from './platform/guard.ts'
import errorsPlugin from './platform/errors.ts'
import { modules } from './modules/index.ts'

declare module 'fastify' {
  interface FastifyInstance {
    config: Config
    db: DB
    store: Store
    secret: Buffer
    setupDone(): boolean
    markSetupDone(): void
    /** server.ts sets it on SIGTERM: new requests get 503 while accepted connections drain */
    draining: boolean
  }
}

export interface BuildOptions {
  store?: Store
  logger?: boolean
  /** where log lines go instead of stdout (tests read them to prove no secret is logged) */
  logStream?: { write(line: string): void }
}

/** One registered route, as the onRoute hook saw it. */
export interface RouteInfo { method: string; url: string; config: Record<string, unknown> }
const routeLists = new WeakMap<FastifyInstance, RouteInfo[]>()

/**
 * Every route the app registered (platform and modules). Tests walk this list so a
 * new route is covered by the CSRF, header and forced-password-change checks
 * without anyone having to remember to add it.
 */
export function registeredRoutes(app: FastifyInstance): RouteInfo[] { return routeLists.get(app) ?? [] }

async function serverSecret(db: DB): Promise<Buffer> {
  const fresh = crypto.randomBytes(32).toString('base64')
  await db.insertInto('settings').values({ key: 'secret', value: JSON.stringify(fresh) }).onConflict((oc) => oc.column('key').doNothing()).execute()
  const row = await db.selectFrom('settings').select('value').where('key', '=', 'secret').executeTakeFirstOrThrow()
  return Buffer.from(row.value as string, 'base64')
}

/**
 * One log line per request, when it is answered (method, path, status, time), instead
 * of Fastify's two (received, then answered): logging is a measurable part of a short
 * request's cost, and the first line says nothing the second does not. Fastify's other
 * log lines (errors, not found) are kept.
 */
class OneLinePerRequest extends LogController {
  override incomingRequest() {}
  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply) {
    if (error) reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored')
    else reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed')
  }
}

export async function buildApp(config: Config, opts: BuildOptions = {}): Promise<FastifyInstance> {
  const store = opts.store ?? await openStore(config)
  try {
    if (!opts.store) await migrate(store)
    await ensureRegions(store.db)
  } catch (e) {
    await store.close()
    throw e
  }

  const app = Fastify({
    logger: opts.logger === false ? false : {
      level: config.logLevel,
      ...(opts.logStream ? { stream: opts.logStream } : {}),
      redact: ['req.headers.cookie', 'req.headers["x-csrf-token"]', 'res.headers["set-cookie"]'],
      serializers: {
        // no query strings in the log: they carry phone numbers and search terms
        req: (req) => ({ method: req.method, url: req.url.split('?')[0], remoteAddress: req.ip, id: req.id })
      }
    },
    logController: new OneLinePerRequest(),
    // 12 random hex digits, as before, from randomUUID's buffered entropy: randomBytes
    // asked the system for 6 bytes on every request (18 µs of a list page's 1.5 ms
    // in a CPU profile). An id to find a request in the log, not a secret.
    genReqId: () => { const u = crypto.randomUUID(); return u.slice(0, 8) + u.slice(9, 13) },
    trustProxy: config.trustProxy,
    bodyLimit: 2 * 1024 * 1024,
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true }
  })

  const routes: RouteInfo[] = []
  routeLists.set(app, routes)
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) routes.push({ method, url: r.url, config: (r.config ?? {}) as Record<string, unknown> })
  })

  app.decorate('config', config)
  app.decorate('store', store)
  app.decorate('db', store.db)
  app.decorate('secret', await serverSecret(store.db))
  let setup = !!(await store.db.selectFrom('users').select('id').limit(1).executeTakeFirst())
  app.decorate('setupDone', () => setup)
  app.decorate('markSetupDone', () => { setup = true })
  app.addHook('onClose', async () => { await store.close() })

  app.decorate('draining', false)
  app.addHook('onRequest', async (req, reply) => {
    reply.header('X-Request-Id', req.id)
    // shutting down (server.ts): a request that arrives now is told to go elsewhere
    if (app.draining) return reply.code(503).header('Connection', 'close').header('Retry-After', '5').type('text/plain; charset=utf-8').send('Restarting / 正在重启')
  })

  await app.register(cookie)
  // One value per field: a repeated name stays an array and the form schema refuses
  // it where a single value is expected (no parameter pollution).
  await app.register(formbody, { parser: (s) => qs.parse(s), bodyLimit: 1024 * 1024 })
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"], scriptSrc: ["'self'"], styleSrc: ["'self'"], imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"], connectSrc: ["'self'"], formAction: ["'self'"], objectSrc: ["'none'"],
        baseUri: ["'none'"], frameAncestors: ["'none'"]
      }
    },
    strictTransportSecurity: false, // set by the TLS proxy where there is one
    crossOriginEmbedderPolicy: false,
    referrerPolicy: { policy: 'same-origin' }
  })
  await app.register(rateLimit, { global: false })
  await app.register(staticFiles, {
    root: path.resolve(import.meta.dirname, '../public'), prefix: '/public/', maxAge: '1h', immutable: false
  })
  // htmx is served from the installed package: no build step, no CDN
  await app.register(staticFiles, {
    root: path.resolve(import.meta.dirname, '../node_modules/htmx.org/dist'), prefix: '/vendor/',
    decorateReply: false, allowedPath: (p) => p === '/htmx.min.js', maxAge: '1h'
  })
  await app.register(errorsPlugin)
  await app.register(sessionsPlugin)
  await app.register(csrfPlugin)
  await app.register(guardPlugin)
  await app.register(renderPlugin)

  app.get('/healthz', { config: { public: true } }, async (_req, reply) => {
    try {
      await sql`select 1`.execute(store.db)
      return { status: 'ok', database: store.kind }
    } catch {
      return reply.code(503).send({ status: 'unavailable' })
    }
  })

  for (const mod of modules) await app.register(mod)
  return app
}
