// The service desk's supervisor report (服务报表): requests per agent per day, open and
// overdue by category, average time to answer, for a period and a department; on
// screen, as an A4 print page and as XLSX (three sheets) or CSV (the per-agent-per-day
// table in long format). Printing and exporting are audited like the customer list's.
import type { Writable } from 'node:stream'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { actorOf, audit } from '../../platform/audit.ts'
import { formatter } from '../../platform/format.ts'
import type { FieldErrors } from '../../platform/forms.ts'
import { requirePermission } from '../../platform/guard.ts'
import { label, translator, type Lang, type T } from '../../platform/i18n.ts'
import { registerNav } from '../../platform/nav.ts'
import type { Principal } from '../../platform/principal.ts'
import { contentDisposition, csvSink, replyStream, xlsxBook, type SheetColumn } from '../../platform/spreadsheet.ts'
import { addDays, dayBlocks, MAX_DAYS, serviceReport, type AgentRow, type CategoryRow, type ReportFilter, type ServiceReport } from './report-queries.ts'
import { setReminderTimeZone } from './reminders.ts'

// The page is for whoever may print or export it. Both permissions belong, among the
// built-in roles, to supervisors and decision makers only (migrations/0007: agents get
// service.read/create/update, ordinary users service.read), which is who DOMAIN.md says
// reads these reports; an administrator may grant either to someone else.
const VIEW_PERMS = ['service.print', 'service.export']
registerNav({ key: 'service.reports', labelKey: 'serviceReports.nav', href: '/service/reports', perm: VIEW_PERMS, order: 27 })

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/
const validDate = (s: string) => {
  if (!DATE_RE.test(s)) return false
  const d = new Date(`${s}T00:00:00Z`)
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(s)
}
const monthEnd = (day: string) => addDays(addDays(`${day.slice(0, 7)}-01`, 32).slice(0, 7) + '-01', -1)

interface Dept { id: number; name: string; path: string }
interface Filter { values: { from: string; to: string; dept: string }; errors: FieldErrors; f?: ReportFilter; depts: Dept[]; qs: string }

/** "1 小时 05 分" / "45 min"; no answered request is a dash */
export function duration(t: T, seconds: number | null): string {
  if (seconds === null || seconds === undefined) return '—'
  const mins = Math.round(Number(seconds) / 60)
  const h = Math.floor(mins / 60), m = mins % 60
  return h ? t('serviceReports.duration.hm', { h, m: String(m).padStart(2, '0') }) : t('serviceReports.duration.m', { m })
}

/** the rows of the per-agent-per-day table, with the column totals last */
function matrix(r: ServiceReport, totalLabel: string) {
  const rows = r.agents.map((a) => ({ name: a.name, dept: a.dept_name ?? '', counts: r.days.map((d) => r.cells.get(`${a.agent_id}|${d}`) ?? 0), total: a.n }))
  rows.push({ name: totalLabel, dept: '', counts: r.days.map((d) => r.dayTotals.get(d) ?? 0), total: r.overall.n })
  return rows
}
type MatrixRow = ReturnType<typeof matrix>[number]

const categoryLabel = (lang: Lang, t: T, c: CategoryRow) => (c.category === null ? t('serviceReports.byCategory.none') : c.label_zh ? label(lang, c.label_zh, c.label_en ?? '') : c.category)
const minutes = (s: number | null) => (s === null ? null : Math.round(Number(s) / 6) / 10)

