// Repeated queries run as named prepared statements on PostgreSQL (src/db/prepared.ts):
// they must give what an unnamed query gives, survive a table changed under them, and
// stay bounded in number on each connection.
import { sql } from 'kysely'
import t from 'tap'
import { baseConfig, freshStore } from '../helpers/app.ts'

t.test('a query repeated many times gives the same rows as the first time', async (t) => {
  const { store } = await freshStore(t, baseConfig({ poolSize: 1 }))
  const db = store.db
  const first = await db.selectFrom('roles').select(['code', 'data_scope']).where('code', '<>', 'none').orderBy('code').execute()
  t.ok(first.length >= 5, 'the built-in roles')
  for (let i = 0; i < 8; i++) {
    const again = await db.selectFrom('roles').select(['code', 'data_scope']).where('code', '<>', 'none').orderBy('code').execute()
    t.same(again, first, `run ${i + 2}`)
  }
  const one = await db.selectFrom('roles').select('code').where('code', '=', 'admin').execute()
  t.same(one.map((r) => r.code), ['admin'], 'other parameters, other rows')
})

t.test('a table changed under a repeated statement: the next run sees the new shape', async (t) => {
  const { store } = await freshStore(t, baseConfig({ poolSize: 1 }))
  const db = store.db
  await sql`create table t_shape (id int primary key, a text)`.execute(db)
  await sql`insert into t_shape values (1, 'x')`.execute(db)
  const read = () => sql<Record<string, unknown>>`select * from t_shape where id = ${1}`.execute(db).then((r) => r.rows)
  for (let i = 0; i < 6; i++) t.same(await read(), [{ id: 1, a: 'x' }])
  await sql`alter table t_shape add column b text default 'y'`.execute(db)
  t.same(await read(), [{ id: 1, a: 'x', b: 'y' }], 'the added column is there, no error')
  t.same(await read(), [{ id: 1, a: 'x', b: 'y' }], 'and stays')
})

t.test('each connection keeps a bounded number of statements', async (t) => {
  const { store } = await freshStore(t, baseConfig({ poolSize: 1 }))
  const db = store.db
  // 260 different statements, each twice (a statement is named the second time)
  for (let i = 0; i < 260; i++) {
    for (let k = 0; k < 2; k++) {
      const r = await sql<{ n: number }>`select ${sql.lit(i)}::int + ${k}::int as n`.execute(db)
      t.equal(r.rows[0].n, i + k)
    }
  }
  if (store.kind === 'postgres') {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_prepared_statements`.execute(db)
    t.ok(rows[0].n > 0, 'repeated statements are prepared')
    t.ok(rows[0].n <= 200, `at most 200 on the connection (${rows[0].n})`)
  }
})
