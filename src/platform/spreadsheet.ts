// Spreadsheets out, for any module that exports a list: streaming XLSX (exceljs)
// and CSV writers that never produce a formula, keep codes and phone numbers as
// text, show dates in the office time zone and open in Excel/WPS on Chinese Windows
// without mojibake; an RFC 6266 Content-Disposition for Chinese file names.
// Reading uploaded spreadsheets is in spreadsheet-read.ts.
import { once } from 'node:events'
import { PassThrough, type Writable } from 'node:stream'
import type ExcelJSModule from 'exceljs'
import { lazyRequire } from './lazy.ts'

// loaded on the first workbook: it takes over half a second, and most processes never write one
const ExcelJS = lazyRequire<typeof ExcelJSModule>('exceljs')

// ---- formula safety --------------------------------------------------------------

// A cell a spreadsheet would run as a formula (CWE-1236): = + - @, and tab, CR, LF
// or NUL in front of them, which some programs skip before looking.
const RISKY = /^[=+\-@\t\r\n\0]/

/** CSV: a leading ' makes Excel and WPS show the text instead of evaluating it. */
export function formulaSafe(v: string): string { return RISKY.test(v) ? `'${v}` : v }

/** Undoes formulaSafe() for a value read back from one of our own CSV exports. */
export function unFormulaSafe(v: string): string { return v.length > 1 && v[0] === "'" && RISKY.test(v.slice(1)) ? v.slice(1) : v }

/** One CSV field: formula-safe, quoted when it holds a separator, quote or line break (RFC 4180). */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return ''
  const s = formulaSafe(String(v))
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

// ---- dates for Excel ---------------------------------------------------------------

// exceljs writes a JS Date as a UTC serial, so a date must be built from UTC parts
// and a timestamp shifted to the office's wall-clock time, or Excel shows the
// previous day / an 8-hour offset (checked: DESIGN.md "Facts checked").
const partsCache = new Map<string, Intl.DateTimeFormat>()
function tzParts(d: Date, tz: string): Record<string, number> {
  let f = partsCache.get(tz)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
    partsCache.set(tz, f)
  }
  const out: Record<string, number> = {}
  for (const p of f.formatToParts(d)) if (p.type !== 'literal') out[p.type] = Number(p.value)
  return out
}

/** 'YYYY-MM-DD' (a SQL date) → the Date exceljs needs to show that day. */
export function excelDate(v: string | Date | null | undefined): Date | null {
  if (!v) return null
  if (v instanceof Date) return new Date(Date.UTC(v.getUTCFullYear(), v.getUTCMonth(), v.getUTCDate()))
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(v)
  return m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null
}

/** A timestamp → the Date exceljs needs to show its wall-clock time in `tz`. */
export function excelDateTime(v: Date | string | null | undefined, tz: string): Date | null {
  if (!v) return null
  const p = tzParts(new Date(v), tz)
  return new Date(Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second))
}

const pad = (n: number) => String(n).padStart(2, '0')
function textDate(v: string | Date | null | undefined, tz: string, withTime: boolean): string {
  if (!v) return ''
  if (!withTime && typeof v === 'string') return v.slice(0, 10)
  const p = tzParts(new Date(v), tz)
  const day = `${p.year}-${pad(p.month)}-${pad(p.day)}`
  return withTime ? `${day} ${pad(p.hour)}:${pad(p.minute)}` : day
}

// ---- writers ---------------------------------------------------------------------

export type CellType = 'text' | 'date' | 'datetime' | 'number'
export type CellValue = string | number | Date | null | undefined

export interface SheetColumn<R> {
  header: string
  /** text (default; also keeps codes and phone numbers text), date, datetime or number */
  type?: CellType
  width?: number
  value: (row: R) => CellValue
}

export interface SheetSink<R> {
  /** writes rows, waiting while the reader is behind (memory stays bounded) */
  write(rows: R[]): Promise<void>
  end(): Promise<void>
}

async function drained(out: Writable) {
  if (out.writableNeedDrain) await once(out, 'drain')
}

/**
 * Waits until the zip has taken the sheet XML written so far. exceljs 4.4.0 hands a
 * sheet's XML to the zip entry without waiting for it (StreamBuf in batch mode, see
 * exceljs issues #734, #2916), and the entry is deflated only as the event loop comes
 * round, so a writer that never waits piles the whole uncompressed sheet up in memory
 * (measured: 100,000 rows → 0.3 MB out and +260 MB RSS before the last row). The
 * entry is a Writable: its `drain` says the zip caught up.
 */
async function zipTookSheet(ws: unknown) {
  // the entry is readable-stream 2's PassThrough, older than writableNeedDrain
  const entry = (ws as { stream?: { pipes?: (Writable & { _writableState?: { needDrain?: boolean } })[] } }).stream?.pipes?.[0]
  if (entry?._writableState?.needDrain) await once(entry, 'drain')
}

const asText = (v: CellValue): string | null => (v === null || v === undefined || v === '' ? null : v instanceof Date ? v.toISOString() : String(v))

