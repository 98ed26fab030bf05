// Export (and import) at 100,000 rows: one request each, timed end to end, with the
// server's resident memory sampled every 50 ms while it runs (the app runs in this
// process and the download in a child, so process RSS is the server's; on PGlite it
// includes the database).
// Targets (issue 3): export of 100,000 rows to XLSX streamed, under 30 s, RSS growth
// under 100 MB; import of 100,000 rows (dry run + write) under 60 s, memory bounded.
import { execFile } from 'node:child_process'
import { PassThrough } from 'node:stream'
import { promisify } from 'node:util'
import { sql } from 'kysely'
import { xlsxSink } from '../src/platform/spreadsheet.ts'
import { withoutFkChecks } from './seed.ts'
import type { Target } from './targets.ts'
import { COMMON_STEMS, REGIONS, SURNAMES, GIVEN, TRADES } from './vocab.ts'

export const IO_ROWS = 100_000

interface Ctx { appUrl: string; cookies: Record<string, string>; target: Target; log: (m: string) => void }

/** runs fn while sampling RSS; returns its result, the seconds it took and the RSS growth over the start */
async function measured<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number; rssStartMb: number; rssGrowthMb: number }> {
  if (global.gc) global.gc()
  const start = process.memoryUsage.rss()
  let peak = start
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()) }, 50)
  const t0 = performance.now()
  try {
    const value = await fn()
    return { value, seconds: (performance.now() - t0) / 1000, rssStartMb: start / 2 ** 20, rssGrowthMb: (Math.max(peak, process.memoryUsage.rss()) - start) / 2 ** 20 }
  } finally {
    clearInterval(timer)
  }
}

/**
 * Downloads a URL in a child process, counting bytes without keeping them: the client's
 * own buffers (fetch's streams) would otherwise count as the server's RSS growth.
 */
async function download(url: string, cookie: string): Promise<{ status: number; bytes: number; type: string }> {
  const script = `
    const res = await fetch(process.env.URL, { headers: { cookie: process.env.COOKIE }, redirect: 'manual' })
    let bytes = 0
    if (res.body) for await (const chunk of res.body) bytes += chunk.byteLength
    console.log(JSON.stringify({ status: res.status, bytes, type: res.headers.get('content-type') ?? '' }))`
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, URL: url, COOKIE: cookie }, maxBuffer: 1 << 20
  })
  return JSON.parse(stdout)
}

async function exportScenario(ctx: Ctx, format: 'xlsx' | 'csv'): Promise<string> {
  const n = ctx.target.info.params.customers
  // customers are spread evenly over five years, newest last: a start date gives ~100,000 of them
  const days = Math.ceil(5 * 365.25 * Math.min(1, IO_ROWS / n))
  const from = new Date(Date.now() - days * 86_400_000 + 8 * 3_600_000).toISOString().slice(0, 10)
  const rows = Number((await sql<{ n: number }>`select count(*)::int as n from customers where deleted_at is null and merged_into is null
    and created_at >= ${new Date(`${from}T00:00:00+08:00`)}`.execute(ctx.target.store.db)).rows[0].n)
  const url = `${ctx.appUrl}/customers/export.${format}?from=${from}`
  ctx.log(`export-${format}: GET /customers/export.${format}?from=${from} as the sales director (${rows.toLocaleString('en')} rows)`)
  const m = await measured(() => download(url, ctx.cookies.director))
  const ok = m.value.status === 200
  const line = `| export-${format} | ${rows.toLocaleString('en')} | ${m.value.status} | ${m.seconds.toFixed(1)} s | ${(m.value.bytes / 2 ** 20).toFixed(1)} MB | ` +
    `${Math.round(m.rssStartMb)} MB | +${Math.round(m.rssGrowthMb)} MB | ${format === 'xlsx' ? `< 30 s, RSS growth < 100 MB: ${ok && m.seconds < 30 && m.rssGrowthMb < 100 ? 'yes' : '**no**'}` : '–'} |`
  ctx.log(`  ${line}`)
  return line
}

