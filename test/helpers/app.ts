// Test harness: a real app on a real, fresh database per test file, and a client
// that behaves like a browser (cookie jar, CSRF token taken from the last page).
// PGlite by default; with DATABASE_URL, a throw-away database on that server.
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.ts'
import { loadConfig, type Config } from '../../src/config.ts'
import { openStore, type Store } from '../../src/db/index.ts'
import { migrate, migrationFiles } from '../../src/db/migrate.ts'
import { ensureRegions } from '../../src/platform/regions.ts'
import { hashPassword } from '../../src/modules/auth/passwords.ts'

export interface Teardown { teardown(fn: () => unknown): void }

/** pg, loaded only by a PostgreSQL run: a PGlite run does not pay for its modules */
const pgClient = async (url: string) => new (await import('pg')).default.Client({ connectionString: url })

const CACHE = path.resolve(import.meta.dirname, '../../node_modules/.cache/kehu-test')

/** Names a template by its migrations and by what else is loaded into it (the regions). */
const templateKey = () => crypto.createHash('sha256').update(`${migrationFiles().map((f) => f.checksum).join()}+regions`).digest('hex').slice(0, 16)

/**
 * A migrated PGlite data directory, made once per set of migrations and reused. Kept
 * as a plain tar: every test app loads it, and un-gzipping 40 MB costs each of them
 * about 0.4 s.
 */
async function pgliteTemplate(base: Config): Promise<Blob> {
  const sum = templateKey()
  const file = path.join(CACHE, `template-${sum}.tar`)
  if (!fs.existsSync(file)) {
    const store = await openStore({ ...base, memoryDb: true })
    await migrate(store)
    await ensureRegions(store.db)
    const blob = await store.pglite!.dumpDataDir('none')
    await store.close()
    fs.mkdirSync(CACHE, { recursive: true })
    const tmp = `${file}.${process.pid}`
    fs.writeFileSync(tmp, Buffer.from(await blob.arrayBuffer()))
    fs.renameSync(tmp, file)
  }
  return new Blob([fs.readFileSync(file)])
}

/**
 * On PostgreSQL, a migrated database made once per set of migrations (by whichever
 * test process gets there first, under an advisory lock) and copied by CREATE DATABASE
 * … TEMPLATE for every test: a copy is several times faster than running every
 * migration again. Nobody stays connected to it, as a template requires.
 */
let pgTemplateName: Promise<string> | undefined
function pgTemplate(url: string, base: Config): Promise<string> {
  return (pgTemplateName ??= (async () => {
    const sum = templateKey()
    const name = `kehu_tpl_${sum}`
    const admin = await pgClient(url)
    await admin.connect()
    try {
      await admin.query("select pg_advisory_lock(hashtext('kehu-test-template'))")
      const exists = (await admin.query('select 1 from pg_database where datname = $1', [name])).rowCount
      if (!exists) {
        await admin.query(`create database ${name}`)
        const u = new URL(url)
        u.pathname = `/${name}`
        const store = await openStore({ ...base, databaseUrl: u.toString(), poolSize: 1 })
        try {
          await migrate(store)
          await ensureRegions(store.db)
        } catch (e) {
          await store.close()
          await admin.query(`drop database ${name}`)
          throw e
        }
        await store.close()
      }
    } finally {
      await admin.end()
    }
    return name
  })())
}

export function baseConfig(overrides: Partial<Config> = {}): Config {
  return { ...loadConfig({ LOG_LEVEL: 'silent' }), ...overrides }
}

/**
 * Drops a test's database. WITH (FORCE) ends connections a failed test left open, but a
 * role that is not a superuser (CI's) may not end an autovacuum worker that happens to
 * be in the database (42501): a plain DROP then stops the worker itself, and is tried
 * again while the database is still in use (55006).
 */
