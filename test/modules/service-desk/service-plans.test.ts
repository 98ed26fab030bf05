// The service desk's hottest reads keep one plan each (dbWithGenericPlans): the
// caller's call list, the desk's overdue list and a caller's open requests. A plan
// made before the values are known can use a partial index only when the index's
// predicate is in the statement's text; these tests pin that each one still does.
import { sql } from 'kysely'
import t from 'tap'
import { seedOffice, testApp } from '../../helpers/app.ts'
import { flat, genericPlan, outline } from '../../helpers/plans.ts'
import type { Principal } from '../../../src/platform/principal.ts'
import { callListQuery } from '../../../src/modules/service-desk/appointments-service.ts'
import { openRequestsQuery } from '../../../src/modules/service-desk/call-service.ts'
import { requestListQuery, requestListSchema } from '../../../src/modules/service-desk/requests-queries.ts'

t.test('the desk\'s hot reads are planned once, on their partial indexes', async (t) => {
  const app = await testApp(t)
  const office = await seedOffice(app)
  const db = app.db
  const agent = office.users.agent.id
  const customers = await db.insertInto('customers').values(Array.from({ length: 40 }, (_, i) => ({
    code: `A-9${String(i).padStart(5, '0')}`, customer_type: 'A', name: `计划客户${i}`, owner_id: office.users.rep.id
  }))).returning('id').execute()
  const first = customers[0].id
  // 20,000 requests, a tenth of them open, due over a year; 4,000 appointments, a tenth still scheduled
  await sql`insert into service_requests (number, channel, subject, status, created_by, assignee_id, customer_id, due_at)
    select 'SR-20260101-' || g, 'phone', '咨询' || g, case when g % 10 = 0 then 'received' when g % 10 = 1 then 'archived' else 'answered' end,
      ${agent}::int, case when g % 3 = 0 then ${agent}::int end, ${first}::int + g % 40, now() - interval '200 days' + g * interval '30 minutes'
    from generate_series(1, 20000) g`.execute(db)
  await sql`insert into appointments (customer_id, kind, scheduled_at, purpose, caller_id, status, created_by)
    select ${first}::int + g % 40, 'callback', now() - interval '30 days' + g * interval '20 minutes', '回访', ${agent}::int,
      case when g % 10 = 0 then 'scheduled' else 'done' end, ${agent}::int
    from generate_series(1, 4000) g`.execute(db)
  await sql`vacuum analyze service_requests`.execute(db)
  await sql`vacuum analyze appointments`.execute(db)

  const desk: Principal = {
    id: agent, login: 'agent', name: '小陈', lang: 'zh-CN', departmentId: office.departments.service, departmentName: '', deptPath: '/1/',
    roleId: 0, roleCode: 'agent', roleName: { zh: '', en: '' }, scope: 'all', perms: new Set(), mustChangePassword: false, totpEnabled: false
  }
  const cases = [
    { what: 'the overdue list, first page', query: requestListQuery(db, desk, requestListSchema.parse({ view: 'overdue' }), 'Asia/Shanghai').query.compile(), index: 'service_requests_open_due_idx', table: 'service_requests' },
    { what: 'the overdue list, a later page', query: requestListQuery(db, desk, requestListSchema.parse({ view: 'overdue', after: '2026-01-01T00:00:00.000000Z|5' }), 'Asia/Shanghai').query.compile(), index: 'service_requests_open_due_idx', table: 'service_requests' },
    { what: 'the call list', query: callListQuery(db, agent, new Date()).compile(), index: 'appointments_caller_idx', table: 'appointments' },
    { what: 'a caller\'s open requests', query: openRequestsQuery(db, desk, first).compile(), index: 'service_requests_customer_open_idx', table: 'service_requests' }
  ]
  for (const c of cases) {
    const root = await genericPlan(db, c.query)
    const nodes = flat(root)
    t.ok(nodes.some((n) => n['Index Name'] === c.index), `${c.what}: read from ${c.index}\n${outline(root)}`)
    t.notOk(nodes.some((n) => n['Node Type'] === 'Seq Scan' && n['Relation Name'] === c.table), `${c.what}: ${c.table} is not read whole`)
  }
})
