// Dates on every page are shown in the office's time zone as 'YYYY-MM-DD HH:mm'. The
// formatter takes a quicker path than Intl (format.ts); it must print exactly what
// Intl prints, in zones with and without summer time, with half- and quarter-hour
// offsets, and on the days the clocks change.
import t from 'tap'
import { formatter, officeTime } from '../../src/platform/format.ts'

const ZONES = ['Asia/Shanghai', 'Asia/Kathmandu', 'America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe', 'America/St_Johns', 'Pacific/Chatham', 'UTC']

t.test('dates and times print as Intl prints them', async (t) => {
  for (const tz of ZONES) {
    const f = formatter('zh-CN', tz)
    const intlTime = new Intl.DateTimeFormat('sv-SE', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
    const intlDate = new Intl.DateTimeFormat('sv-SE', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' })
    const wrong: string[] = []
    // every 37 minutes over two years (both summer-time changes of each), and odd instants back to 1901
    const instants: number[] = []
    for (let ms = Date.UTC(2025, 0, 1); ms < Date.UTC(2027, 0, 1); ms += 37 * 60_000) instants.push(ms)
    for (let i = 0; i < 2000; i++) instants.push(Date.UTC(1901, 0, 1) + Math.floor(((i * 7919) % 2000) / 2000 * (Date.UTC(2099, 0, 1) - Date.UTC(1901, 0, 1))) + i * 61_001)
    for (const ms of instants) {
      const d = new Date(ms)
      if (f.dateTime(d) !== intlTime.format(d)) wrong.push(`${d.toISOString()} ${f.dateTime(d)} ≠ ${intlTime.format(d)}`)
      if (f.date(d) !== intlDate.format(d)) wrong.push(`${d.toISOString()} ${f.date(d)} ≠ ${intlDate.format(d)}`)
    }
    t.same(wrong.slice(0, 5), [], `${tz}: ${instants.length} instants, each as Intl prints it`)
  }
})

t.test('the minutes around a summer-time change', async (t) => {
  const f = formatter('en', 'Europe/Berlin')
  // 2026-03-29 01:00 UTC: 02:00 CET becomes 03:00 CEST
  t.equal(f.dateTime(new Date(Date.UTC(2026, 2, 29, 0, 59))), '2026-03-29 01:59')
  t.equal(f.dateTime(new Date(Date.UTC(2026, 2, 29, 1, 0))), '2026-03-29 03:00')
  t.equal(f.dateTime('2026-10-25T00:30:00Z'), '2026-10-25 02:30', 'the first 02:30 of the autumn change')
  t.equal(f.dateTime('2026-10-25T01:30:00Z'), '2026-10-25 02:30', 'and the second')
})

t.test('nothing to show, a date-only value, a bad value', async (t) => {
  const f = formatter('zh-CN', 'Asia/Shanghai')
  t.equal(f.dateTime(null), '')
  t.equal(f.date(undefined), '')
  t.equal(f.date('2026-02-03'), '2026-02-03', 'a date column stays as it is')
  t.equal(f.date(new Date('2026-02-03T16:00:00Z')), '2026-02-04', 'midnight in Shanghai is the next day')
  t.throws(() => f.dateTime('not a date'), RangeError, 'as Intl does')
})

t.test('a time typed in the office zone is the instant it means there', async (t) => {
  t.equal(officeTime('2026-11-22T18:30', 'Asia/Shanghai').toISOString(), '2026-11-22T10:30:00.000Z')
  t.equal(officeTime('2026-07-01 09:00', 'Europe/Berlin').toISOString(), '2026-07-01T07:00:00.000Z', 'in summer time')
  t.equal(officeTime('2026-01-15T09:00', 'Asia/Kathmandu').toISOString(), '2026-01-15T03:15:00.000Z')
  const f = formatter('zh-CN', 'Asia/Shanghai')
  t.equal(f.dateTime(officeTime('2026-02-03T08:05', 'Asia/Shanghai')), '2026-02-03 08:05', 'and shows as typed')
})
