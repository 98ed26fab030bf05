// Roles: create with a permission grid and data scope, edit with a version check,
// the administrator's fixed grid, and deletes refused for built-in or used roles.
import t from 'tap'
import { escapeHtml } from '../../../src/platform/render.ts'
import { translator } from '../../../src/platform/i18n.ts'
import { auditRows, seedOffice, signIn, testApp } from '../../helpers/app.ts'
import { assertUnchanged } from '../../helpers/matrix.ts'

const tr = translator('zh-CN')
const says = (body: string, key: string, params?: Record<string, string | number>) => body.includes(escapeHtml(tr(key, params)))
const TABLES = ['roles', 'users']

t.test('roles', async (t) => {
  const app = await testApp(t)
  const o = await seedOffice(app)
  const admin = await signIn(app, 'admin')
  const role = (code: string) => app.db.selectFrom('roles').selectAll().where('code', '=', code).executeTakeFirstOrThrow()

  t.test('the list shows the five built-in roles', async (t) => {
    const res = await admin.get('/admin/roles')
    t.equal(res.statusCode, 200)
    for (const name of ['系统管理员', '业务决策', '主管', '一般用户', '客服坐席']) t.match(res.body, name)
  })

  t.test('the grid offers only the actions each module declares', async (t) => {
    const res = await admin.get('/admin/roles/new')
    t.match(res.body, 'value="audit.read"')
    t.notMatch(res.body, 'value="audit.create"', 'the audit log declares no create')
    t.notMatch(res.body, 'value="users.read"')
  })

  t.test('create: one audit row, permissions and scope stored', async (t) => {
    await admin.get('/admin/roles/new')
    const count = (await auditRows(app)).length
    const res = await admin.post('/admin/roles', {
      code: 'Auditor', name_zh: '审计员', name_en: 'Auditor', data_scope: 'subtree', perm: ['audit.read', 'codes.admin']
    })
    t.equal(res.statusCode, 303)
    const r = await role('auditor')
    t.same(r.permissions, ['audit.read', 'codes.admin'])
    t.equal(r.data_scope, 'subtree')
    t.equal(r.builtin, false)
    const rows = await auditRows(app)
    t.equal(rows.length, count + 1)
    t.match(rows[rows.length - 1], { action: 'create', entity: 'role', entity_id: String(r.id) })
  })

  t.test('bad input is refused with a message and nothing changes', async (t) => {
    const base = { code: 'clerk', name_zh: '文员', name_en: 'Clerk', data_scope: 'own' }
    const cases: [Record<string, string | string[]>, string, Record<string, string | number>?][] = [
      [{ code: 'auditor' }, 'admin.roles.codeTaken', { code: 'auditor' }],
      [{ code: '9lives' }, 'admin.roles.codeChars'],
      [{ code: 'x'.repeat(41) }, 'errors.tooLong', { max: 40 }],
      [{ name_zh: '主管' }, 'admin.roles.nameTaken', { name: '主管' }],
      [{ name_en: 'n'.repeat(61) }, 'errors.tooLong', { max: 60 }],
      [{ data_scope: 'galaxy' }, 'errors.invalid'],
      [{ perm: ['audit.read', 'users.read'] }, 'admin.roles.unknownPermission', { perm: 'users.read' }]
    ]
    for (const [over, key, params] of cases) {
      const res = await assertUnchanged(t, app, TABLES, () => admin.post('/admin/roles', { ...base, ...over }))
      t.equal(res.statusCode, 422, key)
      t.ok(says(res.body, key, params), `says ${tr(key, params)}`)
    }
  })

  t.test('edit changes what users of the role may do at once; a stale form is refused', async (t) => {
    const r = await role('agent')
    const agent = await signIn(app, 'agent')
    t.equal((await agent.get('/admin/codes')).statusCode, 403)
    const page = await admin.get(`/admin/roles/${r.id}`)
    const ticked = [...page.body.matchAll(/name="perm" value="([^"]+)"[^>]*checked/g)].map((m) => m[1])
    t.same(ticked.sort(), [...r.permissions].sort(), 'the grid shows the role\'s permissions')
    const count = (await auditRows(app)).length
    const res = await admin.post(`/admin/roles/${r.id}`, {
      name_zh: r.name_zh, name_en: r.name_en, data_scope: r.data_scope, perm: [...ticked, 'codes.admin'], version: String(r.version)
    })
    t.equal(res.statusCode, 303)
    t.equal((await agent.get('/admin/codes')).statusCode, 200, 'the new permission works on his next request')
    const rows = await auditRows(app)
    t.equal(rows.length, count + 1)
    t.match(rows[rows.length - 1], { action: 'update', entity: 'role', entity_id: String(r.id) })
    const stale = await assertUnchanged(t, app, TABLES, () => admin.post(`/admin/roles/${r.id}`, {
      name_zh: '坐席', name_en: r.name_en, data_scope: 'all', perm: ticked, version: String(r.version)
    }))
    t.equal(stale.statusCode, 409)
    t.ok(says(stale.body, 'errors.conflict', { name: '系统管理员' }))
    t.match(stale.body, `name="version" value="${r.version + 1}"`)
  })

  t.test('the administrator role holds everything, fixed', async (t) => {
    const r = await role('admin')
    const page = await admin.get(`/admin/roles/${r.id}`)
    t.ok(says(page.body, 'admin.roles.adminFixed'), 'says it holds every permission')
    t.match(page.body, /value="settings.admin"[^>]* checked disabled/, 'every box shown ticked and fixed')
    // posting a grid cannot narrow it; the names may change
    const res = await admin.post(`/admin/roles/${r.id}`, { name_zh: '超级管理员', name_en: r.name_en, data_scope: 'own', perm: ['audit.read'], version: String(r.version) })
    t.equal(res.statusCode, 303)
    const after = await role('admin')
    t.equal(after.name_zh, '超级管理员')
    t.equal(after.data_scope, 'all')
    t.same(after.permissions, r.permissions)
    t.equal((await admin.get('/admin/settings')).statusCode, 200, 'the administrator keeps every page')
  })

  t.test('delete: built-in and used roles are refused, saying why', async (t) => {
    const user = await role('user')
    const builtin = await assertUnchanged(t, app, TABLES, () => admin.post(`/admin/roles/${user.id}/delete`))
    t.equal(builtin.statusCode, 422)
    t.ok(says(builtin.body, 'admin.roles.builtinDelete'))

    const auditor = await role('auditor')
    await app.db.updateTable('users').set({ role_id: auditor.id }).where('id', 'in', [o.users.rep.id, o.users.rep2.id]).execute()
    const used = await assertUnchanged(t, app, TABLES, () => admin.post(`/admin/roles/${auditor.id}/delete`))
    t.equal(used.statusCode, 422)
    t.ok(says(used.body, 'admin.roles.inUse', { n: 2 }), 'says how many users have it')

    await app.db.updateTable('users').set({ role_id: user.id }).where('id', 'in', [o.users.rep.id, o.users.rep2.id]).execute()
    const count = (await auditRows(app)).length
    const res = await admin.post(`/admin/roles/${auditor.id}/delete`)
    t.equal(res.statusCode, 303)
    t.notOk(await app.db.selectFrom('roles').select('id').where('code', '=', 'auditor').executeTakeFirst())
    const rows = await auditRows(app)
    t.equal(rows.length, count + 1)
    t.match(rows[rows.length - 1], { action: 'delete', entity: 'role', entity_id: String(auditor.id) })
  })
})
