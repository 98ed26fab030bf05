// Reading uploaded spreadsheets, for any module that imports a list.
//
// First the checks a file must pass before anything parses it: the extension
// matches the content (magic bytes), and an XLSX (a zip) stays within zip-bomb
// limits, read from its directory and then enforced while inflating. Then a row
// iterator over CSV (UTF-8, UTF-16 or GBK) and XLSX that holds one row at a time,
// never the sheet.
//
// XLSX is read here, not with exceljs's streaming WorkbookReader: that reader
// decodes each inflated chunk on its own (exceljs 4.4.0 lib/utils/parse-sax.js), so
// a Chinese character split across two chunks comes out as U+FFFD (seen on a
// 10,000-row file: 浙江省杭州���西湖区). OOXML sheets are machine-written and
// regular, so a small tokenizer over the streamed, properly decoded XML is enough.
import { Readable } from 'node:stream'
import zlib from 'node:zlib'
import { parse as parseCsv } from 'csv-parse'
import { unFormulaSafe } from './spreadsheet.ts'

// ---- what the file really is -------------------------------------------------------

export type SheetKind = 'csv' | 'xlsx'

/**
 * The kind of an uploaded spreadsheet, from its extension and its first bytes,
 * which must agree: an .xlsx is a zip, a .csv is text (not a zip, not an old .xls,
 * no NUL bytes unless it is UTF-16). Returns a locale key (under the caller's
 * prefix) on refusal.
 */
export function sniffSheet(buf: Buffer, filename: string): { kind: SheetKind } | { error: string } {
  const ext = /\.([a-z0-9]{1,5})$/i.exec(filename)?.[1]?.toLowerCase() ?? ''
  const isZip = buf.length >= 4 && buf.readUInt32LE(0) === 0x04034b50
  const isOle = buf.length >= 8 && buf.subarray(0, 8).equals(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]))
  if (ext === 'xlsx') return isZip ? { kind: 'xlsx' } : { error: 'sheet.notXlsx' }
  if (ext === 'xls') return { error: 'sheet.oldExcel' }
  if (ext !== 'csv' && ext !== 'txt') return { error: 'sheet.fileType' }
  if (isZip || isOle) return { error: 'sheet.notCsv' }
  const utf16 = buf.length >= 2 && ((buf[0] === 0xff && buf[1] === 0xfe) || (buf[0] === 0xfe && buf[1] === 0xff))
  if (!utf16 && buf.subarray(0, 64 * 1024).includes(0)) return { error: 'sheet.notCsv' }
  return { kind: 'csv' }
}

export interface ZipLimits {
  /** most entries a file may list (an XLSX has a dozen or two) */
  maxEntries: number
  /** most bytes all entries may expand to */
  maxTotal: number
  /** highest expansion ratio an entry of more than 1 MB may claim */
  maxRatio: number
}
export const XLSX_LIMITS: ZipLimits = { maxEntries: 1000, maxTotal: 512 * 1024 * 1024, maxRatio: 100 }

export interface ZipEntry { name: string; method: number; compressed: number; size: number; offset: number }

/**
 * Reads the zip's central directory (without expanding anything) and refuses a
 * file with too many entries, too much expanded data or an excessive ratio: the
 * zip-bomb guard. Returns a locale key on refusal.
 */
export function zipDirectory(buf: Buffer, limits: ZipLimits = XLSX_LIMITS): { entries: ZipEntry[] } | { error: string } {
  let eocd = -1
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 65535); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) { eocd = i; break }
  }
  if (eocd < 0) return { error: 'sheet.badZip' }
  const count = buf.readUInt16LE(eocd + 10)
  let p = buf.readUInt32LE(eocd + 16)
  // zip64 markers: nothing this size is a spreadsheet we accept
  if (count === 0xffff || p === 0xffffffff) return { error: 'sheet.zipLimits' }
  if (count > limits.maxEntries) return { error: 'sheet.zipLimits' }
  const entries: ZipEntry[] = []
  let total = 0
  for (let n = 0; n < count; n++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== 0x02014b50) return { error: 'sheet.badZip' }
    const nameLen = buf.readUInt16LE(p + 28)
    const e: ZipEntry = {
      method: buf.readUInt16LE(p + 10), compressed: buf.readUInt32LE(p + 20), size: buf.readUInt32LE(p + 24),
      offset: buf.readUInt32LE(p + 42), name: buf.toString('utf8', p + 46, p + 46 + nameLen)
    }
    if (e.size === 0xffffffff || e.compressed === 0xffffffff) return { error: 'sheet.zipLimits' }
    total += e.size
    if (total > limits.maxTotal) return { error: 'sheet.zipLimits' }
    if (e.size > 1024 * 1024 && (e.compressed === 0 || e.size / e.compressed > limits.maxRatio)) return { error: 'sheet.zipLimits' }
    if (e.method !== 0 && e.method !== 8) return { error: 'sheet.badZip' }
    entries.push(e)
    p += 46 + nameLen + buf.readUInt16LE(p + 30) + buf.readUInt16LE(p + 32)
  }
  return { entries }
}

