// Users: the create-form contract, create (with a one-time token), edit with a version
// check, disable/enable ending sessions, password reset, unlock, per-user permissions,
// and the data scope following a user who moves department.
import t from 'tap'
import { inScope } from '../../../src/platform/scope.ts'
import { escapeHtml } from '../../../src/platform/render.ts'
import { translator } from '../../../src/platform/i18n.ts'
import { auditRows, Client, PASSWORD, seedOffice, signIn, testApp } from '../../helpers/app.ts'
import { assertUnchanged } from '../../helpers/matrix.ts'

const tr = translator('zh-CN')
const says = (body: string, key: string, params?: Record<string, string | number>) => body.includes(escapeHtml(tr(key, params)))
const TABLES = ['users', 'departments', 'form_tokens']
const NEW_PASSWORD = 'Initial-pass-77'

t.test('users', async (t) => {
  const app = await testApp(t)
  // A probe that lists the users whose records the caller may see under his data
  // scope, through the same inScope() every module uses: it shows what a module's
  // list would show, without needing one.
  app.get('/__probe/scope', async (req) => {
    const rows = await app.db.selectFrom('users as owner').select('owner.login').where(inScope(req.user!, 'owner.id')).orderBy('owner.login').execute()
    return rows.map((r) => r.login)
  })
  const o = await seedOffice(app)
  const admin = await signIn(app, 'admin')
  const roleId = async (code: string) => (await app.db.selectFrom('roles').select('id').where('code', '=', code).executeTakeFirstOrThrow()).id
  const user = (login: string) => app.db.selectFrom('users').selectAll().where('login', '=', login).executeTakeFirstOrThrow()

  const newForm = async () => {
    const page = await admin.get('/admin/users/new')
    return { page, token: /name="_token" value="([^"]+)"/.exec(page.body)![1] }
  }
  const valid = async (over: Record<string, string> = {}) => ({
    login: 'wangwu', name: '王五', department_id: String(o.departments.salesEast), role_id: String(await roleId('user')),
    password: NEW_PASSWORD, email: 'wangwu@example.cn', phone_ext: '8012', lang: 'zh-CN', ...over
  })

  t.test('the new-user form has the fields the browser test fills', async (t) => {
    const { page } = await newForm()
    t.equal(page.statusCode, 200)
    const form = /<form method="post" action="\/admin\/users">[\s\S]*?<\/form>/.exec(page.body)![0]
    for (const name of ['login', 'name', 'password', 'email', 'phone_ext']) t.match(form, new RegExp(`<input [^>]*name="${name}"`), `input ${name}`)
    for (const name of ['department_id', 'role_id', 'lang']) t.match(form, new RegExp(`<select [^>]*name="${name}"`), `select ${name}`)
    t.equal(form.match(/<button[^>]*type="submit"/g)?.length, 1, 'one submit button')
  })

  t.test('create: redirect to the user, forced password change, one audit row without the password', async (t) => {
    const { token } = await newForm()
    const count = (await auditRows(app)).length
    const res = await admin.post('/admin/users', { ...(await valid()), _token: token })
    t.equal(res.statusCode, 303)
    const row = await user('wangwu')
    t.equal(res.headers.location, `/admin/users/${row.id}`)
    t.equal(row.must_change_password, true)
    t.match(row.password_hash, /^\$argon2id\$/)
    t.equal(row.email, 'wangwu@example.cn')
    const show = await admin.get(String(res.headers.location))
    t.equal(show.statusCode, 200)
    t.match(show.body, 'wangwu')
    t.match(show.body, '一般用户', 'shows the role name')
    const rows = await auditRows(app)
    t.equal(rows.length, count + 1)
    t.match(rows[rows.length - 1], { action: 'create', entity: 'user', entity_id: String(row.id) })
    t.notMatch(JSON.stringify(rows), NEW_PASSWORD, 'the password is nowhere in the audit log')
    t.notMatch(JSON.stringify(rows[rows.length - 1]), 'argon2', 'nor its hash')

    // a second post of the same form leads to the same user, not a duplicate or an error
    const form = { ...(await valid()), _token: token }
    const again = await assertUnchanged(t, app, ['users'], () => admin.post('/admin/users', form))
    t.equal(again.statusCode, 303)
    t.equal(again.headers.location, `/admin/users/${row.id}`)

    // the new user signs in and is sent to choose his own password first
    const c = new Client(app)
    await c.get('/login')
    t.equal((await c.post('/login', { login: 'WangWu', password: NEW_PASSWORD })).statusCode, 303)
    const home = await c.get('/')
    t.equal(home.headers.location, '/account/password')
  })

  t.test('bad input: a message beside the field, values kept, nothing changed', async (t) => {
    const cases: [Record<string, string>, string, string, Record<string, string | number>?][] = [
      [{ login: 'REP' }, 'login', 'admin.users.loginTaken', { login: 'REP' }],
      [{ login: 'zhao liu' }, 'login', 'errors.loginChars'],
      [{ login: 'x'.repeat(61) }, 'login', 'errors.tooLong', { max: 60 }],
      [{ name: '名'.repeat(61) }, 'name', 'errors.tooLong', { max: 60 }],
      [{ name: '' }, 'name', 'errors.required'],
      [{ email: 'not-an-email' }, 'email', 'errors.email'],
      [{ phone_ext: 'ext<12>' }, 'phone_ext', 'admin.users.phoneExtChars'],
      [{ password: 'short' }, 'password', 'errors.passwordShort', { min: 8 }],
      [{ password: 'password123' }, 'password', 'errors.passwordCommon'],
      [{ login: 'liuqi', password: 'liuqi-2026-x' }, 'password', 'errors.passwordHasLogin'],
      [{ department_id: '99999' }, 'department_id', 'errors.invalid'],
      [{ role_id: '99999' }, 'role_id', 'errors.invalid'],
      [{ lang: 'fr' }, 'lang', 'errors.invalid']
    ]
    for (const [over, field, key, params] of cases) {
      const { token } = await newForm()
      const form = { ...(await valid({ login: 'liuqi', name: '刘七' })), ...over, _token: token }
      const res = await assertUnchanged(t, app, TABLES, () => admin.post('/admin/users', form), `${field}: nothing changed`)
      t.equal(res.statusCode, 422, `${field} ${key}`)
      t.match(res.body, new RegExp(`id="e-${field}">${escapeHtml(tr(key, params)).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}<`), `beside ${field}: ${tr(key, params)}`)
      if (field !== 'login' && field !== 'name') t.match(res.body, `value="${escapeHtml(form.name)}"`, 'the name typed is kept')
      t.notMatch(res.body, `value="${form.password}"`, 'the password is never sent back')
    }
  })

  t.test('edit, with a stale form refused and the saved values shown', async (t) => {
    const id = (await user('wangwu')).id
    const page = await admin.get(`/admin/users/${id}/edit`)
    t.equal(page.statusCode, 200)
    t.match(page.body, 'name="version" value="1"')
    const form = { ...(await valid()), name: '王五一', department_id: String(o.departments.service), version: '1' }
    delete (form as Record<string, string>).password
    const res = await admin.post(`/admin/users/${id}`, form)
    t.equal(res.statusCode, 303)
    const row = await user('wangwu')
    t.equal(row.name, '王五一')
    t.equal(row.department_id, o.departments.service)
    const [a] = (await auditRows(app, { entity: 'user', entityId: id })).slice(-1)
    t.match(a, { action: 'update' })
    t.same((a.changes as Record<string, unknown>).name, ['王五', '王五一'])
    t.same((a.changes as Record<string, unknown>).department, ['华东组', '客服部'])

    const stale = await assertUnchanged(t, app, TABLES, () => admin.post(`/admin/users/${id}`, { ...form, name: '旧表单', version: '1' }))
    t.equal(stale.statusCode, 409)
    t.ok(says(stale.body, 'errors.conflict', { name: '系统管理员' }))
    t.match(stale.body, '王五一', 'the saved name is shown')
    t.match(stale.body, 'value="旧表单"', 'what was typed is kept')
    t.match(stale.body, 'name="version" value="2"')

    const taken = await assertUnchanged(t, app, TABLES, () => admin.post(`/admin/users/${id}`, { ...form, login: 'Agent', version: '2' }))
    t.equal(taken.statusCode, 422)
    t.ok(says(taken.body, 'admin.users.loginTaken', { login: 'Agent' }))
  })

  t.test('the default administrator cannot be disabled or lose his role', async (t) => {
    const id = o.users.admin.id
    const res = await assertUnchanged(t, app, TABLES, () => admin.post(`/admin/users/${id}/disable`))
    t.equal(res.statusCode, 422)
    t.ok(says(res.body, 'admin.users.defaultDisable'))
    const form = { login: 'admin', name: '系统管理员', department_id: '1', role_id: String(await roleId('user')), lang: 'zh-CN', version: '1' }
    const role = await assertUnchanged(t, app, TABLES, () => admin.post(`/admin/users/${id}`, form))
    t.equal(role.statusCode, 422)
    t.ok(says(role.body, 'admin.users.defaultRole'))
  })

  t.test('disabling ends the user\'s sessions at his next request; enabling lets him back', async (t) => {
    const rep = await signIn(app, 'rep2')
    t.equal((await rep.get('/')).statusCode, 200)
    const id = o.users.rep2.id
    await admin.get(`/admin/users/${id}`)
    const count = (await auditRows(app)).length
    const res = await admin.post(`/admin/users/${id}/disable`)
    t.equal(res.statusCode, 303)
    t.equal((await user('rep2')).active, false)
    const next = await rep.get('/')
    t.equal(next.statusCode, 303, 'his open session no longer works')
    t.match(String(next.headers.location), /^\/login/)
    t.equal((await app.db.selectFrom('sessions').select('id_hash').where('user_id', '=', id).execute()).length, 0, 'no session row left')
    const rows = await auditRows(app)
    t.equal(rows.length, count + 1)
    t.match(rows[rows.length - 1], { action: 'disable', entity: 'user', entity_id: String(id) })
    const c = new Client(app)
    await c.get('/login')
    t.equal((await c.post('/login', { login: 'rep2', password: PASSWORD })).statusCode, 401, 'cannot sign in')

    t.equal((await admin.post(`/admin/users/${id}/enable`)).statusCode, 303)
    t.match((await auditRows(app)).at(-1), { action: 'enable', entity: 'user', entity_id: String(id) })
    await signIn(app, 'rep2')

    const self = await assertUnchanged(t, app, TABLES, async () => {
      // an administrator who is not the default one still cannot disable himself
      return admin.post(`/admin/users/${o.users.admin.id}/disable`)
    })
    t.equal(self.statusCode, 422)
  })

  t.test('password reset forces a change and ends sessions; the password stays out of the log', async (t) => {
    const other = await signIn(app, 'other')
    const id = o.users.other.id
    await admin.get(`/admin/users/${id}`)
    const weak = await assertUnchanged(t, app, TABLES, () => admin.post(`/admin/users/${id}/password`, { password: '12345678' }))
    t.equal(weak.statusCode, 422)
    t.ok(says(weak.body, 'errors.passwordCommon'))
    const count = (await auditRows(app)).length
    const res = await admin.post(`/admin/users/${id}/password`, { password: 'Reset-pass-2026' })
    t.equal(res.statusCode, 303)
    t.equal((await user('other')).must_change_password, true)
    t.equal((await other.get('/')).statusCode, 303, 'his session ended')
    const rows = await auditRows(app)
    t.equal(rows.length, count + 1)
    t.match(rows[rows.length - 1], { action: 'password.reset', entity: 'user', entity_id: String(id) })
    t.notMatch(JSON.stringify(rows), 'Reset-pass-2026')
    const c = new Client(app)
    await c.get('/login')
    t.equal((await c.post('/login', { login: 'other', password: 'Reset-pass-2026' })).statusCode, 303)
    t.equal((await c.get('/')).headers.location, '/account/password')
    const own = await assertUnchanged(t, app, TABLES, () => admin.post(`/admin/users/${o.users.admin.id}/password`, { password: 'Reset-pass-2026' }))
    t.equal(own.statusCode, 422, 'his own password is changed on his own page')
  })

  t.test('unlock clears the lockout and is audited', async (t) => {
    const id = o.users.agent.id
    await app.db.updateTable('users').set({ locked_until: new Date(Date.now() + 3600_000), failed_logins: 3 }).where('id', '=', id).execute()
    const page = await admin.get(`/admin/users/${id}`)
    t.ok(says(page.body, 'admin.users.locked'))
    const count = (await auditRows(app)).length
    t.equal((await admin.post(`/admin/users/${id}/unlock`)).statusCode, 303)
    const row = await user('agent')
    t.equal(row.locked_until, null)
    t.equal(row.failed_logins, 0)
    const rows = await auditRows(app)
    t.equal(rows.length, count + 1)
    t.match(rows[rows.length - 1], { action: 'unlock', entity: 'user', entity_id: String(id) })
    await signIn(app, 'agent')
  })

  t.test('per-user grants and revokes on top of the role', async (t) => {
    const rep = await signIn(app, 'rep')
    t.equal((await rep.get('/admin/codes')).statusCode, 403)
    const id = o.users.rep.id
    const page = await admin.get(`/admin/users/${id}/permissions`)
    t.equal(page.statusCode, 200)
    t.match(page.body, 'value="codes.admin"')
    const count = (await auditRows(app)).length
    const version = /name="version" value="(\d+)"/.exec(page.body)![1]
    t.equal((await admin.post(`/admin/users/${id}/permissions`, { perm: ['codes.admin'], version })).statusCode, 303)
    t.same((await user('rep')).grants, ['codes.admin'])
    t.equal((await rep.get('/admin/codes')).statusCode, 200, 'the grant works at his next request')
    const rows = await auditRows(app)
    t.equal(rows.length, count + 1)
    t.same((rows[rows.length - 1].changes as Record<string, unknown>).grants, [[], ['codes.admin']])

    const bad = await assertUnchanged(t, app, TABLES, () => admin.post(`/admin/users/${id}/permissions`, { perm: ['codes.admin', 'nuclear.launch'], version: String(Number(version) + 1) }))
    t.equal(bad.statusCode, 422, 'only permissions from the catalogue')

    // a revoke takes away what the role gives: the decision maker loses the audit log
    const boss = await signIn(app, 'boss')
    t.equal((await boss.get('/admin/audit')).statusCode, 200)
    const bp = await admin.get(`/admin/users/${o.users.boss.id}/permissions`)
    t.match(bp.body, /value="audit.read" aria-label="[^"]*" checked/, 'what the role gives is ticked')
    const bv = /name="version" value="(\d+)"/.exec(bp.body)![1]
    const ticked = [...bp.body.matchAll(/name="perm" value="([^"]+)"[^>]*checked/g)].map((m) => m[1])
    t.ok(ticked.length > 1)
    t.equal((await admin.post(`/admin/users/${o.users.boss.id}/permissions`, { perm: ticked.filter((p) => p !== 'audit.read'), version: bv })).statusCode, 303)
    t.same((await user('boss')).revokes, ['audit.read'])
    t.equal((await boss.get('/admin/audit')).statusCode, 403)

    const adminGrid = await assertUnchanged(t, app, TABLES, () => admin.post(`/admin/users/${o.users.admin.id}/permissions`, { version: '1' }))
    t.equal(adminGrid.statusCode, 422, 'the administrator role is not adjusted per user')
  })

  t.test('moving a user or his department changes his data scope at once', async (t) => {
    const sup = await signIn(app, 'super')
    const seen = async () => JSON.parse((await sup.get('/__probe/scope')).body) as string[]
    t.same(await seen(), ['rep', 'rep2', 'super'], 'a supervisor of 销售部 sees his department and below')
    const u = await user('super')
    const res = await admin.post(`/admin/users/${u.id}`, {
      login: 'super', name: u.name, department_id: String(o.departments.service), role_id: String(u.role_id), lang: 'zh-CN', version: String(u.version)
    })
    t.equal(res.statusCode, 303)
    t.same(await seen(), ['agent', 'other', 'super', 'wangwu'], 'moved to 客服部: now he sees that department, on his very next request')

    // moving a department moves the scope of everyone above it
    const dv = (await app.db.selectFrom('departments').select('version').where('id', '=', o.departments.salesEast).executeTakeFirstOrThrow()).version
    t.equal((await admin.post(`/admin/departments/${o.departments.salesEast}/move`, { parent_id: String(o.departments.service), version: String(dv) })).statusCode, 303)
    t.same(await seen(), ['agent', 'other', 'rep', 'rep2', 'super', 'wangwu'], '华东组 moved under 客服部 comes into his scope')
  })

  t.test('the list filters by name, department (with sub-departments), role and status', async (t) => {
    const list = async (q: string) => (await admin.get(`/admin/users${q}`)).body
    const logins = (body: string) => [...body.matchAll(/<a href="\/admin\/users\/\d+">([^<]+)<\/a>/g)].map((m) => m[1]).sort()
    t.same(logins(await list('')), ['admin', 'agent', 'boss', 'other', 'rep', 'rep2', 'super', 'wangwu'])
    t.same(logins(await list('?q=rep')), ['rep', 'rep2'])
    t.same(logins(await list('?q=%E5%BC%A0')), ['rep'], 'by name: 张')
    t.same(logins(await list(`?department=${o.departments.service}`)), ['agent', 'other', 'rep', 'rep2', 'super', 'wangwu'], 'includes sub-departments')
    t.same(logins(await list(`?role=${await roleId('agent')}`)), ['agent'])
    await app.db.updateTable('users').set({ active: false }).where('login', '=', 'wangwu').execute()
    t.same(logins(await list('?active=0')), ['wangwu'])
    t.ok(says(await list('?q=nobody'), 'admin.users.noMatch'), 'an empty result says what to do')
    const frag = await admin.request('GET', '/admin/users?q=rep', { headers: { 'hx-request': 'true' } })
    t.notMatch(frag.body, '<html', 'htmx gets the rows alone')
    t.match(frag.body, 'id="user-rows"')
  })
})
