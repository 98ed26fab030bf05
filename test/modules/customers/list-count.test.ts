// The count above the customer list ("共 N 个客户", or "超过 1000 个" past the cap):
// it counts what the filter and the user's scope let through, also when the page
// itself shows only the first 50, and 0 with the empty state when nothing matched.
import { sql } from 'kysely'
import t from 'tap'
import { seedOffice, signIn, testApp } from '../../helpers/app.ts'
import { createViaForm } from './helpers.ts'

const countOf = (body: string) => /共 (\d+) 个客户/.exec(body)?.[1] ?? (/超过 (\d+) 个客户/.test(body) ? 'capped' : null)

t.test('the list counts the filtered customers in the user\'s scope', async (t) => {
  const app = await testApp(t)
  const office = await seedOffice(app)
  const rep = await signIn(app, 'rep')
  const rep2 = await signIn(app, 'rep2')
  const sup = await signIn(app, 'super')
  await createViaForm(rep, { name: '上海计数甲公司', grade: 'A' })
  await createViaForm(rep, { name: '上海计数乙公司', grade: 'B' })
  await createViaForm(rep2, { name: '广州计数丙公司', grade: 'A' })
  // 120 more of rep2's, straight into the table: more than one page of 50
  await sql`insert into customers (code, customer_type, name, owner_id, grade, name_initials)
    select 'A-8' || lpad(g::text, 5, '0'), 'A', '批量计数' || g, ${office.users.rep2.id}::int, 'C', 'pljs' || lpad(g::text, 5, '0')
      from generate_series(1, 120) g`.execute(app.db)

  t.equal(countOf((await rep.get('/customers')).body), '2', 'a rep counts his own customers only')
  t.equal(countOf((await rep.get('/customers?grade=A')).body), '1', 'and only those the filter lets through')
  t.equal(countOf((await rep2.get('/customers')).body), '121', 'all of them, though the page shows 50')
  t.equal(countOf((await rep2.get('/customers?grade=C')).body), '120')
  const search = await rep.get('/customers?q=' + encodeURIComponent('计数'))
  t.equal(countOf(search.body), '2', 'a search counts its matches in the scope too')
  const none = await rep.get('/customers?grade=E')
  t.equal(countOf(none.body), '0', 'nothing matched: 0')
  t.match(none.body, 'class="empty"', 'but the empty state')
  const team = await sup.get('/customers')
  t.ok(Number(countOf(team.body)) >= 123, 'the supervisor counts his department\'s')

  // past the cap the count stops and says so, rather than counting a million rows
  await sql`insert into customers (code, customer_type, name, owner_id, grade, name_initials)
    select 'A-7' || lpad(g::text, 5, '0'), 'A', '大量' || g, ${office.users.rep2.id}::int, 'D', 'dl' || lpad(g::text, 5, '0')
      from generate_series(1, 1000) g`.execute(app.db)
  t.equal(countOf((await rep2.get('/customers')).body), 'capped', 'over 1,000: "more than 1000"')
  t.equal(countOf((await rep2.get('/customers?grade=D')).body), '1000', 'exactly 1,000 is still counted')
})

t.test('a search in the list box: counted, paged newest first, live and in scope only', async (t) => {
  const app = await testApp(t)
  const office = await seedOffice(app)
  const rep = await signIn(app, 'rep')
  const rep2 = await signIn(app, 'rep2')
  const sup = await signIn(app, 'super')
  await sql`insert into customers (code, customer_type, name, owner_id, grade, name_initials)
    select 'A-8' || lpad(g::text, 5, '0'), 'A', '批量检索' || g, ${office.users.rep2.id}::int, 'C', 'pljs' || lpad(g::text, 5, '0')
      from generate_series(1, 120) g`.execute(app.db)
  const all = (await app.db.selectFrom('customers').select('id').where('name_initials', 'like', 'pljs%').orderBy('id', 'desc').execute()).map((r) => r.id)
  const idsOf = (body: string) => [...new Set([...body.matchAll(/href="\/customers\/(\d+)"/g)].map((m) => Number(m[1])))]
  const nextOf = (body: string) => /hx-get="(\/customers\?[^"]*after=[^"]+)"/.exec(body)?.[1]?.replaceAll('&amp;', '&')

  const first = await rep2.get('/customers?q=pljs')
  t.equal(countOf(first.body), '120', 'every match is counted, though the page shows 50')
  const seen = idsOf(first.body)
  t.same(seen, all.slice(0, 50), 'the newest 50 first')
  let next = nextOf(first.body)
  while (next) {
    const more = await rep2.get(next, { 'hx-request': 'true' })
    seen.push(...idsOf(more.body))
    next = nextOf(more.body)
  }
  t.same(seen, all, '"more" pages bring the rest, each once, in order')

  t.equal((await sup.post(`/customers/${all[0]}/delete`)).statusCode, 303, 'a supervisor deletes one')
  const after = await rep2.get('/customers?q=pljs')
  const deleted = (await app.db.selectFrom('customers').select('deleted_at').where('id', '=', all[0]).executeTakeFirstOrThrow()).deleted_at
  t.ok(deleted, 'it is marked deleted')
  t.equal(countOf(after.body), '119', 'a deleted customer is not counted')
  t.notOk(idsOf(after.body).includes(all[0]), 'nor listed')
  const trash = await sup.get('/customers?deleted=1&q=pljs')
  t.same(idsOf(trash.body), [all[0]], 'the trash view finds it')
  t.equal(countOf((await rep.get('/customers?q=pljs')).body), '0', 'another rep sees none of them')
})

