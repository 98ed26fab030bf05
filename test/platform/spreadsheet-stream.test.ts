// An XLSX export is sent while it is made: a 100,000-row download must not first pile
// the whole sheet up in the server's memory (issue 3: RSS growth under 100 MB).
import { PassThrough } from 'node:stream'
import t from 'tap'
import { xlsxSink } from '../../src/platform/spreadsheet.ts'

t.test('the zipped sheet leaves the writer batch by batch, not at the end', async (t) => {
  type R = string[]
  const cols = Array.from({ length: 12 }, (_, i) => ({ header: `列${i}`, value: (r: R) => r[i] }))
  const out = new PassThrough()
  let bytes = 0
  out.on('data', (c: Buffer) => { bytes += c.length })
  const sink = xlsxSink<R>(out, cols, { sheetName: '客户', timeZone: 'Asia/Shanghai' })
  const seen: number[] = []
  for (let b = 0; b < 8; b++) {
    await sink.write(Array.from({ length: 1000 }, (_, j) => cols.map((_, i) => `浙江省杭州市西湖区 客户${b}-${j}-${i}`)))
    seen.push(bytes)
  }
  const beforeEnd = bytes
  await sink.end()
  await new Promise((r) => setImmediate(r))
  t.ok(bytes > 100_000, `a real workbook came out (${bytes} bytes)`)
  t.ok(seen[3] > 0 && seen[7] > seen[3], `bytes left during the writing: ${seen.join(', ')}`)
  t.ok(beforeEnd > bytes / 2, `more than half of the file had left before the last row was committed (${beforeEnd} of ${bytes})`)
})
