// The do-not-call list (黑名单): numbers that must not be called, each with its reason.
// A number is matched by its digits (normalizePhone) and shown as it was written. It
// is never deleted, only disabled, so who listed it and why stays on record; the call
// screen warns about enabled numbers and the call lists flag them (call-service.ts,
// appointments-service.ts).
//
// An import reads the uploaded CSV/XLSX once and keeps only its two columns in
// dnc_imports (bounded, for a day) for the preview; the write checks the rows again
// and adds the valid new numbers in one transaction, one audit row per number.
import { sql, type Kysely } from 'kysely'
import type { DB } from '../../db/index.ts'
import type { Database } from '../../db/types.ts'
import { audit, diff, type Actor } from '../../platform/audit.ts'
import { ConflictError, oncePerToken } from '../../platform/concurrency.ts'
import { HttpError, notFound } from '../../platform/errors.ts'
import { FormError, type FieldErrors } from '../../platform/forms.ts'
import { normalizePhone, phoneTerm } from '../../platform/phone.ts'
import type { Principal } from '../../platform/principal.ts'
import { readSheet, sniffSheet, SheetTooBig, verifyZip, zipDirectory } from '../../platform/spreadsheet-read.ts'
import type { UploadedFile } from '../customers/upload.ts'
import type { DncImportRow } from './tables.ts'

/** fewer digits than this is no number anyone could be called on (a typo, a fragment) */
export const MIN_DIGITS = 7
export const PAGE = 50
/** the characters a number may be written with: digits, separators, an extension */
export const PHONE_CHARS = /^[\d\s+\-()（）#*.转分机extEXT]+$/
export const IMPORT_MAX_ROWS = 20_000
export const IMPORT_MAX_BYTES = 5 * 1024 * 1024
/** problem rows listed on the preview page; the counts cover them all */
export const PREVIEW_SHOWN = 500
const IMPORT_TTL_MS = 24 * 3600_000
const BATCH = 500


export class UploadError extends Error {
  constructor(public key: string, public params?: Record<string, string | number>) { super(key) }
}
export class NothingToAdd extends Error {}

// ---- the list -----------------------------------------------------------------------

export interface DncListQuery { q?: string; state?: 'enabled' | 'disabled'; after?: number }

export async function listNumbers(db: DB, f: DncListQuery) {
  let q = db.selectFrom('dnc_numbers as d').leftJoin('users as u', 'u.id', 'd.created_by')
    .select(['d.id', 'd.phone', 'd.phone_display', 'd.reason', 'd.enabled', 'd.version', 'd.created_at', 'd.updated_at', 'u.name as created_by_name'])
  if (f.state) q = q.where('d.enabled', '=', f.state === 'enabled')
  const term = f.q?.trim() ?? ''
  let tooShort = false
  if (term) {
    const digits = phoneTerm(term)
    if (digits) q = q.where('d.phone', 'like', `%${digits}%`)
    else if (/^[+\d\s\-().]+$/.test(term)) {
      // one or two digits would list nearly everything: say so instead
      tooShort = true
      q = q.where(sql<boolean>`false`)
    } else q = q.where(sql<boolean>`lower(d.reason) like ${'%' + term.toLowerCase().replace(/[\\%_]/g, '\\$&') + '%'}`)
  }
  if (f.after) q = q.where('d.id', '<', f.after)
  const rows = await q.orderBy('d.id', 'desc').limit(PAGE + 1).execute()
  const page = rows.slice(0, PAGE)
  const next = rows.length > PAGE ? page[page.length - 1].id : null
  // nothing listed at all (not "nothing matches"): the page explains what the list is for
  const empty = !page.length && !term && !f.state && !f.after
  return { rows: page, next, tooShort, empty }
}

export async function getNumber(db: Kysely<Database>, id: number) {
  const row = await db.selectFrom('dnc_numbers').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row) throw notFound()
  return row
}

/** the number's listing as a field error: an existing number is reported, never listed twice */
async function refuseListed(db: Kysely<Database>, digits: string) {
  const hit = await db.selectFrom('dnc_numbers').select(['id', 'phone_display', 'reason', 'enabled']).where('phone', '=', digits).executeTakeFirst()
  if (hit) {
    throw new FormError({ phone: { key: hit.enabled ? 'serviceDnc.errors.listed' : 'serviceDnc.errors.listedDisabled', params: { number: hit.phone_display, reason: hit.reason } } })
  }
}

const isUnique = (e: unknown, table: string) => (e as { code?: string }).code === '23505' && String((e as Error).message).includes(table)

