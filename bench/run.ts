// `npm run bench`: seeds (or reuses) the benchmark databases, starts the real app
// in this process (buildApp, request logging on, as in production) and the baseline
// (baseline.ts), signs in through the real /login form, and drives every scenario
// with autocannon from a child process (load.ts). Prints req/s, latency and the
// ratio to the baseline per scenario and checks the targets of issue 3 (the
// customer archive) and issue 4 (the service desk, service.ts).
// See bench/README.md for the variables; `-- --seed-only` seeds and stops.
import { fork } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import { buildApp } from '../src/app.ts'
import { startBaseline } from './baseline.ts'
import { ioScenarios } from './io.ts'
import type { LoadJob, LoadResult } from './load.ts'
import { clusterCpuSeconds } from './pg.ts'
import { FORM_TOKEN, maxAtMost, p95AtMost, ratioAtLeast, signIn, type Scenario, type Who } from './scenario.ts'
import { PACE_PER_AGENT, SERVICE_SCENARIOS, serviceScenarios } from './service.ts'
import { DATA_DIR, openTarget, wantedKinds, type Target } from './targets.ts'
import { buildTerms, TERM_CLASSES, type TermClass } from './terms.ts'

const num = (name: string, def: number) => {
  const v = Number(process.env[name] ?? def)
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name} must be a number ≥ 0`)
  return v
}
const DURATION = num('BENCH_DURATION', 10)
const WARMUP = num('BENCH_WARMUP', 3)
const LATENCY = num('BENCH_LATENCY', 3)
const CONNECTIONS = num('BENCH_CONNECTIONS', 20)
const SEARCH_CONNECTIONS = num('BENCH_SEARCH_CONNECTIONS', 10)
const ONLY = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : null

const t0 = performance.now()
const log = (m: string) => console.log(`[${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${m}`)

interface Row { scenario: Scenario; result: LoadResult; ratio: number | null; nodeCpuUs: number; pgCpuUs: number | null; sanity: string }

function runLoad(job: LoadJob, onPhase: (p: 'start' | 'end') => void): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(import.meta.dirname, 'load.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    child.on('message', (m: { phase?: 'start' | 'end'; result?: LoadResult; error?: string }) => {
      if (m.phase) onPhase(m.phase)
      if (m.result) resolve(m.result)
      if (m.error) reject(new Error(m.error))
    })
    child.on('exit', (code) => { if (code) reject(new Error(`load driver exited with ${code}`)) })
    child.send(job)
  })
}

const f1 = (x: number | null) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(x < 10 ? 2 : x < 100 ? 1 : 0) : '–')
const shuffleInts = (n: number, lo: number, hi: number) => Array.from({ length: n }, () => lo + Math.floor(Math.random() * (hi - lo)))

async function benchTarget(target: Target): Promise<{ rows: Row[]; extra: string[] }> {
  const app = await buildApp(target.config, { store: target.store, logStream: fs.createWriteStream('/dev/null') })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const appUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  const baseline = await startBaseline(target.store, target.config.databaseUrl, target.config.timeZone)
  const cookies: Record<Exclude<Who, null>, string> = {
    rep: await signIn(appUrl, 'bench-rep-01'), super: await signIn(appUrl, 'bench-super-1'),
    agent: await signIn(appUrl, 'bench-agent-1'), director: await signIn(appUrl, 'bench-director')
  }
  const n = target.info.params.customers
  const maxId = Number((await sql<{ m: number }>`select max(id)::int as m from customers`.execute(app.db)).rows[0].m)
  const heavy = Array.from({ length: Math.floor(n / target.info.params.heavyEvery) }, (_, i) => (i + 1) * target.info.params.heavyEvery)
  log('choosing search terms')
  const terms = await buildTerms(target.store, target.info)
  const cursors = shuffleInts(2000, Math.floor(maxId * 0.02), maxId)
  const enc = encodeURIComponent
  const scenarios: Scenario[] = [
    { name: 'baseline', what: `bare Fastify + ${target.kind === 'postgres' ? 'pg named' : 'PGlite'} keyset query + the same Eta table`, who: null, baseline: true, connections: CONNECTIONS,
      paths: cursors.map((c) => `/baseline?after=${c}`), checks: [] },
    { name: 'list-rep', what: 'GET /customers, full layout, default filter', who: 'rep', connections: CONNECTIONS, paths: ['/customers'], checks: [ratioAtLeast(0.6)] },
    { name: 'list-super', what: 'GET /customers, full layout, default filter', who: 'super', connections: CONNECTIONS, paths: ['/customers'], checks: [ratioAtLeast(0.6)] },
    { name: 'rows-rep', what: 'htmx rows fragment: ?after=cursor, HX-Request', who: 'rep', hx: true, connections: CONNECTIONS,
      paths: cursors.map((c) => `/customers?after=${enc(`|${c}`)}`), checks: [ratioAtLeast(0.8)] },
    { name: 'rows-super', what: 'htmx rows fragment: ?after=cursor, HX-Request', who: 'super', hx: true, connections: CONNECTIONS,
      paths: cursors.map((c) => `/customers?after=${enc(`|${c}`)}`), checks: [ratioAtLeast(0.8)] },
    { name: 'customer-page', what: `GET /customers/:id, ${5 + target.info.params.heavyComms} communications, 50-item timeline page`, who: 'super',
      connections: SEARCH_CONNECTIONS, paths: heavy.map((id) => `/customers/${id}`), checks: [p95AtMost(30)], pace: SEARCH_CONNECTIONS * PACE_PER_AGENT },
    ...TERM_CLASSES.map((cls: TermClass): Scenario => ({
      name: `search-${cls}`, what: `GET /customers?q= (htmx, as typed), ${cls} terms, ~${terms[cls].matches.median} candidates`, who: 'agent', hx: true,
      connections: SEARCH_CONNECTIONS, paths: terms[cls].terms.map((t) => `/customers?q=${enc(t)}`),
      checks: [p95AtMost(cls === 'common' ? 60 : 20), maxAtMost(500)], pace: SEARCH_CONNECTIONS * PACE_PER_AGENT
    })),
    { name: 'search-global', what: 'GET /search?q=, all term classes mixed', who: 'agent', connections: SEARCH_CONNECTIONS,
      paths: TERM_CLASSES.flatMap((cls) => terms[cls].terms.slice(0, 60)).map((t) => `/search?q=${enc(t)}`).sort(() => Math.random() - 0.5),
      checks: [p95AtMost(60), maxAtMost(500)] }
  ]
  // the service desk's (issue 4), with their own baseline for the save, and their saves removed afterwards
  const service = !ONLY || SERVICE_SCENARIOS.some((name) => ONLY.test(name))
    ? await serviceScenarios({ appUrl, target, log, connections: CONNECTIONS, searchConnections: SEARCH_CONNECTIONS }) : null
  if (service) scenarios.push(...service.scenarios)
  // the baseline again at the end: ratios use the mean of both, so drift in the
  // machine's load during the run (other processes) shows and is averaged out
  scenarios.push({ ...scenarios[0], name: 'baseline-end' })
  const termLines = TERM_CLASSES.map((c) => `  ${c.padEnd(8)} e.g. ${[...new Set(terms[c].terms)].slice(0, 4).join(', ')} — candidates in a sample of ${terms[c].matches.sampled}: min ${terms[c].matches.min}, median ${terms[c].matches.median}, max ${terms[c].matches.max}`)
  log(`search terms:\n${termLines.join('\n')}`)

  const rows: Row[] = []
  const group = (s: Scenario) => s.group ?? 'list'
  // the customer list's baseline always runs (as before); another group's with its members
  const wanted = (s: Scenario) => !ONLY || ONLY.test(s.name) || (s.baseline && (group(s) === 'list' || scenarios.some((o) => !o.baseline && group(o) === group(s) && ONLY.test(o.name))))
  const firstBase = new Map<string, number>()
  for (const s of scenarios) {
    if (!wanted(s)) continue
    const url = s.baseline ? baseline.url : appUrl
    const headers: Record<string, string> = { 'accept-language': 'zh-CN', ...(s.who ? { cookie: cookies[s.who] } : {}), ...(s.hx ? { 'hx-request': 'true' } : {}) }
    // one request first: is the route there, and does it answer what we think?
    const post = s.bodies ? { method: 'POST', body: s.bodies[0].replace(FORM_TOKEN, crypto.randomBytes(18).toString('base64url')) } : {}
    const probe = await fetch(url + s.paths[0], {
      headers: { ...headers, ...(s.cookies ? { cookie: s.cookies[0] } : {}), ...(s.bodies ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) }, redirect: 'manual', ...post
    })
    const body = await probe.text()
    const sanity = `${probe.status}, ${(body.length / 1024).toFixed(1)} KB, ${(body.match(/<tr[ >]/g) ?? []).length} <tr>${probe.headers.get('location') ? ` → ${probe.headers.get('location')}` : ''}`
    log(`${s.name}: ${s.what} [${s.who ?? 'no session'}${s.cookies ? `, ${new Set(s.cookies).size} sessions` : ''}; first answer ${sanity}]`)
    let cpu0 = process.cpuUsage(), pg0 = 0, nodeCpu = 0, pgCpu = 0
    const job = { url, paths: s.paths, headers, connections: s.connections, warmup: WARMUP, duration: DURATION, latency: LATENCY, bodies: s.bodies, cookies: s.cookies, pace: s.pace }
    const result = await runLoad(job, (phase) => {
      const pgNow = target.postmasterPid ? clusterCpuSeconds(target.postmasterPid) : 0
      if (phase === 'start') { cpu0 = process.cpuUsage(); pg0 = pgNow } else {
        const d = process.cpuUsage(cpu0)
        nodeCpu = d.user + d.system
        pgCpu = (pgNow - pg0) * 1e6
      }
    })
    if (s.baseline && !firstBase.has(group(s))) firstBase.set(group(s), result.rps)
    const ratio = s.baseline || !firstBase.has(group(s)) ? null : result.rps / firstBase.get(group(s))!
    const row: Row = { scenario: s, result, ratio, sanity, nodeCpuUs: nodeCpu / Math.max(1, result.total), pgCpuUs: target.postmasterPid ? pgCpu / Math.max(1, result.total) : null }
    rows.push(row)
    log(`  ${f1(result.rps)} req/s${ratio === null ? '' : ` (${ratio.toFixed(2)} × baseline)`}, loaded p50/p95/p99/max ${f1(result.loaded.p50)}/${f1(result.loaded.p95)}/${f1(result.loaded.p99)}/${f1(result.loaded.max)} ms` +
      (result.single ? `, single-user p50/p95 ${f1(result.single.p50)}/${f1(result.single.p95)} ms` : '') +
      (result.paced ? `, paced ${s.pace}/s p50/p95/max ${f1(result.paced.p50)}/${f1(result.paced.p95)}/${f1(result.paced.max)} ms` : '') +
      `, status ${JSON.stringify(result.status)}${result.errors ? `, ${result.errors} errors` : ''}`)
  }
  await service?.cleanup()
  // final ratios against the mean of the two runs of the scenario's baseline
  for (const r of rows) {
    const bases = rows.filter((b) => b.scenario.baseline && group(b.scenario) === group(r.scenario)).map((b) => b.result.rps)
    r.ratio = bases.length ? r.result.rps / (bases.reduce((a, b) => a + b, 0) / bases.length) : null
  }
  const extra: string[] = []
  // BENCH_ONLY=io runs all three; export-xlsx, export-csv or import-xlsx one of them
  const io = (name: string) => !ONLY || ONLY.test('io') || ONLY.test(name)
  if (['export-xlsx', 'export-csv', 'import-xlsx'].some(io)) extra.push(...await ioScenarios({ appUrl, cookies, target, log }, io))
  await baseline.close()
  await app.close()
  return { rows, extra }
}

function report(target: Target, rows: Row[], extra: string[], machine: string): string {
  const lines: string[] = []
  const s = target.info.seconds
  lines.push(`### ${target.label}`, '', machine, '',
    `Seeded ${target.info.seededAt}: ${Object.entries(target.info.counts).map(([k, v]) => `${k} ${v.toLocaleString('en')}`).join(', ')}; ` +
    `data ${(s.rows + s.customers + s.contacts + s.phones + s.communications).toFixed(1)} s, indexes + foreign keys ${s.index} s, vacuum ${s.vacuum} s, total ${s.total} s.`, '')
  const sv = target.service
  if (rows.some((r) => SERVICE_SCENARIOS.includes(r.scenario.name))) {
    lines.push(`Service desk seeded ${sv.seededAt}: ${Object.entries(sv.counts).map(([k, v]) => `${k} ${v.toLocaleString('en')}`).join(', ')} (open and overdue at seeding); ` +
      `requests ${sv.seconds.requests} s, follow-ups ${sv.seconds.followups} s, timeline ${sv.seconds.timeline} s, appointments ${sv.seconds.appointments} s, ` +
      `indexes + foreign keys ${sv.seconds.index} s, vacuum ${sv.seconds.vacuum} s, total ${sv.seconds.total} s.`, '')
  }
  lines.push(`autocannon ${DURATION} s after ${WARMUP} s warm-up; single-user = ${LATENCY} s of sequential requests on one connection.`, '',
    '| scenario | as | conn | req/s | × baseline | p50 | p95 | p99 | max | 1-user p50 / p95 | paced p50 / p95 | Node CPU µs/req | PG CPU µs/req | answers | target | met? |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|')
  for (const r of rows) {
    const res = r.result
    const checks = r.scenario.checks.map((c) => [c.label, c.ok(res, r.ratio)] as const)
    lines.push(`| ${r.scenario.name} | ${r.scenario.who ?? '–'} | ${r.scenario.connections} | ${f1(res.rps)} | ${r.ratio === null ? '–' : r.ratio.toFixed(2)} | ` +
      `${f1(res.loaded.p50)} | ${f1(res.loaded.p95)} | ${f1(res.loaded.p99)} | ${f1(res.loaded.max)} | ` +
      `${res.single ? `${f1(res.single.p50)} / ${f1(res.single.p95)}` : '–'} | ${res.paced ? `${f1(res.paced.p50)} / ${f1(res.paced.p95)} (${r.scenario.pace}/s)` : '–'} | ${Math.round(r.nodeCpuUs)} | ${r.pgCpuUs === null ? '–' : Math.round(r.pgCpuUs)} | ` +
      `${Object.entries(res.status).map(([k, v]) => `${k}×${v}`).join(' ')}${res.errors ? ` err×${res.errors}` : ''} | ` +
      `${checks.map((c) => c[0]).join(', ') || '–'} | ${checks.length ? checks.every((c) => c[1]) ? 'yes' : `**no** (${checks.filter((c) => !c[1]).map((c) => c[0]).join(', ')})` : '–'} |`)
  }
  lines.push('', 'Latencies in ms, measured by the load driver per response (loaded, paced) and with a µs timer (1-user). ' +
    'Paced: as many agents as connections, each on a connection of his own sending one request at a time at random moments, that many requests a second in all, after the loaded run (timed like the single user). ' +
    '"× baseline" divides by the mean req/s of the two runs of the scenario\'s baseline (first and last): `baseline` for the customer ' +
    'scenarios and the service reads, `baseline-save` for `request-save`.')
  if (extra.length) lines.push('', ...extra)
  return lines.join('\n')
}

