// Departments: add, rename, move (with the whole subtree), head, delete; the refusals
// (duplicate, over-long, cycle, stale form, in use) say why and change nothing.
import t from 'tap'
import { escapeHtml } from '../../../src/platform/render.ts'
import { translator } from '../../../src/platform/i18n.ts'
import { auditRows, seedOffice, signIn, testApp } from '../../helpers/app.ts'
import { assertUnchanged } from '../../helpers/matrix.ts'

const tr = translator('zh-CN')
const says = (body: string, key: string, params?: Record<string, string | number>) => body.includes(escapeHtml(tr(key, params)))
const TABLES = ['departments', 'users']

t.test('departments', async (t) => {
  const app = await testApp(t)
  const o = await seedOffice(app)
  const admin = await signIn(app, 'admin')
  const dept = (id: number) => app.db.selectFrom('departments').selectAll().where('id', '=', id).executeTakeFirstOrThrow()

  await admin.get('/admin/departments')
  const add = async (name: string, parent: number) => {
    const res = await admin.post('/admin/departments', { name, parent_id: String(parent) })
    t.equal(res.statusCode, 303, `${name} added`)
    return Number(/\/admin\/departments\/(\d+)$/.exec(String(res.headers.location))![1])
  }

  t.test('the tree shows every department with its users', async (t) => {
    const res = await admin.get('/admin/departments')
    t.equal(res.statusCode, 200)
    for (const name of ['总公司', '销售部', '华东组', '客服部']) t.match(res.body, name)
  })

  t.test('add keeps the path and writes one audit row', async (t) => {
    const before = (await auditRows(app)).length
    const id = await add('华南组', o.departments.sales)
    const row = await dept(id)
    t.equal(row.path, `/1/${o.departments.sales}/${id}/`)
    t.equal(row.parent_id, o.departments.sales)
    const rows = await auditRows(app)
    t.equal(rows.length, before + 1, 'exactly one audit row')
    const a = rows[rows.length - 1]
    t.match(a, { action: 'create', entity: 'department', entity_id: String(id), user_name: '系统管理员' })
    t.same((a.changes as Record<string, unknown>).name, [null, '华南组'])
    const page = await admin.get(`/admin/departments/${id}`)
    t.equal(page.statusCode, 200)
    t.match(page.body, '华南组')
  })

  t.test('bad input is refused with a message and nothing changes', async (t) => {
    await admin.get('/admin/departments')
    const cases: [Record<string, string>, string, Record<string, string | number>?][] = [
      [{ name: '', parent_id: '1' }, 'errors.required'],
      [{ name: '长'.repeat(101), parent_id: '1' }, 'errors.tooLong', { max: 100 }],
      [{ name: '销售部', parent_id: '1' }, 'admin.departments.duplicateName', { name: '销售部' }],
      [{ name: '新部门', parent_id: '99999' }, 'admin.departments.noParent'],
      [{ name: '新部门', parent_id: '' }, 'errors.required']
    ]
    for (const [form, key, params] of cases) {
      const res = await assertUnchanged(t, app, TABLES, () => admin.post('/admin/departments', form))
      t.equal(res.statusCode, 422, key)
      t.ok(says(res.body, key, params), `says ${tr(key, params)}`)
      if (form.name && form.name.length < 50) t.match(res.body, `value="${form.name}"`, 'what was typed is kept')
    }
  })

  t.test('rename, with a stale form refused', async (t) => {
    const id = await add('临时组', o.departments.service)
    const page = await admin.get(`/admin/departments/${id}`)
    t.match(page.body, 'name="version" value="1"')
    const ok = await admin.post(`/admin/departments/${id}/rename`, { name: '售后组', version: '1' })
    t.equal(ok.statusCode, 303)
    t.equal((await dept(id)).name, '售后组')
    const [a] = (await auditRows(app, { entity: 'department', entityId: id })).slice(-1)
    t.match(a, { action: 'update' })
    t.same((a.changes as Record<string, unknown>).name, ['临时组', '售后组'])

    const stale = await assertUnchanged(t, app, TABLES, () => admin.post(`/admin/departments/${id}/rename`, { name: '另一个名字', version: '1' }))
    t.equal(stale.statusCode, 409)
    t.ok(says(stale.body, 'errors.conflict', { name: '系统管理员' }), 'names who changed it')
    t.match(stale.body, 'name="version" value="2"', 'the form now carries the saved version')
    t.match(stale.body, '售后组', 'shows what was saved')

    await add('质检组', o.departments.service)
    const dup = await assertUnchanged(t, app, TABLES, () => admin.post(`/admin/departments/${id}/rename`, { name: '质检组', version: '2' }))
    t.equal(dup.statusCode, 422)
    t.ok(says(dup.body, 'admin.departments.duplicateName', { name: '质检组' }), 'a sibling already has the name')
  })

  t.test('move carries the whole subtree and refuses a cycle', async (t) => {
    const a = await add('项目部', 1)
    const b = await add('一组', a)
    const c = await add('一班', b)
    const count = (await auditRows(app)).length
    const v = (await dept(a)).version
    const res = await admin.post(`/admin/departments/${a}/move`, { parent_id: String(o.departments.service), version: String(v) })
    t.equal(res.statusCode, 303)
    const s = o.departments.service
    t.equal((await dept(a)).path, `/1/${s}/${a}/`)
    t.equal((await dept(b)).path, `/1/${s}/${a}/${b}/`)
    t.equal((await dept(c)).path, `/1/${s}/${a}/${b}/${c}/`)
    t.equal((await dept(a)).parent_id, s)
    const rows = await auditRows(app)
    t.equal(rows.length, count + 1, 'one audit row for the move')
    t.match(rows[rows.length - 1], { action: 'move', entity: 'department', entity_id: String(a) })
    t.same((rows[rows.length - 1].changes as Record<string, unknown>).parent_id, [1, s])

    const v2 = String((await dept(a)).version)
    const under = await assertUnchanged(t, app, TABLES, () => admin.post(`/admin/departments/${a}/move`, { parent_id: String(c), version: v2 }))
    t.equal(under.statusCode, 422)
    t.ok(says(under.body, 'admin.departments.moveUnderChild', { name: '一班' }), 'says it would go under its own sub-department')
    const self = await assertUnchanged(t, app, TABLES, () => admin.post(`/admin/departments/${a}/move`, { parent_id: String(a), version: v2 }))
    t.equal(self.statusCode, 422)
    t.ok(says(self.body, 'admin.departments.moveUnderSelf'))
    const root = await assertUnchanged(t, app, TABLES, () => admin.post('/admin/departments/1/move', { parent_id: String(a), version: '1' }))
    t.equal(root.statusCode, 422)
    t.ok(says(root.body, 'admin.departments.moveRoot'))
    // the page offers only valid new parents
    const page = await admin.get(`/admin/departments/${a}`)
    const select = /<select id="f-parent_id"[\s\S]*?<\/select>/.exec(page.body)![0]
    t.notMatch(select, `value="${b}"`, 'its own sub-departments are not offered')
    t.match(select, `value="${o.departments.sales}"`)
  })

  t.test('set head', async (t) => {
    const id = o.departments.salesEast
    const v = String((await dept(id)).version)
    const res = await admin.post(`/admin/departments/${id}/head`, { head_user_id: String(o.users.super.id), version: v })
    t.equal(res.statusCode, 303)
    t.equal((await dept(id)).head_user_id, o.users.super.id)
    const [a] = (await auditRows(app, { entity: 'department', entityId: id })).slice(-1)
    t.same((a.changes as Record<string, unknown>).head_user_id, [null, o.users.super.id])
    const tree = await admin.get('/admin/departments')
    t.match(tree.body, '李主管', 'the tree names the head')
    const bad = await assertUnchanged(t, app, TABLES, () => admin.post(`/admin/departments/${id}/head`, { head_user_id: '99999', version: String(Number(v) + 1) }))
    t.equal(bad.statusCode, 422)
    t.ok(says(bad.body, 'admin.departments.noHead'))
    const clear = await admin.post(`/admin/departments/${id}/head`, { head_user_id: '', version: String(Number(v) + 1) })
    t.equal(clear.statusCode, 303)
    t.equal((await dept(id)).head_user_id, null)
  })

  t.test('delete refuses a department in use, saying why', async (t) => {
    const users = await assertUnchanged(t, app, TABLES, () => admin.post(`/admin/departments/${o.departments.salesEast}/delete`))
    t.equal(users.statusCode, 422)
    t.ok(says(users.body, 'admin.departments.deleteHasUsers', { users: 2 }), 'says how many users')
    const both = await assertUnchanged(t, app, TABLES, () => admin.post(`/admin/departments/${o.departments.sales}/delete`))
    t.equal(both.statusCode, 422)
    t.ok(says(both.body, 'admin.departments.deleteHasBoth', { users: 1, children: 2 }), 'says how many users and sub-departments')
    const empty = await add('空部门', o.departments.sales)
    await add('空部门下级', empty)
    const children = await assertUnchanged(t, app, TABLES, () => admin.post(`/admin/departments/${empty}/delete`))
    t.ok(says(children.body, 'admin.departments.deleteHasChildren', { children: 1 }))
    const root = await assertUnchanged(t, app, TABLES, () => admin.post('/admin/departments/1/delete'))
    t.equal(root.statusCode, 422)
    t.ok(says(root.body, 'admin.departments.deleteRoot'))
    const missing = await assertUnchanged(t, app, TABLES, () => admin.post('/admin/departments/99999/delete'))
    t.equal(missing.statusCode, 404)

    const leaf = await add('可删除', o.departments.service)
    const count = (await auditRows(app)).length
    const res = await admin.post(`/admin/departments/${leaf}/delete`)
    t.equal(res.statusCode, 303)
    t.equal(res.headers.location, '/admin/departments')
    t.notOk(await app.db.selectFrom('departments').select('id').where('id', '=', leaf).executeTakeFirst())
    const rows = await auditRows(app)
    t.equal(rows.length, count + 1)
    t.match(rows[rows.length - 1], { action: 'delete', entity: 'department', entity_id: String(leaf), summary: '可删除' })
  })
})