t.test('the plain list\'s count follows every change: create, transfer, delete, restore, merge, plain SQL', async (t) => {
  const app = await testApp(t)
  const office = await seedOffice(app)
  const rep = await signIn(app, 'rep')
  const rep2 = await signIn(app, 'rep2')
  const sup = await signIn(app, 'super')
  const admin = await signIn(app, 'admin')
  const counts = async () => ({
    rep: countOf((await rep.get('/customers')).body), rep2: countOf((await rep2.get('/customers')).body),
    sup: Number(countOf((await sup.get('/customers')).body)), all: Number(countOf((await admin.get('/customers')).body))
  })
  const start = await counts()
  t.same([start.rep, start.rep2], ['0', '0'], 'two reps with nothing yet')

  const a = await createViaForm(rep, { name: '计数合并甲公司' })
  const b = await createViaForm(rep, { name: '计数合并乙公司' })
  const c = await createViaForm(rep, { name: '计数转移丙公司' })
  let now = await counts()
  t.same(now, { ...start, rep: '3', sup: start.sup + 3, all: start.all + 3 }, 'three created by the rep: his, his team\'s and the company\'s counts grow')

  const moved = await sup.post('/customers/bulk/apply', { target: 'selected', ids: [String(c)], action: 'transfer', owner_id: String(office.users.rep2.id), expected: '1' })
  t.equal(moved.statusCode, 303, 'the supervisor transfers one to rep2')
  now = await counts()
  t.same([now.rep, now.rep2, now.sup, now.all], ['2', '1', start.sup + 3, start.all + 3], 'it moves from one count to the other')

  t.equal((await sup.post(`/customers/${b}/delete`)).statusCode, 303)
  now = await counts()
  t.same([now.rep, now.sup, now.all], ['1', start.sup + 2, start.all + 2], 'a deleted customer leaves every count')
  t.equal(countOf((await sup.get('/customers?deleted=1')).body), '1', 'and is counted in the trash')
  t.equal((await sup.post(`/customers/${b}/restore`)).statusCode, 303)
  t.equal((await counts()).rep, '2', 'restored, it is counted again')

  const page = await sup.get(`/customers/merge?a=${a}&b=${b}`)
  const va = /name="va" value="(\d+)"/.exec(page.body)![1], vb = /name="vb" value="(\d+)"/.exec(page.body)![1]
  t.equal((await sup.post('/customers/merge', { a: String(a), b: String(b), va, vb, p_name: 'a' })).statusCode, 303, 'the two are merged')
  now = await counts()
  t.same([now.rep, now.sup, now.all], ['1', start.sup + 2, start.all + 2], 'the merged-away customer is no longer counted')

  // rows written by SQL (a data fix, the bench's seeding) are counted as well
  await sql`insert into customers (code, customer_type, name, owner_id, grade, name_initials)
    select 'A-9' || lpad(g::text, 5, '0'), 'A', '直接写入' || g, ${office.users.rep2.id}::int, 'C', 'zjxr' || lpad(g::text, 5, '0')
      from generate_series(1, 1200) g`.execute(app.db)
  t.equal((await counts()).rep2, 'capped', 'past 1,000: "more than 1000"')
  await sql`delete from customers where name like '直接写入%' and id % 2 = 0`.execute(app.db)
  t.equal((await counts()).rep2, String(1 + 600), 'hard-deleted rows leave the count')
  t.equal(countOf((await rep2.get('/customers?grade=C')).body), '600', 'a filtered list still counts its rows')
})