/** the compressed bytes of an entry (after its local header) */
function entryData(buf: Buffer, e: ZipEntry): Buffer | null {
  const h = e.offset
  if (h + 30 > buf.length || buf.readUInt32LE(h) !== 0x04034b50) return null
  const start = h + 30 + buf.readUInt16LE(h + 26) + buf.readUInt16LE(h + 28)
  return start + e.compressed <= buf.length ? buf.subarray(start, start + e.compressed) : null
}

/** an entry's expanded bytes in pieces; stops with an error past its declared size */
async function* inflateEntry(buf: Buffer, e: ZipEntry): AsyncGenerator<Buffer> {
  const data = entryData(buf, e)
  if (!data) throw new Error('bad zip entry')
  if (e.method === 0) { yield data; return }
  let seen = 0
  for await (const chunk of Readable.from([data]).pipe(zlib.createInflateRaw()) as AsyncIterable<Buffer>) {
    seen += chunk.length
    if (seen > e.size) throw new Error('zip entry larger than declared')
    yield chunk
  }
}

/**
 * The directory can lie about sizes. Inflates every entry once, discarding the
 * output and stopping as soon as an entry expands past what it declared, so a
 * forged directory cannot get a bomb past zipDirectory(). Returns a locale key on refusal.
 */
export async function verifyZip(buf: Buffer, entries: ZipEntry[]): Promise<string | null> {
  for (const e of entries) {
    if (!entryData(buf, e)) return 'sheet.badZip'
    let seen = 0
    try {
      for await (const c of inflateEntry(buf, e)) seen += c.length
    } catch (err) {
      return /larger than declared/.test((err as Error).message) ? 'sheet.zipLimits' : 'sheet.badZip'
    }
    if (seen !== e.size) return 'sheet.badZip'
  }
  return null
}

// ---- reading rows ------------------------------------------------------------------

export type TextEncoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'gb18030'

/**
 * UTF-8 (with or without BOM), UTF-16 with BOM ("Unicode text" from Excel), or
 * else GB18030, a superset of the GBK that Excel on Chinese Windows writes. Valid
 * UTF-8 is checked over the whole file: GBK text is almost never valid UTF-8.
 */
export function detectEncoding(buf: Buffer): TextEncoding {
  if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) return 'utf-8'
  if (buf[0] === 0xff && buf[1] === 0xfe) return 'utf-16le'
  if (buf[0] === 0xfe && buf[1] === 0xff) return 'utf-16be'
  const d = new TextDecoder('utf-8', { fatal: true })
  try {
    for (let i = 0; i < buf.length; i += 1 << 20) d.decode(buf.subarray(i, i + (1 << 20)), { stream: true })
    d.decode()
    return 'utf-8'
  } catch {
    return 'gb18030'
  }
}

/** text decoded in pieces with a streaming decoder (a BOM is dropped, split characters joined) */
async function* decode(chunks: AsyncIterable<Buffer> | Iterable<Buffer>, enc: TextEncoding): AsyncGenerator<string> {
  const d = new TextDecoder(enc)
  for await (const c of chunks) yield d.decode(c, { stream: true })
  const rest = d.decode()
  if (rest) yield rest
}

function* pieces(buf: Buffer, size = 65536) { for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size) }

/** comma unless the header line clearly uses semicolons or tabs */
function guessDelimiter(firstLine: string): string {
  const count = (c: string) => firstLine.split(c).length - 1
  const options = [',', ';', '\t'].map((c) => [c, count(c)] as const).sort((a, b) => b[1] - a[1])
  return options[0][1] > 0 ? options[0][0] : ','
}

export interface SheetRow {
  /** the row number a person sees in Excel (1 = the first line) */
  rowNo: number
  cells: string[]
}

export interface ReadLimits { maxRows: number; maxColumns: number; maxCell: number }
export const READ_LIMITS: ReadLimits = { maxRows: 200_000, maxColumns: 100, maxCell: 8000 }

export class SheetTooBig extends Error {}
/** the file is not a spreadsheet we can read (damaged, no worksheet) */
export class SheetUnreadable extends Error {}

const clip = (s: string, max: number) => {
  const t = s.includes('\0') ? s.replace(/\0/g, '') : s
  return t.length > max ? t.slice(0, max) : t
}

