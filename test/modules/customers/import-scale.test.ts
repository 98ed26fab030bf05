// A 10,000-row workbook imports completely (time printed as a comment; no timing
// assertion, house rule). The file is made here with the same streaming writer
// the export uses.
import { PassThrough } from 'node:stream'
import t from 'tap'
import { auditRows, seedOffice, signIn, testApp } from '../../helpers/app.ts'
import { xlsxSink } from '../../../src/platform/spreadsheet.ts'
import { uploadAndCheck, waitForJob } from './io-helpers.ts'

const N = 10_000
const INDUSTRIES = ['制造业', '信息技术', '零售', '金融', '教育']
const REGIONS = ['广东省深圳市南山区', '北京市朝阳区', '上海市浦东新区', '浙江省杭州市西湖区', '440305']

async function workbook(): Promise<Buffer> {
  const out = new PassThrough()
  const chunks: Buffer[] = []
  out.on('data', (c: Buffer) => chunks.push(c))
  const header = ['企业名称', '电话', '行业', '所在区域', '客户等级', '联系人', '手机', '标签', '备注']
  type R = string[]
  const sink = xlsxSink<R>(out, header.map((h, i) => ({ header: h, value: (r: R) => r[i] })), { sheetName: '客户', timeZone: 'Asia/Shanghai' })
  for (let start = 0; start < N; start += 1000) {
    const rows: R[] = []
    for (let i = start; i < start + 1000; i++) {
      rows.push([`批量导入测试公司${i}号`, `010-${String(60000000 + i)}`, INDUSTRIES[i % 5], REGIONS[i % 5], 'ABCDE'[i % 5],
        `联系人${i}`, `139${String(i).padStart(8, '0')}`, i % 3 ? '批量' : '', i % 7 ? '' : `=SUM(${i})`])
    }
    await sink.write(rows)
  }
  await sink.end()
  return Buffer.concat(chunks)
}

t.test('a 10,000-row file imports completely', async (t) => {
  const app = await testApp(t)
  await seedOffice(app)
  const sup = await signIn(app, 'super')
  const file = await workbook()
  t.comment(`file: ${(file.length / 1024).toFixed(0)} KB XLSX`)

  let at = Date.now()
  const { id, page } = await uploadAndCheck(sup, 'batch.xlsx', file)
  const check = Date.now() - at
  t.match(page.body, /id="n-total">10,000</)
  t.match(page.body, /id="n-errors">0</)
  t.match(page.body, /id="n-duplicates">0</)

  at = Date.now()
  t.equal((await sup.post(`/customers/import/${id}/run`, {})).statusCode, 303)
  const done = await waitForJob(sup, id, 300_000)
  const write = Date.now() - at
  t.comment(`dry run ${check} ms, write ${write} ms for ${N} rows (PGlite, machine shared)`)
  t.match(done.body, '已导入 10,000 个客户')

  const n = async (table: 'customers' | 'contacts' | 'customer_phones' | 'customer_timeline') =>
    Number((await app.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n)
  t.equal(await n('customers'), N)
  t.equal(await n('contacts'), N, 'one contact each')
  t.equal(await n('customer_phones'), 2 * N, 'phone and mobile indexed')
  t.equal(await n('customer_timeline'), N)
  t.equal((await auditRows(app, { action: 'create', entity: 'customer' })).length, N, 'one audit row per customer')
  const codes = await app.db.selectFrom('customers').select((eb) => eb.fn.count<number>('code').distinct().as('n')).executeTakeFirstOrThrow()
  t.equal(Number(codes.n), N, 'every code unique')
  const last = await app.db.selectFrom('customers').selectAll().where('name', '=', `批量导入测试公司${N - 1}号`).executeTakeFirstOrThrow()
  t.match(last, { industry: 'EDU', region_code: '440305', grade: 'E', remarks: null })
  const f = await app.db.selectFrom('customers').select('remarks').where('name', '=', '批量导入测试公司7号').executeTakeFirstOrThrow()
  t.equal(f.remarks, '=SUM(7)', 'a formula-looking cell stays text')
  const byMobile = await app.db.selectFrom('customer_phones as p').innerJoin('customers as c', 'c.id', 'p.customer_id')
    .innerJoin('contacts as k', 'k.id', 'p.contact_id').select(['c.name', 'k.name as contact']).where('p.phone', '=', '13900009999').execute()
  t.same(byMobile, [{ name: '批量导入测试公司9999号', contact: '联系人9999' }], "the contact's mobile is indexed for the phone search")
})