async function main() {
  const kinds = wantedKinds()
  const seedOnly = process.argv.includes('--seed-only')
  const machine = `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ` +
    `load average at start ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} (other processes share the cores)`
  log(machine)
  const reports: string[] = []
  for (const kind of kinds) {
    const target = await openTarget(kind, log)
    try {
      if (seedOnly) continue
      const version = (await sql<{ v: string }>`select version() as v`.execute(target.store.db)).rows[0].v
      log(`${target.label}: ${version.split(',')[0]}`)
      const { rows, extra } = await benchTarget(target)
      const text = report(target, rows, extra, `${machine}. ${version.split(',')[0]}.`)
      reports.push(text)
      const dir = path.join(DATA_DIR, 'results')
      fs.mkdirSync(dir, { recursive: true })
      const stamp = new Date().toISOString().replace(/[:.]/g, '-')
      fs.writeFileSync(path.join(dir, `${stamp}-${kind}.md`), text + '\n')
      fs.writeFileSync(path.join(dir, `${stamp}-${kind}.json`), JSON.stringify({ target: target.label, info: target.info, rows: rows.map((r) => ({ ...r, scenario: { ...r.scenario, paths: r.scenario.paths.length } })) }, null, 1))
    } finally {
      await target.close()
    }
  }
  if (reports.length) console.log(`\n${reports.join('\n\n')}\n\n(results kept in bench/.data/results/)`)
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1) })
