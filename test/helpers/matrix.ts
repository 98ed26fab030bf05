// Permission matrix harness (security.md §5 S1/S2): every route × every principal →
// the status that principal must get, and proof that a refused write changed nothing.
//
// How to use it from any module's tests:
//
//   const app = await testApp(t)
//   const office = await seedOffice(app)
//   const clients = await matrixClients(app)            // anonymous + one client per built-in role
//   const routes: MatrixRoute<Office>[] = [
//     { method: 'GET', url: '/customers', allow: ['admin', 'decision', 'supervisor', 'user', 'agent'] },
//     { method: 'GET', url: (o) => `/customers/${o.users.rep.id}`, allow: ['admin'], expect: { user: 404 } },
//     { method: 'POST', url: '/customers', form: { name: '' }, allow: ['admin', 'user'], ok: 422 },
//   ]
//   await runMatrix(t, app, { routes, ctx: office, clients, tables: ['customers'] })
//   assertCovered(t, app, routes, office, '/customers')   // a new route without a row fails the test
//
// Expected status per principal, unless a row's `expect` says otherwise:
//   - 'anonymous': GET → 303 to /login?next=…; any other method → 401 (it holds a valid
//     pre-session CSRF token, so what is tested is sign-in, not CSRF);
//   - a principal in `allow` → `ok` (default 200 for GET, 303 for other methods);
//   - everyone else → 403.
// Every refused non-GET (401/403/404) is checked with a snapshot of `tables` (all rows)
// plus the audit-log row count, before and after: no write may happen before the
// permission check (S2). Tip: give allowed writes a form that fails validation
// (`ok: 422`) to prove the route lets them through without changing data, and order
// rows so that real changes (disable, then enable) leave the data as later rows expect.
//
// Principals are any Client; matrixClients() gives the built-in ones, and modules may
// add their own (a user with a revoked permission, a disabled user…) under new names
// and list them in `allow`/`expect`.
import type { FastifyInstance } from 'fastify'
import { sql } from 'kysely'
import { Client, signIn, type RoleCode } from './app.ts'

export type Who = 'anonymous' | RoleCode | (string & {})

type Form = Record<string, string | string[]>

export interface MatrixRoute<C = unknown> {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  /** a URL, or a function building it from the seeded ids */
  url: string | ((ctx: C) => string)
  form?: Form | ((ctx: C) => Form)
  /** principals who may use the route */
  allow: Who[]
  /** status for allowed principals (default 200 for GET, 303 otherwise) */
  ok?: number
  /** exact expectations that override the defaults, per principal */
  expect?: Partial<Record<Who, number>>
  /** tables to snapshot for this row's refused writes (default: the run's `tables`) */
  tables?: string[]
  /** extra headers (e.g. { 'hx-request': 'true' }) */
  headers?: Record<string, string>
}

/** The built-in principals' login names in seedOffice(). */
export const BUILTIN_LOGINS: Record<RoleCode, string> = { admin: 'admin', decision: 'boss', supervisor: 'super', user: 'rep', agent: 'agent' }

/** An anonymous client (with a pre-session CSRF token) and one signed-in client per built-in role. */
export async function matrixClients(app: FastifyInstance): Promise<Map<Who, Client>> {
  const clients = new Map<Who, Client>()
  const anon = new Client(app)
  await anon.get('/login')
  clients.set('anonymous', anon)
  for (const [role, login] of Object.entries(BUILTIN_LOGINS)) clients.set(role, await signIn(app, login))
  return clients
}

export function expectedStatus(route: MatrixRoute<never>, who: Who): number {
  const explicit = route.expect?.[who]
  if (explicit !== undefined) return explicit
  if (route.allow.includes(who)) return route.ok ?? (route.method === 'GET' ? 200 : 303)
  if (who === 'anonymous') return route.method === 'GET' ? 303 : 401
  return 403
}

/** Every row of `tables` plus the audit row count, as one comparable string. */
export async function snapshot(app: FastifyInstance, tables: string[]): Promise<string> {
  const out: Record<string, unknown> = {}
  for (const name of tables) {
    out[name] = (await sql`select * from ${sql.table(name)} order by 1`.execute(app.db)).rows
  }
  out.audit_count = (await sql<{ n: number }>`select count(*)::int as n from audit_log`.execute(app.db)).rows[0].n
  return JSON.stringify(out)
}

