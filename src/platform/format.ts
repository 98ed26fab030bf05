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
    dateTime: (d) => (d ? dtf(lang, tz, true).format(new Date(d)) : ''),
    date: (d) => (!d ? '' : typeof d === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(d) ? d : dtf(lang, tz, false).format(new Date(d))),
    number: (n, digits) => (n === null || n === undefined || n === '' ? '' :
      digits === undefined ? num.format(Number(n)) : new Intl.NumberFormat(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(Number(n))),
    money: (n) => (n === null || n === undefined || n === '' ? '' : money.format(Number(n))),
    today: () => dtf(lang, tz, false).format(new Date()),
    weekday: () => wd.format(new Date())
  }
}

/** '2026-11-22T18:30' typed in the office's time zone → the instant it means */
export function officeTime(local: string, timeZone: string): Date {
  const [d, t] = local.replace(' ', 'T').split('T')
  const guess = new Date(`${d}T${t}:00Z`)
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' })
    .formatToParts(guess).reduce<Record<string, string>>((a, p) => ((a[p.type] = p.value), a), {})
  const shown = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute)
  return new Date(guess.getTime() - (shown - guess.getTime()))
}
