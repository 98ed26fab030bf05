// Every admin route × every built-in role, anonymous, and a user granted one admin
// permission on top of his role: the expected status, and no change from a refused write.
import t from 'tap'
import { seedOffice, signIn, testApp, type Office } from '../../helpers/app.ts'
import { assertCovered, matrixClients, runMatrix, type MatrixRoute, type Who } from '../../helpers/matrix.ts'

interface Ctx extends Office { spare: number; item: number; spareItem: number; auditId: number; userRole: number }

const TABLES = ['users', 'departments', 'roles', 'code_items', 'settings']

t.test('admin permission matrix', async (t) => {
  const app = await testApp(t)
  const office = await seedOffice(app)
  const db = app.db
  const roleId = async (code: string) => (await db.selectFrom('roles').select('id').where('code', '=', code).executeTakeFirstOrThrow()).id
  const userRole = await roleId('user')
  const hash = (await db.selectFrom('users').select('password_hash').where('login', '=', 'rep').executeTakeFirstOrThrow()).password_hash
  // a user the matrix may disable and re-enable without signing out a principal
  const spare = (await db.insertInto('users').values({ login: 'spare', name: '备用', department_id: office.departments.service, role_id: userRole, password_hash: hash })
    .returning('id').executeTakeFirstOrThrow()).id
  // an ordinary user granted codes.admin on top of his role
  await db.insertInto('users').values({ login: 'coder', name: '字典员', department_id: office.departments.service, role_id: userRole, password_hash: hash, grants: ['codes.admin'] }).execute()
  const item = (await db.selectFrom('code_items').select('id').where('kind', '=', 'industry').where('code', '=', 'IT').executeTakeFirstOrThrow()).id
  const spareItem = (await db.insertInto('code_items').values({ kind: 'industry', code: 'SPARE', label_zh: '备用', label_en: 'Spare' }).returning('id').executeTakeFirstOrThrow()).id
  const clients = await matrixClients(app)
  clients.set('granted', await signIn(app, 'coder'))
  const auditId = (await db.selectFrom('audit_log').select('id').orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow()).id
  const ctx: Ctx = { ...office, spare, item, spareItem, auditId, userRole }

  const A: Who[] = ['admin']
  const CODES: Who[] = ['admin', 'granted']
  const routes: MatrixRoute<Ctx>[] = [
    // users
    { method: 'GET', url: '/admin/users', allow: A },
    { method: 'GET', url: '/admin/users?q=rep&active=1', allow: A },
    { method: 'GET', url: '/admin/users/new', allow: A },
    { method: 'POST', url: '/admin/users', form: { login: '' }, allow: A, ok: 422 },
    { method: 'GET', url: (c) => `/admin/users/${c.spare}`, allow: A },
    { method: 'GET', url: (c) => `/admin/users/${c.spare}/edit`, allow: A },
    { method: 'POST', url: (c) => `/admin/users/${c.spare}`, form: { login: '' }, allow: A, ok: 422 },
    { method: 'POST', url: (c) => `/admin/users/${c.spare}/disable`, allow: A },
    { method: 'POST', url: (c) => `/admin/users/${c.spare}/enable`, allow: A },
    { method: 'POST', url: (c) => `/admin/users/${c.spare}/unlock`, allow: A },
    { method: 'POST', url: (c) => `/admin/users/${c.spare}/password`, form: { password: '' }, allow: A, ok: 422 },
    { method: 'GET', url: (c) => `/admin/users/${c.spare}/permissions`, allow: A },
    { method: 'POST', url: (c) => `/admin/users/${c.spare}/permissions`, form: { version: 'x' }, allow: A, ok: 422 },
    // departments
    { method: 'GET', url: '/admin/departments', allow: A },
    { method: 'POST', url: '/admin/departments', form: { name: '' }, allow: A, ok: 422 },
    { method: 'GET', url: (c) => `/admin/departments/${c.departments.sales}`, allow: A },
    { method: 'POST', url: (c) => `/admin/departments/${c.departments.sales}/rename`, form: { name: '', version: '1' }, allow: A, ok: 422 },
    { method: 'POST', url: (c) => `/admin/departments/${c.departments.sales}/move`, form: { parent_id: '', version: '1' }, allow: A, ok: 422 },
    { method: 'POST', url: (c) => `/admin/departments/${c.departments.sales}/head`, form: { version: 'x' }, allow: A, ok: 422 },
    // refused for the admin too: the department has users
    { method: 'POST', url: (c) => `/admin/departments/${c.departments.sales}/delete`, allow: A, ok: 422 },
    // roles
    { method: 'GET', url: '/admin/roles', allow: A },
    { method: 'GET', url: '/admin/roles/new', allow: A },
    { method: 'POST', url: '/admin/roles', form: { code: '' }, allow: A, ok: 422 },
    { method: 'GET', url: (c) => `/admin/roles/${c.userRole}`, allow: A },
    { method: 'POST', url: (c) => `/admin/roles/${c.userRole}`, form: { name_zh: '' }, allow: A, ok: 422 },
    { method: 'POST', url: (c) => `/admin/roles/${c.userRole}/delete`, allow: A, ok: 422 },
    // code lists
    { method: 'GET', url: '/admin/codes', allow: CODES },
    { method: 'GET', url: '/admin/codes/industry', allow: CODES },
    { method: 'POST', url: '/admin/codes/industry', form: { code: '' }, allow: CODES, ok: 422 },
    { method: 'GET', url: (c) => `/admin/codes/industry/${c.item}`, allow: CODES },
    { method: 'POST', url: (c) => `/admin/codes/industry/${c.item}`, form: { code: '' }, allow: CODES, ok: 422 },
    // the granted user (he holds codes.admin) deletes the spare item; the admin, after him, finds it gone
    { method: 'POST', url: (c) => `/admin/codes/industry/${c.spareItem}/delete`, allow: CODES, expect: { granted: 303, admin: 404 } },
    // audit log: administrators and decision makers
    { method: 'GET', url: '/admin/audit', allow: ['admin', 'decision'] },
    { method: 'GET', url: '/admin/audit?entity=user&action=create', allow: ['admin', 'decision'] },
    { method: 'GET', url: (c) => `/admin/audit/${c.auditId}`, allow: ['admin', 'decision'] },
    // settings
    { method: 'GET', url: '/admin/settings', allow: A },
    { method: 'POST', url: '/admin/settings', form: {}, allow: A }
  ]

  await runMatrix(t, app, { routes, ctx, clients, tables: TABLES, order: ['anonymous', 'decision', 'supervisor', 'user', 'agent', 'granted', 'admin'] })
  assertCovered(t, app, routes, ctx, '/admin')
})

t.test('navigation shows each admin page only to those who may open it', async (t) => {
  const app = await testApp(t)
  await seedOffice(app)
  const links = ['/admin/users', '/admin/departments', '/admin/roles', '/admin/codes', '/admin/audit', '/admin/settings']
  const want: Record<string, string[]> = {
    admin: links, boss: ['/admin/audit'], super: [], rep: [], agent: []
  }
  for (const [login, visible] of Object.entries(want)) {
    const c = await signIn(app, login)
    const home = await c.get('/')
    const nav = /<nav class="sidenav[\s\S]*?<\/nav>/.exec(home.body)?.[0] ?? ''
    const shown = links.filter((l) => nav.includes(`href="${l}"`))
    t.same(shown, visible, `${login} sees ${visible.join(', ') || 'no admin page'}`)
  }
})