/**
 * Every row of a CSV or of the first worksheet of an XLSX, one at a time, cells as
 * the text a person sees in them (a formula gives its cached result; nothing is
 * evaluated). Throws SheetTooBig past maxRows. The caller validates the content.
 */
export async function* readSheet(buf: Buffer, kind: SheetKind, limits: ReadLimits = READ_LIMITS): AsyncGenerator<SheetRow> {
  if (kind === 'csv') yield* readCsv(buf, limits)
  else yield* readXlsx(buf, limits)
}

async function* readCsv(buf: Buffer, limits: ReadLimits): AsyncGenerator<SheetRow> {
  const enc = detectEncoding(buf)
  const head = new TextDecoder(enc).decode(buf.subarray(0, 8192))
  const parser = parseCsv({
    delimiter: guessDelimiter(head.split(/\r?\n/)[0] ?? ''), relax_column_count: true, relax_quotes: true,
    skip_empty_lines: false, max_record_size: limits.maxCell * limits.maxColumns
  })
  const source = Readable.from(decode(pieces(buf), enc))
  source.on('error', (e) => parser.destroy(e))
  source.pipe(parser)
  let rowNo = 0
  for await (const record of parser as AsyncIterable<string[]>) {
    rowNo++
    if (rowNo > limits.maxRows + 1) { source.destroy(); parser.destroy(); throw new SheetTooBig() }
    yield { rowNo, cells: record.slice(0, limits.maxColumns).map((c) => unFormulaSafe(clip(c, limits.maxCell))) }
  }
}

// ---- XLSX ----------------------------------------------------------------------------

const ENTITY: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }
/** XML text → string: entities, character references and OOXML's _xHHHH_ escapes */
function xmlText(s: string): string {
  if (s.includes('&')) {
    s = s.replace(/&(#x[0-9a-fA-F]+|#\d+|lt|gt|amp|quot|apos);/g, (_, e: string) =>
      e[0] === '#' ? String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : Number(e.slice(1))) : ENTITY[e])
  }
  return s.includes('_x') ? s.replace(/_x([0-9a-fA-F]{4})_/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))) : s
}

const attr = (tag: string, name: string) => new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1]

/** the text of a string item (<si>, <is>): its <t> runs, without phonetic guides (<rPh>) */
function runsText(xml: string): string {
  const body = xml.includes('<rPh') ? xml.replace(/<rPh\b[\s\S]*?<\/rPh>/g, '') : xml
  let out = ''
  for (const m of body.matchAll(/<t(?:\s[^>]*)?>([\s\S]*?)<\/t>|<t(?:\s[^>]*)?\/>/g)) out += m[1] ?? ''
  return xmlText(out)
}

/** complete elements `<name …>…</name>` (or self-closed) from a stream of XML text */
async function* elements(text: AsyncIterable<string>, name: string): AsyncGenerator<string> {
  const open = `<${name}`, close = `</${name}>`
  let buf = ''
  for await (const piece of text) {
    buf += piece
    let pos = 0
    for (;;) {
      let start = buf.indexOf(open, pos)
      // "<c" must not match "<cols": the next character ends the name
      while (start >= 0 && /[\w:.-]/.test(buf[start + open.length] ?? '')) start = buf.indexOf(open, start + 1)
      if (start < 0) { pos = Math.max(pos, buf.length - open.length); break }
      const gt = buf.indexOf('>', start)
      if (gt < 0) { pos = start; break }
      if (buf[gt - 1] === '/') { yield buf.slice(start, gt + 1); pos = gt + 1; continue }
      const end = buf.indexOf(close, gt)
      if (end < 0) { pos = start; break }
      yield buf.slice(start, end + close.length)
      pos = end + close.length
    }
    buf = buf.slice(pos)
  }
}

