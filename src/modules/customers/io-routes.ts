// Export of the customer list (XLSX, CSV) and, registered from here, the import
// pages (import-routes.ts).
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { actorOf, audit } from '../../platform/audit.ts'
import { requirePermission } from '../../platform/guard.ts'
import { translator } from '../../platform/i18n.ts'
import { formatter } from '../../platform/format.ts'
import { contentDisposition, replyStream } from '../../platform/spreadsheet.ts'
import { exportCustomers } from './export-service.ts'
import importRoutes from './import-routes.ts'
import { filterQueryString, parseListQuery } from './list-routes.ts'

const TYPES = { xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', csv: 'text/csv; charset=utf-8' }

const routes: FastifyPluginAsync = async (app) => {
  const db = app.db
  const tz = app.config.timeZone

  function exportList(format: 'xlsx' | 'csv') {
    return async (req: FastifyRequest, reply: FastifyReply) => {
      const f = parseListQuery(req)
      const user = req.user!
      const actor = actorOf(req)
      const day = formatter(user.lang, tz).today()
      const name = `${translator(user.lang)('customerIo.export.filename')}_${day}.${format}`
      const out = replyStream()
      // rows are read and written while the reply streams; a failure midway cuts the
      // download (the headers are gone) and is logged
      exportCustomers(db, user, f, format, out, tz, (rows) =>
        audit(db, actor, { action: 'export', entity: 'customer', summary: `${format} ${rows}`, detail: { filter: filterQueryString(f), rows, format } }))
        .catch((e) => { req.log.error({ err: e }, 'export failed'); out.destroy(e as Error) })
      return reply.type(TYPES[format]).header('Content-Disposition', contentDisposition(name, `customers_${day}.${format}`))
        .header('X-Content-Type-Options', 'nosniff').send(out)
    }
  }

  app.get('/customers/export.xlsx', { preHandler: requirePermission('customers.export') }, exportList('xlsx'))
  app.get('/customers/export.csv', { preHandler: requirePermission('customers.export') }, exportList('csv'))

  await app.register(importRoutes)
}

export default routes