async function dropTestDatabase(url: string, name: string) {
  const a = await pgClient(url)
  await a.connect()
  try {
    await a.query(`drop database if exists ${name} with (force)`)
  } catch (e) {
    if ((e as { code?: string }).code !== '42501') throw e
    for (let attempt = 1; ; attempt++) {
      try {
        await a.query(`drop database if exists ${name}`)
        break
      } catch (e2) {
        if ((e2 as { code?: string }).code !== '55006' || attempt === 20) throw e2
        await new Promise((r) => setTimeout(r, 250))
      }
    }
  } finally {
    await a.end()
  }
}

/** A fresh migrated database (PGlite, or a new database on DATABASE_URL's server). */
export async function freshStore(t: Teardown, config: Config): Promise<{ store: Store; config: Config }> {
  const url = process.env.DATABASE_URL
  if (url) {
    const name = `kehu_t_${process.pid}_${crypto.randomBytes(4).toString('hex')}`
    const template = await pgTemplate(url, config)
    const admin = await pgClient(url)
    await admin.connect()
    await admin.query(`create database ${name} template ${template}`)
    await admin.end()
    const u = new URL(url)
    u.pathname = `/${name}`
    const cfg = { ...config, databaseUrl: u.toString(), poolSize: 5 }
    const store = await openStore(cfg)
    await migrate(store)
    t.teardown(async () => {
      await store.close().catch(() => {})
      await dropTestDatabase(url, name)
    })
    return { store, config: cfg }
  }
  const store = await openStore({ ...config, databaseUrl: undefined, memoryDb: true, pgliteLoadFrom: await pgliteTemplate(config) })
  t.teardown(() => store.close().catch(() => {}))
  return { store, config: { ...config, databaseUrl: undefined, memoryDb: true } }
}

export async function testApp(t: Teardown, overrides: Partial<Config> = {}): Promise<FastifyInstance> {
  const { store, config } = await freshStore(t, baseConfig(overrides))
  const app = await buildApp(config, { store, logger: false })
  t.teardown(() => app.close())
  return app
}

export const PASSWORD = 'Demo-pass-2026'
let hashed: Promise<string> | undefined

export type RoleCode = 'admin' | 'decision' | 'supervisor' | 'user' | 'agent'
export interface SeedUser { id: number; login: string; role: RoleCode; departmentId: number }
export interface Office {
  departments: { root: number; sales: number; salesEast: number; service: number }
  users: Record<string, SeedUser>
}

/**
 * A small office: 总公司 → 销售部 → 华东组, and 客服部. One user per built-in role,
 * plus a second ordinary user in the same team and one in another department, so
 * own / subordinate / peer / other-department cases all exist.
 */
export async function seedOffice(app: FastifyInstance): Promise<Office> {
  const db = app.db
  const hash = await (hashed ??= hashPassword(app.config, PASSWORD))
  const dep = async (name: string, parent: number) => {
    const p = await db.selectFrom('departments').select('path').where('id', '=', parent).executeTakeFirstOrThrow()
    const row = await db.insertInto('departments').values({ name, parent_id: parent }).returning('id').executeTakeFirstOrThrow()
    await db.updateTable('departments').set({ path: `${p.path}${row.id}/` }).where('id', '=', row.id).execute()
    return row.id
  }
  const sales = await dep('销售部', 1)
  const salesEast = await dep('华东组', sales)
  const service = await dep('客服部', 1)
  const roles = Object.fromEntries((await db.selectFrom('roles').select(['id', 'code']).execute()).map((r) => [r.code, r.id]))
  const users: Record<string, SeedUser> = {}
  const add = async (login: string, role: RoleCode, departmentId: number, name: string) => {
    const row = await db.insertInto('users').values({
      login, name, role_id: roles[role], department_id: departmentId, password_hash: hash, is_default: login === 'admin'
    }).returning('id').executeTakeFirstOrThrow()
    users[login] = { id: row.id, login, role, departmentId }
  }
  await add('admin', 'admin', 1, '系统管理员')
  await add('boss', 'decision', 1, '王总')
  await add('super', 'supervisor', sales, '李主管')
  await add('rep', 'user', salesEast, '张三')
  await add('rep2', 'user', salesEast, '李四')
  await add('other', 'user', service, '赵六')
  await add('agent', 'agent', service, '小陈')
  await db.insertInto('settings').values({ key: 'setup_done', value: '"test"' }).onConflict((oc) => oc.doNothing()).execute()
  app.markSetupDone()
  return { departments: { root: 1, sales, salesEast, service }, users }
}

