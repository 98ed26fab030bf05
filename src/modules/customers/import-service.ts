// Customer import, step by step: upload (checked, kept in import_jobs under the
// job's id), mapping (remembered per user), dry run (every row validated and staged,
// duplicates flagged, nothing written to customers), write (all or nothing, see
// import-write.ts). The dry run and the write run in the background of this process;
// the job row carries their state, so a page reload shows where they are.
import type { FastifyBaseLogger } from 'fastify'
import { sql, type Selectable } from 'kysely'
import type { DB } from '../../db/index.ts'
import type { Actor } from '../../platform/audit.ts'
import { HttpError, notFound } from '../../platform/errors.ts'
import type { Principal } from '../../platform/principal.ts'
import { readSheet, sniffSheet, SheetTooBig, verifyZip, zipDirectory, type SheetKind, type SheetRow } from '../../platform/spreadsheet-read.ts'
import { guessMapping, IMPORT_FIELDS, mappingMemory, type ImportField, type Mapping } from './import-fields.ts'
import { loadResolvers } from './import-resolve.ts'
import { mapRow, validateRow, type RowError, type StagedRow } from './import-validate.ts'
import { DataChanged, flagDuplicates, writeImport } from './import-write.ts'
import { ioDb, type ImportJobsTable } from './io-tables.ts'
import type { UploadedFile } from './upload.ts'

export const MODULE = 'customers'
/** largest file accepted (the request body may be a little larger) */
export const MAX_UPLOAD_BYTES = 30 * 1024 * 1024
export const JOB_TTL_MS = 24 * 3600_000
/** a job that claims to be running but has not moved for this long was interrupted (a restart) */
const STALE_MS = 10 * 60_000
const CHECK_BATCH = 500
const SAMPLE_ROWS = 3

/** A refused upload: shown on the upload page with HTTP 422. */
export class UploadError extends Error { constructor(public key: string) { super(key) } }

/** A step the job's state does not allow now (running, already written): shown on the job page with 409. */
export class JobStateError extends Error { constructor(public key: string) { super(key) } }

export interface JobHead { headers: string[]; samples: string[][]; headerRow: number }
export type Job = Omit<Selectable<ImportJobsTable>, 'file'>

// ---- background work in this process -----------------------------------------------

const running = new Map<number, Promise<void>>()
const writeProgress = new Map<number, { done: number; total: number }>()

function background(id: number, log: FastifyBaseLogger, work: () => Promise<void>) {
  const p = work().catch((e) => log.error({ err: e, job: id }, 'import job failed')).finally(() => { running.delete(id); writeProgress.delete(id) })
  running.set(id, p)
}

/** waits for this process's running imports (app shutdown, tests) */
export async function settleImports() { await Promise.allSettled([...running.values()]) }

export function liveProgress(id: number) { return writeProgress.get(id) }

// ---- jobs ---------------------------------------------------------------------------

/** Removes jobs (with their file and staged rows) uploaded more than a day ago. */
export async function sweepJobs(db: DB) {
  await ioDb(db).deleteFrom('import_jobs').where('created_at', '<', new Date(Date.now() - JOB_TTL_MS))
    .where('state', 'not in', ['checking', 'writing']).execute()
}

const JOB_COLUMNS = ['id', 'user_id', 'module', 'file_name', 'file_kind', 'file_size', 'headers', 'mapping', 'skip_duplicates', 'state', 'total',
  'processed', 'error_count', 'duplicate_count', 'imported_count', 'message', 'created_at', 'updated_at'] as const

/** The user's own job; anyone else's does not exist for him. */
export async function getJob(db: DB, user: Principal, id: number): Promise<Job> {
  const io = ioDb(db)
  const job = await io.selectFrom('import_jobs').select([...JOB_COLUMNS]).where('id', '=', id).where('user_id', '=', user.id)
    .where('module', '=', MODULE).executeTakeFirst() as Job | undefined
  if (!job) throw notFound()
  if ((job.state === 'checking' || job.state === 'writing') && !running.has(id) && Date.now() - job.updated_at.getTime() > STALE_MS) {
    // started by a process that is gone: the write's transaction rolled back with it
    await io.updateTable('import_jobs').set({ state: 'failed', message: 'customerIo.err.interrupted', updated_at: new Date() }).where('id', '=', id).execute()
    return { ...job, state: 'failed', message: 'customerIo.err.interrupted' }
  }
  return job
}

export async function recentJobs(db: DB, user: Principal) {
  return ioDb(db).selectFrom('import_jobs').select(['id', 'file_name', 'state', 'total', 'imported_count', 'created_at'])
    .where('user_id', '=', user.id).where('module', '=', MODULE).orderBy('id', 'desc').limit(10).execute()
}

