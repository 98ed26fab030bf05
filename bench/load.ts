// The load driver, run as a child process of run.ts so that generating load does not
// share the server's event loop (on 2 cores: one for the server, one for this).
// For one scenario it runs:
//   1. autocannon for `warmup` seconds (discarded),
//   2. autocannon for `duration` seconds with `connections` keep-alive connections,
//      recording every response time itself (autocannon's own histogram has whole
//      milliseconds and no p95),
//   3. optionally `latency` seconds of sequential requests on one connection
//      (single-user latency, microsecond timer),
//   4. optionally, with `pace`, `duration` seconds more of `connections` agents, each
//      on his own connection sending one request at a time at random moments, `pace`
//      requests a second among them: the latency that many people see at a human
//      pace, rather than with every connection firing back to back.
// Each request takes the next path of a pre-shuffled list (a fresh cursor, term or
// customer), and with it the next body to POST (a form whose one-time token is made
// new for every request, as each browser form has its own) and the next session's
// cookie, when the job has those. Results go back to the parent over IPC.
import crypto from 'node:crypto'
import http from 'node:http'
import autocannon from 'autocannon'
import { FORM_TOKEN } from './scenario.ts'

export interface LoadJob {
  url: string
  paths: string[]
  headers: Record<string, string>
  connections: number
  warmup: number
  duration: number
  latency: number
  /** form-encoded bodies to POST, taken in turn with the paths */
  bodies?: string[]
  /** cookies taken in turn with the paths (requests from several sessions) */
  cookies?: string[]
  /** requests a second, all connections together, for the paced run */
  pace?: number
}

/** the k-th request of a job: its path, and its body (with a fresh form token) and cookie if the job has them */
function nth(job: LoadJob, k: number): { path: string; body?: string; cookie?: string } {
  const body = job.bodies?.[k % job.bodies.length].replace(FORM_TOKEN, () => crypto.randomBytes(18).toString('base64url'))
  return { path: job.paths[k % job.paths.length], body, cookie: job.cookies?.[k % job.cookies.length] }
}

export interface Dist { n: number; mean: number; p50: number; p95: number; p99: number; max: number }
export interface LoadResult {
  rps: number
  total: number
  status: Record<string, number>
  errors: number
  timeouts: number
  bytesPerReq: number
  loaded: Dist
  single: Dist | null
  paced: Dist | null
}

export function dist(ms: number[]): Dist {
  const a = Float64Array.from(ms).sort()
  const n = a.length
  const q = (p: number) => (n ? a[Math.min(n - 1, Math.floor(p * n))] : NaN)
  return { n, mean: n ? a.reduce((s, x) => s + x, 0) / n : NaN, p50: q(0.5), p95: q(0.95), p99: q(0.99), max: n ? a[n - 1] : NaN }
}

function cannon(job: LoadJob, seconds: number, record?: (ms: number, status: number) => void): Promise<autocannon.Result> {
  let i = Math.floor(Math.random() * job.paths.length)
  return new Promise((resolve, reject) => {
    const inst = autocannon({
      url: job.url, connections: job.connections, duration: seconds, timeout: 10, headers: job.headers,
      requests: [{
        setupRequest: (req) => {
          const r = nth(job, i++)
          req.path = r.path
          if (r.body !== undefined) { req.method = 'POST'; req.body = r.body; req.headers = { ...req.headers, 'content-type': 'application/x-www-form-urlencoded' } }
          if (r.cookie) req.headers = { ...req.headers, cookie: r.cookie }
          return req
        }
      }]
    }, (err, res) => (err ? reject(err) : resolve(res)))
    if (record) inst.on('response', (_client, statusCode, _bytes, responseTime) => record(responseTime, statusCode))
  })
}

interface Timings { ms: number[]; status: Record<string, number> }

