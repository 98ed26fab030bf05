// The service report: exact figures for requests seeded with known times (office
// day boundaries included), data scope and the department filter, the print page and
// the exports with their permissions and audit rows, bad filters, and the service
// desk's reminders on the workbench.
import ExcelJS from 'exceljs'
import zlib from 'node:zlib'
import t from 'tap'
import { officeTime } from '../../../src/platform/format.ts'
import { zipDirectory } from '../../../src/platform/spreadsheet-read.ts'
import { auditRows, seedOffice, signIn, testApp, type Client } from '../../helpers/app.ts'
import { assertCovered, matrixClients, runMatrix, type MatrixRoute } from '../../helpers/matrix.ts'
import { parseCsv } from '../customers/io-helpers.ts'

const TZ = 'Asia/Shanghai'
const at = (local: string) => officeTime(local, TZ)
const MARCH = 'from=2026-03-01&to=2026-03-31'

/** the cell texts of every table in one report section, row by row */
function tables(html: string, section: string): string[][][] {
  const i = html.indexOf(`class="print-section ${section}"`)
  if (i < 0) return []
  const sec = html.slice(i, html.indexOf('</section>', i))
  return [...sec.matchAll(/<table[\s\S]*?<\/table>/g)].map(([tb]) => [...tb.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)]
    .map(([, tr]) => [...tr.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map(([, c]) => c.replace(/<[^>]+>/g, '').trim())))
}
const row = (rows: string[][], first: string) => rows.find((r) => r[0] === first)
/** 16 day cells (as text) with the given days filled in */
const days = (len: number, start: number, filled: Record<number, number>) =>
  Array.from({ length: len }, (_, i) => String(filled[start + i] ?? 0))

async function download(c: Client, url: string) {
  const res = await c.app.inject({ method: 'GET', url, headers: { cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } })
  return { status: res.statusCode, headers: res.headers, body: res.rawPayload }
}

/** the XML of every worksheet inside an XLSX, as written */
function worksheetsXml(buf: Buffer): string[] {
  const dir = zipDirectory(buf)
  if ('error' in dir) throw new Error(dir.error)
  return dir.entries.filter((e) => /^xl\/worksheets\/sheet\d+\.xml$/.test(e.name)).map((e) => {
    const start = e.offset + 30 + buf.readUInt16LE(e.offset + 26) + buf.readUInt16LE(e.offset + 28)
    const data = buf.subarray(start, start + e.compressed)
    return (e.method === 8 ? zlib.inflateRawSync(data) : data).toString('utf8')
  })
}

