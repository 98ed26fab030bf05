// Table types for Kysely, hand-written beside the SQL that defines them. We chose
// hand-written over generated: the migrations are the one source of truth, and a
// test (test/db/types.test.ts) compares these column lists with the migrated
// database, so a drift fails CI on both drivers without a code generator step.
import type { ColumnType, Generated } from 'kysely'
import type { CustomerTables } from '../modules/customers/tables.ts'
import type { ServiceDeskTables } from '../modules/service-desk/tables.ts'
import type { IoTables } from '../modules/customers/io-tables.ts'

export type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>
export type CreatedAt = ColumnType<Date, never, never>

export interface SettingsTable { key: string; value: unknown; updated_at: Generated<Date> }

export interface DepartmentsTable {
  id: Generated<number>
  parent_id: number | null
  name: string
  path: Generated<string>
  head_user_id: number | null
  sort: Generated<number>
  version: Generated<number>
  created_at: Generated<Date>
  updated_at: Generated<Date>
}

export interface RolesTable {
  id: Generated<number>
  code: string
  name_zh: string
  name_en: string
  builtin: Generated<boolean>
  data_scope: 'own' | 'subtree' | 'all'
  permissions: string[]
  version: Generated<number>
  created_at: Generated<Date>
  updated_at: Generated<Date>
}

export interface UsersTable {
  id: Generated<number>
  login: string
  name: string
  email: string | null
  phone_ext: string | null
  department_id: number
  role_id: number
  active: Generated<boolean>
  is_default: Generated<boolean>
  lang: Generated<string>
  password_hash: string
  password_changed_at: Generated<Date>
  must_change_password: Generated<boolean>
  failed_logins: Generated<number>
  locked_until: Date | null
  totp_secret: string | null
  totp_enabled: Generated<boolean>
  grants: Generated<string[]>
  revokes: Generated<string[]>
  last_login_at: Date | null
  version: Generated<number>
  created_at: Generated<Date>
  updated_at: Generated<Date>
}

export interface SessionsTable {
  id_hash: string
  user_id: number | null
  csrf: string
  data: Generated<Record<string, unknown>>
  ip: string | null
  user_agent: string | null
  created_at: Generated<Date>
  last_seen_at: Generated<Date>
}

export interface AuditLogTable {
  id: Generated<number>
  at: Generated<Date>
  user_id: number | null
  user_name: string | null
  ip: string | null
  request_id: string | null
  action: string
  entity: string
  entity_id: string | null
  summary: string | null
  changes: unknown
}

export interface CodeKindsTable { kind: string; name_zh: string; name_en: string; sort: Generated<number> }

export interface CodeItemsTable {
  id: Generated<number>
  kind: string
  code: string
  label_zh: string
  label_en: string
  sort: Generated<number>
  enabled: Generated<boolean>
  version: Generated<number>
  updated_at: Generated<Date>
}

export interface RegionsTable { code: string; name: string; parent_code: string | null; level: number }

export interface FormTokensTable { token: string; user_id: number; result: string | null; created_at: Generated<Date> }

export interface SchemaMigrationsTable { name: string; checksum: string; applied_at: Generated<Date> }

export interface PlatformTables {
  settings: SettingsTable
  departments: DepartmentsTable
  roles: RolesTable
  users: UsersTable
  sessions: SessionsTable
  audit_log: AuditLogTable
  code_kinds: CodeKindsTable
  code_items: CodeItemsTable
  regions: RegionsTable
  form_tokens: FormTokensTable
  schema_migrations: SchemaMigrationsTable
}

// Each module adds its tables here as it lands (see src/modules/*/tables.ts).
export interface Database extends PlatformTables, CustomerTables, ServiceDeskTables, IoTables {}