/** one request of the job over `agent` (a keep-alive connection); resolves with the status */
function requester(job: LoadJob, agent: http.Agent) {
  const base = new URL(job.url)
  return (k: number) => new Promise<number>((resolve, reject) => {
    const { path, body, cookie } = nth(job, k)
    const headers = { ...job.headers, ...(cookie ? { cookie } : {}), ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(body)) } : {}) }
    const r = http.request({ host: base.hostname, port: base.port, path, agent, headers, method: body !== undefined ? 'POST' : 'GET' }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    r.on('error', reject)
    r.end(body)
  })
}

/** request k, timed with a µs clock into `into` */
async function timed(get: (k: number) => Promise<number>, k: number, into: Timings) {
  const t0 = process.hrtime.bigint()
  const code = await get(k)
  into.ms.push(Number(process.hrtime.bigint() - t0) / 1e6)
  into.status[code] = (into.status[code] ?? 0) + 1
}

/** sequential requests over one keep-alive connection */
async function singleUser(job: LoadJob): Promise<Timings> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  const get = requester(job, agent)
  const ms: number[] = []
  const status: Record<string, number> = {}
  const end = performance.now() + job.latency * 1000
  let i = 0
  for (; i < 2; i++) await get(i) // warm the connection
  const hardEnd = end + job.latency * 4000
  // at least 20 requests, even when each takes long (but never more than 5 × the time asked)
  while ((performance.now() < end || ms.length < 20) && performance.now() < hardEnd) await timed(get, i++, { ms, status })
  agent.destroy()
  return { ms, status }
}

/**
 * `job.connections` agents at work: each on a keep-alive connection of his own, one
 * request at a time at random moments, `pace` requests a second among them all, timed
 * like the single user. (autocannon's overallRate gave p95 48–71 ms for the service
 * reads that the sequential timer saw answered in 6–12 ms; these agents, timed the
 * same way as the single user, give 11–15 ms: the rate limiter's latencies are not the
 * time a person waits.)
 */
async function agents(job: LoadJob, pace: number): Promise<Timings> {
  const out: Timings = { ms: [], status: {} }
  const end = performance.now() + job.duration * 1000
  const meanGapMs = (1000 * job.connections) / pace
  let k = 0
  await Promise.all(Array.from({ length: job.connections }, async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
    const get = requester(job, agent)
    await get(k++) // the connection, as an agent's browser keeps it open
    while (performance.now() < end) {
      await new Promise((r) => setTimeout(r, Math.random() * 2 * meanGapMs))
      await timed(get, k++, out)
    }
    agent.destroy()
  }))
  return out
}

async function run(job: LoadJob): Promise<LoadResult> {
  if (job.warmup > 0) await cannon(job, job.warmup)
  const ms: number[] = []
  const status: Record<string, number> = {}
  process.send!({ phase: 'start' })
  const res = await cannon(job, job.duration, (t, code) => { ms.push(t); status[code] = (status[code] ?? 0) + 1 })
  process.send!({ phase: 'end' })
  const single = job.latency > 0 ? await singleUser(job) : null
  if (single) for (const [k, v] of Object.entries(single.status)) if (!/^(2|3)/.test(k)) status[`single-${k}`] = v
  const paced = job.pace ? await agents(job, job.pace) : null
  if (paced) for (const [k, v] of Object.entries(paced.status)) if (!/^(2|3)/.test(k)) status[`paced-${k}`] = v
  return {
    rps: res.requests.average, total: res.requests.total, status, errors: res.errors, timeouts: res.timeouts,
    bytesPerReq: res.requests.total ? res.throughput.total / res.requests.total : 0,
    loaded: dist(ms), single: single ? dist(single.ms) : null, paced: paced ? dist(paced.ms) : null
  }
}

process.on('message', (job: LoadJob) => {
  run(job).then((result) => process.send!({ result }, () => process.exit(0)), (e) => {
    process.send!({ error: String((e as Error).stack ?? e) }, () => process.exit(1))
  })
})