/** a 100,000-row workbook as people fill in the import template (names that exist nowhere yet) */
async function importWorkbook(rows: number): Promise<Buffer> {
  const out = new PassThrough()
  const chunks: Buffer[] = []
  out.on('data', (c: Buffer) => chunks.push(c))
  type R = string[]
  const header = ['企业名称', '电话', '行业', '所在区域', '客户等级', '联系人', '手机', '标签', '备注']
  const industries = ['制造业', '信息技术', '零售', '金融', '教育']
  const sink = xlsxSink<R>(out, header.map((h, i) => ({ header: h, value: (r: R) => r[i] })), { sheetName: '客户', timeZone: 'Asia/Shanghai' })
  for (let start = 0; start < rows; start += 1000) {
    const batch: R[] = []
    for (let i = start; i < Math.min(rows, start + 1000); i++) {
      const [region, area] = REGIONS[i % REGIONS.length]
      batch.push([`${region}${COMMON_STEMS[i % COMMON_STEMS.length]}${TRADES[i % TRADES.length]}导入${i}号有限公司`, `${area}-5${String(i).padStart(7, '0')}`,
        industries[i % 5], `${region}市`, 'ABCDE'[i % 5], SURNAMES[i % SURNAMES.length] + GIVEN[(i * 7) % GIVEN.length],
        `199${String(i).padStart(8, '0')}`, i % 3 ? '导入' : '', i % 7 ? '' : '批量导入的客户'])
    }
    await sink.write(batch)
  }
  await sink.end()
  return Buffer.concat(chunks)
}

/** upload → mapping as guessed → dry run → write, through the real pages, as the team 1 supervisor */
async function importScenario(ctx: Ctx): Promise<string[]> {
  const cookie = ctx.cookies.super
  const base = ctx.appUrl
  const db = ctx.target.store.db
  const maxId = Number((await sql<{ m: number }>`select max(id)::int as m from customers`.execute(db)).rows[0].m)
  ctx.log(`import: making a ${IO_ROWS.toLocaleString('en')}-row XLSX file`)
  const file = await importWorkbook(IO_ROWS)
  const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? ''
  const get = async (path: string) => { const r = await fetch(base + path, { headers: { cookie }, redirect: 'manual' }); return { status: r.status, body: await r.text() } }
  const post = async (path: string, form: Record<string, string>) => {
    const r = await fetch(base + path, { method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form) })
    return { status: r.status, location: r.headers.get('location') ?? '', body: await r.text() }
  }
  /** polls the job page until its progress block is gone */
  const waitJob = async (id: number) => {
    for (;;) {
      const page = await get(`/customers/import/${id}`)
      if (!/id="import-progress"/.test(page.body)) return page
      await new Promise((r) => setTimeout(r, 500))
    }
  }
  const csrf = csrfOf((await get('/customers/import')).body)
  const boundary = `----kehuBench${Date.now()}`
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${csrf}\r\n`),
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="bench-import.xlsx"\r\nContent-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n`),
    file, Buffer.from(`\r\n--${boundary}--\r\n`)
  ])
  const times: Record<string, number> = {}
  let t = performance.now()
  const lap = (name: string) => { times[name] = (performance.now() - t) / 1000; t = performance.now() }
  ctx.log(`import: uploading ${(file.length / 2 ** 20).toFixed(1)} MB`)
  const m = await measured(async () => {
    const up = await fetch(`${base}/customers/import`, { method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': `multipart/form-data; boundary=${boundary}` }, body })
    const id = Number(/\/customers\/import\/(\d+)/.exec(up.headers.get('location') ?? '')?.[1])
    if (up.status !== 303 || !id) throw new Error(`upload answered ${up.status}: ${(await up.text()).slice(0, 300)}`)
    lap('upload')
    const map = await get(`/customers/import/${id}/mapping`)
    const form: Record<string, string> = { _csrf: csrfOf(map.body) }
    for (const sel of map.body.matchAll(/<select id="col-(\d+)" name="(col_\d+)">([\s\S]*?)<\/select>/g)) form[sel[2]] = /<option value="([^"]*)" selected>/.exec(sel[3])?.[1] ?? ''
    const check = await post(`/customers/import/${id}/mapping`, form)
    if (check.status !== 303) throw new Error(`mapping answered ${check.status}`)
    const checked = await waitJob(id)
    lap('dry run')
    const summary = (k: string) => new RegExp(`id="n-${k}">([\\d,]+)<`).exec(checked.body)?.[1] ?? '?'
    const counts = { total: summary('total'), errors: summary('errors'), duplicates: summary('duplicates') }
    const run = await post(`/customers/import/${id}/run`, { _csrf: csrfOf(checked.body), skip_duplicates: 'on' })
    if (run.status !== 303) throw new Error(`write answered ${run.status}`)
    await waitJob(id)
    lap('write')
    return counts
  })
  const imported = Number((await sql<{ n: number }>`select count(*)::int as n from customers where id > ${maxId}`.execute(db)).rows[0].n)
  const total = times.upload + times['dry run'] + times.write
  const line = `| import-xlsx | ${IO_ROWS.toLocaleString('en')} (${m.value.errors} errors, ${m.value.duplicates} duplicates, ${imported.toLocaleString('en')} written) | ` +
    `303 | upload ${times.upload.toFixed(1)} s + dry run ${times['dry run'].toFixed(1)} s + write ${times.write.toFixed(1)} s = ${total.toFixed(1)} s | ${(file.length / 2 ** 20).toFixed(1)} MB | ` +
    `${Math.round(m.rssStartMb)} MB | +${Math.round(m.rssGrowthMb)} MB | < 60 s: ${total < 60 ? 'yes' : '**no**'} |`
  ctx.log(`  ${line}`)
  await removeImported(ctx, maxId)
  return [line]
}

