// Measures the 100,000-row import (dry run + write) and the 100,000-row XLSX export on
// PGlite in a temporary data directory, with process RSS sampled every 50 ms.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import { buildApp } from './src/app.ts'
import { loadConfig } from './src/config.ts'
import { xlsxSink } from './src/platform/spreadsheet.ts'
import { seedOffice, signIn } from './test/helpers/app.ts'
import { upload, jobIdOf, mappingForm, waitForJob } from './test/modules/customers/io-helpers.ts'
const N = Number(process.env.ROWS ?? 100_000)
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kehu-io-'))
const app = await buildApp({ ...loadConfig({ DATA_DIR: dir, LOG_LEVEL: 'silent' }) }, { logger: false })
await seedOffice(app)
const sup = await signIn(app, 'super')
const mb = (n: number) => (n / 2 ** 20).toFixed(0)
async function measured<T>(label: string, fn: () => Promise<T>) {
  global.gc?.()
  const start = process.memoryUsage.rss(); let peak = start
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()) }, 50)
  const t0 = performance.now()
  const v = await fn()
  clearInterval(timer)
  console.log(`${label}: ${((performance.now() - t0) / 1000).toFixed(1)} s, RSS ${mb(start)} MB → peak ${mb(peak)} MB (+${mb(peak - start)} MB)`)
  return v
}
const out = new PassThrough(); const chunks: Buffer[] = []; out.on('data', (c: Buffer) => chunks.push(c))
type R = string[]
const header = ['企业名称', '电话', '行业', '所在区域', '客户等级', '联系人', '手机', '标签', '备注']
const sink = xlsxSink<R>(out, header.map((h, i) => ({ header: h, value: (r: R) => r[i] })), { sheetName: '客户', timeZone: 'Asia/Shanghai' })
const regions = ['广东省深圳市南山区', '北京市朝阳区', '上海市浦东新区', '浙江省杭州市西湖区', '江苏省南京市鼓楼区']
for (let s = 0; s < N; s += 1000) {
  const rows: R[] = []
  for (let i = s; i < Math.min(N, s + 1000); i++) rows.push([`测量导入${['华东', '北方', '南方', '西部'][i % 4]}科技${i}号有限公司`, `010-5${String(i).padStart(7, '0')}`,
    ['制造业', '信息技术', '零售', '金融', '教育'][i % 5], regions[i % 5], 'ABCDE'[i % 5], `联系人${i}`, `199${String(i).padStart(8, '0')}`, i % 3 ? '导入' : '', i % 7 ? '' : '批量导入的客户'])
  await sink.write(rows)
}
await sink.end()
const file = Buffer.concat(chunks)
console.log(`file ${N} rows, ${(file.length / 2 ** 20).toFixed(1)} MB; load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`)
const id = await measured('upload', async () => jobIdOf(await upload(sup, 'm.xlsx', file)))
const map = await sup.get(`/customers/import/${id}/mapping`)
await measured('dry run', async () => { await sup.post(`/customers/import/${id}/mapping`, mappingForm(map.body)); return waitForJob(sup, id, 3_600_000) })
const page = await sup.get(`/customers/import/${id}`)
console.log('  ', /id="n-total">([\d,]+)/.exec(page.body)?.[1], 'rows,', /id="n-errors">([\d,]+)/.exec(page.body)?.[1], 'errors')
await measured('write', async () => { await sup.post(`/customers/import/${id}/run`, { skip_duplicates: 'on' }); return waitForJob(sup, id, 3_600_000) })
const n = await app.db.selectFrom('customers').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
console.log(`   customers now ${n.n}; load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`)
await app.listen({ port: 0, host: '127.0.0.1' })
const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
const cookie = [...sup.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
for (const f of ['xlsx', 'csv']) {
  await measured(`export.${f}`, async () => {
    const res = await fetch(`${url}/customers/export.${f}`, { headers: { cookie } })
    let bytes = 0
    for await (const c of res.body!) bytes += (c as Uint8Array).byteLength
    console.log(`   status ${res.status}, ${(bytes / 2 ** 20).toFixed(1)} MB`)
  })
}
console.log(`load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`)
await app.close()
fs.rmSync(dir, { recursive: true, force: true })
