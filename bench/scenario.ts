// What a scenario is (run.ts drives them, service.ts makes the service desk's), the
// checks that say whether a target is met, and signing in through the real form.
import type { LoadResult } from './load.ts'
import { BENCH_PASSWORD } from './seed.ts'

export type Who = 'rep' | 'super' | 'agent' | 'director' | null
export interface Check { label: string; ok: (r: LoadResult, ratio: number | null) => boolean }
export interface Scenario {
  name: string
  what: string
  who: Who
  /** a reference: the other scenarios of its group are divided by its req/s */
  baseline?: boolean
  /** the baseline group ('list': the customer list's baseline, 'save': the bare save transaction) */
  group?: 'list' | 'save'
  paths: string[]
  hx?: boolean
  connections: number
  checks: Check[]
  /** POST these bodies (form-encoded, taken in turn with the paths); FORM_TOKEN in them becomes a fresh token per request */
  bodies?: string[]
  /** cookies taken in turn with the paths, when requests come from several sessions (desks) */
  cookies?: string[]
  /** also measure at this many requests a second from all connections together (load.ts) */
  pace?: number
}

/** replaced in a scenario's bodies by a new one-time form token for every request */
export const FORM_TOKEN = '__FORM_TOKEN__'

// (a run with no answers has no percentiles: NaN arrives over IPC as null, and fails)
export const answered = (r: LoadResult) => r.loaded.n > 0 && !r.timeouts && Object.keys(r.status).every((k) => /^(2|3)/.test(k)) && !r.errors
export const ratioAtLeast = (x: number): Check => ({ label: `≥ ${x.toFixed(2)} × baseline`, ok: (r, ratio) => answered(r) && ratio !== null && ratio >= x })
export const p95AtMost = (ms: number): Check => ({ label: `p95 ≤ ${ms} ms`, ok: (r) => answered(r) && typeof r.loaded.p95 === 'number' && r.loaded.p95 <= ms })
export const maxAtMost = (ms: number): Check => ({ label: `max ≤ ${ms} ms`, ok: (r) => answered(r) && typeof r.loaded.max === 'number' && r.loaded.max <= ms })

export const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? ''

/** signs in through the real form like a browser: GET /login (pre-session cookie + CSRF), POST, 303 */
export async function signIn(base: string, login: string): Promise<string> {
  const jar = new Map<string, string>()
  const keep = (res: Response) => {
    for (const c of res.headers.getSetCookie()) {
      const pair = c.split(';')[0], i = pair.indexOf('=')
      jar.set(pair.slice(0, i), pair.slice(i + 1))
    }
  }
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
  const page = await fetch(`${base}/login`, { headers: { cookie: cookie() }, redirect: 'manual' })
  keep(page)
  const csrf = csrfOf(await page.text())
  if (!csrf) throw new Error('no CSRF token on /login')
  const res = await fetch(`${base}/login`, {
    method: 'POST', redirect: 'manual', body: new URLSearchParams({ _csrf: csrf, login, password: BENCH_PASSWORD }),
    headers: { cookie: cookie(), 'content-type': 'application/x-www-form-urlencoded' }
  })
  keep(res)
  if (res.status !== 303) throw new Error(`sign-in as ${login} answered ${res.status}`)
  return cookie()
}
