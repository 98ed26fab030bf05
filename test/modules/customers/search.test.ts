// Customer search relevance and scope: what a user types into the top-bar box or the
// list's search field, and what comes back (issue 3 build item 5).
import t from 'tap'
import { seedOffice, signIn, testApp, type Client } from '../../helpers/app.ts'
import { digitGrams } from '../../../src/modules/customers/search.ts'
import { createViaForm } from './helpers.ts'

/** customer ids in the order the results show them (each row links its code and name) */
function ids(body: string): number[] {
  const out: number[] = []
  for (const m of body.matchAll(/href="\/customers\/(\d+)"/g)) if (!out.includes(Number(m[1]))) out.push(Number(m[1]))
  return out
}

/** the results fragment, as htmx asks for it (the page itself would jump to a sole exact hit) */
async function find(c: Client, q: string): Promise<{ status: number; body: string; ids: number[] }> {
  const res = await c.request('GET', `/search?q=${encodeURIComponent(q)}`, { headers: { 'hx-request': 'true' } })
  return { status: res.statusCode, body: res.body, ids: ids(res.body) }
}

t.test('customer search', async (t) => {
  const app = await testApp(t)
  const office = await seedOffice(app)
  const rep = await signIn(app, 'rep')
  const rep2 = await signIn(app, 'rep2')
  const sup = await signIn(app, 'super')
  const boss = await signIn(app, 'boss')

  const bjkj = await createViaForm(rep, { name: '北京科技有限公司', phone: '010-6552 1234', email: 'info@bjkj.cn' })
  const k = await rep.post(`/customers/${bjkj}/contacts`, { name: '王大锤', mobile: '+86 138-0013-8000', valid: 'on' })
  t.equal(k.statusCode, 303, 'contact added')
  const huawei = await createViaForm(rep, { name: '上海华为技术有限公司', short_name: '华为', phone: '021-5555 0000', email: 'sales@huawei-sh.cn' })
  const person = await createViaForm(rep, { customer_type: 'P', name: '曾小贤', phone: '139 1234 5678', email: '' })
  const siemens = await createViaForm(rep, { name: 'Siemens China Ltd', phone: '', email: 'hello@siemens.com' })
  const pct = await createViaForm(rep, { name: '100%纯天然食品厂', phone: '', email: '' })
  const other = await createViaForm(rep2, {
    name: '北京科技发展中心', phone: '010 8888 4321', email: 'x@bjkjfz.cn', remarks: 'CANARY-REMARK-7f3a', address: 'CANARY-ADDR-9b1c'
  })
  await rep2.post(`/customers/${other}/contacts`, { name: '李秘书', mobile: '13700001111', valid: 'on', address: 'CANARY-CONTACT-ADDR' })
  const deleted = await createViaForm(rep, { name: '北京已删除贸易公司', phone: '010 7777 6666', email: '' })
  t.equal((await sup.post(`/customers/${deleted}/delete`)).statusCode, 303, 'deleted by the supervisor')
  const merged = await createViaForm(rep, { name: '北京被合并贸易公司', phone: '010 5555 3333', email: '' })
  // the state a merge leaves behind (the merge itself is tested with the merge feature)
  await app.db.updateTable('customers').set({ merged_into: bjkj }).where('id', '=', merged).execute()
  const codeOf = async (id: number) => (await app.db.selectFrom('customers').select('code').where('id', '=', id).executeTakeFirstOrThrow()).code

  t.test('Chinese terms of one, two and more characters', async (t) => {
    t.same((await find(boss, '北京')).ids.sort(), [bjkj, other].sort(), '两个字: 北京')
    t.same((await find(boss, '北')).ids.sort(), [bjkj, other].sort(), '一个字: 北')
    t.same((await find(boss, '华为')).ids, [huawei], '华为')
    t.same((await find(boss, '北京科技')).ids.sort(), [bjkj, other].sort(), 'four characters')
    t.same((await find(boss, '京科技有限')).ids, [bjkj], 'a fragment from the middle, rechecked against the real name')
    t.same((await find(boss, '北京 科技')).ids.sort(), [bjkj, other].sort(), 'two words')
    t.same((await find(boss, '科技北京')).ids, [], 'characters that are all there but not in this order')
    t.same((await find(boss, '王大锤')).ids, [bjkj], 'a contact\'s name')
    t.same((await find(boss, '大锤')).ids, [bjkj], 'two characters of a contact\'s name')
    t.same((await find(boss, '纯天然')).ids, [pct])
  })

  t.test('pinyin initials', async (t) => {
    t.same((await find(boss, 'bjkj')).ids.sort(), [bjkj, other].sort(), 'bjkj → 北京科技…')
    t.same((await find(boss, 'shhw')).ids, [huawei], 'shhw → 上海华为…')
    t.same((await find(boss, 'SHHW')).ids, [huawei], 'capitals too')
    t.same((await find(boss, 'zxx')).ids, [person], 'a person\'s surname read as a surname: 曾 zeng')
    t.same((await find(boss, 'cxx')).ids, [], 'not as the common reading ceng')
    t.same((await find(boss, 'bjkjyx')).ids, [bjkj], 'a longer prefix narrows it down')
    t.same((await find(boss, 'wdc')).ids, [bjkj], 'a contact\'s initials')
  })

  t.test('phones in any format, and the last four digits', async (t) => {
    for (const q of ['+86 138-0013-8000', '13800138000', '138 0013 8000', '0086 13800138000', '１３８００１３８０００']) {
      t.same((await find(boss, q)).ids, [bjkj], `contact mobile as ${q}`)
    }
    t.same((await find(boss, '010-6552 1234')).ids, [bjkj], 'landline with area code')
    t.same((await find(boss, '(010) 65521234')).ids, [bjkj], 'brackets')
    t.same((await find(boss, '65521234')).ids, [bjkj], 'without the area code')
    t.same((await find(boss, '8000')).ids, [bjkj], 'last four digits of a contact\'s mobile')
    t.same((await find(boss, '4321')).ids, [other], 'last four digits of the customer\'s phone')
    t.same((await find(boss, '3800138')).ids, [bjkj], 'seven digits from the middle of a mobile')
    t.same((await find(boss, '0013-8000')).ids, [bjkj], 'its last eight digits, typed with a dash')
    t.same((await find(boss, '1088884')).ids, [other], 'the middle of a landline, across the area code')
    t.same((await find(boss, '3800139')).ids, [], 'seven digits in no number find nothing')
    const mailed = await createViaForm(rep, { name: '数字邮箱贸易行', phone: '', email: 'a7654321@num.cn' })
    t.same((await find(boss, '7654321')).ids, [mailed], 'digits in no number still find the e-mail that holds them')
    const stored = await app.db.selectFrom('customer_phones').select(['phone', 'digit_grams']).where('customer_id', '=', bjkj).execute()
    t.ok(stored.length >= 2, 'the customer\'s and the contact\'s numbers are stored')
    for (const p of stored) t.same([...p.digit_grams].sort((a, b) => a - b), digitGrams(p.phone).sort((a, b) => a - b), `the database's 5-digit windows of ${p.phone} are the search's`)
    t.same((await find(boss, '6666')).ids, [], 'a deleted customer\'s phone finds nothing')
    t.same((await find(boss, '3333')).ids, [], 'a merged customer\'s phone finds nothing')
  })

  t.test('e-mail and codes', async (t) => {
    t.same((await find(boss, 'bjkj.cn')).ids, [bjkj], 'an e-mail fragment')
    t.same((await find(boss, 'HELLO@SIEMENS')).ids, [siemens])
    t.same((await find(boss, 'siemens')).ids, [siemens], 'a Latin name')
    const code = await codeOf(huawei)
    const r = await find(boss, code)
    t.equal(r.ids[0], huawei, 'the exact code comes first')
    const lower = await find(boss, code.toLowerCase())
    t.equal(lower.ids[0], huawei, 'in lower case too')
    // every code shares its prefix (A-0000…), so the fragment finds several; the exact one leads
    t.ok(r.ids.length >= 1)
    const digits = code.replace(/\D/g, '')
    t.equal(digits.length, 6, 'a code has six digits')
    t.ok((await find(boss, digits)).ids.includes(huawei), 'its six digits alone find it too, though they read as a phone fragment')
  })

  t.test('exact code and phone rank first', async (t) => {
    // a customer whose e-mail contains another one's code: a whole code is an
    // identifier and finds its customer alone; a fragment of it finds both, code first
    const code = await codeOf(bjkj)
    const decoy = await createViaForm(rep, { name: '诱饵商行', phone: '', email: `${code.toLowerCase()}@decoy.cn` })
    t.same((await find(boss, code)).ids, [bjkj], 'a whole code: only its customer')
    const part = code.slice(0, -1)
    const r = await find(boss, part)
    t.ok(r.ids.includes(bjkj) && r.ids.includes(decoy), `a fragment (${part}) finds the code and the e-mail`)
    t.same((await find(boss, `${code}@decoy`)).ids, [decoy], 'the e-mail itself finds the decoy')
    t.equal((await find(boss, '华为')).ids[0], huawei, 'the short name 华为 is an exact name match')
  })

  t.test('the top-bar search opens the only exact match', async (t) => {
    const byPhone = await rep.get(`/search?q=${encodeURIComponent('010 6552 1234')}`)
    t.equal(byPhone.statusCode, 303)
    t.equal(byPhone.headers.location, `/customers/${bjkj}`)
    const byCode = await rep.get(`/search?q=${encodeURIComponent(await codeOf(huawei))}`)
    t.equal(byCode.statusCode, 303)
    t.equal(byCode.headers.location, `/customers/${huawei}`)
    const fragment = await rep.get('/search?q=bjkj')
    t.equal(fragment.statusCode, 200, 'several matches: the results page')
    // someone else's customer: found, but not opened
    const notMine = await rep.get(`/search?q=${encodeURIComponent('010 8888 4321')}`)
    t.equal(notMine.statusCode, 200, 'an exact match outside the scope is not opened')
  })

  t.test('the global search shows other people\'s customers in the brief view only', async (t) => {
    const res = await rep.get('/search?q=' + encodeURIComponent('北京'))
    t.equal(res.statusCode, 200)
    t.same(ids(res.body), [bjkj], 'a link only to the rep\'s own customer')
    t.match(res.body, '北京科技发展中心', 'the other customer is named')
    t.match(res.body, await codeOf(other), 'with its code')
    t.match(res.body, '李四', 'and its owner')
    t.notOk(res.body.includes(`/customers/${other}`), 'no link to its page')
    for (const q of ['北京', 'bjkj', '4321', '李秘书', '13700001111', 'bjkjfz']) {
      const page = await rep.get('/search?q=' + encodeURIComponent(q))
      t.notMatch(page.body, /CANARY/, `no detail of an out-of-scope customer leaks (${q})`)
      t.notMatch(page.body, /8888 4321|x@bjkjfz\.cn/, `nor its phone or e-mail (${q})`)
    }
    const sug = await rep.request('GET', '/search/suggest?q=' + encodeURIComponent('北京'), { headers: { 'hx-request': 'true' } })
    t.equal(sug.statusCode, 200)
    t.same(ids(sug.body), [bjkj], 'the dropdown links only the own customer')
    t.match(sug.body, '北京科技发展中心')
    t.notMatch(sug.body, /CANARY/)
    t.match(sug.body, '/search?q=', 'and offers the full results')
    const direct = await rep.get('/search/suggest?q=abc')
    t.equal(direct.statusCode, 303, 'the dropdown opened directly leads to the results page')
  })

  t.test('the list\'s search stays within the data scope and combines with the filters', async (t) => {
    const mine = await rep.get('/customers?q=' + encodeURIComponent('北京'))
    t.equal(mine.statusCode, 200)
    t.same(ids(mine.body), [bjkj], 'a rep finds only his own')
    t.notMatch(mine.body, '北京科技发展中心')
    const theirs = await rep2.get('/customers?q=bjkj')
    t.same(ids(theirs.body), [other])
    const team = await sup.get('/customers?q=' + encodeURIComponent('北京'))
    t.same(ids(team.body).sort(), [bjkj, other].sort(), 'the supervisor finds his team\'s')
    const graded = await sup.get('/customers?q=bjkj&grade=B')
    t.same(ids(graded.body).sort(), [bjkj, other].sort())
    const none = await sup.get('/customers?q=bjkj&grade=A')
    t.same(ids(none.body), [], 'other filters still apply')
    const byName = await sup.get('/customers?q=bjkj&sort=name')
    t.same(ids(byName.body), [other, bjkj], 'sorted by pinyin within the matches (bjkjfz… before bjkjyx…)')
    const count = await sup.get('/customers?q=' + encodeURIComponent('13800138000'))
    t.same(ids(count.body), [bjkj])
    t.match(count.body, /共 1 个客户|1 customers?/, 'the count counts the matches')
    const trash = await sup.get('/customers?deleted=1&q=' + encodeURIComponent('已删除'))
    t.same(ids(trash.body), [deleted], 'the trash is searchable too')
    const live = await sup.get('/customers?q=' + encodeURIComponent('已删除'))
    t.same(ids(live.body), [], 'deleted customers are not in the live list')
    const agent = await signIn(app, 'agent')
    t.same(ids((await agent.get('/customers?q=' + encodeURIComponent('北京'))).body).sort(), [bjkj, other].sort(), 'an agent sees all')
    const outsider = await signIn(app, 'other')
    t.same(ids((await outsider.get('/customers?q=' + encodeURIComponent('北京'))).body), [], 'someone with none of them finds none in his list')
    t.match((await outsider.get('/search?q=' + encodeURIComponent('北京'))).body, '北京科技有限公司', 'but learns in the brief view that they exist')
    const htmx = await rep.request('GET', '/customers?q=' + encodeURIComponent('华为'), { headers: { 'hx-request': 'true' } })
    t.same(ids(htmx.body), [huawei], 'the htmx table fragment filters too')
    t.equal(office.users.rep.role, 'user')
  })

  t.test('empty, too short and hostile terms are answered, never an error', async (t) => {
    const empty = await rep.get('/search?q=')
    t.equal(empty.statusCode, 200)
    t.match(empty.body, '输入客户名称', 'an empty box explains what can be typed')
    const short = await rep.get('/search?q=a')
    t.equal(short.statusCode, 200)
    t.match(short.body, '太短')
    for (const url of ['/search?q=%00%E5%8C%97%E4%BA%AC', '/customers?q=%E5%8C%97%00%E4%BA%AC', '/search/suggest?q=ab%00c']) {
      const nul = await rep.request('GET', url, { headers: { 'hx-request': 'true' } })
      t.equal(nul.statusCode, 200, `a NUL character in ${url} is taken as a space, not a server error`)
    }
    const listShort = await rep.get('/customers?q=a')
    t.equal(listShort.statusCode, 200)
    t.match(listShort.body, '太短', 'the list says so too')
    t.same(ids(listShort.body), [], 'and shows nothing rather than everything')
    const blank = await rep.get('/customers?q=%20%20')
    const live = await app.db.selectFrom('customers').select('id').where('owner_id', '=', office.users.rep.id)
      .where('deleted_at', 'is', null).where('merged_into', 'is', null).execute()
    t.same(ids(blank.body).sort(), live.map((r) => r.id).sort(), 'a blank box is no filter: all of the rep\'s live customers')
    for (const q of ['%', '%%', '%%%', '_', '__', '___', "'", "''", '\\', '\\\\', ') or 1=1--', "' or '1'='1", '%_%', 'a%', '%a', '*', '.*']) {
      const r = await find(boss, q)
      t.equal(r.status, 200, `no error for ${JSON.stringify(q)}`)
      t.same(r.ids, [], `and no match-all for ${JSON.stringify(q)}`)
      const l = await sup.get('/customers?q=' + encodeURIComponent(q))
      t.equal(l.statusCode, 200, `the list answers ${JSON.stringify(q)}`)
      t.same(ids(l.body), [], `with nothing for ${JSON.stringify(q)}`)
    }
    t.same((await find(boss, '100%')).ids, [pct], 'a % typed with text is a literal %')
    t.same((await find(boss, '1000')).ids, [], 'and not a wildcard')
    const long = await find(boss, '北京'.repeat(200))
    t.equal(long.status, 200, 'a very long term is cut, not refused')
  })

  t.test('signed out and permission', async (t) => {
    const anon = await app.inject({ method: 'GET', url: '/search?q=abc' })
    t.equal(anon.statusCode, 303)
    t.match(String(anon.headers.location), /^\/login/)
    // a role without customers.read (revoked from the agent role for this check)
    await app.db.updateTable('roles').set({ permissions: ['service.read'] }).where('code', '=', 'agent').execute()
    const agent = await signIn(app, 'agent')
    t.equal((await agent.get('/search?q=abc')).statusCode, 403)
    t.equal((await agent.request('GET', '/search/suggest?q=abc', { headers: { 'hx-request': 'true' } })).statusCode, 403)
  })
})
