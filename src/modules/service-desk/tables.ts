// Kysely types of the service desk's tables (migrations/0007_service_desk.sql, 0009_service_dnc.sql).
import type { ColumnType, Generated } from 'kysely'

export type Channel = 'phone' | 'visit' | 'email' | 'web'
export type RequestStatus = 'received' | 'in_progress' | 'answered' | 'archived'
export type Priority = 'low' | 'normal' | 'high' | 'urgent'

export interface ServiceRequestsTable {
  id: Generated<number>
  number: string
  received_at: Generated<Date>
  channel: Channel
  caller_phone: string | null
  caller_phone_norm: string | null
  caller_name: string | null
  customer_id: number | null
  contact_id: number | null
  category: string | null
  subject: string
  content: string | null
  answer: string | null
  status: Generated<RequestStatus>
  priority: Generated<Priority>
  assignee_id: number | null
  created_by: number
  due_at: Date
  is_lead: Generated<boolean>
  answered_at: Date | null
  archived_at: Date | null
  search_grams: Generated<string[]>
  search_text: Generated<string>
  deleted_at: Date | null
  version: Generated<number>
  created_at: Generated<Date>
  updated_at: Generated<Date>
}

export interface RequestFollowupsTable {
  id: Generated<number>
  request_id: number
  at: Generated<Date>
  user_id: number
  kind: 'note' | 'status' | 'assign' | 'link'
  from_status: string | null
  to_status: string | null
  note: string | null
}

export interface LeadsTable {
  id: Generated<number>
  request_id: number | null
  customer_id: number | null
  contact_id: number | null
  note: string | null
  status: Generated<'new' | 'assigned' | 'converted' | 'dropped'>
  created_by: number
  assigned_to: number | null
  assigned_at: Date | null
  version: Generated<number>
  created_at: Generated<Date>
  updated_at: Generated<Date>
}

export interface AppointmentsTable {
  id: Generated<number>
  customer_id: number
  contact_id: number | null
  kind: 'callback' | 'visit'
  scheduled_at: Date
  purpose: string
  caller_id: number
  status: Generated<'scheduled' | 'done' | 'no_answer' | 'cancelled'>
  result: string | null
  request_id: number | null
  rebooked_from: number | null
  created_by: number
  version: Generated<number>
  created_at: Generated<Date>
  updated_at: Generated<Date>
}

export interface KbArticlesTable {
  id: Generated<number>
  category: string
  title: string
  body_html: string
  body_text: string
  search_grams: Generated<string[]>
  search_text: Generated<string>
  views: Generated<number>
  published: Generated<boolean>
  created_by: number
  updated_by: number | null
  deleted_at: Date | null
  version: Generated<number>
  created_at: Generated<Date>
  updated_at: Generated<Date>
}

export interface DncNumbersTable {
  id: Generated<number>
  phone: string
  phone_display: string
  reason: string
  enabled: Generated<boolean>
  created_by: number
  version: Generated<number>
  created_at: Generated<Date>
  updated_at: Generated<Date>
}

export interface ServiceDeskTables {
  daily_counters: { kind: string; day: string; n: number }
  service_requests: ServiceRequestsTable
  request_followups: RequestFollowupsTable
  leads: LeadsTable
  appointments: AppointmentsTable
  kb_articles: KbArticlesTable
  request_articles: { request_id: number; article_id: number }
  dnc_numbers: DncNumbersTable
  dnc_imports: DncImportsTable
}

/** an uploaded do-not-call file held for its preview: [row number as Excel shows it, number as written, reason] */
export type DncImportRow = [number, string, string]
export interface DncImportsTable {
  id: Generated<number>
  user_id: number
  file_name: string
  rows: ColumnType<DncImportRow[], string, never>
  state: Generated<'preview' | 'done'>
  added: Generated<number>
  created_at: Generated<Date>
  done_at: Date | null
}
