// The customer list page as each kind of user sees it: the filter form and letter bar
// (rendered once per filter and kept, filter-form.ts) show the filter in force and only
// what the user may use, and the table shows the columns the user chose.
import t from 'tap'
import { seedOffice, signIn, testApp } from '../../helpers/app.ts'
import { derive } from '../../../src/modules/customers/derive.ts'

/** the <select name=…> of the filter form */
const select = (html: string, name: string) => new RegExp(`<select name="${name}">(.*?)</select>`).exec(html)?.[1] ?? null
const selectedIn = (html: string, name: string) => [...(select(html, name) ?? '').matchAll(/<option value="([^"]*)" selected>/g)].map((m) => m[1])

t.test('the filter form shows the filter in force, and only what the user may use', async (t) => {
  const app = await testApp(t)
  const office = await seedOffice(app)
  const sup = await signIn(app, 'super'), agent = await signIn(app, 'agent'), rep = await signIn(app, 'rep')

  const won = (await sup.get('/customers?status=won&grade=A')).body
  t.same(selectedIn(won, 'status'), ['won'], 'the status filtered on is selected')
  t.same(selectedIn(won, 'grade'), ['A'])
  t.match(won, 'name="deleted"', 'a supervisor may look in the trash')
  t.match(select(won, 'owner'), `<option value="${office.users.rep.id}">张三</option>`, 'and filter by owner')
  const plain = (await sup.get('/customers')).body
  t.same(selectedIn(plain, 'status'), [], 'another filter: nothing selected')
  t.same(selectedIn(plain, 'grade'), [])
  t.same(selectedIn((await sup.get('/customers?status=won&grade=A')).body, 'status'), ['won'], 'and the first filter again: selected again')

  const ag = (await agent.get('/customers')).body
  t.match(ag, 'name="owner"', 'an agent sees every customer, so filters by owner too')
  t.notMatch(ag, 'name="deleted"', 'but has no trash to look in (no delete permission)')
  const mine = (await rep.get('/customers')).body
  t.notMatch(mine, 'name="owner"', 'a rep sees his own customers: no owner filter')
  t.notMatch(mine, 'name="deleted"')
  t.notMatch((await sup.get('/customers')).body, /<option value="won" selected>/, 'the supervisor again: his own form, unfiltered')
  t.match((await sup.get('/customers')).body, 'name="deleted"')

  await rep.post('/lang', { lang: 'en', back: '/' })
  const en = (await rep.get('/customers?status=won')).body
  t.match(select(en, 'status'), '<option value="won" selected>Won</option>', 'in English for a user who reads English')
  t.match((await sup.get('/customers?status=won')).body, '<option value="won" selected>成交</option>', 'and in Chinese for one who does not')

  const letters = /<nav class="letters"[^>]*>(.*?)<\/nav>/s.exec((await sup.get('/customers?grade=B')).body)?.[1] ?? ''
  t.match(letters, 'href="/customers?grade=B&amp;letter=K"', 'a letter keeps the other filters')
  t.match(/<nav class="letters"[^>]*>(.*?)<\/nav>/s.exec((await sup.get('/customers?letter=K')).body)?.[1], '<a href="/customers?letter=K" aria-current="true">K</a>',
    'and the letter in force is marked')
})

t.test('the table shows the columns the user chose', async (t) => {
  const app = await testApp(t)
  const office = await seedOffice(app)
  const rep = await signIn(app, 'rep')
  const d = derive({ code: 'A-000001', name: '杭州瑞丰贸易有限公司', customer_type: 'A', phone: '0571-8888 1234', contacts: [] })
  await app.db.insertInto('customers').values({
    code: 'A-000001', customer_type: 'A', name: '杭州瑞丰贸易有限公司', short_name: '瑞丰', owner_id: office.users.rep.id, phone: '0571-8888 1234',
    industry: 'RETAIL', source: 'WEB', region_code: '330100', tags: ['重点', '华东'],
    name_initials: d.name_initials, first_letter: d.first_letter, search_grams: d.search_grams, search_text: d.search_text
  }).execute()
  const row = (html: string) => /<tbody id="customer-rows">(.*?)<\/tbody>/s.exec(html)?.[1] ?? ''

  const standard = row((await rep.get('/customers')).body)
  t.match(standard, '0571-8888 1234', 'by default: the phone')
  t.match(standard, '<td>零售</td>', 'the industry by its name')
  t.match(standard, new RegExp(`<td>${new Date().getFullYear()}-\\d\\d-\\d\\d</td>`), 'and the day it was created')
  t.notMatch(standard, '瑞丰</td>', 'but not the short name')
  t.notMatch(standard, '重点', 'nor the tags')
  t.notMatch(standard, '网站', 'nor the source')

  const chosen = row((await rep.get('/customers?cols=short_name,tags,source,region,review')).body)
  t.match(chosen, '<td>瑞丰</td>', 'the short name when chosen')
  t.match(chosen, '<span class="badge">重点</span> <span class="badge">华东</span>', 'the tags')
  t.match(chosen, '<td>网站</td>', 'the source by its name')
  t.match(chosen, '<td>330100</td>', 'the region')
  t.notMatch(chosen, '0571-8888 1234', 'and not the phone, which was not chosen')
  const more = (await rep.hx('GET', '/customers?sort=name&cols=tags')).body
  t.match(row(more), '<span class="badge">重点</span>', 'the table swapped by the filter form: the same columns')
})
