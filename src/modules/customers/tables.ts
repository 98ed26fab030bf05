// Kysely types of the customer archive's tables (migrations/0003_customers.sql).
import type { Generated, GeneratedAlways } from 'kysely'

export type Grade = 'A' | 'B' | 'C' | 'D' | 'E'
export type CustomerStatus = 'potential' | 'interested' | 'won' | 'lost' | 'dead'
export type ReviewState = 'pending' | 'approved' | 'rejected'

export interface CustomersTable {
  id: Generated<number>
  code: string
  customer_type: string
  name: string
  short_name: string | null
  legal_rep: string | null
  email: string | null
  main_contact_id: number | null
  region_code: string | null
  address: string | null
  phone: string | null
  fax: string | null
  website: string | null
  nature: string | null
  industry: string | null
  sales_channel: string | null
  brands: string | null
  size: string | null
  credit: string | null
  assessment: string | null
  grade: Generated<Grade>
  status: Generated<CustomerStatus>
  source: string | null
  tags: Generated<string[]>
  owner_id: number
  registered_on: Generated<string>
  collected_by: string | null
  entered_by: number | null
  review_state: Generated<ReviewState>
  reviewed_by: number | null
  reviewed_at: Date | null
  review_note: string | null
  remarks: string | null
  name_initials: Generated<string>
  first_letter: Generated<string>
  search_grams: Generated<string[]>
  search_text: Generated<string>
  merged_into: number | null
  deleted_at: Date | null
  deleted_by: number | null
  version: Generated<number>
  created_at: Generated<Date>
  updated_at: Generated<Date>
}

export interface ContactsTable {
  id: Generated<number>
  customer_id: number
  name: string
  gender: 'M' | 'F' | null
  birthday: string | null
  position: string | null
  department: string | null
  office_phone: string | null
  mobile: string | null
  email: string | null
  fax: string | null
  postcode: string | null
  address: string | null
  profile: string | null
  is_key: Generated<boolean>
  valid: Generated<boolean>
  updated_by: number | null
  deleted_at: Date | null
  version: Generated<number>
  created_at: Generated<Date>
  updated_at: Generated<Date>
}

export interface CustomerPhonesTable {
  customer_id: number; contact_id: number | null; phone: string; last4: string
  /** the number's 5-digit windows, filled by PostgreSQL (0015_phone_digit_grams.sql) */
  digit_grams: GeneratedAlways<number[]>
}

export interface DemandRecordsTable {
  id: Generated<number>
  customer_id: number
  kind: string
  description: string
  valid_from: string
  valid_to: string | null
  created_by: number | null
  deleted_at: Date | null
  version: Generated<number>
  created_at: Generated<Date>
  updated_at: Generated<Date>
}

export interface CommunicationsTable {
  id: Generated<number>
  customer_id: number
  contact_id: number | null
  kind: 'call' | 'visit' | 'email' | 'meeting'
  at: Generated<Date>
  user_id: number
  summary: string
  next_step: string | null
  next_date: string | null
  next_done: Generated<boolean>
  created_at: Generated<Date>
}

export interface CustomerTimelineTable {
  id: Generated<number>
  customer_id: number
  at: Generated<Date>
  kind: string
  ref_id: string | null
  title: string
  href: string | null
  user_id: number | null
}

export interface SavedFiltersTable { id: Generated<number>; user_id: number; module: string; name: string; query: string; created_at: Generated<Date> }
/** kept by triggers (0016_customer_owner_counts.sql): never written by the app */
export interface CustomerOwnerCountsTable { owner_id: number; live: number }
/** kept by triggers (0017_customer_grams.sql): a live customer's search grams, one row each */
export interface CustomerGramsTable { gram: string; customer_id: number }
export interface ImportMappingsTable { user_id: number; module: string; mapping: unknown; updated_at: Generated<Date> }

export interface CustomerTables {
  customers: CustomersTable
  contacts: ContactsTable
  customer_phones: CustomerPhonesTable
  demand_records: DemandRecordsTable
  communications: CommunicationsTable
  customer_timeline: CustomerTimelineTable
  saved_filters: SavedFiltersTable
  customer_owner_counts: CustomerOwnerCountsTable
  customer_grams: CustomerGramsTable
  import_mappings: ImportMappingsTable
}
