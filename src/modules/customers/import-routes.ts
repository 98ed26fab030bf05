// The import pages: upload → column mapping → dry run (progress, per-row errors and
// duplicates, error report) → write (progress) → done. Each step is its own page
// and works without JavaScript; htmx only polls the progress.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { actorOf } from '../../platform/audit.ts'
import { HttpError } from '../../platform/errors.ts'
import { redirect, refuseBeforeUpload, requirePermission } from '../../platform/guard.ts'
import { translator } from '../../platform/i18n.ts'
import { contentDisposition, replyStream, xlsxSink } from '../../platform/spreadsheet.ts'
import { idParam } from './http.ts'
import { IMPORT_FIELDS, REQUIRED_FIELDS, type Mapping } from './import-fields.ts'
import { writeErrorReport, describeDup, describeErrors } from './import-report.ts'
import {
  createJob, currentMapping, discardJob, getJob, jobHead, liveProgress, MAX_UPLOAD_BYTES, parseMapping, problemRows, recentJobs,
  JobStateError, settleImports, startCheck, startWrite, sweepJobs, UploadError, type Job
} from './import-service.ts'
import { acceptUploads, type UploadedFile } from './upload.ts'

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'
const MB = MAX_UPLOAD_BYTES / 1024 / 1024

const routes: FastifyPluginAsync = async (app) => {
  const db = app.db
  const tz = app.config.timeZone
  const perm = requirePermission('customers.create')
  const guard = { preHandler: perm }

  acceptUploads(app, MAX_UPLOAD_BYTES + 64 * 1024)
  // a body over the limit is refused by Fastify with a bare 413: say what the limit is
  app.setErrorHandler(async (err, _req, _reply) => {
    if (!(err instanceof HttpError) && (err as { statusCode?: number }).statusCode === 413) throw new HttpError(413, 'customerIo.err.tooLarge', { mb: MB })
    throw err
  })
  const sweep = setInterval(() => { sweepJobs(db).catch((e) => app.log.warn(e, 'import sweep failed')) }, 3600_000)
  sweep.unref()
  app.addHook('onClose', async () => { clearInterval(sweep); await settleImports() })

  async function uploadPage(req: FastifyRequest, reply: FastifyReply, error?: string, status = 200) {
    return reply.page('/customers/import', { jobs: await recentJobs(db, req.user!), error, mb: MB, module: 'customers' }, { status })
  }

  app.get('/customers/import', guard, async (req, reply) => uploadPage(req, reply))

  app.get('/customers/import/template.xlsx', guard, async (req, reply) => {
    const t = translator(req.lang)
    const out = replyStream()
    const columns = IMPORT_FIELDS.map((f) => ({ header: `${t(`customerIo.field.${f}`)}${REQUIRED_FIELDS.includes(f) ? '*' : ''}`, width: 14, value: () => '' }))
    const sink = xlsxSink(out, columns, { sheetName: t('customerIo.export.sheet'), timeZone: tz })
    sink.end().catch((e) => out.destroy(e as Error))
    const name = `${t('customerIo.template.filename')}.xlsx`
    return reply.type(XLSX).header('Content-Disposition', contentDisposition(name, 'customer-import-template.xlsx')).send(out)
  })

  // The permission is checked before the body is read: a refused user's 30 MB is
  // not buffered first. (The guard's preHandler checks again, as on every route.)
  app.post('/customers/import', {
    preHandler: perm,
    preParsing: refuseBeforeUpload('customers.create')
  }, async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>
    const file = body.file && typeof body.file === 'object' && Buffer.isBuffer((body.file as UploadedFile).data) ? body.file as UploadedFile : undefined
    try {
      const id = await createJob(db, req.user!, file)
      return redirect(req, reply, `/customers/import/${id}/mapping`)
    } catch (e) {
      if (e instanceof UploadError) return uploadPage(req, reply, e.key, 422)
      throw e
    }
  })

  async function mappingPage(req: FastifyRequest, reply: FastifyReply, job: Job, mapping: Mapping, error?: string, status = 200) {
    return reply.page('/customers/import-map', { job, head: jobHead(job), mapping, fields: IMPORT_FIELDS, error, module: 'customers' }, { status })
  }

  app.get('/customers/import/:id/mapping', guard, async (req, reply) => {
    const job = await getJob(db, req.user!, idParam(req))
    if (job.state === 'done') return redirect(req, reply, `/customers/import/${job.id}`)
    return mappingPage(req, reply, job, await currentMapping(db, req.user!, job))
  })

  app.post('/customers/import/:id/mapping', guard, async (req, reply) => {
    const job = await getJob(db, req.user!, idParam(req))
    const parsed = parseMapping((req.body ?? {}) as Record<string, unknown>, jobHead(job).headers.length)
    if ('error' in parsed) return mappingPage(req, reply, job, parsed.mapping, parsed.error, 422)
    return step(req, reply, job, () => startCheck(db, req.log, req.user!, job, parsed.mapping), `/customers/import/${job.id}`)
  })

  async function jobData(req: FastifyRequest, job: Job) {
    const t = translator(req.lang)
    const problems = job.state === 'checked' || job.state === 'failed' ? await problemRows(db, job.id) : { errors: [], duplicates: [] }
    return {
      job, live: liveProgress(job.id),
      errors: problems.errors.map((r) => ({ row: r.row_no, name: r.name, messages: [...describeErrors(t, r), ...(r.dup ? [describeDup(t, r)] : [])] })),
      duplicates: problems.duplicates.map((r) => ({ row: r.row_no, name: r.name, message: describeDup(t, r) }))
    }
  }

  async function jobPage(req: FastifyRequest, reply: FastifyReply, job: Job, notice?: string, status = 200) {
    return reply.page('/customers/import-job', { ...(await jobData(req, job)), notice, module: 'customers' }, { status })
  }

  /** runs a step; a step the job's state refuses shows the job page with the reason */
  async function step(req: FastifyRequest, reply: FastifyReply, job: Job, fn: () => Promise<unknown>, then: string) {
    try {
      await fn()
    } catch (e) {
      if (e instanceof JobStateError) return jobPage(req, reply, await getJob(db, req.user!, job.id), e.key, 409)
      throw e
    }
    return redirect(req, reply, then)
  }

  app.get('/customers/import/:id', guard, async (req, reply) => jobPage(req, reply, await getJob(db, req.user!, idParam(req))))

  // polled every second by htmx while the dry run or the write runs; once it is
  // over the page reloads itself to show the result
  app.get('/customers/import/:id/progress', guard, async (req, reply) => {
    const job = await getJob(db, req.user!, idParam(req))
    if (job.state !== 'checking' && job.state !== 'writing') reply.header('HX-Refresh', 'true')
    return reply.fragment('/customers/import-progress', { job, live: liveProgress(job.id) })
  })

  app.post('/customers/import/:id/run', guard, async (req, reply) => {
    const job = await getJob(db, req.user!, idParam(req))
    const body = (req.body ?? {}) as Record<string, unknown>
    const skip = body.skip_duplicates === 'on' || body.skip_duplicates === '1'
    return step(req, reply, job, () => startWrite(db, req.log, actorOf(req), req.user!, job, skip), `/customers/import/${job.id}`)
  })

  app.get('/customers/import/:id/errors.xlsx', guard, async (req, reply) => {
    const job = await getJob(db, req.user!, idParam(req))
    if (job.state !== 'checked' && job.state !== 'failed') throw new HttpError(404, 'customerIo.err.noReport')
    const t = translator(req.lang)
    const out = replyStream()
    writeErrorReport(db, job, t, tz, out).catch((e) => { req.log.error({ err: e }, 'error report failed'); out.destroy(e as Error) })
    return reply.type(XLSX).header('Content-Disposition', contentDisposition(`${t('customerIo.report.filename')}_${job.id}.xlsx`, `import-errors-${job.id}.xlsx`)).send(out)
  })

  app.post('/customers/import/:id/delete', guard, async (req, reply) => {
    const job = await getJob(db, req.user!, idParam(req))
    return step(req, reply, job, () => discardJob(db, job), '/customers/import')
  })
}

export default routes