export async function addNumber(db: DB, actor: Actor, user: Principal, input: { phone: string; reason: string }, formToken: unknown) {
  const digits = normalizePhone(input.phone)
  if (digits.length < MIN_DIGITS) throw new FormError({ phone: { key: 'serviceDnc.errors.tooShort', params: { min: MIN_DIGITS } } })
  try {
    // the check runs after the form token is claimed: a double submit gets the first
    // result back, not "already listed"
    const { result, repeated } = await oncePerToken(db, formToken, user.id, async (trx) => {
      await refuseListed(trx, digits)
      const row = await trx.insertInto('dnc_numbers').values({ phone: digits, phone_display: input.phone, reason: input.reason, created_by: user.id })
        .returningAll().executeTakeFirstOrThrow()
      await audit(trx, actor, { action: 'create', entity: 'dnc_number', entityId: row.id, summary: row.phone_display, before: null, after: row })
      return String(row.id)
    })
    return { id: Number(result), repeated }
  } catch (e) {
    // listed by someone else a moment ago
    if (isUnique(e, 'dnc_numbers')) await refuseListed(db, digits)
    throw e
  }
}

/**
 * Enables or disables a number. A stale version is refused, unless the number already
 * is as asked (a second click, or a colleague did the same): then nothing changes.
 */
export async function setEnabled(db: DB, actor: Actor, id: number, version: number, enabled: boolean) {
  return db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('dnc_numbers').selectAll().where('id', '=', id).forUpdate().executeTakeFirst()
    if (!before) throw notFound()
    if (before.enabled === enabled) return { changed: false, row: before }
    if (before.version !== version) {
      const last = await trx.selectFrom('audit_log').select('user_name').where('entity', '=', 'dnc_number').where('entity_id', '=', String(id))
        .orderBy('id', 'desc').limit(1).executeTakeFirst()
      throw new ConflictError(before, last?.user_name ?? null)
    }
    const after = await trx.updateTable('dnc_numbers').set({ enabled, version: sql`version + 1` as never, updated_at: new Date() })
      .where('id', '=', id).returningAll().executeTakeFirstOrThrow()
    await audit(trx, actor, { action: enabled ? 'enable' : 'disable', entity: 'dnc_number', entityId: id, summary: before.phone_display,
      before: { enabled: before.enabled }, after: { enabled: after.enabled } })
    return { changed: true, row: after }
  })
}

// ---- import -------------------------------------------------------------------------

const headerKey = (s: string) => s.replace(/[\s*＊:：]/g, '').toLowerCase()
const PHONE_HEADERS = new Set(['号码', '电话', '电话号码', '手机', '手机号', '手机号码', 'phone', 'phonenumber', 'number', 'tel', 'mobile'])
const REASON_HEADERS = new Set(['原因', '理由', '拉黑原因', 'reason'])

/** Reads an upload (type by content, zip limits, the two columns) and keeps its rows as a new import. */
export async function createImport(db: DB, user: Principal, file: UploadedFile | undefined): Promise<number> {
  if (!file || !file.data.length) throw new UploadError('serviceDnc.import.err.noFile')
  if (file.data.length > IMPORT_MAX_BYTES) throw new HttpError(413, 'serviceDnc.import.err.tooLarge', { mb: IMPORT_MAX_BYTES / 1024 / 1024 })
  const sniff = sniffSheet(file.data, file.filename)
  if ('error' in sniff) throw new UploadError(`serviceDnc.import.${sniff.error}`)
  if (sniff.kind === 'xlsx') {
    const dir = zipDirectory(file.data)
    if ('error' in dir) throw new UploadError(`serviceDnc.import.${dir.error}`)
    const bad = await verifyZip(file.data, dir.entries)
    if (bad) throw new UploadError(`serviceDnc.import.${bad}`)
  }
  const rows: DncImportRow[] = []
  let cols: { phone: number; reason: number } | undefined
  try {
    // blank lines count towards the reader's limit, so it gets some room over the cap
    for await (const r of readSheet(file.data, sniff.kind, { maxRows: IMPORT_MAX_ROWS + 1000, maxColumns: 50, maxCell: 1000 })) {
      if (!r.cells.some((c) => c.trim())) continue
      if (!cols) {
        const keys = r.cells.map(headerKey)
        const phone = keys.findIndex((k) => PHONE_HEADERS.has(k)), reason = keys.findIndex((k) => REASON_HEADERS.has(k))
        if (phone < 0 || reason < 0) throw new UploadError('serviceDnc.import.err.header')
        cols = { phone, reason }
        continue
      }
      if (rows.length >= IMPORT_MAX_ROWS) throw new UploadError('serviceDnc.import.err.tooManyRows', { n: IMPORT_MAX_ROWS })
      rows.push([r.rowNo, (r.cells[cols.phone] ?? '').trim(), (r.cells[cols.reason] ?? '').trim()])
    }
  } catch (e) {
    if (e instanceof UploadError) throw e
    if (e instanceof SheetTooBig) throw new UploadError('serviceDnc.import.err.tooManyRows', { n: IMPORT_MAX_ROWS })
    throw new UploadError('serviceDnc.import.err.unreadable')
  }
  if (!cols) throw new UploadError('serviceDnc.import.err.header')
  if (!rows.length) throw new UploadError('serviceDnc.import.err.noRows')
  const io = db
  await io.deleteFrom('dnc_imports').where('created_at', '<', new Date(Date.now() - IMPORT_TTL_MS)).execute()
  const row = await io.insertInto('dnc_imports').values({
    user_id: user.id, file_name: file.filename.slice(0, 200) || 'upload', rows: JSON.stringify(rows)
  }).returning('id').executeTakeFirstOrThrow()
  return row.id
}