/** The few assertions the harness uses; every tap `t` has them. */
export interface Tap {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  test(name: string, fn: (t: any) => Promise<void>): Promise<unknown>
  equal(a: unknown, b: unknown, msg: string): unknown
  match(a: unknown, b: RegExp | string, msg: string): unknown
  ok(a: unknown, msg: string): unknown
  same(a: unknown, b: unknown, msg: string): unknown
  fail(msg: string): unknown
}

/** Runs `fn` and asserts that the rows of `tables` and the audit count did not change. */
export async function assertUnchanged<T>(t: Tap, app: FastifyInstance, tables: string[], fn: () => Promise<T>, msg = 'nothing changed'): Promise<T> {
  const before = await snapshot(app, tables)
  const result = await fn()
  t.equal(await snapshot(app, tables), before, msg)
  return result
}

const resolve = <C, V>(v: V | ((ctx: C) => V), ctx: C): V => (typeof v === 'function' ? (v as (c: C) => V)(ctx) : v)

export interface MatrixRun<C> {
  routes: MatrixRoute<C>[]
  ctx: C
  clients: Map<Who, Client>
  /** tables snapshotted around refused writes */
  tables: string[]
  /** principals to run, in order (default: every client, anonymous first) */
  order?: Who[]
}

export async function runMatrix<C>(t: Tap, app: FastifyInstance, run: MatrixRun<C>) {
  const order = run.order ?? [...run.clients.keys()]
  for (const route of run.routes) {
    const url = resolve(route.url, run.ctx)
    const form = route.form === undefined ? undefined : resolve(route.form, run.ctx)
    await t.test(`${route.method} ${url}`, async (t: Tap) => {
      // refused principals first, so the allowed ones' real changes come last
      const sorted = [...order].sort((a, b) => Number(route.allow.includes(a)) - Number(route.allow.includes(b)))
      for (const who of sorted) {
        const client = run.clients.get(who)
        if (!client) { t.fail(`no client for ${who}`); continue }
        const want = expectedStatus(route as MatrixRoute<never>, who)
        const send = () => client.request(route.method, url, {
          form: route.method === 'GET' ? undefined : (form ?? {}), headers: route.headers
        })
        const refusedWrite = route.method !== 'GET' && [401, 403, 404].includes(want)
        const res = refusedWrite
          ? await assertUnchanged(t, app, route.tables ?? run.tables, send, `${who}: refused write changed nothing`)
          : await send()
        t.equal(res.statusCode, want, `${who} → ${want}`)
        if (who === 'anonymous' && want === 303 && route.method === 'GET') {
          t.match(String(res.headers.location), /^\/login\?next=/, 'anonymous is sent to sign-in')
        }
      }
    })
  }
}

/** Registered routes (method + path pattern), HEAD left out, from Fastify's route tree. */
export function registeredRoutes(app: FastifyInstance): { method: string; url: string }[] {
  const out: { method: string; url: string }[] = []
  const stack: string[] = []
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^((?:[│ ] {3})*)(?:├── |└── )(\S+)(?: \(([^)]*)\))?/.exec(line)
    if (!m) continue
    const depth = m[1].length / 4
    stack.length = depth
    stack.push(m[2])
    const path = stack.join('')
    for (const method of (m[3] ?? '').split(',').map((s) => s.trim()).filter((s) => s && s !== 'HEAD')) out.push({ method, url: path })
  }
  return out
}

const patternRe = (p: string) => new RegExp(`^${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z_]\w*/g, '[^/]+')}$`)

/**
 * Fails for every route registered under `prefix` that no matrix row reaches, so a
 * new route cannot ship without saying who may use it. A concrete URL is matched to
 * the most specific pattern, as the router does (static beats `:param`).
 */
export function assertCovered<C>(t: Tap, app: FastifyInstance, routes: MatrixRoute<C>[], ctx: C, prefix: string) {
  const registered = registeredRoutes(app).filter((r) => r.url.startsWith(prefix))
  const covered = new Set<string>()
  for (const row of routes) {
    const path = resolve(row.url, ctx).split('?')[0]
    const candidates = registered.filter((r) => r.method === row.method && patternRe(r.url).test(path))
      .sort((a, b) => (a.url.match(/:/g)?.length ?? 0) - (b.url.match(/:/g)?.length ?? 0))
    if (candidates[0]) covered.add(`${candidates[0].method} ${candidates[0].url}`)
  }
  const missing = registered.map((r) => `${r.method} ${r.url}`).filter((k) => !covered.has(k))
  t.same(missing, [], `every route under ${prefix} has a matrix row`)
  t.ok(registered.length > 0, `routes found under ${prefix}`)
}
