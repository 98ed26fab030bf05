// The hand-written Kysely table types (src/db/types.ts and each module's tables.ts,
// joined in the `Database` interface) must match the migrated database: the same
// tables, and in each the same column names. Interfaces do not exist at run time,
// so we ask the TypeScript compiler itself for the properties of `Database` and of
// each table type: no parsing of our own, no second column list to keep in step,
// and `extends`, imports and one-line interfaces all resolve as the type checker
// sees them. Runs on both drivers.
import path from 'node:path'
import t from 'tap'
import ts from 'typescript'
import { sql } from 'kysely'
import { baseConfig, freshStore } from '../helpers/app.ts'

const TYPES = path.resolve(import.meta.dirname, '../../src/db/types.ts')

function declaredTables(): Map<string, string[]> {
  const program = ts.createProgram([TYPES], {
    target: ts.ScriptTarget.ES2023, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true, noEmit: true, skipLibCheck: true, allowImportingTsExtensions: true, types: []
  })
  const checker = program.getTypeChecker()
  const file = program.getSourceFile(TYPES)!
  const database = checker.getExportsOfModule(checker.getSymbolAtLocation(file)!).find((s) => s.name === 'Database')
  if (!database) throw new Error('src/db/types.ts exports no Database interface')
  const out = new Map<string, string[]>()
  for (const table of checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(database))) {
    const columns = checker.getPropertiesOfType(checker.getTypeOfSymbol(table)).map((c) => c.name)
    out.set(table.name, columns.sort())
  }
  return out
}

t.test('Database types match the migrated schema', async (t) => {
  const declared = declaredTables()
  t.ok(declared.has('users') && declared.has('audit_log'), `${declared.size} tables declared`)

  const { store } = await freshStore(t, baseConfig())
  const rows = await sql<{ table_name: string; column_name: string }>`
    select c.table_name, c.column_name from information_schema.columns c
    join information_schema.tables tb on tb.table_schema = c.table_schema and tb.table_name = c.table_name
    where c.table_schema = current_schema() and tb.table_type = 'BASE TABLE'
    order by c.table_name, c.column_name`.execute(store.db)
  const actual = new Map<string, string[]>()
  for (const r of rows.rows) actual.set(r.table_name, [...(actual.get(r.table_name) ?? []), r.column_name])

  t.same([...declared.keys()].filter((n) => !actual.has(n)).sort(), [], 'no declared table is missing from the database')
  t.same([...actual.keys()].filter((n) => !declared.has(n)).sort(), [], 'every table in the database has a type')
  for (const [name, columns] of declared) {
    if (!actual.has(name)) continue
    t.same(columns, actual.get(name)!.sort(), `${name}: same columns`)
  }
})