export const jobHead = (job: Pick<Job, 'headers'>) => job.headers as JobHead

/** the first non-empty row is the header; the next few rows are shown as samples */
async function readHead(buf: Buffer, kind: SheetKind): Promise<JobHead> {
  let head: SheetRow | undefined
  const samples: string[][] = []
  for await (const row of readSheet(buf, kind)) {
    if (!row.cells.some((c) => c.trim())) { if (!head && row.rowNo > 50) break; continue }
    if (!head) head = row
    else samples.push(row.cells)
    if (samples.length >= SAMPLE_ROWS) break
  }
  if (!head) throw new UploadError('customerIo.err.empty')
  const headers = head.cells.map((c, i) => c.trim() || columnLetter(i))
  return { headers, samples, headerRow: head.rowNo }
}

/** A, B, … Z, AA: what Excel calls a column without a header */
export function columnLetter(i: number): string {
  let s = ''
  for (let n = i + 1; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s
  return s
}

/** Checks an upload (type by content, zip limits, a readable header row) and keeps it as a new job. */
export async function createJob(db: DB, user: Principal, file: UploadedFile | undefined): Promise<number> {
  if (!file || !file.data.length) throw new UploadError('customerIo.err.noFile')
  if (file.data.length > MAX_UPLOAD_BYTES) throw new HttpError(413, 'customerIo.err.tooLarge', { mb: MAX_UPLOAD_BYTES / 1024 / 1024 })
  const sniff = sniffSheet(file.data, file.filename)
  if ('error' in sniff) throw new UploadError(`customerIo.${sniff.error}`)
  if (sniff.kind === 'xlsx') {
    // before exceljs expands anything: the directory's claims, then the real sizes
    const dir = zipDirectory(file.data)
    if ('error' in dir) throw new UploadError(`customerIo.${dir.error}`)
    const bad = await verifyZip(file.data, dir.entries)
    if (bad) throw new UploadError(`customerIo.${bad}`)
  }
  let head: JobHead
  try {
    head = await readHead(file.data, sniff.kind)
  } catch (e) {
    if (e instanceof UploadError) throw e
    throw new UploadError('customerIo.err.unreadable')
  }
  await sweepJobs(db)
  const row = await ioDb(db).insertInto('import_jobs').values({
    user_id: user.id, module: MODULE, file_name: file.filename.slice(0, 200) || 'upload', file_kind: sniff.kind,
    file: file.data, file_size: file.data.length, headers: JSON.stringify(head)
  }).returning('id').executeTakeFirstOrThrow()
  return row.id
}

/** what this user mapped before, by header text */
async function rememberedMapping(db: DB, userId: number): Promise<Record<string, string>> {
  const r = await db.selectFrom('import_mappings').select('mapping').where('user_id', '=', userId).where('module', '=', MODULE).executeTakeFirst()
  return (r?.mapping ?? {}) as Record<string, string>
}

/** the job's mapping, or the guess for its headers */
export async function currentMapping(db: DB, user: Principal, job: Job): Promise<Mapping> {
  if (job.mapping) return job.mapping as Mapping
  return guessMapping(jobHead(job).headers, await rememberedMapping(db, user.id))
}

/** Reads the mapping form: col_<i> = field or ''. Returns the mapping or the locale key of what is wrong. */
export function parseMapping(body: Record<string, unknown>, columns: number): { mapping: Mapping } | { error: string; mapping: Mapping } {
  const mapping: Mapping = {}
  const seen = new Set<string>()
  let error: string | undefined
  for (let i = 0; i < columns; i++) {
    const v = body[`col_${i}`]
    if (typeof v !== 'string' || v === '') continue
    if (!(IMPORT_FIELDS as readonly string[]).includes(v)) { error = 'customerIo.err.mappingInvalid'; continue }
    if (seen.has(v)) error = 'customerIo.err.mappingTwice'
    seen.add(v)
    mapping[i] = v as ImportField
  }
  if (!error && !seen.has('name')) error = 'customerIo.err.mappingName'
  return error ? { error, mapping } : { mapping }
}

const canStart = (job: Job) => job.state === 'uploaded' || job.state === 'checked' || job.state === 'failed'

/** Saves the mapping (and remembers it for this user), then starts the dry run. */
export async function startCheck(db: DB, log: FastifyBaseLogger, user: Principal, job: Job, mapping: Mapping) {
  const io = ioDb(db)
  if (!canStart(job) || running.has(job.id)) throw new JobStateError('customerIo.err.busy')
  const memory = mappingMemory(jobHead(job).headers, mapping, await rememberedMapping(db, user.id))
  await db.insertInto('import_mappings').values({ user_id: user.id, module: MODULE, mapping: JSON.stringify(memory) })
    .onConflict((oc) => oc.columns(['user_id', 'module']).doUpdateSet({ mapping: JSON.stringify(memory), updated_at: new Date() })).execute()
  await io.deleteFrom('import_rows').where('job_id', '=', job.id).execute()
  await io.updateTable('import_jobs').set({
    mapping: JSON.stringify(mapping), state: 'checking', total: 0, processed: 0, error_count: 0, duplicate_count: 0, message: null, updated_at: new Date()
  }).where('id', '=', job.id).execute()
  background(job.id, log, () => runCheck(db, user, { ...job, mapping }))
}

function stagedValues(rowNo: number, s: StagedRow) {
  return {
    row_no: rowNo, errors: s.errors, name_key: s.name, phones: s.phones, customer: s.customer ?? null, contact: s.contact ?? null,
    name_initials: s.name_initials ?? null, first_letter: s.first_letter ?? null, search_grams: s.search_grams ?? null,
    search_rest: s.search_rest ?? null, phone_rows: s.phone_rows ?? null
  }
}

/**
 * One statement and one parameter per batch: the rows travel as a JSON array and
 * are unpacked by jsonb_to_recordset (2–3× faster on PGlite than a multi-row VALUES
 * with thirteen parameters a row).
 */
async function stageRows(db: DB, jobId: number, rows: ReturnType<typeof stagedValues>[]) {
  await sql`
    insert into import_rows (job_id, row_no, errors, name_key, phones, customer, contact, name_initials, first_letter, search_grams, search_rest, phone_rows)
    select ${jobId}::int, x.row_no, x.errors, x.name_key, coalesce(x.phones, '{}'), x.customer, x.contact, x.name_initials, x.first_letter,
           x.search_grams, x.search_rest, x.phone_rows
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(row_no int, errors jsonb, name_key varchar, phones text[], customer jsonb,
           contact jsonb, name_initials varchar, first_letter char(1), search_grams text[], search_rest text, phone_rows jsonb)`.execute(db)
}

/** The dry run: every row validated and staged in batches, then duplicates flagged. */
async function runCheck(db: DB, user: Principal, job: Job & { mapping: Mapping }) {
  const io = ioDb(db)
  let staging: Promise<void> = Promise.resolve()
  const fail = (message: string) => io.updateTable('import_jobs').set({ state: 'failed', message, updated_at: new Date() }).where('id', '=', job.id).execute()
  try {
    const { file } = await io.selectFrom('import_jobs').select('file').where('id', '=', job.id).executeTakeFirstOrThrow()
    if (!file) return void await fail('customerIo.err.fileGone')
    const resolvers = await loadResolvers(db, user)
    const ctx = { user, resolvers, jobId: job.id }
    const { headerRow } = jobHead(job)
    let batch: ReturnType<typeof stagedValues>[] = []
    let processed = 0
    // One batch is staged by the database while this process reads and checks the
    // next: reading the file is this process's work, staging the server's, and on
    // PostgreSQL the two run on different cores. The failure of a batch is kept and
    // thrown at the next flush (a promise nobody awaits yet must not reject).
    let failure: { e: unknown } | undefined
    const flush = async () => {
      await staging
      if (failure) throw failure.e
      if (!batch.length) return
      const rows = batch
      batch = []
      staging = (async () => {
        await stageRows(db, job.id, rows)
        processed += rows.length
        await io.updateTable('import_jobs').set({ processed, updated_at: new Date() }).where('id', '=', job.id).execute()
      })().catch((e: unknown) => { failure = { e } })
    }
    for await (const row of readSheet(Buffer.from(file), job.file_kind)) {
      if (row.rowNo <= headerRow || !row.cells.some((c) => c.trim())) continue
      batch.push(stagedValues(row.rowNo, validateRow(mapRow(row.cells, job.mapping), ctx)))
      if (batch.length >= CHECK_BATCH) await flush()
    }
    await flush()
    await flush() // waits for the last batch
    if (!processed) return void await fail('customerIo.err.noRows')
    // The statistics must know this job's rows: gathered while only another job's rows
    // were staged, they make the planner expect one row for this job and join the
    // staged rows to themselves row by row. Measured at 100,000 rows with another
    // job's 100,000 beside them: the first duplicate update ran into the five-minute
    // timeout. Any later analysis (autovacuum's) still sees these rows, so the write's
    // second duplicate check needs none of its own.
    await sql`analyze import_rows`.execute(db)
    const duplicates = await flagDuplicates(io, job.id)
    const { n } = await io.selectFrom('import_rows').select((eb) => eb.fn.countAll<number>().as('n'))
      .where('job_id', '=', job.id).where('errors', 'is not', null).executeTakeFirstOrThrow()
    await io.updateTable('import_jobs').set({
      state: 'checked', total: processed, processed, error_count: Number(n), duplicate_count: duplicates, updated_at: new Date()
    }).where('id', '=', job.id).execute()
  } catch (e) {
    await staging // a batch still in the database must not update the job after this
    await fail(e instanceof SheetTooBig ? 'customerIo.err.tooManyRows' : 'customerIo.err.unreadable')
    if (!(e instanceof SheetTooBig)) throw e
  }
}

/** Starts the write of a checked job without errors. */
export async function startWrite(db: DB, log: FastifyBaseLogger, actor: Actor, user: Principal, job: Job, skipDuplicates: boolean) {
  if (job.state !== 'checked' || running.has(job.id)) throw new JobStateError('customerIo.err.busy')
  if (job.error_count > 0) throw new JobStateError('customerIo.err.hasErrors')
  const io = ioDb(db)
  // the state moves only from 'checked': a second click (or a second tab) starts nothing
  const claimed = await io.updateTable('import_jobs').set({ state: 'writing', skip_duplicates: skipDuplicates, processed: 0, message: null, updated_at: new Date() })
    .where('id', '=', job.id).where('state', '=', 'checked').executeTakeFirst()
  if (!Number(claimed.numUpdatedRows)) throw new JobStateError('customerIo.err.busy')
  background(job.id, log, async () => {
    try {
      // customers entered since the dry run count as duplicates too
      const duplicates = await flagDuplicates(io, job.id)
      await io.updateTable('import_jobs').set({ duplicate_count: duplicates, updated_at: new Date() }).where('id', '=', job.id).execute()
      await writeImport(db, actor, user, { id: job.id, file_name: job.file_name, skip_duplicates: skipDuplicates },
        (done, total) => writeProgress.set(job.id, { done, total }))
    } catch (e) {
      const message = e instanceof DataChanged ? 'customerIo.err.changed' : 'customerIo.err.writeFailed'
      await io.updateTable('import_jobs').set({ state: 'failed', message, updated_at: new Date() }).where('id', '=', job.id).execute()
      if (!(e instanceof DataChanged)) throw e
    }
  })
}

export async function discardJob(db: DB, job: Job) {
  if (running.has(job.id)) throw new JobStateError('customerIo.err.busy')
  await ioDb(db).deleteFrom('import_jobs').where('id', '=', job.id).execute()
}

// ---- results ----------------------------------------------------------------------

export interface ProblemRow { row_no: number; errors: RowError[] | null; dup: DupInfo | null; name: string | null }
export type DupInfo = { kind: 'name' | 'phone'; code?: string; name?: string; row?: number }

/** the first rows with errors, and the first duplicates, for the result page */
export async function problemRows(db: DB, jobId: number, limit = 200) {
  const io = ioDb(db)
  const base = io.selectFrom('import_rows').select(['row_no', 'errors', 'dup', 'name_key as name']).where('job_id', '=', jobId).orderBy('row_no').limit(limit)
  const [errors, duplicates] = await Promise.all([
    base.where('errors', 'is not', null).execute(),
    base.where('errors', 'is', null).where('dup', 'is not', null).execute()
  ])
  return { errors: errors as ProblemRow[], duplicates: duplicates as ProblemRow[] }
}

/** every row with a problem, by row number (the error report reads the file again beside it) */
export async function problemMap(db: DB, jobId: number): Promise<Map<number, ProblemRow>> {
  const rows = await ioDb(db).selectFrom('import_rows').select(['row_no', 'errors', 'dup', 'name_key as name']).where('job_id', '=', jobId)
    .where((eb) => eb.or([eb('errors', 'is not', null), eb('dup', 'is not', null)])).orderBy('row_no').execute()
  return new Map(rows.map((r) => [r.row_no, r as ProblemRow]))
}

/** the job's file again, row by row, for the error report */
export async function* jobFileRows(db: DB, job: Job): AsyncGenerator<SheetRow> {
  const { file } = await ioDb(db).selectFrom('import_jobs').select('file').where('id', '=', job.id).executeTakeFirstOrThrow()
  if (!file) throw notFound()
  const { headerRow } = jobHead(job)
  for await (const row of readSheet(Buffer.from(file), job.file_kind)) if (row.rowNo > headerRow) yield row
}
