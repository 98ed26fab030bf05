// Kysely types of the import tables (migrations/0005_customer_io.sql). They are
// added to a Kysely instance with ioDb(db) where needed, so the shared Database
// type does not have to change for them.
import type { Generated, Kysely } from 'kysely'
import type { Database } from '../../db/types.ts'

export type ImportState = 'uploaded' | 'checking' | 'checked' | 'writing' | 'done' | 'failed'

export interface ImportJobsTable {
  id: Generated<number>
  user_id: number
  module: string
  file_name: string
  file_kind: 'csv' | 'xlsx'
  file: Buffer | null
  file_size: Generated<number>
  headers: Generated<unknown>
  mapping: unknown
  skip_duplicates: Generated<boolean>
  state: Generated<ImportState>
  total: Generated<number>
  processed: Generated<number>
  error_count: Generated<number>
  duplicate_count: Generated<number>
  imported_count: Generated<number>
  message: string | null
  created_at: Generated<Date>
  updated_at: Generated<Date>
}

export interface ImportRowsTable {
  job_id: number
  row_no: number
  errors: unknown
  name_key: string | null
  phones: Generated<string[]>
  dup: unknown
  customer: unknown
  contact: unknown
  name_initials: string | null
  first_letter: string | null
  search_grams: string[] | null
  search_rest: string | null
  phone_rows: unknown
}

export type IoTables = { import_jobs: ImportJobsTable; import_rows: ImportRowsTable }
export type IoDB = Kysely<Database & IoTables>

export const ioDb = (db: Kysely<Database>): IoDB => db.withTables<IoTables>()
