// The b-tree of live customers' search grams (0017_customer_grams.sql) that answers a
// one- or two-character Chinese term for everyone who may see every customer (agents,
// the top-bar search). It is kept by triggers, so every way a customer's name, contacts
// or liveness changes must leave it equal to what the customers themselves hold; a
// missed path would hide a customer from the agent's search, or show one that is gone.
import { sql } from 'kysely'
import t from 'tap'
import { seedOffice, signIn, testApp, type Client } from '../../helpers/app.ts'
import { derive } from '../../../src/modules/customers/derive.ts'
import { CANDIDATE_CAP } from '../../../src/modules/customers/search.ts'
import { createViaForm, customerForm } from './helpers.ts'
import { csv, uploadAndCheck, waitForJob } from './io-helpers.ts'

/** the customers the list's search box shows, in order (htmx, as typed) */
async function listed(c: Client, q: string): Promise<number[]> {
  const res = await c.request('GET', `/customers?q=${encodeURIComponent(q)}`, { headers: { 'hx-request': 'true' } })
  if (res.statusCode !== 200) throw new Error(`list search ${q}: ${res.statusCode}`)
  const out: number[] = []
  for (const m of res.body.matchAll(/href="\/customers\/(\d+)"/g)) if (!out.includes(Number(m[1]))) out.push(Number(m[1]))
  return out
}

