// Demo data for `npm run demo` (scripts/demo.ts). On a database with no users yet,
// seedDemo() creates a small office (departments and one or more users of every
// built-in role, with known passwords), then runs every seeder in `demoSeeders` in
// order, all in one transaction: a failure leaves the database empty, not half-filled.
//
// A module adds its demo data by writing src/modules/<module>/demo.ts that exports a
// DemoSeeder and appending it to `demoSeeders` below. Seeders insert set-based
// (one multi-row insert per table, not a query per row), so the demo starts in seconds,
// and use ctx.random() rather than Math.random() so every demo office looks the same.
import { sql } from 'kysely'
import type { Config } from '../config.ts'
import type { DB } from '../db/index.ts'
import { audit } from '../platform/audit.ts'
import { hashPassword } from './auth/passwords.ts'
import { customersDemo } from './customers/demo.ts'
import { serviceDeskDemo } from './service-desk/demo.ts'

export type RoleCode = 'admin' | 'decision' | 'supervisor' | 'user' | 'agent'
export type DemoDepartment = 'root' | 'sales1' | 'sales2' | 'east' | 'south' | 'service' | 'marketing' | 'finance'

export interface DemoUser {
  id: number
  login: string
  name: string
  role: RoleCode
  departmentId: number
  password: string
}

export interface DemoContext {
  config: Config
  /** department ids: 总公司 root → 销售一部 sales1 (→ 华东组 east, 华南组 south), 销售二部 sales2, 客服中心 service, 市场部 marketing, 财务部 finance */
  departments: Record<DemoDepartment, number>
  users: DemoUser[]
  byRole: Record<RoleCode, DemoUser[]>
  /** when the seeding started: base dates on it so the demo is always "current" */
  now: Date
  /** deterministic pseudo-random number in [0, 1) */
  random(): number
  pick<T>(items: readonly T[]): T
}

export interface DemoSeeder {
  name: string
  /** `db` is the seeding transaction */
  seed(db: DB, ctx: DemoContext): Promise<void>
}

/** Module demo data, run in this order after the office exists. */
export const demoSeeders: DemoSeeder[] = [
  customersDemo,
  serviceDeskDemo
]

// The password of each role: one per role so a visitor can tell at a glance what
// he is signed in as; none contains a login name, so all pass the password rules.
export const DEMO_PASSWORDS: Record<RoleCode, string> = {
  admin: 'Guanli@2026',
  decision: 'Juece@2026',
  supervisor: 'Zhuguan@2026',
  user: 'Yewu@2026',
  agent: 'Kefu@2026'
}

const DEPARTMENTS: Array<{ key: Exclude<DemoDepartment, 'root'>; name: string; parent: DemoDepartment; sort: number }> = [
  { key: 'sales1', name: '销售一部', parent: 'root', sort: 10 },
  { key: 'sales2', name: '销售二部', parent: 'root', sort: 20 },
  { key: 'service', name: '客服中心', parent: 'root', sort: 30 },
  { key: 'marketing', name: '市场部', parent: 'root', sort: 40 },
  { key: 'finance', name: '财务部', parent: 'root', sort: 50 },
  { key: 'east', name: '华东组', parent: 'sales1', sort: 10 },
  { key: 'south', name: '华南组', parent: 'sales1', sort: 20 }
]

interface Person { login: string; name: string; role: RoleCode; dept: DemoDepartment; ext: string; head?: boolean }

export const DEMO_PEOPLE: Person[] = [
  { login: 'admin', name: '周立明', role: 'admin', dept: 'root', ext: '8000' },
  { login: 'wangjianguo', name: '王建国', role: 'decision', dept: 'root', ext: '8001', head: true },
  { login: 'lijun', name: '李军', role: 'supervisor', dept: 'sales1', ext: '8101', head: true },
  { login: 'zhaomin', name: '赵敏', role: 'supervisor', dept: 'sales2', ext: '8201', head: true },
  { login: 'sunli', name: '孙丽', role: 'supervisor', dept: 'service', ext: '8301', head: true },
  { login: 'wugang', name: '吴刚', role: 'supervisor', dept: 'marketing', ext: '8401', head: true },
  { login: 'zhengfang', name: '郑芳', role: 'supervisor', dept: 'finance', ext: '8501', head: true },
  { login: 'zhangwei', name: '张伟', role: 'user', dept: 'east', ext: '8111' },
  { login: 'wangfang', name: '王芳', role: 'user', dept: 'east', ext: '8112' },
  { login: 'liuyang', name: '刘洋', role: 'user', dept: 'south', ext: '8121' },
  { login: 'chenjing', name: '陈静', role: 'user', dept: 'south', ext: '8122' },
  { login: 'yangfan', name: '杨帆', role: 'user', dept: 'sales2', ext: '8211' },
  { login: 'helei', name: '何磊', role: 'user', dept: 'sales2', ext: '8212' },
  { login: 'fengxue', name: '冯雪', role: 'user', dept: 'marketing', ext: '8411' },
  { login: 'xuxiaochen', name: '徐晓晨', role: 'agent', dept: 'service', ext: '8311' },
  { login: 'linna', name: '林娜', role: 'agent', dept: 'service', ext: '8312' }
]