/**
 * Streaming XLSX: rows are zipped as they come. Every text cell is written as a
 * string (exceljs only makes a formula from a {formula} object, which we never pass),
 * the header row is bold and frozen, text columns carry the '@' format so Excel
 * keeps them text when someone edits them.
 */
export function xlsxSink<R>(out: Writable, columns: SheetColumn<R>[], opts: { sheetName: string; timeZone: string; landscape?: boolean }): SheetSink<R> {
  const book = xlsxBook(out, { timeZone: opts.timeZone })
  const sheet = book.sheet(columns, opts)
  return { write: (rows) => sheet.write(rows), async end() { await sheet.end(); await book.end() } }
}

export interface SheetBook {
  /** the next sheet; end() the previous one's sink before adding another */
  sheet<R>(columns: SheetColumn<R>[], opts: { sheetName: string; landscape?: boolean }): SheetSink<R>
  end(): Promise<void>
}

/** A streamed workbook of several sheets written one after the other (a report's tables), same cells as xlsxSink. */
export function xlsxBook(out: Writable, opts: { timeZone: string }): SheetBook {
  const wb = new (ExcelJS().stream.xlsx.WorkbookWriter)({ stream: out, useStyles: true, useSharedStrings: false })
  const fmt: Record<CellType, string> = { text: '@', date: 'yyyy-mm-dd', datetime: 'yyyy-mm-dd hh:mm', number: 'General' }
  return {
    sheet<R>(columns: SheetColumn<R>[], so: { sheetName: string; landscape?: boolean }): SheetSink<R> {
      const ws = wb.addWorksheet(so.sheetName.replace(/[\\/?*[\]:]/g, ' ').slice(0, 31), {
        views: [{ state: 'frozen', ySplit: 1 }],
        pageSetup: { paperSize: 9, orientation: so.landscape === false ? 'portrait' : 'landscape', fitToPage: true, fitToWidth: 1, fitToHeight: 0 }
      })
      // one style object per column, shared by its cells: exceljs gives each new cell a
      // copy, and works out the copy's style id from scratch (about a fifth of the
      // sheet's time), but remembers the id of an object it has seen
      const styles = columns.map((c) => ({ numFmt: fmt[c.type ?? 'text'] }))
      ws.columns = columns.map((c, i) => ({ key: `c${i}`, header: c.header, width: c.width ?? 14, style: styles[i] }))
      const head = ws.getRow(1)
      head.font = { bold: true }
      head.commit()
      const cell = (c: SheetColumn<R>, r: R): CellValue => {
        const v = c.value(r)
        switch (c.type ?? 'text') {
          case 'date': return excelDate(v as string | Date)
          case 'datetime': return excelDateTime(v as Date | string, opts.timeZone)
          case 'number': return v === null || v === undefined || v === '' ? null : Number(v)
          default: return asText(v)
        }
      }
      return {
        async write(rows) {
          for (const r of rows) {
            const row = ws.addRow(columns.map((c) => cell(c, r)))
            row.eachCell((c, col) => { c.style = styles[col - 1] })
            row.commit()
          }
          await zipTookSheet(ws)
          await drained(out)
        },
        async end() { ws.commit() }
      }
    },
    async end() { await wb.commit() }
  }
}

/** Streaming CSV: UTF-8 with a BOM (Excel on Chinese Windows reads GBK otherwise), CRLF, formula-safe. */
export function csvSink<R>(out: Writable, columns: SheetColumn<R>[], opts: { timeZone: string }): SheetSink<R> {
  const text = (c: SheetColumn<R>, r: R): string => {
    const v = c.value(r)
    if (c.type === 'date') return textDate(v as string | Date, opts.timeZone, false)
    if (c.type === 'datetime') return textDate(v as string | Date, opts.timeZone, true)
    return asText(v) ?? ''
  }
  out.write('\uFEFF' + columns.map((c) => csvField(c.header)).join(',') + '\r\n')
  return {
    async write(rows) {
      if (!rows.length) return
      out.write(rows.map((r) => columns.map((c) => csvField(text(c, r))).join(',')).join('\r\n') + '\r\n')
      await drained(out)
    },
    async end() { out.end() }
  }
}

/** A pass-through for a reply body: the sink writes into it while Fastify streams it out. */
export const replyStream = () => new PassThrough({ highWaterMark: 256 * 1024 })

/**
 * RFC 6266: an ASCII fallback for old clients plus filename* (RFC 5987, UTF-8) for
 * the real, often Chinese, name. Quotes, backslashes and control characters never
 * reach the header.
 */
export function contentDisposition(filename: string, fallback = 'download', disposition: 'attachment' | 'inline' = 'attachment'): string {
  const clean = filename.replace(/[\u0000-\u001f\u007f"\\/]/g, '_')
  const ascii = (/^[\x20-\x7e]+$/.test(clean) ? clean : fallback).replace(/[^\w.\- ]/g, '_')
  const star = encodeURIComponent(clean).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
  return `${disposition}; filename="${ascii}"; filename*=UTF-8''${star}`
}