/** the uploader's own import; anyone else's does not exist for him */
export async function getImport(db: Kysely<Database>, user: Principal, id: number, opts: { lock?: boolean } = {}) {
  let q = db.selectFrom('dnc_imports').selectAll().where('id', '=', id).where('user_id', '=', user.id)
  if (opts.lock) q = q.forUpdate()
  const imp = await q.executeTakeFirst()
  if (!imp) throw notFound()
  return imp
}

export async function recentImports(db: DB, user: Principal) {
  return db.selectFrom('dnc_imports').select(['id', 'file_name', 'state', 'added', 'created_at', sql<number>`jsonb_array_length(rows)`.as('total')])
    .where('user_id', '=', user.id).orderBy('id', 'desc').limit(10).execute()
}

export interface CheckedRow {
  rowNo: number; raw: string; reason: string; digits: string
  problems: FieldErrors[string][]
  /** the number is on the list already (skipped, not an error) */
  listed?: { enabled: boolean; reason: string }
}

/** Every row's problems (bad number, missing reason, twice in the file) and whether it is listed already. */
export async function checkRows(db: Kysely<Database>, rows: DncImportRow[]) {
  const firstRow = new Map<string, number>()
  const checked: CheckedRow[] = rows.map(([rowNo, raw, reason]) => {
    const problems: CheckedRow['problems'] = []
    let digits = ''
    if (!raw) problems.push({ key: 'serviceDnc.import.row.noNumber' })
    else if (raw.length > 40 || !PHONE_CHARS.test(raw)) problems.push({ key: 'serviceDnc.import.row.badNumber' })
    else {
      digits = normalizePhone(raw)
      if (digits.length < MIN_DIGITS) { problems.push({ key: 'serviceDnc.import.row.tooShort', params: { min: MIN_DIGITS } }); digits = '' }
    }
    if (!reason) problems.push({ key: 'serviceDnc.import.row.noReason' })
    else if (reason.length > 300) problems.push({ key: 'serviceDnc.import.row.reasonTooLong', params: { max: 300 } })
    // the first usable row of a number counts; a later one is the duplicate
    if (digits && !problems.length) {
      const first = firstRow.get(digits)
      if (first !== undefined) problems.push({ key: 'serviceDnc.import.row.dupInFile', params: { row: first } })
      else firstRow.set(digits, rowNo)
    }
    return { rowNo, raw, reason, digits, problems }
  })
  const wanted = [...firstRow.keys()]
  const listed = new Map<string, { enabled: boolean; reason: string }>()
  for (let i = 0; i < wanted.length; i += 5000) {
    const found = await db.selectFrom('dnc_numbers').select(['phone', 'enabled', 'reason'])
      .where(sql<boolean>`phone = any(${sql.val(wanted.slice(i, i + 5000))}::varchar[])`).execute()
    for (const f of found) listed.set(f.phone, { enabled: f.enabled, reason: f.reason })
  }
  for (const r of checked) if (!r.problems.length && listed.has(r.digits)) r.listed = listed.get(r.digits)
  const fresh = checked.filter((r) => !r.problems.length && !r.listed)
  const problems = checked.filter((r) => r.problems.length)
  const already = checked.filter((r) => r.listed)
  return {
    total: checked.length, fresh, problemCount: problems.length, listedCount: already.length,
    // what the preview lists: errors first, then the numbers already listed
    shown: [...problems, ...already].slice(0, PREVIEW_SHOWN)
  }
}

/** Adds the import's valid new numbers, all or none; a second post returns the first result. */
export async function writeImport(db: DB, actor: Actor, user: Principal, id: number) {
  return db.transaction().execute(async (trx) => {
    const imp = await getImport(trx, user, id, { lock: true })
    if (imp.state === 'done') return { added: imp.added, repeated: true }
    const { fresh } = await checkRows(trx, imp.rows)
    if (!fresh.length) throw new NothingToAdd()
    let added = 0
    for (let i = 0; i < fresh.length; i += BATCH) {
      // a number listed by someone else since the check is skipped, not an error
      const inserted = await trx.insertInto('dnc_numbers')
        .values(fresh.slice(i, i + BATCH).map((r) => ({ phone: r.digits, phone_display: r.raw, reason: r.reason, created_by: user.id })))
        .onConflict((oc) => oc.column('phone').doNothing()).returningAll().execute()
      // the rows audit() would write, one statement per batch (an import has thousands)
      if (inserted.length) {
        await trx.insertInto('audit_log').values(inserted.map((row) => ({
          user_id: actor.userId, user_name: actor.userName, ip: actor.ip, request_id: actor.requestId,
          action: 'create', entity: 'dnc_number', entity_id: String(row.id), summary: `${row.phone_display} · import ${id}`.slice(0, 300),
          changes: JSON.stringify(diff(null, row))
        }))).execute()
      }
      added += inserted.length
    }
    await trx.updateTable('dnc_imports').set({ state: 'done', added, done_at: new Date() }).where('id', '=', id).execute()
    return { added, repeated: false }
  })
}