/** mulberry32: small, fast, and the same sequence on every run */
function seededRandom(seed: number) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

async function seedDepartments(db: DB): Promise<Record<DemoDepartment, number>> {
  const ids = { root: 1 } as Record<DemoDepartment, number>
  // one insert per tree level (a child needs its parent's id), then one update that
  // fills `path` from the parent's path for every row still without one
  for (const level of [DEPARTMENTS.filter((d) => d.parent === 'root'), DEPARTMENTS.filter((d) => d.parent !== 'root')]) {
    const rows = await db.insertInto('departments')
      .values(level.map((d) => ({ name: d.name, parent_id: ids[d.parent], sort: d.sort })))
      .returning(['id', 'name']).execute()
    for (const d of level) ids[d.key] = rows.find((r) => r.name === d.name)!.id
    await sql`update departments d set path = p.path || d.id::text || '/'
      from departments p where d.parent_id = p.id and d.path = ''`.execute(db)
  }
  return ids
}

async function seedUsers(db: DB, config: Config, departments: Record<DemoDepartment, number>): Promise<DemoUser[]> {
  const roles = new Map((await db.selectFrom('roles').select(['id', 'code']).where('builtin', '=', true).execute()).map((r) => [r.code, r.id]))
  // argon2 is the slow part: one hash per distinct password, computed in parallel
  const codes = Object.keys(DEMO_PASSWORDS) as RoleCode[]
  const hashes = new Map(await Promise.all(codes.map(async (c) => [c, await hashPassword(config, DEMO_PASSWORDS[c])] as const)))
  const rows = await db.insertInto('users').values(DEMO_PEOPLE.map((p) => ({
    login: p.login, name: p.name, role_id: roles.get(p.role)!, department_id: departments[p.dept],
    password_hash: hashes.get(p.role)!, phone_ext: p.ext, email: `${p.login}@example.com`, is_default: p.login === 'admin'
  }))).returning(['id', 'login']).execute()
  const idOf = new Map(rows.map((r) => [r.login, r.id]))
  const heads = DEMO_PEOPLE.filter((p) => p.head)
  await sql`update departments d set head_user_id = v.user_id
    from (values ${sql.join(heads.map((p) => sql`(${departments[p.dept]}::int, ${idOf.get(p.login)!}::int)`))}) as v(dept_id, user_id)
    where d.id = v.dept_id`.execute(db)
  return DEMO_PEOPLE.map((p) => ({ id: idOf.get(p.login)!, login: p.login, name: p.name, role: p.role, departmentId: departments[p.dept], password: DEMO_PASSWORDS[p.role] }))
}

/**
 * Fills an empty database with the demo office and every module's demo data.
 * Returns null (and changes nothing) when the database already has users.
 */
export async function seedDemo(db: DB, config: Config): Promise<DemoContext | null> {
  if (await db.selectFrom('users').select('id').limit(1).executeTakeFirst()) return null
  return db.transaction().execute(async (trx) => {
    const departments = await seedDepartments(trx)
    const users = await seedUsers(trx, config, departments)
    const byRole = { admin: [], decision: [], supervisor: [], user: [], agent: [] } as Record<RoleCode, DemoUser[]>
    for (const u of users) byRole[u.role].push(u)
    const random = seededRandom(20260101)
    const ctx: DemoContext = {
      config, departments, users, byRole, now: new Date(), random,
      pick: (items) => items[Math.floor(random() * items.length)]
    }
    for (const s of demoSeeders) await s.seed(trx, ctx)
    await trx.insertInto('settings').values({ key: 'setup_done', value: JSON.stringify('demo') })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify('demo') })).execute()
    await audit(trx, { userId: null, userName: null, ip: null, requestId: null }, {
      action: 'demo.seed', entity: 'system', summary: 'npm run demo',
      detail: { departments: DEPARTMENTS.length + 1, users: users.length, seeders: demoSeeders.map((s) => s.name) }
    })
    return ctx
  })
}

/** The demo accounts that exist in this database, for the table printed at start. */
export async function demoAccounts(db: DB) {
  const rows = await db.selectFrom('users as u')
    .innerJoin('roles as r', 'r.id', 'u.role_id')
    .innerJoin('departments as d', 'd.id', 'u.department_id')
    .select(['u.login', 'u.name', 'u.active', 'r.name_zh as role', 'd.name as department'])
    .where('u.login', 'in', DEMO_PEOPLE.map((p) => p.login))
    .orderBy('u.id').execute()
  const roleOf = new Map(DEMO_PEOPLE.map((p) => [p.login, p.role]))
  return rows.map((r) => ({ ...r, password: DEMO_PASSWORDS[roleOf.get(r.login)!] }))
}
