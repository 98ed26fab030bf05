// What is wrong with an import row, in words, and the downloadable error report:
// the file's rows that have a problem, with their row number, every original value
// and the messages, so the user can fix them in Excel and upload again.
import type { Writable } from 'node:stream'
import type { DB } from '../../db/index.ts'
import type { T } from '../../platform/i18n.ts'
import { xlsxSink, type SheetColumn } from '../../platform/spreadsheet.ts'
import { jobFileRows, jobHead, problemMap, type Job, type ProblemRow } from './import-service.ts'

export function describeErrors(t: T, row: Pick<ProblemRow, 'errors'>): string[] {
  return (row.errors ?? []).map((e) => {
    const msg = `${t(`customerIo.field.${e.field}`)}：${t(e.key, e.params)}`
    return e.value ? `${msg}（${e.value.length > 40 ? `${e.value.slice(0, 40)}…` : e.value}）` : msg
  })
}

export function describeDup(t: T, row: Pick<ProblemRow, 'dup'>): string {
  const d = row.dup
  if (!d) return ''
  return d.row !== undefined ? t(`customerIo.dup.row_${d.kind}`, { row: d.row }) : t(`customerIo.dup.existing_${d.kind}`, { code: d.code ?? '', name: d.name ?? '' })
}

export const describeProblems = (t: T, row: ProblemRow) => [...describeErrors(t, row), ...(row.dup ? [describeDup(t, row)] : [])].join('；')

interface ReportRow { rowNo: number; cells: string[]; problems: string }

/** Streams the report (XLSX) into `out`: one line per row with an error or a duplicate. */
export async function writeErrorReport(db: DB, job: Job, t: T, timeZone: string, out: Writable) {
  const problems = await problemMap(db, job.id)
  const { headers } = jobHead(job)
  const columns: SheetColumn<ReportRow>[] = [
    { header: t('customerIo.report.row'), type: 'number', width: 8, value: (r) => r.rowNo },
    { header: t('customerIo.report.problems'), width: 60, value: (r) => r.problems },
    ...headers.map((h, i): SheetColumn<ReportRow> => ({ header: h, width: 16, value: (r) => r.cells[i] ?? '' }))
  ]
  const sink = xlsxSink(out, columns, { sheetName: t('customerIo.report.sheet'), timeZone })
  let batch: ReportRow[] = []
  for await (const row of jobFileRows(db, job)) {
    const p = problems.get(row.rowNo)
    if (!p) continue
    batch.push({ rowNo: row.rowNo, cells: row.cells, problems: describeProblems(t, p) })
    if (batch.length >= 500) { await sink.write(batch); batch = [] }
  }
  await sink.write(batch)
  await sink.end()
}
