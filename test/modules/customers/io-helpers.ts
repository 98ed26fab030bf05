// Shared by the import/export/print tests: files made in the test (CSV, XLSX), a
// multipart upload through the real form, and waiting for a background import step.
import ExcelJS from 'exceljs'
import { parse } from 'csv-parse/sync'
import type { Client, Res } from '../../helpers/app.ts'

/** an RFC 4180 CSV of rows (fields quoted when needed), UTF-8 unless given as a Buffer by the caller */
export function csv(rows: (string | number)[][]): string {
  return rows.map((r) => r.map((v) => {
    const s = String(v)
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
  }).join(',')).join('\r\n') + '\r\n'
}

/** an XLSX workbook with one sheet; a cell may be { formula, result } */
export async function xlsx(rows: unknown[][]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook()
  const ws = wb.addWorksheet('客户')
  for (const r of rows) ws.addRow(r as ExcelJS.CellValue[])
  return Buffer.from(await wb.xlsx.writeBuffer())
}

/** a multipart/form-data body as a browser sends it */
export function multipart(fields: Record<string, string>, file?: { name: string; filename: string; data: Buffer | string; type?: string }) {
  const boundary = `----kehuTest${Math.random().toString(16).slice(2)}`
  const parts: Buffer[] = []
  for (const [k, v] of Object.entries(fields)) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`))
  if (file) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${file.name}"; filename="${file.filename}"\r\nContent-Type: ${file.type ?? 'application/octet-stream'}\r\n\r\n`))
    parts.push(Buffer.isBuffer(file.data) ? file.data : Buffer.from(file.data))
    parts.push(Buffer.from('\r\n'))
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`))
  return { payload: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` }
}

/** uploads through the import form (the CSRF token travels in the form body, as without JavaScript) */
export async function upload(c: Client, filename: string, data: Buffer | string): Promise<Res> {
  await c.get('/customers/import')
  const m = multipart({ _csrf: c.csrf }, { name: 'file', filename, data })
  return c.request('POST', '/customers/import', { payload: m.payload, headers: { 'content-type': m.contentType }, csrf: false })
}

export const jobIdOf = (res: Res) => Number(/\/customers\/import\/(\d+)/.exec(String(res.headers.location ?? ''))?.[1])

/** polls the job page until the dry run or write is over; returns the page */
export async function waitForJob(c: Client, id: number, timeoutMs = 120_000): Promise<Res> {
  const start = Date.now()
  for (;;) {
    const page = await c.get(`/customers/import/${id}`)
    if (!/id="import-progress"/.test(page.body)) return page
    if (Date.now() - start > timeoutMs) throw new Error(`import job ${id} still running after ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** the mapping form's current choices, as the browser would post them back */
export function mappingForm(page: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const m of page.matchAll(/<select id="col-(\d+)" name="(col_\d+)">([\s\S]*?)<\/select>/g)) {
    out[m[2]] = /<option value="([^"]*)" selected>/.exec(m[3])?.[1] ?? ''
  }
  return out
}

/** upload → mapping (as guessed, with overrides) → dry run finished; returns the job id and result page */
export async function uploadAndCheck(c: Client, filename: string, data: Buffer | string, override: Record<string, string> = {}) {
  const res = await upload(c, filename, data)
  if (res.statusCode !== 303) throw new Error(`upload failed: ${res.statusCode} ${res.body.slice(0, 300)}`)
  const id = jobIdOf(res)
  const map = await c.get(`/customers/import/${id}/mapping`)
  const form = { ...mappingForm(map.body), ...override }
  const check = await c.post(`/customers/import/${id}/mapping`, form)
  if (check.statusCode !== 303) throw new Error(`mapping failed: ${check.statusCode} ${check.body.slice(0, 500)}`)
  return { id, mapPage: map.body, page: await waitForJob(c, id) }
}

export function parseCsv(text: string): string[][] {
  return parse(text.replace(/^\uFEFF/, ''), { relax_column_count: true })
}