t.test('the gram b-tree follows every change of a customer', async (t) => {
  const app = await testApp(t)
  const office = await seedOffice(app)
  const rep = await signIn(app, 'rep')
  const sup = await signIn(app, 'super')
  const agent = await signIn(app, 'agent')

  /** rows the triggers should hold (each live customer's grams) but do not, and rows they hold that no customer has */
  async function drift() {
    const missing = await sql<{ gram: string; id: number }>`select g as gram, c.id from customers c, unnest(c.search_grams) g
      where c.deleted_at is null and c.merged_into is null
      except select gram, customer_id from customer_grams`.execute(app.db)
    const extra = await sql<{ gram: string; id: number }>`select gram, customer_id as id from customer_grams
      except select g, c.id from customers c, unnest(c.search_grams) g where c.deleted_at is null and c.merged_into is null`.execute(app.db)
    return { missing: missing.rows.length, extra: extra.rows.length }
  }
  const clean = { missing: 0, extra: 0 }
  t.same(await drift(), clean, 'the migration filled it from the seeded customers')

  const a = await createViaForm(rep, { name: '岳庭贸易有限公司', phone: '010-6000 1111', email: '' })
  t.same(await listed(agent, '岳庭'), [a], 'a new customer is found by the agent at once')

  const edit = await rep.get(`/customers/${a}/edit`)
  const version = /name="version" value="(\d+)"/.exec(edit.body)![1]
  t.equal((await rep.post(`/customers/${a}`, { ...customerForm({ name: '鸿业贸易有限公司', phone: '010-6000 1111', email: '' }), version })).statusCode, 303, 'renamed')
  t.same(await listed(agent, '岳庭'), [], 'the old name no longer finds it')
  t.same(await listed(agent, '鸿业'), [a], 'the new name does')

  t.equal((await rep.post(`/customers/${a}/contacts`, { name: '欧阳修', mobile: '13900002222', valid: 'on' })).statusCode, 303)
  t.same(await listed(agent, '欧阳'), [a], "a new contact's name finds the customer")
  const kid = (await app.db.selectFrom('contacts').select('id').where('customer_id', '=', a).executeTakeFirstOrThrow()).id
  t.equal((await rep.post(`/customers/${a}/contacts/${kid}/delete`)).statusCode, 303, 'the contact is removed')
  t.same(await listed(agent, '欧阳'), [], 'and its name finds nothing any more')
  t.same(await drift(), clean, 'no drift after create, edit and contacts')

  t.equal((await sup.post(`/customers/${a}/delete`)).statusCode, 303)
  t.same(await listed(agent, '鸿业'), [], 'a deleted customer is not found')
  t.same(await listed(sup, '鸿业'), [], 'nor by the supervisor')
  const trash = await sup.request('GET', `/customers?deleted=1&q=${encodeURIComponent('鸿业')}`, { headers: { 'hx-request': 'true' } })
  t.match(trash.body, `href="/customers/${a}"`, 'the trash still finds it by name')
  t.equal((await sup.post(`/customers/${a}/restore`)).statusCode, 303)
  t.same(await listed(agent, '鸿业'), [a], 'restored, it is found again')

  const b = await createViaForm(rep, { name: '鸿业物流有限公司', phone: '010-6000 3333', email: '' })
  t.same(await listed(agent, '鸿业'), [b, a], 'newest first')
  const page = await sup.get(`/customers/merge?a=${a}&b=${b}`)
  const va = /name="va" value="(\d+)"/.exec(page.body)![1], vb = /name="vb" value="(\d+)"/.exec(page.body)![1]
  t.equal((await sup.post('/customers/merge', { a: String(a), b: String(b), va, vb, p_name: 'a' })).statusCode, 303, 'merged into the first')
  t.same(await listed(agent, '鸿业'), [a], 'the merged-away customer is gone from the search')
  t.same(await listed(agent, '物流'), [], 'with the name that did not survive')

  const { id: job } = await uploadAndCheck(sup, 'grams.csv', csv([['企业名称', '联系人', '手机'], ['岳阳导入有限公司', '司马光', '13900004444'], ['岳阳二号有限公司', '', '']]))
  t.equal((await sup.post(`/customers/import/${job}/run`, {})).statusCode, 303)
  t.match((await waitForJob(sup, job)).body, '已导入 2 个客户')
  t.equal((await listed(agent, '岳阳')).length, 2, 'imported customers are found')
  t.equal((await listed(agent, '司马')).length, 1, "and by their contact's name")
  t.same(await drift(), clean, 'no drift after delete, restore, merge and import')

  await sql`update customers set search_grams = array['测试'] where id = ${b}`.execute(app.db)
  await sql`delete from customers where id = ${b}`.execute(app.db)
  t.same(await drift(), clean, 'nor after plain SQL updates and deletes')

  t.test('a word held by more customers than the cap: the newest come first', async (t) => {
    // more holders than the search reads: the first page must still be the newest ones
    const n = CANDIDATE_CAP + 200
    for (let i = 0; i < n; i += 400) {
      const rows = Array.from({ length: Math.min(400, n - i) }, (_, j) => {
        const code = `T-${String(i + j + 1).padStart(6, "0")}`, name = `龙腾${i + j}号贸易有限公司`
        const d = derive({ code, name, customer_type: 'A', phone: '', contacts: [] })
        return { code, customer_type: 'A', name, owner_id: office.users.rep.id, name_initials: d.name_initials, first_letter: d.first_letter, search_grams: d.search_grams, search_text: d.search_text }
      })
      await app.db.insertInto('customers').values(rows).execute()
    }
    const newest = (await app.db.selectFrom('customers').select('id').orderBy('id', 'desc').limit(50).execute()).map((r) => r.id)
    t.same((await listed(agent, '龙腾')).slice(0, 50), newest, "the agent's first page: the 50 newest holders, newest first")
    const res = await agent.request('GET', `/customers?q=${encodeURIComponent('龙腾')}`, { headers: { 'hx-request': 'true' } })
    t.match(res.body, `超过 ${CANDIDATE_CAP} 个客户`, 'and the count says there are more than it read')
    t.same(await drift(), clean, 'no drift after a multi-row insert')
    await sql`truncate customers cascade`.execute(app.db)
    t.equal(Number((await sql<{ n: number }>`select count(*)::int as n from customer_grams`.execute(app.db)).rows[0].n), 0, 'TRUNCATE empties it')
  })
})
