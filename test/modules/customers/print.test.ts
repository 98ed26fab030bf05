import t from 'tap'
import { auditRows, seedOffice, signIn, testApp } from '../../helpers/app.ts'
import { createViaForm } from './helpers.ts'

t.test('printing the list and a customer', async (t) => {
  const app = await testApp(t)
  await seedOffice(app)
  const rep = await signIn(app, 'rep')
  const sup = await signIn(app, 'super')
  const other = await signIn(app, 'other')

  const id = await createViaForm(rep, { name: '打印测试有限公司', grade: 'A', status: 'interested', industry: 'MFG', phone: '010-1234 5678' })
  await rep.post(`/customers/${id}/contacts`, { name: '周八', mobile: '13812345678', valid: 'on' })
  await rep.hx('POST', `/customers/${id}/communications`, { kind: 'visit', summary: '上门拜访<script>x</script>', next_step: '报价' })
  await rep.post(`/customers/${id}/demands`, { kind: 'ADS', description: '年度广告投放', valid_from: '2026-01-01' })
  await createViaForm(rep, { name: '另一家公司', grade: 'C' })
  const foreign = await createViaForm(other, { name: 'CANARY客服部客户', grade: 'A', status: 'interested' })

  t.test('ordinary users lack customers.print', async (t) => {
    t.equal((await rep.get('/customers/print')).statusCode, 403)
    t.equal((await rep.get(`/customers/${id}/print`)).statusCode, 403)
    t.equal((await auditRows(app, { action: 'print' })).length, 0, 'a refused print is not a print')
  })

  t.test('the list print carries the filter in words, the printer and the time', async (t) => {
    const res = await sup.get('/customers/print?grade=A&status=interested&industry=MFG')
    t.equal(res.statusCode, 200)
    t.match(res.body, '<h1>客户清单</h1>')
    t.match(res.body, '筛选条件：客户状态：意向；客户等级：A；行业：制造业', 'the filter in words')
    t.match(res.body, '打印人：李主管')
    t.match(res.body, /打印时间：\d{4}-\d{2}-\d{2} \d{2}:\d{2}/)
    t.match(res.body, '打印测试有限公司')
    t.notMatch(res.body, '另一家公司', 'grade C is filtered out')
    t.notMatch(res.body, 'CANARY', "outside the supervisor's scope")
    t.match(res.body, '<thead>', 'a table header the browser repeats on each page')
    t.match(res.body, 'href="/public/css/print.css" media="print"')
    t.match(res.body, '<button type="button" class="btn primary" data-print>')
    t.notMatch(res.body, /<script(?! src=)/, 'no inline script')
    const a = (await auditRows(app, { action: 'print' })).at(-1)!
    t.match(a, { entity: 'customer', user_name: '李主管' })
    t.match(a.changes, { rows: 1, cut: false, filter: 'status=interested&grade=A&industry=MFG' })

    const all = await sup.get('/customers/print')
    t.match(all.body, '筛选条件：全部客户')
    const en = await signIn(app, 'boss')
    await en.post('/lang', { lang: 'en', back: '/' })
    const page = await en.get('/customers/print?status=interested')
    t.match(page.body, 'Filters')
    t.match(page.body, 'CANARY客服部客户', 'the decision maker sees every customer')
  })

  t.test('the customer print: header card, contacts, communications, demands', async (t) => {
    const res = await sup.get(`/customers/${id}/print`)
    t.equal(res.statusCode, 200)
    for (const s of ['客户资料：打印测试有限公司', '打印人：李主管', '周八', '13812345678', '年度广告投放', '报价', '010-1234 5678', '制造业']) t.match(res.body, s)
    t.match(res.body, '上门拜访&lt;script&gt;x&lt;/script&gt;', 'record text escaped')
    t.match(res.body, 'data-print')
    const a = (await auditRows(app, { action: 'print', entityId: id }))
    t.equal(a.length, 1)
    t.equal((await sup.get(`/customers/${foreign}/print`)).statusCode, 404, 'out of scope is not found')
    t.equal((await sup.get('/customers/99999/print')).statusCode, 404)
    t.equal((await auditRows(app, { action: 'print', entityId: foreign })).length, 0)
  })

  t.test('a long list is cut with a note', async (t) => {
    const { sql } = await import('kysely')
    const owner = (await app.db.selectFrom('users').select('id').where('login', '=', 'rep').executeTakeFirstOrThrow()).id
    await sql`insert into customers (code, customer_type, name, owner_id) select 'A-8' || lpad(g::text, 5, '0'), 'A', '长清单' || g, ${owner}::int
      from generate_series(1, 2100) g`.execute(app.db)
    const res = await sup.get('/customers/print')
    t.match(res.body, '只打印了前 2,000 个客户')
    t.equal([...res.body.matchAll(/<tr><td class="num">/g)].length, 2000)
    t.match((await auditRows(app, { action: 'print' })).at(-1)!.changes, { rows: 2000, cut: true })
  })
})
