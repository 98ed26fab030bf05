// Data scope applied in SQL, never by filtering rows in JavaScript: `own` is the
// owner column, `subtree` is any owner in the user's department or below, `all`
// is everything. A record outside the scope is simply not found (404).
import { sql, type RawBuilder, type SqlBool } from 'kysely'
import type { Principal } from './principal.ts'

/** `.where(inScope(user, 'customers.owner_id'))` */
export function inScope(user: Principal, ownerColumn: string): RawBuilder<SqlBool> {
  const col = sql.ref(ownerColumn)
  if (user.scope === 'all') return sql<SqlBool>`true`
  if (user.scope === 'own') return sql<SqlBool>`${col} = ${user.id}`
  return sql<SqlBool>`${col} in (select u.id from users u join departments d on d.id = u.department_id where d.path like ${user.deptPath + '%'})`
}
