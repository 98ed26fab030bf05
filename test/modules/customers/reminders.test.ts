import t from 'tap'
import { sql } from 'kysely'
import { seedOffice, signIn, testApp } from '../../helpers/app.ts'
import { formatter } from '../../../src/platform/format.ts'
import type { Principal } from '../../../src/platform/principal.ts'
import { addDays, anniversaryQuery, birthdayQuery, demandQuery, monthDays, nextStepQuery } from '../../../src/modules/customers/reminders.ts'
import { createViaForm } from './helpers.ts'

t.test('monthDays: the window of birthdays, 29 February on the 28th in other years', async (t) => {
  t.same([...monthDays('2026-12-30', 4).entries()], [[1230, '2026-12-30'], [1231, '2026-12-31'], [101, '2027-01-01'], [102, '2027-01-02']], 'across the new year')
  t.same([...monthDays('2027-02-28', 2).keys()], [228, 229, 301], 'non-leap year')
  t.same([...monthDays('2028-02-28', 2).keys()], [228, 229], 'leap year')
  t.equal(addDays('2028-03-01', -1), '2028-02-29')
})

t.test('workbench reminders of the customer archive', async (t) => {
  const app = await testApp(t)
  await seedOffice(app)
  const rep = await signIn(app, 'rep')
  const sup = await signIn(app, 'super')
  const other = await signIn(app, 'other')
  const today = formatter('zh-CN', app.config.timeZone).today()
  const y = Number(today.slice(0, 4))
  const mmdd = today.slice(5)
  const born = (day: string, years = 40) => `${Number(day.slice(0, 4)) - years}${day.slice(4)}`.replace(/^(\d{4})-02-29$/, '$1-02-28')

  const cid = await createViaForm(rep, { name: '提醒测试公司' })
  const contact = async (customer: number, c: typeof rep, name: string, birthday: string, extra: Record<string, string> = {}) =>
    t.equal((await c.post(`/customers/${customer}/contacts`, { name, birthday, valid: 'on', ...extra })).statusCode, 303, name)
  await contact(cid, rep, '寿星今天', born(today))
  await contact(cid, rep, '寿星三天后', born(addDays(today, 3)))
  await contact(cid, rep, '寿星十天后', born(addDays(today, 10)))
  await contact(cid, rep, '失效寿星', born(today), { valid: '' })
  const foreign = await createViaForm(other, { name: '客服部提醒公司' })
  await contact(foreign, other, '别人的寿星', born(today))

  // registered on this day two years ago (four if today is 29 February), and one registered today
  const regYears = mmdd === '02-29' ? 4 : 2
  await createViaForm(rep, { name: '老客户公司', registered_on: `${y - regYears}-${mmdd}` })
  await createViaForm(rep, { name: '今天建档公司', registered_on: today })

  const demand = (description: string, validTo: string) =>
    rep.post(`/customers/${cid}/demands`, { kind: 'ADS', description, valid_from: addDays(today, -30), valid_to: validTo })
  t.equal((await demand('三天后到期的需求', addDays(today, 3))).statusCode, 303)
  t.equal((await demand('三天前过期的需求', addDays(today, -3))).statusCode, 303)
  t.equal((await demand('十天后到期的需求', addDays(today, 10))).statusCode, 303)
  t.equal((await demand('十天前过期的需求', addDays(today, -10))).statusCode, 303)

  const step = (c: typeof rep, next_step: string, next_date: string) =>
    c.post(`/customers/${cid}/communications`, { kind: 'call', summary: '通话', next_step, next_date })
  t.equal((await step(rep, '今天回电', today)).statusCode, 303)
  t.equal((await step(rep, '昨天该回电', addDays(today, -1))).statusCode, 303)
  t.equal((await step(rep, '明天回电', addDays(today, 1))).statusCode, 303)
  t.equal((await step(rep, '已完成回电', today)).statusCode, 303)
  t.equal((await step(sup, '主管的回电', today)).statusCode, 303)
  const done = await app.db.selectFrom('communications').select('id').where('next_step', '=', '已完成回电').executeTakeFirstOrThrow()
  t.equal((await rep.post(`/customers/${cid}/communications/${done.id}/done`)).statusCode, 303)

  const row = (body: string, text: string) => new RegExp(`<tr class="([^"]*)">(?:(?!</tr>).)*${text}`, 's').exec(body)

  t.test('the rep\'s workbench', async (t) => {
    const home = await rep.get('/')
    t.equal(home.statusCode, 200)
    const b = home.body
    t.match(b, '寿星今天（提醒测试公司）')
    t.match(b, '寿星三天后（提醒测试公司）')
    t.notMatch(b, '寿星十天后', 'birthdays more than 7 days ahead wait')
    t.notMatch(b, '失效寿星', 'invalid contacts are skipped')
    t.notMatch(b, '别人的寿星', 'out of scope')
    t.match(b, `老客户公司 建档满 ${regYears} 年`)
    t.notMatch(b, '今天建档公司', 'not an anniversary on the first day')
    t.match(b, '提醒测试公司：三天后到期的需求')
    t.match(b, '提醒测试公司：三天前过期的需求（已过期）')
    t.notMatch(b, '十天后到期的需求')
    t.notMatch(b, '十天前过期的需求')
    t.match(b, '提醒测试公司：今天回电')
    t.match(b, '提醒测试公司：昨天该回电')
    t.notMatch(b, '明天回电', 'not due yet')
    t.notMatch(b, '已完成回电', 'done')
    t.notMatch(b, '主管的回电', 'someone else\'s next step')
    t.equal(row(b, '昨天该回电')?.[1], 'overdue', 'an overdue next step is flagged')
    t.equal(row(b, '三天前过期的需求')?.[1], 'overdue')
    t.equal(row(b, '今天回电')?.[1], '', 'due today is not overdue')
    t.match(b, `href="/customers/${cid}#communications"`, 'each reminder links to the customer')
    t.match(b, `href="/customers/${cid}#contacts"`)
    t.match(b, `href="/customers/${cid}#demands"`)
  })

  t.test('the supervisor sees his subtree and only his own next steps', async (t) => {
    const b = (await sup.get('/')).body
    t.match(b, '寿星今天')
    t.notMatch(b, '别人的寿星')
    t.match(b, '主管的回电')
    t.notMatch(b, '今天回电<', 'the rep\'s next steps are the rep\'s')
    const boss = await signIn(app, 'boss')
    t.match((await boss.get('/')).body, '别人的寿星', 'a decision maker sees the whole company')
  })

  t.test('each reminder query reads its index and stops at a limit', async (t) => {
    // the rep as the session would describe him (data scope 'own')
    const u = await app.db.selectFrom('users').select(['id', 'login', 'name', 'department_id']).where('login', '=', 'rep').executeTakeFirstOrThrow()
    const user: Principal = { id: u.id, login: u.login, name: u.name, lang: 'zh-CN', departmentId: u.department_id, departmentName: '', deptPath: '',
      roleId: 0, roleCode: 'user', roleName: { zh: '', en: '' }, scope: 'own', perms: new Set(['customers.read']), mustChangePassword: false, totpEnabled: false }
    const keys = [...monthDays(today, 8).keys()]
    for (const [name, q, index] of [
      ['birthdays', birthdayQuery(app.db, user, keys), 'contacts_birthday_idx'],
      ['anniversaries', anniversaryQuery(app.db, user, keys.slice(0, 1), today), 'customers_anniversary_idx'],
      ['demands', demandQuery(app.db, user, today), 'demand_records_expiry_idx'],
      ['next steps', nextStepQuery(app.db, user, today), 'communications_next_idx']
    ] as const) {
      const c = q.compile()
      const plan = await app.db.transaction().execute(async (trx) => {
        // a tiny test table would be scanned whatever the indexes; forbid that to see which index the query can use
        await sql`set local enable_seqscan = off`.execute(trx)
        const r = await trx.executeQuery({ ...c, sql: `explain ${c.sql}` })
        return (r.rows as { 'QUERY PLAN': string }[]).map((x) => x['QUERY PLAN']).join('\n')
      })
      // Either index bounds the work: the date one (few days of the year), or, for a
      // user who sees only his own customers, the owner one. Which wins on a tiny table
      // differs between PGlite and PostgreSQL; a scan of a whole table never may.
      t.match(plan, new RegExp(`${index}|customers_owner_list_idx`), `${name} use ${index} or the owner's index`)
      t.notMatch(plan, /Seq Scan on (customers|contacts|communications|demand_records)\b/, `${name} read no whole table`)
      t.match(plan, 'Limit', `${name} are bounded`)
    }
  })
})
