import t from 'tap'
import { assertUnchanged } from '../../helpers/matrix.ts'
import { auditRows, Client, seedOffice, signIn, testApp } from '../../helpers/app.ts'
import { derive } from '../../../src/modules/customers/derive.ts'

t.test('saved filters', async (t) => {
  const app = await testApp(t)
  await seedOffice(app)
  const rep = await signIn(app, 'rep')
  const rep2 = await signIn(app, 'rep2')
  const saved = () => app.db.selectFrom('saved_filters').selectAll().orderBy('id').execute()

  t.test('save the current filter under a name', async (t) => {
    await rep.get('/customers?grade=A&status=won')
    const res = await rep.post('/customers/filters', { name: '成交A类', query: 'status=won&grade=A&after=x|5&bogus=1' })
    t.equal(res.statusCode, 303)
    t.equal(res.headers.location, '/customers?status=won&grade=A')
    const rows = await saved()
    t.equal(rows.length, 1)
    t.equal(rows[0].query, 'status=won&grade=A', 'stored in canonical form: known filters only, no cursor')
    t.equal(rows[0].module, 'customers')
    t.equal((await auditRows(app, { entity: 'saved_filter', action: 'save' })).length, 1)
    const list = await rep.get('/customers')
    t.match(list.body, 'href="/customers?status=won&amp;grade=A">成交A类</a>', 'the list shows it')
    t.notMatch((await rep2.get('/customers')).body, '成交A类', 'another user does not see it')
    const again = await rep.post('/customers/filters', { name: '成交A类', query: 'grade=B' })
    t.equal(again.statusCode, 303)
    const rows2 = await saved()
    t.equal(rows2.length, 1, 'saving under the same name replaces it')
    t.equal(rows2[0].query, 'grade=B')
  })

  t.test('the list shows them whether or not it has customers', async (t) => {
    // with customers on the page, the page's one statement brings the filters along;
    // with none, no row carries them and they are read on their own
    const c = await signIn(app, 'other')
    await c.post('/customers/filters', { name: '待跟进', query: 'status=interested' })
    t.match((await c.get('/customers')).body, '>待跟进</a>', 'on an empty list')
    const other = await app.db.selectFrom('users').select('id').where('login', '=', 'other').executeTakeFirstOrThrow()
    const d = derive({ code: 'F-000001', name: '杭州瑞丰贸易有限公司', customer_type: 'A', phone: null, contacts: [] })
    await app.db.insertInto('customers').values({ code: 'F-000001', customer_type: 'A', name: '杭州瑞丰贸易有限公司', owner_id: other.id,
      name_initials: d.name_initials, first_letter: d.first_letter, search_grams: d.search_grams, search_text: d.search_text }).execute()
    const page = await c.get('/customers')
    t.match(page.body, '杭州瑞丰贸易有限公司')
    t.match(page.body, '>待跟进</a>', 'beside his customers')
    const table = await c.hx('GET', '/customers?grade=A')
    t.equal(table.statusCode, 200)
    t.notMatch(table.body, '待跟进', 'the filter form swaps the table only, without them')
    const mine = await app.db.selectFrom('saved_filters').select('id').where('user_id', '=', other.id).executeTakeFirstOrThrow()
    t.equal((await c.post(`/customers/filters/${mine.id}/delete`)).statusCode, 303)
    t.notMatch((await c.get('/customers')).body, '待跟进', 'and a deleted one is gone from the page at once')
  })

  t.test('invalid input: 422 with a message, nothing saved', async (t) => {
    for (const [what, form, msg] of [
      ['no name', { name: '  ', query: 'grade=A' }, '请为筛选条件填写一个名称'],
      ['long name', { name: 'x'.repeat(61), query: 'grade=A' }, '不能超过 60 个字符'],
      ['bad filter', { name: '坏的', query: 'grade=Z' }, '筛选条件不正确'],
      ['duplicated name', { name: ['a', 'b'], query: 'grade=A' }, '请为筛选条件填写一个名称'],
      ['huge query', { name: '大', query: 'q=' + 'x'.repeat(2001) }, '筛选条件不正确']
    ] as const) {
      const res = await assertUnchanged(t, app, ['saved_filters'], () => rep.post('/customers/filters', form as Record<string, string | string[]>), `${what}: nothing saved`)
      t.equal(res.statusCode, 422, what)
      t.match(res.body, msg, what)
    }
  })

  t.test('delete: own filters only', async (t) => {
    const [row] = await saved()
    const other = await assertUnchanged(t, app, ['saved_filters'], () => rep2.post(`/customers/filters/${row.id}/delete`))
    t.equal(other.statusCode, 404, 'another user\'s filter does not exist for him')
    t.equal((await rep.post('/customers/filters/99999/delete')).statusCode, 404)
    t.equal((await rep.post('/customers/filters/abc/delete')).statusCode, 404)
    const anon = new Client(app)
    await anon.get('/login')
    t.equal((await assertUnchanged(t, app, ['saved_filters'], () => anon.post(`/customers/filters/${row.id}/delete`))).statusCode, 401)
    const res = await rep.post(`/customers/filters/${row.id}/delete`)
    t.equal(res.statusCode, 303)
    t.equal((await saved()).length, 0)
    t.equal((await auditRows(app, { entity: 'saved_filter', action: 'delete', entityId: row.id })).length, 1)
  })
})
