// The plain list's statement is built once per shape and kept, with each page's own
// values put in (queries.ts keptPlainPage). It must be exactly the statement built
// afresh, for every kind of scope, sort, cursor and column choice, and one user's kept
// statement must never show another user his customers.
import t from 'tap'
import { seedOffice, signIn, testApp } from '../../helpers/app.ts'
import type { Principal } from '../../../src/platform/principal.ts'
import { buildPageQuery, listQuerySchema, pageQuery } from '../../../src/modules/customers/queries.ts'
import { derive } from '../../../src/modules/customers/derive.ts'

const principal = (id: number, scope: Principal['scope'], deptPath: string): Principal => ({
  id, login: `u${id}`, name: `u${id}`, lang: 'zh-CN', departmentId: 1, departmentName: '', deptPath,
  roleId: 0, roleCode: 'x', roleName: { zh: '', en: '' }, scope, perms: new Set(), mustChangePassword: false, totpEnabled: false
})

t.test('the kept statement is the one built afresh, with this page\'s values', async (t) => {
  const app = await testApp(t)
  const users = [principal(7, 'own', '/1/2/'), principal(8, 'own', '/1/3/'), principal(9, 'subtree', '/1/4/'), principal(10, 'subtree', '/1/2/5/'), principal(11, 'all', '/1/')]
  const filters = [{}, { sort: 'name' }, { sort: 'grade' }, { after: '|120' }, { after: '|99' }, { sort: 'name', after: 'bjkj|31' }, { sort: 'name', after: "o'neil|5" },
    { sort: 'grade', after: 'B|77' }, { cols: 'tags,region' }, { cols: 'short_name', after: '|3' }]
  let n = 0
  // twice over: the first round makes the shapes, the second reuses them for other values
  for (const round of [1, 2]) {
    for (const u of round === 1 ? users : [...users].reverse()) {
      for (const raw of filters) {
        for (const opts of [{}, { count: true }, { count: true, savedFilters: true }]) {
          const f = listQuerySchema.parse(raw)
          const kept = pageQuery(app.db, u, f, opts), fresh = buildPageQuery(app.db, u, f, opts)
          const what = `${u.scope} user ${u.id}, ${JSON.stringify(raw)}, ${JSON.stringify(opts)}, round ${round}`
          if (kept.sql !== fresh.sql) t.fail(`${what}: the text differs`)
          else if (JSON.stringify(kept.parameters) !== JSON.stringify(fresh.parameters)) t.fail(`${what}: the values differ: ${JSON.stringify(kept.parameters)} ≠ ${JSON.stringify(fresh.parameters)}`)
          else n++
        }
      }
    }
  }
  t.equal(n, 2 * users.length * filters.length * 3, 'the same text and values every time')
  t.not(pageQuery(app.db, users[0], listQuerySchema.parse({}), {}).queryId, pageQuery(app.db, users[0], listQuerySchema.parse({}), {}).queryId, 'each run its own query id')
})

t.test('two reps scrolling the same kind of page see their own customers only', async (t) => {
  const app = await testApp(t)
  const office = await seedOffice(app)
  const add = async (owner: number, i: number) => {
    const name = `测试客户${owner}号${i}`, code = `A-${String(owner * 1000 + i).padStart(6, '0')}`
    const d = derive({ code, name, customer_type: 'A', phone: null, contacts: [] })
    await app.db.insertInto('customers').values({ code, customer_type: 'A', name, owner_id: owner,
      name_initials: d.name_initials, first_letter: d.first_letter, search_grams: d.search_grams, search_text: d.search_text }).execute()
  }
  for (let i = 1; i <= 60; i++) { await add(office.users.rep.id, i); await add(office.users.rep2.id, i) }
  const ids = (html: string) => [...html.matchAll(/<td><a href="\/customers\/(\d+)">[A-Z]-/g)].map((m) => Number(m[1]))
  const owners = async (list: number[]) => new Set((await app.db.selectFrom('customers').select('owner_id').where('id', 'in', list).execute()).map((r) => r.owner_id))
  for (const login of ['rep', 'rep2', 'rep'] as const) {
    const c = await signIn(app, login)
    const first = await c.get('/customers')
    const page1 = ids(first.body)
    t.equal(page1.length, 50, `${login}: a first page of 50`)
    t.same([...await owners(page1)], [office.users[login].id], `${login}: his own customers only`)
    const next = /hx-get="(\/customers\?after=[^"]+)"/.exec(first.body)![1].replace(/&amp;/g, '&')
    const page2 = ids((await c.hx('GET', next)).body)
    t.equal(page2.length, 10, `${login}: the other ten on the next page`)
    t.same([...await owners(page2)], [office.users[login].id])
    t.equal(new Set([...page1, ...page2]).size, 60, 'none twice')
  }
})