export interface Res { statusCode: number; headers: Record<string, unknown>; body: string }

/** A browser-like client: keeps cookies and the CSRF token of the last page it saw. */
export class Client {
  cookies = new Map<string, string>()
  csrf = ''
  constructor(public app: FastifyInstance) {}

  private cookieHeader() { return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') }

  private keep(res: { headers: Record<string, unknown>; body: string }) {
    const set = res.headers['set-cookie']
    for (const c of (Array.isArray(set) ? set : set ? [set] : []) as string[]) {
      const [pair, ...attrs] = c.split(';')
      const i = pair.indexOf('=')
      const name = pair.slice(0, i).trim(), value = pair.slice(i + 1).trim()
      const expired = attrs.some((a) => /expires=Thu, 01 Jan 1970/i.test(a) || /max-age=0\b/i.test(a.trim()))
      if (expired || value === '') this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
    const m = /name="_csrf" value="([^"]+)"/.exec(res.body) ?? /X-CSRF-Token&quot;:&quot;([^&]+)&quot;/.exec(res.body)
    if (m) this.csrf = m[1]
  }

  async request(method: string, url: string, opts: { form?: Record<string, string | string[]>; headers?: Record<string, string>; csrf?: boolean; payload?: string | Buffer } = {}): Promise<Res> {
    const headers: Record<string, string> = { cookie: this.cookieHeader(), ...opts.headers }
    let payload: string | Buffer | undefined = opts.payload
    if (opts.form) {
      const p = new URLSearchParams()
      const form = { ...opts.form }
      if (opts.csrf !== false && method !== 'GET' && !('_csrf' in form)) form._csrf = this.csrf
      for (const [k, v] of Object.entries(form)) for (const x of Array.isArray(v) ? v : [v]) p.append(k, x)
      payload = p.toString()
      headers['content-type'] = 'application/x-www-form-urlencoded'
    } else if (method !== 'GET' && method !== 'HEAD' && opts.csrf !== false && !headers['x-csrf-token']) {
      headers['x-csrf-token'] = this.csrf
    }
    const res = await this.app.inject({ method: method as 'GET', url, headers, payload })
    const out = { statusCode: res.statusCode, headers: res.headers as Record<string, unknown>, body: res.body }
    this.keep(out)
    return out
  }

  get(url: string, headers?: Record<string, string>) { return this.request('GET', url, { headers }) }
  post(url: string, form: Record<string, string | string[]> = {}, opts: { headers?: Record<string, string>; csrf?: boolean } = {}) {
    return this.request('POST', url, { form, ...opts })
  }
  /** htmx-style request: HX-Request header, CSRF in X-CSRF-Token */
  hx(method: string, url: string, form?: Record<string, string | string[]>) {
    return this.request(method, url, { form, headers: { 'hx-request': 'true', 'x-csrf-token': this.csrf } })
  }
}

/** Signs in through the real form; fails the test loudly if it does not work. */
export async function signIn(app: FastifyInstance, login: string, password = PASSWORD): Promise<Client> {
  const c = new Client(app)
  await c.get('/login')
  const res = await c.post('/login', { login, password })
  if (res.statusCode !== 303) throw new Error(`sign-in as ${login} failed: ${res.statusCode}`)
  await c.get('/')
  return c
}

export async function auditRows(app: FastifyInstance, where: { action?: string; entity?: string; entityId?: string | number } = {}) {
  let q = app.db.selectFrom('audit_log').selectAll().orderBy('id')
  if (where.action) q = q.where('action', '=', where.action)
  if (where.entity) q = q.where('entity', '=', where.entity)
  if (where.entityId !== undefined) q = q.where('entity_id', '=', String(where.entityId))
  return q.execute()
}