t.test('service report', async (t) => {
  const app = await testApp(t)
  const office = await seedOffice(app)
  const db = app.db
  const u = office.users
  const { service } = office.departments
  const roles = Object.fromEntries((await db.selectFrom('roles').select(['id', 'code']).execute()).map((r) => [r.code, r.id]))
  const hash = (await db.selectFrom('users').select('password_hash').where('id', '=', u.agent.id).executeTakeFirstOrThrow()).password_hash
  // the service desk's own supervisor, and an agent whose name a spreadsheet would run
  await db.insertInto('users').values({ login: 'super2', name: '周主管', role_id: roles.supervisor, department_id: service, password_hash: hash }).execute()
  const evil = (await db.insertInto('users').values({ login: 'evil', name: '=1+2', role_id: roles.agent, department_id: service, password_hash: hash })
    .returning('id').executeTakeFirstOrThrow()).id

  let seq = 0
  const past = at('2026-03-03T02:30')
  async function request(o: { by: number; to?: number | null; received: string; answered?: string; status?: 'received' | 'in_progress' | 'answered' | 'archived';
    category?: string | null; due?: Date; deleted?: boolean }) {
    seq++
    const row = await db.insertInto('service_requests').values({
      number: `SR-20260301-${String(seq).padStart(4, '0')}`, channel: 'phone', subject: `测试受理单${seq}`, category: o.category ?? null,
      status: o.status ?? (o.answered ? 'answered' : 'received'), created_by: o.by, assignee_id: o.to === undefined ? o.by : o.to,
      received_at: at(o.received), answered_at: o.answered ? at(o.answered) : null, due_at: o.due ?? past, deleted_at: o.deleted ? new Date() : null
    }).returning(['id', 'number']).executeTakeFirstOrThrow()
    return row
  }
  const agent = u.agent.id, other = u.other.id, rep = u.rep.id, rep2 = u.rep2.id
  await request({ by: agent, received: '2026-03-02T09:00', answered: '2026-03-02T10:30', category: 'PRODUCT' })          // 90 min
  await request({ by: agent, received: '2026-03-02T14:00', answered: '2026-03-02T14:30', category: 'PRICE', status: 'archived' }) // 30 min
  // 00:30 in Shanghai is still 2 March in UTC: it counts on the office's 3 March
  const overdueMine = await request({ by: agent, received: '2026-03-03T00:30', category: 'PRODUCT' })
  const farAway = await request({ by: agent, received: '2026-03-31T23:30', status: 'in_progress', due: new Date('2099-01-01T00:00:00Z') })
  await request({ by: agent, received: '2026-04-01T00:10', category: 'PRODUCT' })                                       // after the period
  await request({ by: agent, received: '2026-03-05T10:00', category: 'PRODUCT', deleted: true })                        // deleted
  await request({ by: agent, to: other, received: '2026-03-03T09:00', answered: '2026-03-03T13:00', category: 'TECH' })  // 240 min, 赵六's
  const unassigned = await request({ by: other, to: null, received: '2026-03-03T10:00', category: 'TECH' })              // 赵六's while unassigned
  await request({ by: rep, received: '2026-03-10T09:00', answered: '2026-03-10T09:45', category: 'PRODUCT' })            // 45 min
  const repOverdue = await request({ by: rep, received: '2026-03-10T11:00', category: 'ORDER' })
  await request({ by: rep2, received: '2026-03-01T00:05', answered: '2026-03-01T00:25', category: 'ORDER' })             // 20 min, first minutes of the period
  await request({ by: rep2, received: '2026-02-28T23:50', answered: '2026-03-01T00:10', category: 'ORDER' })             // before the period
  await request({ by: evil, received: '2026-03-04T09:00', answered: '2026-03-04T09:10', category: 'OTHER' })             // 10 min

  const boss = await signIn(app, 'boss')
  const sup = await signIn(app, 'super')
  const sup2 = await signIn(app, 'super2')

  t.test('a decision maker sees every agent, with exact figures', async (t) => {
    const res = await boss.get(`/service/reports?${MARCH}`)
    t.equal(res.statusCode, 200)
    const [first, second] = tables(res.body, 'report-per-day')
    t.ok(first && second, 'March prints as two blocks of day columns')
    t.same(first[0], ['坐席', ...Array.from({ length: 16 }, (_, i) => `03-${String(i + 1).padStart(2, '0')}`), '期间合计'])
    t.same(row(first, '小陈'), ['小陈', ...days(16, 1, { 2: 2, 3: 1 }), '4'], '2 on the 2nd, 1 on the 3rd (after midnight office time), the deleted one left out')
    t.same(row(first, '赵六'), ['赵六', ...days(16, 1, { 3: 2 }), '2'], 'assigned to him, and his own unassigned one')
    t.same(row(first, '张三'), ['张三', ...days(16, 1, { 10: 2 }), '2'])
    t.same(row(first, '李四'), ['李四', ...days(16, 1, { 1: 1 }), '1'], 'five past midnight on the 1st counts; ten to midnight the day before does not')
    t.same(row(first, '=1+2'), ['=1+2', ...days(16, 1, { 4: 1 }), '1'])
    t.same(row(first, '合计'), ['合计', ...days(16, 1, { 1: 1, 2: 2, 3: 3, 4: 1, 10: 2 }), '10'])
    t.same(row(second, '小陈'), ['小陈', ...days(15, 17, { 31: 1 }), '4'], '23:30 on the 31st is in; 00:10 on 1 April is not')
    t.same(row(second, '合计'), ['合计', ...days(15, 17, { 31: 1 }), '10'])

    const [cats] = tables(res.body, 'report-by-category')
    t.same(cats.slice(1), [
      ['产品咨询', '3', '1', '1'], ['价格咨询', '1', '0', '0'], ['订单查询', '2', '1', '1'], ['技术支持', '2', '1', '1'], ['其他', '1', '0', '0'],
      ['未分类', '1', '1', '0'], ['合计', '10', '4', '3']
    ], 'in code list order; open = received/in progress; overdue = open and past due')

    const [answer] = tables(res.body, 'report-answer')
    t.same(row(answer, '小陈'), ['小陈', '客服部', '4', '2', '1 小时 00 分'], '(90 + 30) / 2')
    t.same(row(answer, '赵六'), ['赵六', '客服部', '2', '1', '4 小时 00 分'])
    t.same(row(answer, '张三'), ['张三', '华东组', '2', '1', '45 分'])
    t.same(row(answer, '李四'), ['李四', '华东组', '1', '1', '20 分'])
    t.same(row(answer, '=1+2'), ['=1+2', '客服部', '1', '1', '10 分'])
    t.same(row(answer, '全部'), ['全部', '10', '6', '1 小时 13 分'], 'overall: 435 min / 6 answered = 72.5, shown rounded')
    t.match(res.body, 'href="/service/reports/print?from=2026-03-01&amp;to=2026-03-31"')
    t.match(res.body, '每行是一个坐席的一天', 'the page says what the CSV holds')
  })

  t.test('scope: a supervisor sees only his team; the department filter narrows to agents below it', async (t) => {
    const res = await sup.get(`/service/reports?${MARCH}`)
    t.equal(res.statusCode, 200)
    const [answer] = tables(res.body, 'report-answer')
    t.same(answer.slice(1).map((r) => r[0]), ['张三', '李四', '全部'], 'no service-desk agent for the sales supervisor')
    t.same(row(answer, '全部'), ['全部', '3', '2', '33 分'], '(45 + 20) / 2 = 32.5 min')
    t.notMatch(res.body, '小陈')
    const [cats] = tables(res.body, 'report-by-category')
    t.same(cats.slice(1), [['产品咨询', '1', '0', '0'], ['订单查询', '2', '1', '1'], ['合计', '3', '1', '1']])
    t.notMatch(res.body, `<option value="${service}"`, "another department is not offered")
    const foreign = await sup.get(`/service/reports?${MARCH}&dept=${service}`)
    t.equal(foreign.statusCode, 422, 'nor accepted')
    t.match(foreign.body, 'value="2026-03-01"', 'the filter is kept')

    const own = await sup2.get(`/service/reports?${MARCH}`)
    t.same(tables(own.body, 'report-answer')[0].slice(1).map((r) => r[0]).sort(), ['=1+2', '全部', '小陈', '赵六'].sort())
    const narrowed = await boss.get(`/service/reports?${MARCH}&dept=${service}`)
    const [answer2] = tables(narrowed.body, 'report-answer')
    t.same(answer2.slice(1).map((r) => r[0]).sort(), ['=1+2', '全部', '小陈', '赵六'].sort())
    t.same(row(answer2, '全部'), ['全部', '7', '4', '1 小时 33 分'], '(90 + 30 + 240 + 10) / 4 = 92.5 min, rounded')
    t.match(narrowed.body, `<option value="${service}" selected>`)
  })

  t.test('defaults, empty period and bad input', async (t) => {
    const month = new Intl.DateTimeFormat('sv-SE', { timeZone: TZ }).format(new Date()).slice(0, 7)
    const res = await boss.get('/service/reports')
    t.equal(res.statusCode, 200)
    t.match(res.body, `name="from" value="${month}-01"`, 'this month in the office time zone')
    const empty = await boss.get('/service/reports?from=2025-01-01&to=2025-01-31')
    t.equal(empty.statusCode, 200)
    t.match(empty.body, '所选期间内没有受理单')
    t.notMatch(empty.body, 'report-matrix')

    const bad = await boss.get('/service/reports?from=2026-02-30&to=2026-03-31')
    t.equal(bad.statusCode, 422)
    t.match(bad.body, '请输入有效日期')
    t.match(bad.body, 'value="2026-02-30"', 'what was typed is kept')
    t.match(bad.body, 'value="2026-03-31"')
    t.notMatch(bad.body, 'report-basis')
    const order = await boss.get('/service/reports?from=2026-03-31&to=2026-03-01')
    t.equal(order.statusCode, 422)
    t.match(order.body, '结束日期不能早于开始日期')
    const long = await boss.get('/service/reports?from=2020-01-01&to=2026-03-01')
    t.equal(long.statusCode, 422)
    t.match(long.body, '期间最长 366 天')
    const before = (await auditRows(app, { entity: 'service_report' })).length
    t.equal((await boss.get('/service/reports/print?from=x')).statusCode, 422)
    t.equal((await download(boss, '/service/reports/export.csv?to=2026-13-01')).status, 422)
    t.equal((await auditRows(app, { entity: 'service_report' })).length, before, 'nothing printed or exported, nothing audited')
  })

  t.test('print: A4 page with the filter in words, audited; refused without service.print', async (t) => {
    const rep = await signIn(app, 'rep')
    const ag = await signIn(app, 'agent')
    t.equal((await rep.get(`/service/reports/print?${MARCH}`)).statusCode, 403)
    t.equal((await ag.get(`/service/reports/print?${MARCH}`)).statusCode, 403)
    t.equal((await auditRows(app, { action: 'print', entity: 'service_report' })).length, 0, 'a refused print is not a print')

    const res = await sup2.get(`/service/reports/print?${MARCH}&dept=${service}`)
    t.equal(res.statusCode, 200)
    t.match(res.body, '<h1>客户服务报表</h1>')
    t.match(res.body, '筛选条件：期间：2026-03-01 ~ 2026-03-31；部门：客服部（含下级部门）')
    t.match(res.body, '打印人：周主管')
    t.match(res.body, /打印时间：\d{4}-\d{2}-\d{2} \d{2}:\d{2}/)
    t.match(res.body, 'href="/public/css/print.css" media="print"')
    t.match(res.body, 'data-print')
    t.notMatch(res.body, 'class="sidenav', 'no navigation')
    t.notMatch(res.body, /<script(?! src=)/, 'no inline script')
    t.same(row(tables(res.body, 'report-answer')[0], '小陈'), ['小陈', '客服部', '4', '2', '1 小时 00 分'], 'the same figures as on screen')
    const a = (await auditRows(app, { action: 'print', entity: 'service_report' })).at(-1)!
    t.match(a, { user_name: '周主管', summary: '2026-03-01 ~ 2026-03-31' })
    t.match(a.changes, { filter: `from=2026-03-01&to=2026-03-31&dept=${service}`, requests: 7 })
  })

  t.test('export: XLSX with three sheets and CSV in long format, formula-safe, audited', async (t) => {
    const x = await download(boss, `/service/reports/export.xlsx?${MARCH}`)
    t.equal(x.status, 200)
    t.match(String(x.headers['content-type']), 'spreadsheetml.sheet')
    t.match(String(x.headers['content-disposition']), /^attachment; filename="service-report_2026-03-01_2026-03-31\.xlsx"; filename\*=UTF-8''%E6%9C%8D/)
    for (const xml of worksheetsXml(x.body)) t.notMatch(xml, /<f[\s>]/, 'no formula element in any sheet')
    const wb = new ExcelJS.Workbook()
    await wb.xlsx.load(x.body as never)
    t.same(wb.worksheets.map((w) => w.name), ['每坐席每日受理量', '各类别未结与超期', '平均答复时长'])
    const values = (i: number) => (wb.worksheets[i].getSheetValues() as unknown[][]).filter(Boolean).map((r) => r.slice(1))
    const perDay = values(0)
    t.equal(perDay[0].length, 2 + 31 + 1, 'agent, department, 31 days, total')
    t.equal(perDay[0][2], '2026-03-01')
    const chen = perDay.find((r) => r[0] === '小陈')!
    t.same([chen[1], chen[2 + 1], chen[2 + 2], chen[2 + 30], chen[33]], ['客服部', 2, 1, 1, 4])
    const formula = perDay.find((r) => r[0] === '=1+2')
    t.ok(formula, 'a name that looks like a formula is a string cell, the text unchanged')
    t.equal(perDay.at(-1)![0], '合计')
    t.equal(perDay.at(-1)![33], 10)
    t.same(values(1).at(-1), ['合计', 10, 4, 3])
    t.same(values(1)[1], ['产品咨询', 3, 1, 1])
    const overall = values(2).at(-1)!
    t.same([overall[0], overall[2], overall[3], overall[4], overall[5]], ['全部', 10, 6, 72.5, '1 小时 13 分'])
    let a = (await auditRows(app, { action: 'export', entity: 'service_report' })).at(-1)!
    t.match(a, { user_name: '王总' })
    t.match(a.changes, { format: 'xlsx', filter: 'from=2026-03-01&to=2026-03-31', requests: 10 })

    const c = await download(boss, `/service/reports/export.csv?${MARCH}`)
    t.equal(c.status, 200)
    t.match(String(c.headers['content-type']), /^text\/csv; charset=utf-8/)
    const text = c.body.toString('utf8')
    t.ok(text.startsWith('\uFEFF'))
    const rows = parseCsv(text)
    t.same(rows[0], ['坐席', '部门', '日期', '受理量'])
    t.same(rows.slice(1).filter((r) => r[0] === '小陈'), [['小陈', '客服部', '2026-03-02', '2'], ['小陈', '客服部', '2026-03-03', '1'], ['小陈', '客服部', '2026-03-31', '1']])
    t.same(rows.slice(1).find((r) => r[2] === '2026-03-04'), ["'=1+2", '客服部', '2026-03-04', '1'], 'the formula is neutralised')
    t.equal(rows.length, 1 + 7, 'one line per agent and day with requests')
    for (const r of rows.slice(1)) for (const v of r) t.notOk(/^[=+\-@]/.test(v), `no risky leading character: ${v}`)
    a = (await auditRows(app, { action: 'export', entity: 'service_report' })).at(-1)!
    t.match(a.changes, { format: 'csv', requests: 10 })

    const scoped = parseCsv((await download(sup, `/service/reports/export.csv?${MARCH}`)).body.toString('utf8'))
    t.same(scoped.slice(1).map((r) => r[0]).sort(), ['张三', '李四'].sort(), 'the export keeps the data scope')

    const before = (await auditRows(app, { action: 'export' })).length
    const rep = await signIn(app, 'rep')
    t.equal((await download(rep, `/service/reports/export.xlsx?${MARCH}`)).status, 403)
    t.equal((await download(await signIn(app, 'agent'), `/service/reports/export.csv?${MARCH}`)).status, 403)
    t.equal((await auditRows(app, { action: 'export' })).length, before, 'a refused export is not audited')
  })

  t.test('who may open what', async (t) => {
    const clients = await matrixClients(app)
    const allow = ['admin', 'decision', 'supervisor'] as const
    const routes: MatrixRoute<unknown>[] = [
      { method: 'GET', url: `/service/reports?${MARCH}`, allow: [...allow] },
      { method: 'GET', url: `/service/reports/print?${MARCH}`, allow: [...allow] },
      { method: 'GET', url: `/service/reports/export.xlsx?${MARCH}`, allow: [...allow] },
      { method: 'GET', url: `/service/reports/export.csv?${MARCH}`, allow: [...allow] }
    ]
    await runMatrix(t, app, { routes, ctx: null, clients, tables: [] })
    assertCovered(t, app, routes, null, '/service/reports')
    t.match((await sup.get('/')).body, 'href="/service/reports"', 'the supervisor has the menu entry')
    t.notMatch((await clients.get('agent')!.get('/')).body, 'href="/service/reports"', 'an agent does not')
    t.notMatch((await clients.get('user')!.get('/')).body, 'href="/service/reports"', 'nor an ordinary user')
  })

  t.test('workbench reminders: due today and overdue for the assignee, unassigned overdue for those who assign', async (t) => {
    // due later today in the office, whatever the hour the test runs at
    const today = new Intl.DateTimeFormat('sv-SE', { timeZone: TZ }).format(new Date())
    const tomorrow = new Date(Date.UTC(+today.slice(0, 4), +today.slice(5, 7) - 1, +today.slice(8, 10) + 1)).toISOString().slice(0, 10)
    const midnight = at(`${tomorrow}T00:00`).getTime()
    const dueToday = await request({ by: agent, received: `${today}T00:00`, due: new Date(Date.now() + (midnight - Date.now()) / 2), category: 'PRICE' })
    const tomorrowNoon = await request({ by: agent, received: `${today}T00:00`, due: at(`${tomorrow}T12:00`) })
    const done = await request({ by: agent, received: '2026-03-02T09:00', answered: '2026-03-02T09:30', due: past })

    const ag = await signIn(app, 'agent')
    const home = (await ag.get('/')).body
    t.match(home, `href="/service/requests/${overdueMine.id}"`, 'his overdue request, linked')
    t.match(home, `${overdueMine.number} `)
    t.match(home, `href="/service/requests/${dueToday.id}"`, 'due later today')
    t.match(home, '待答复受理单')
    t.notMatch(home, `href="/service/requests/${tomorrowNoon.id}"`, 'due tomorrow is not yet a reminder')
    t.notMatch(home, `href="/service/requests/${farAway.id}"`)
    t.notMatch(home, `href="/service/requests/${done.id}"`, 'answered requests are done')
    t.notMatch(home, `href="/service/requests/${unassigned.id}"`, 'an agent does not assign')
    t.match((await (await signIn(app, 'rep')).get('/')).body, `href="/service/requests/${repOverdue.id}"`)

    const s2 = (await sup2.get('/')).body
    t.match(s2, `href="/service/requests/${unassigned.id}"`, 'unassigned and overdue in his scope')
    t.match(s2, '未分派的超期受理单')
    t.notMatch((await sup.get('/')).body, `href="/service/requests/${unassigned.id}"`, "not for another department's supervisor")

    // more than the cap: the most recently overdue twenty, then one line saying there are more
    const many: { id: number; number: string }[] = []
    for (let i = 0; i < 25; i++) many.push(await request({ by: other, to: null, received: '2026-05-01T09:00', due: new Date(Date.now() - (i + 1) * 60_000) }))
    const capped = (await sup2.get('/')).body
    t.equal([...capped.matchAll(/href="\/service\/requests\/\d+"/g)].filter(([h]) => many.some((m) => h === `href="/service/requests/${m.id}"`)).length, 20)
    t.match(capped, `href="/service/requests/${many[0].id}"`, 'the newest due is listed')
    t.notMatch(capped, `href="/service/requests/${many[24].id}"`, 'the oldest beyond the cap is not')
    t.match(capped, '另有更多未分派的超期受理单')
  })
})