const TYPES = { xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', csv: 'text/csv; charset=utf-8' }

const routes: FastifyPluginAsync = async (app) => {
  const db = app.db
  const tz = app.config.timeZone
  setReminderTimeZone(tz)

  /** departments the user may filter by: all, or his own and those below it */
  function departments(user: Principal): Promise<Dept[]> {
    let q = db.selectFrom('departments').select(['id', 'name', 'path']).orderBy('path').limit(1000)
    if (user.scope !== 'all') q = q.where('path', 'like', `${user.deptPath}%`)
    return q.execute()
  }

  async function readFilter(req: FastifyRequest): Promise<Filter> {
    const q = req.query as Record<string, unknown>
    const str = (k: string) => (typeof q[k] === 'string' ? (q[k] as string).trim() : '')
    const values = { from: str('from'), to: str('to'), dept: str('dept') }
    const depts = await departments(req.user!)
    const errors: FieldErrors = {}
    const today = formatter(req.user!.lang, tz).today()
    for (const k of ['from', 'to'] as const) if (values[k] && !validDate(values[k])) errors[k] = { key: 'serviceReports.errors.date' }
    // a missing end follows from the other: this month, or the given day's month
    const from = values.from || (values.to && !errors.to ? `${values.to.slice(0, 7)}-01` : `${today.slice(0, 7)}-01`)
    const to = values.to || (values.from && !errors.from ? monthEnd(values.from) : monthEnd(today))
    if (!errors.from && !errors.to) {
      if (from > to) errors.to = { key: 'serviceReports.errors.order' }
      else if (addDays(from, MAX_DAYS - 1) < to) errors.to = { key: 'serviceReports.errors.span', params: { max: MAX_DAYS } }
    }
    let dept: Dept | undefined
    if (values.dept) {
      dept = /^\d{1,10}$/.test(values.dept) ? depts.find((d) => d.id === Number(values.dept)) : undefined
      if (!dept) errors.dept = { key: 'errors.invalidChoice' }
    }
    if (Object.keys(errors).length) return { values, errors, depts, qs: '' }
    const qs = new URLSearchParams({ from, to, ...(dept ? { dept: String(dept.id) } : {}) }).toString()
    return { values: { from, to, dept: values.dept }, errors, f: { from, to, dept }, depts, qs }
  }

  /** the filter in words, for the printout and the page */
  function describe(t: T, f: ReportFilter): string[] {
    return [
      `${t('serviceReports.filter.period')}：${f.from} ~ ${f.to}`,
      `${t('serviceReports.filter.dept')}：${f.dept ? t('serviceReports.filter.deptSubtree', { name: f.dept.name }) : t('serviceReports.filter.allDepts')}`
    ]
  }

  const refused = (reply: FastifyReply, r: Filter) =>
    reply.page('/service/report', { ...r, report: null, module: 'service' }, { status: 422 })

  function view(req: FastifyRequest, r: Filter & { f: ReportFilter }, report: ServiceReport) {
    const t = translator(req.user!.lang)
    return { ...r, report, blocks: dayBlocks(report.days), filters: describe(t, r.f), duration: (s: number | null) => duration(t, s), module: 'service' }
  }

  app.get('/service/reports', { preHandler: requirePermission(...VIEW_PERMS) }, async (req, reply) => {
    const r = await readFilter(req)
    if (!r.f) return refused(reply, r)
    const report = await serviceReport(db, req.user!, r.f, tz)
    return reply.page('/service/report', view(req, r as Filter & { f: ReportFilter }, report))
  })

  app.get('/service/reports/print', { preHandler: requirePermission('service.print') }, async (req, reply) => {
    const r = await readFilter(req)
    if (!r.f) return refused(reply, r)
    const report = await serviceReport(db, req.user!, r.f, tz)
    await audit(db, actorOf(req), { action: 'print', entity: 'service_report', summary: `${r.f.from} ~ ${r.f.to}`,
      detail: { filter: r.qs, requests: report.overall.n } })
    return reply.page('/service/report-print', { ...view(req, r as Filter & { f: ReportFilter }, report), printedAt: new Date() })
  })

  function exporter(format: 'xlsx' | 'csv') {
    return async (req: FastifyRequest, reply: FastifyReply) => {
      const r = await readFilter(req)
      if (!r.f) return refused(reply, r)
      const user = req.user!
      const f = r.f
      const report = await serviceReport(db, user, f, tz)
      // the figures are read before anything is sent, so the audit row comes first and a
      // download that starts is an audited one
      await audit(db, actorOf(req), { action: 'export', entity: 'service_report', summary: `${format} ${f.from} ~ ${f.to}`,
        detail: { filter: r.qs, format, requests: report.overall.n } })
      const t = translator(user.lang)
      const out = replyStream()
      const write = format === 'xlsx' ? writeXlsx(out, report, user.lang, t) : writeCsv(out, report, t)
      write.catch((e) => { req.log.error({ err: e }, 'report export failed'); out.destroy(e as Error) })
      const name = `${t('serviceReports.filename')}_${f.from}_${f.to}.${format}`
      return reply.type(TYPES[format]).header('Content-Disposition', contentDisposition(name, `service-report_${f.from}_${f.to}.${format}`))
        .header('X-Content-Type-Options', 'nosniff').send(out)
    }
  }

  async function writeXlsx(out: Writable, r: ServiceReport, lang: Lang, t: T) {
    const book = xlsxBook(out, { timeZone: tz })
    const perDay = book.sheet<MatrixRow>([
      { header: t('serviceReports.col.agent'), width: 14, value: (x) => x.name },
      { header: t('serviceReports.col.dept'), width: 14, value: (x) => x.dept },
      ...r.days.map((d, i): SheetColumn<MatrixRow> => ({ header: d, type: 'number', width: 11, value: (x) => x.counts[i] })),
      { header: t('serviceReports.perDay.periodTotal'), type: 'number', width: 10, value: (x) => x.total }
    ], { sheetName: t('serviceReports.sheet.perDay') })
    await perDay.write(matrix(r, t('serviceReports.total')))
    await perDay.end()

    type Cat = { label: string; n: number; open: number; overdue: number }
    const cats = book.sheet<Cat>([
      { header: t('serviceReports.col.category'), width: 16, value: (x) => x.label },
      { header: t('serviceReports.col.received'), type: 'number', width: 10, value: (x) => x.n },
      { header: t('serviceReports.col.open'), type: 'number', width: 10, value: (x) => x.open },
      { header: t('serviceReports.col.overdue'), type: 'number', width: 10, value: (x) => x.overdue }
    ], { sheetName: t('serviceReports.sheet.byCategory'), landscape: false })
    await cats.write([...r.categories.map((c) => ({ ...c, label: categoryLabel(lang, t, c) })), { label: t('serviceReports.total'), ...r.categoryTotal }])
    await cats.end()

    type Ans = Pick<AgentRow, 'name' | 'dept_name' | 'n' | 'answered' | 'avg_seconds'>
    const answer = book.sheet<Ans>([
      { header: t('serviceReports.col.agent'), width: 14, value: (x) => x.name },
      { header: t('serviceReports.col.dept'), width: 14, value: (x) => x.dept_name },
      { header: t('serviceReports.col.received'), type: 'number', width: 10, value: (x) => x.n },
      { header: t('serviceReports.col.answered'), type: 'number', width: 10, value: (x) => x.answered },
      { header: t('serviceReports.col.avgMinutes'), type: 'number', width: 14, value: (x) => minutes(x.avg_seconds) },
      { header: t('serviceReports.col.avg'), width: 16, value: (x) => (x.avg_seconds === null ? '' : duration(t, x.avg_seconds)) }
    ], { sheetName: t('serviceReports.sheet.answer'), landscape: false })
    await answer.write([...r.agents, { name: t('serviceReports.overall'), dept_name: '', ...r.overall }])
    await answer.end()
    await book.end()
  }

  // long format: one line per agent and day with requests, which any spreadsheet pivots
  async function writeCsv(out: Writable, r: ServiceReport, t: T) {
    type Line = { name: string; dept: string; day: string; n: number }
    const sink = csvSink<Line>(out, [
      { header: t('serviceReports.col.agent'), value: (x) => x.name },
      { header: t('serviceReports.col.dept'), value: (x) => x.dept },
      { header: t('serviceReports.col.day'), value: (x) => x.day },
      { header: t('serviceReports.col.received'), type: 'number', value: (x) => x.n }
    ], { timeZone: tz })
    const lines: Line[] = []
    for (const a of r.agents) {
      for (const d of r.days) {
        const n = r.cells.get(`${a.agent_id}|${d}`)
        if (n) lines.push({ name: a.name, dept: a.dept_name ?? '', day: d, n })
      }
    }
    await sink.write(lines)
    await sink.end()
  }

  app.get('/service/reports/export.xlsx', { preHandler: requirePermission('service.export') }, exporter('xlsx'))
  app.get('/service/reports/export.csv', { preHandler: requirePermission('service.export') }, exporter('csv'))
}

export default routes
