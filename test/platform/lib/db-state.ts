// A fingerprint of the whole database: one hash per table over all its rows. Two
// equal fingerprints mean no row was added, removed or changed anywhere (row counts
// alone would miss an UPDATE), which is how the CSRF and rollback tests prove that a
// refused request "changed nothing".
import { sql } from 'kysely'
import type { FastifyInstance } from 'fastify'

export async function tableNames(app: FastifyInstance): Promise<string[]> {
  const rows = await sql<{ table_name: string }>`
    select table_name from information_schema.tables
    where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name`.execute(app.db)
  return rows.rows.map((r) => r.table_name)
}

export async function fingerprint(app: FastifyInstance): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const name of await tableNames(app)) {
    const r = await sql<{ n: number; h: string | null }>`
      select count(*)::int as n, md5(string_agg(t::text, '|' order by t::text)) as h from ${sql.table(name)} t`.execute(app.db)
    out[name] = `${r.rows[0].n}:${r.rows[0].h ?? ''}`
  }
  return out
}

/** names of the tables whose fingerprint differs */
export function changedTables(a: Record<string, string>, b: Record<string, string>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => a[k] !== b[k])
}