/** puts the seeded data back as it was (the next run reuses it) */
async function removeImported(ctx: Ctx, maxId: number) {
  const r = await ctx.target.store.runner()
  try {
    if (ctx.target.kind === 'postgres') await r.exec('set statement_timeout = 0')
    await withoutFkChecks(r, async () => {
      await r.query('delete from customer_phones where customer_id > $1', [maxId])
      await r.query('delete from customer_timeline where customer_id > $1', [maxId])
      await r.query('delete from communications where customer_id > $1', [maxId])
      await r.query('update customers set main_contact_id = null where id > $1', [maxId])
      await r.query('delete from contacts where customer_id > $1', [maxId])
      // what the customers' triggers would do (0016, 0017): they do not fire in this mode
      await r.query(`update customer_owner_counts t set live = t.live - d.n
        from (select owner_id, count(*)::int as n from customers where id > $1 and deleted_at is null and merged_into is null group by owner_id) d
        where t.owner_id = d.owner_id`, [maxId])
      await r.query('delete from customer_grams k using customers c where c.id > $1 and k.customer_id = c.id and k.gram = any(c.search_grams)', [maxId])
      await r.query('delete from customers where id > $1', [maxId])
    })
    await r.exec('delete from import_jobs')
    // on its own: several statements in one simple query run as one transaction, where VACUUM may not
    await r.exec('vacuum analyze customers, contacts, customer_phones, customer_timeline, customer_grams')
  } finally {
    await r.release()
  }
}

export async function ioScenarios(ctx: Ctx, wanted: (name: string) => boolean = () => true): Promise<string[]> {
  const lines = ['| I/O scenario | rows | status | time | size | RSS at start | RSS growth (peak) | target met? |', '|---|---|---|---|---|---|---|---|']
  if (wanted('export-xlsx')) lines.push(await exportScenario(ctx, 'xlsx'))
  if (wanted('export-csv')) lines.push(await exportScenario(ctx, 'csv'))
  if (!wanted('import-xlsx')) return lines
  try {
    lines.push(...await importScenario(ctx))
  } catch (e) {
    ctx.log(`import failed: ${(e as Error).message}`)
    // a failed write leaves no customers; its job and staged rows would weigh on the next run
    await sql`delete from import_jobs`.execute(ctx.target.store.db)
    lines.push(`| import-xlsx | ${IO_ROWS.toLocaleString('en')} | failed: ${(e as Error).message.split('\n')[0]} | | | | | **no** |`)
  }
  return lines
}
