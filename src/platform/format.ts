// Dates and numbers through Intl, in the office time zone and the user's language.
import type { Lang } from './i18n.ts'

const cache = new Map<string, Intl.DateTimeFormat>()
function dtf(lang: Lang, tz: string, withTime: boolean): Intl.DateTimeFormat {
  const key = `${lang}|${tz}|${withTime}`
  let f = cache.get(key)
  if (!f) {
    f = new Intl.DateTimeFormat('sv-SE', {
      timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit',
      ...(withTime ? { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' } : {})
    })
    cache.set(key, f)
  }
  return f
}

export interface Formatter {
  dateTime(d: Date | string | null | undefined): string
  date(d: Date | string | null | undefined): string
  number(n: number | string | null | undefined, digits?: number): string
  money(n: number | string | null | undefined): string
  /** today's date 'YYYY-MM-DD' in the office time zone */
  today(): string
  weekday(): string
}

// 'sv-SE' gives ISO-like '2026-11-22 18:30' in every language, which is what Chinese
// office users expect; only words (weekday) follow the user's language.
// Intl constructors cost far more than formatting (they load ICU data), and every page
// needs a formatter, so there is one per language and time zone for the process.
const formatters = new Map<string, Formatter>()
export function formatter(lang: Lang, tz: string): Formatter {
  const key = `${lang}|${tz}`
  let f = formatters.get(key)
  if (!f) formatters.set(key, (f = makeFormatter(lang, tz)))
  return f
}

function makeFormatter(lang: Lang, tz: string): Formatter {
  const locale = lang === 'en' ? 'en-GB' : 'zh-CN'
  const num = new Intl.NumberFormat(locale)
  const money = new Intl.NumberFormat(locale, { style: 'currency', currency: 'CNY' })
  const wd = new Intl.DateTimeFormat(locale, { timeZone: tz, weekday: 'long' })
  return {
    dateTime: (d) => (d ? isoLocal(new Date(d), tz, true) ?? dtf(lang, tz, true).format(new Date(d)) : ''),
    date: (d) => (!d ? '' : typeof d === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(d) ? d : isoLocal(new Date(d), tz, false) ?? dtf(lang, tz, false).format(new Date(d))),
    number: (n, digits) => (n === null || n === undefined || n === '' ? '' :
      digits === undefined ? num.format(Number(n)) : new Intl.NumberFormat(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(Number(n))),
    money: (n) => (n === null || n === undefined || n === '' ? '' : money.format(Number(n))),
    today: () => dtf(lang, tz, false).format(new Date()),
    weekday: () => wd.format(new Date())
  }
}

// A list page shows fifty dates or more, and Intl's format() cost more than the
// rendering itself (1.6 s against Eta's 0.6 s in a 43 s CPU profile of the customer
// list under load). The office zone's offset is the same all
// day on nearly every day of the year, so it is asked of Intl twice per UTC day (at the
// day's first and last millisecond) and kept; a day on which it changes, and a year
// outside 1000–9999, still go through Intl. The output is Intl's 'sv-SE' one
// ('2026-11-22 18:30'), which test/platform/format.test.ts checks against Intl itself.
const DAY_MS = 86_400_000
const dayOffsets = new Map<string, Map<number, number | null>>()
const partsFormats = new Map<string, Intl.DateTimeFormat>()

/** the zone's offset from UTC at an instant, in ms, from Intl */
function intlOffset(tz: string, ms: number): number {
  let f = partsFormats.get(tz)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', era: 'short' })
    partsFormats.set(tz, f)
  }
  const p: Record<string, string> = {}
  for (const x of f.formatToParts(ms)) p[x.type] = x.value
  const year = p.era === 'BC' || p.era === 'B' ? 1 - Number(p.year) : Number(p.year)
  const wall = Date.UTC(year, Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second))
  return wall - Math.floor(ms / 1000) * 1000
}

function offsetOn(tz: string, ms: number): number | null {
  let days = dayOffsets.get(tz)
  if (!days) dayOffsets.set(tz, (days = new Map()))
  const day = Math.floor(ms / DAY_MS)
  let o = days.get(day)
  if (o === undefined) {
    const start = intlOffset(tz, day * DAY_MS), end = intlOffset(tz, (day + 1) * DAY_MS - 1)
    o = start === end ? start : null
    if (days.size >= 20_000) days.clear()
    days.set(day, o)
  }
  return o
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n))

/** 'YYYY-MM-DD[ HH:mm]' in the zone, or null where Intl has to say it */
function isoLocal(d: Date, tz: string, withTime: boolean): string | null {
  const ms = d.getTime()
  if (Number.isNaN(ms)) return null
  const off = offsetOn(tz, ms)
  if (off === null) return null
  const l = new Date(ms + off)
  const y = l.getUTCFullYear()
  if (y < 1000 || y > 9999) return null
  const date = `${y}-${pad2(l.getUTCMonth() + 1)}-${pad2(l.getUTCDate())}`
  return withTime ? `${date} ${pad2(l.getUTCHours())}:${pad2(l.getUTCMinutes())}` : date
}

/** '2026-11-22T18:30' typed in the office's time zone → the instant it means */
export function officeTime(local: string, timeZone: string): Date {
  const [d, t] = local.replace(' ', 'T').split('T')
  const guess = new Date(`${d}T${t}:00Z`)
  return new Date(guess.getTime() - intlOffset(timeZone, guess.getTime()))
}
