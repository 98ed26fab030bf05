// Query plans as PostgreSQL keeps them for a prepared statement: planned once, before
// its values are known (plan_cache_mode force_generic_plan), as the app's connections
// with generic plans run them (src/db/index.ts dbWithGenericPlans, the search's pool).
import { CompiledQuery, sql, type Kysely } from 'kysely'
import type { Database } from '../../src/db/types.ts'

export interface PlanNode {
  'Node Type': string
  'Relation Name'?: string
  'Index Name'?: string
  'Index Cond'?: string
  'Function Name'?: string
  'Scan Direction'?: string
  Plans?: PlanNode[]
}

export const flat = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(flat)]

/** the plan as an indented outline, for an assertion's message */
export const outline = (n: PlanNode, depth = 0): string => [
  `${'  '.repeat(depth)}${n['Node Type']}${n['Index Name'] ? ` using ${n['Index Name']}` : n['Relation Name'] ? ` on ${n['Relation Name']}` : ''}${n['Index Cond'] ? ` (${n['Index Cond']})` : ''}`,
  ...(n.Plans ?? []).map((c) => outline(c, depth + 1))
].join('\n')

/** a statement's value as SQL text, for EXECUTE's arguments */
function literal(p: unknown): string {
  if (Array.isArray(p)) return `array[${p.map(literal).join(', ')}]`
  if (typeof p === 'number' || typeof p === 'boolean') return String(p)
  if (typeof p === 'string') return `'${p.replaceAll("'", "''")}'`
  if (p instanceof Date) return `'${p.toISOString()}'`
  throw new Error(`no literal for ${typeof p}`)
}

/** the generic plan of `c` under `settings` (force_generic_plan is always among them): its root node */
export async function genericPlan(db: Kysely<Database>, c: CompiledQuery, settings: Record<string, string> = {}): Promise<PlanNode> {
  return db.transaction().execute(async (trx) => {
    for (const [k, v] of Object.entries({ ...settings, plan_cache_mode: 'force_generic_plan' })) await sql`select set_config(${k}, ${v}, true)`.execute(trx)
    await trx.executeQuery(CompiledQuery.raw(`prepare generic_plan as ${c.sql}`))
    const { rows } = await trx.executeQuery(CompiledQuery.raw(`explain (format json) execute generic_plan(${c.parameters.map(literal).join(', ')})`))
    await trx.executeQuery(CompiledQuery.raw('deallocate generic_plan'))
    const raw = (rows[0] as Record<string, unknown>)['QUERY PLAN']
    return ((typeof raw === 'string' ? JSON.parse(raw) : raw) as { Plan: PlanNode }[])[0].Plan
  })
}
