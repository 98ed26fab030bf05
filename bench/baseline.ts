// The baseline the app is measured against (performance.md probe c): a bare Fastify
// route, no plugins, no session, no logging, that reads 50 customers with a plain
// keyset query as a named prepared statement on a `pg` pool of its own (on PGlite:
// the same SQL straight on the PGlite instance) and renders the app's own customer
// table template (/customers/_table, which includes /customers/_rows) with the same
// Eta instance, inside a minimal page. Whatever the real list page costs beyond this
// is the price of the framework around it: sessions, permissions, scope, the layout,
// Kysely, logging.
import type { AddressInfo } from 'node:net'
import Fastify, { type FastifyInstance } from 'fastify'
import pg from 'pg'
import type { Store } from '../src/db/index.ts'
import { codeLists, lookupHelpers } from '../src/modules/customers/lookups.ts'
import { DEFAULT_COLUMNS, PAGE_SIZE } from '../src/modules/customers/queries.ts'
import { formatter } from '../src/platform/format.ts'
import { translator } from '../src/platform/i18n.ts'
import { eta } from '../src/platform/render.ts'

// the columns and joins of listCustomers() (queries.ts), without the scope filter
export const BASELINE_SQL = `
select c.id, c.code, c.name, c.short_name, c.grade, c.status, c.phone, c.industry, c.region_code, c.source, c.tags,
  c.created_at, c.review_state, c.name_initials, c.owner_id, c.deleted_at, c.version, o.name as owner_name, k.name as contact_name
from customers c left join users o on o.id = c.owner_id left join contacts k on k.id = c.main_contact_id
where c.deleted_at is null and c.merged_into is null and c.id < $1
order by c.id desc limit ${PAGE_SIZE + 1}`

export interface Baseline { url: string; close(): Promise<void> }

export async function startBaseline(store: Store, databaseUrl: string | undefined, timeZone: string): Promise<Baseline> {
  const pool = store.kind === 'postgres' ? new pg.Pool({ connectionString: databaseUrl, max: 10, idleTimeoutMillis: 0 }) : null
  const query = async (after: number): Promise<Record<string, unknown>[]> => {
    if (pool) return (await pool.query({ name: 'bench_baseline', text: BASELINE_SQL, values: [after] })).rows
    return (await store.pglite!.query<Record<string, unknown>>(BASELINE_SQL, [after])).rows
  }
  // what the real page's view context provides, made once
  const fixed = {
    t: translator('zh-CN'), lang: 'zh-CN', fmt: formatter('zh-CN', timeZone), can: () => true, csrf: 'baseline',
    lk: lookupHelpers(await codeLists(store.db), 'zh-CN'), cols: new Set<string>(DEFAULT_COLUMNS), count: null, qs: ''
  }
  const app: FastifyInstance = Fastify({ logger: false })
  app.get('/baseline', async (req, reply) => {
    const after = Number((req.query as { after?: string }).after) || 2_147_483_647
    const rows = await query(after)
    const more = rows.length > PAGE_SIZE
    const page = rows.slice(0, PAGE_SIZE)
    const next = more ? `|${page[page.length - 1].id}` : null
    const table = eta.render('/customers/_table', { ...fixed, rows: page, next, nextQs: next ? `after=${encodeURIComponent(next)}` : '' })
    return reply.type('text/html; charset=utf-8')
      .send(`<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>客户</title><link rel="stylesheet" href="/public/app.css"></head><body><main>${table}</main></body></html>`)
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  return {
    url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    async close() { await app.close(); await pool?.end() }
  }
}