// Built-in number formats that show a date or time (ECMA-376 18.8.30, plus the CJK ones)
const DATE_FORMAT_IDS = new Set([14, 15, 16, 17, 18, 19, 20, 21, 22, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 45, 46, 47, 50, 51, 52, 53, 54, 55, 56, 57, 58])
const isDateFormat = (code: string) => /[ymdhs]/i.test(code.replace(/"[^"]*"|\[[^\]]*\]|\\./g, '')) && !/^general$/i.test(code)

function excelSerialText(serial: number, date1904: boolean): string {
  const ms = Math.round((serial + (date1904 ? 1462 : 0)) * 86_400_000) + Date.UTC(1899, 11, 30)
  const iso = new Date(ms).toISOString()
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${iso.slice(11, 16)}`
}

function columnIndex(ref: string | undefined): number {
  const letters = ref ? /^[A-Z]+/.exec(ref)?.[0] : undefined
  if (!letters) return -1
  let n = 0
  for (const ch of letters) n = n * 26 + (ch.charCodeAt(0) - 64)
  return n - 1
}

async function* readXlsx(buf: Buffer, limits: ReadLimits): AsyncGenerator<SheetRow> {
  const dir = zipDirectory(buf)
  if ('error' in dir) throw new SheetUnreadable(dir.error)
  const byName = new Map(dir.entries.map((e) => [e.name.replace(/^\//, ''), e]))
  const whole = async (name: string) => {
    const e = byName.get(name)
    if (!e) return ''
    let s = ''
    for await (const t of decode(inflateEntry(buf, e), 'utf-8')) s += t
    return s
  }
  // the first worksheet, as the workbook lists them
  const [workbook, rels, styles] = await Promise.all([whole('xl/workbook.xml'), whole('xl/_rels/workbook.xml.rels'), whole('xl/styles.xml')])
  const firstSheet = /<sheet\b[^>]*>/.exec(workbook)?.[0] ?? ''
  const rid = attr(firstSheet, 'r:id')
  const rel = [...rels.matchAll(/<Relationship\b[^>]*>/g)].map((m) => m[0]).find((r) => attr(r, 'Id') === rid)
  const target = rel ? attr(rel, 'Target') ?? '' : ''
  const sheetPath = target ? (target.startsWith('/') ? target.slice(1) : `xl/${target.replace(/^\.\//, '')}`) : 'xl/worksheets/sheet1.xml'
  const sheet = byName.get(sheetPath) ?? byName.get('xl/worksheets/sheet1.xml')
  if (!sheet) throw new SheetUnreadable('no worksheet')
  const date1904 = /<workbookPr\b[^>]*date1904="(1|true)"/.test(workbook)

  // which cell styles show dates
  const custom = new Map([...styles.matchAll(/<numFmt\b[^>]*>/g)].map((m) => [Number(attr(m[0], 'numFmtId')), xmlText(attr(m[0], 'formatCode') ?? '')]))
  const xfs = /<cellXfs\b[^>]*>([\s\S]*?)<\/cellXfs>/.exec(styles)?.[1] ?? ''
  const dateStyle = [...xfs.matchAll(/<xf\b[^>]*>/g)].map((m) => {
    const id = Number(attr(m[0], 'numFmtId') ?? 0)
    return DATE_FORMAT_IDS.has(id) || (custom.has(id) && isDateFormat(custom.get(id)!))
  })

  // shared strings, streamed (the table is bounded by the zip limits checked at upload)
  const shared: string[] = []
  const sst = byName.get('xl/sharedStrings.xml')
  if (sst) for await (const si of elements(decode(inflateEntry(buf, sst), 'utf-8'), 'si')) shared.push(clip(runsText(si), limits.maxCell))

  let count = 0
  for await (const row of elements(decode(inflateEntry(buf, sheet), 'utf-8'), 'row')) {
    if (++count > limits.maxRows + 1) throw new SheetTooBig()
    const tagEnd = row.indexOf('>')
    const rowNo = Number(attr(row.slice(0, tagEnd + 1), 'r')) || count
    const cells: string[] = []
    if (row[tagEnd - 1] !== '/') {
      let next = 0
      for (const m of row.slice(tagEnd + 1).matchAll(/<c\b([^>]*?)(?:\/>|>([\s\S]*?)<\/c>)/g)) {
        const a = m[1], inner = m[2] ?? ''
        const ci = columnIndex(attr(a, 'r'))
        const col = ci >= 0 ? ci : next
        next = col + 1
        if (col >= limits.maxColumns) continue
        const type = attr(a, 't')
        const v = /<v>([\s\S]*?)<\/v>/.exec(inner)?.[1]
        let text = ''
        if (type === 'inlineStr') text = runsText(/<is>([\s\S]*?)<\/is>/.exec(inner)?.[1] ?? '')
        else if (v === undefined) {
          // a formula without a cached result: its text, never evaluated
          const f = /<f\b[^>]*>([\s\S]*?)<\/f>/.exec(inner)?.[1]
          text = f ? `=${xmlText(f)}` : ''
        } else if (type === 's') text = shared[Number(v)] ?? ''
        else if (type === 'b') text = v === '1' ? 'TRUE' : 'FALSE'
        else if (type === 'str' || type === 'e' || type === 'd') text = xmlText(v)
        else {
          const n = Number(v)
          text = !Number.isFinite(n) ? xmlText(v) : dateStyle[Number(attr(a, 's') ?? 0)] ? excelSerialText(n, date1904) : String(n)
        }
        while (cells.length < col) cells.push('')
        cells[col] = clip(text.trim(), limits.maxCell)
      }
    }
    yield { rowNo, cells }
  }
}
