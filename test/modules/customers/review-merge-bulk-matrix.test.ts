// Every route of the supervisor tools (review, merge, bulk update, transfer, saved
// filters) × anonymous, each built-in role, a supervisor whose review and assign
// permissions were revoked, and a disabled user: the expected status, and no change
// from a refused write (security.md S1/S2). Allowed writes get input that fails late
// (422) or a stale preview count (409), so the matrix itself changes nothing but the
// one filter deletion at the end.
import t from 'tap'
import { seedOffice, signIn, testApp, type Office } from '../../helpers/app.ts'
import { assertCovered, matrixClients, runMatrix, type MatrixRoute, type Who } from '../../helpers/matrix.ts'
import { createViaForm } from './helpers.ts'

interface Ctx extends Office { mine: number; mine2: number; foreign: number; filterId: number }

const TABLES = ['customers', 'contacts', 'demand_records', 'communications', 'customer_timeline', 'customer_phones', 'saved_filters']

t.test('supervisor tools permission matrix', async (t) => {
  const app = await testApp(t)
  const office = await seedOffice(app)
  const db = app.db
  const rep = await signIn(app, 'rep')
  const other = await signIn(app, 'other')
  // two customers of the rep (inside the supervisor's subtree) and one of another department
  const mine = await createViaForm(rep, { name: '矩阵甲公司' })
  const mine2 = await createViaForm(rep, { name: '矩阵乙公司' })
  const foreign = await createViaForm(other, { name: '矩阵外部门公司' })
  t.equal((await rep.post('/customers/filters', { name: '我的筛选', query: 'grade=A' })).statusCode, 303)
  const filterId = (await db.selectFrom('saved_filters').select('id').executeTakeFirstOrThrow()).id

  const clients = await matrixClients(app)
  const roles = Object.fromEntries((await db.selectFrom('roles').select(['id', 'code']).execute()).map((r) => [r.code, r.id]))
  const hash = (await db.selectFrom('users').select('password_hash').where('login', '=', 'rep').executeTakeFirstOrThrow()).password_hash
  await db.insertInto('users').values([
    { login: 'revoked', name: '受限主管', department_id: office.departments.sales, role_id: roles.supervisor, password_hash: hash, revokes: ['customers.review', 'customers.assign'] },
    { login: 'gone', name: '离职主管', department_id: office.departments.sales, role_id: roles.supervisor, password_hash: hash }
  ]).execute()
  clients.set('revoked', await signIn(app, 'revoked'))
  clients.set('disabled', await signIn(app, 'gone'))
  await db.updateTable('users').set({ active: false }).where('login', '=', 'gone').execute()
  // his next page shows he is signed out (and, like the anonymous client, he holds a
  // valid pre-session CSRF token, so what is tested is sign-in, not CSRF)
  const gone = await clients.get('disabled')!.get('/customers')
  t.equal(gone.statusCode, 303)
  await clients.get('disabled')!.get('/login')

  const ctx: Ctx = { ...office, mine, mine2, foreign, filterId }
  const REVIEW: Who[] = ['admin', 'decision', 'supervisor']
  const ALL_SCOPE: Who[] = ['admin', 'decision']
  const UPDATE: Who[] = ['admin', 'decision', 'supervisor', 'user', 'agent', 'revoked']
  const READ: Who[] = UPDATE

  const rows: MatrixRoute<Ctx>[] = [
    // review
    { method: 'GET', url: '/customers/review', allow: REVIEW },
    { method: 'GET', url: '/customers/review?after=1', allow: REVIEW },
    { method: 'POST', url: (c) => `/customers/${c.mine}/approve`, form: {}, allow: REVIEW, ok: 422 },
    { method: 'POST', url: (c) => `/customers/${c.foreign}/approve`, form: {}, allow: ALL_SCOPE, ok: 422, expect: { supervisor: 404 } },
    { method: 'POST', url: (c) => `/customers/${c.mine}/reject`, form: { version: '1', reason: '' }, allow: REVIEW, ok: 422 },
    { method: 'POST', url: (c) => `/customers/${c.foreign}/reject`, form: { version: '1', reason: '' }, allow: ALL_SCOPE, ok: 422, expect: { supervisor: 404 } },
    { method: 'POST', url: '/customers/99999/approve', form: { version: '1' }, allow: REVIEW, ok: 404 },
    // merge
    { method: 'GET', url: '/customers/merge', allow: REVIEW },
    { method: 'GET', url: (c) => `/customers/merge?a=${c.mine}&b=${c.mine2}`, allow: REVIEW },
    { method: 'GET', url: (c) => `/customers/merge?a=${c.mine}&b=${c.foreign}`, allow: ALL_SCOPE, expect: { supervisor: 404 } },
    { method: 'POST', url: '/customers/merge', form: (c) => ({ a: String(c.mine), b: String(c.mine2), va: '1', vb: '1', p_name: 'x' }), allow: REVIEW, ok: 422 },
    { method: 'POST', url: '/customers/merge', form: (c) => ({ a: String(c.mine), b: String(c.foreign), va: '1', vb: '1', p_name: 'x' }), allow: ALL_SCOPE, ok: 422, expect: { supervisor: 404 } },
    // bulk: preview, apply, report
    { method: 'POST', url: '/customers/bulk', form: (c) => ({ ids: String(c.mine), action: 'grade', grade: 'A' }), allow: UPDATE, ok: 200 },
    { method: 'POST', url: '/customers/bulk', form: (c) => ({ ids: String(c.foreign), action: 'grade' }), allow: ['admin', 'decision', 'agent'], ok: 200, expect: { supervisor: 404, user: 404, revoked: 404 } },
    { method: 'POST', url: '/customers/bulk', form: (c) => ({ ids: String(c.mine), action: 'transfer' }), allow: REVIEW, ok: 200 },
    { method: 'POST', url: '/customers/bulk/apply', form: (c) => ({ ids: String(c.mine), action: 'grade', grade: 'A', expected: '' }), allow: UPDATE, ok: 422 },
    { method: 'POST', url: '/customers/bulk/apply', form: (c) => ({ ids: String(c.foreign), action: 'grade', grade: 'Z', expected: '1' }), allow: ['admin', 'decision', 'agent'], ok: 422, expect: { supervisor: 404, user: 404, revoked: 404 } },
    { method: 'POST', url: '/customers/bulk/apply', form: (c) => ({ target: 'filter', filter: `owner=${c.users.rep.id}`, action: 'transfer', owner_id: String(c.users.rep2.id), expected: '999' }), allow: REVIEW, ok: 409 },
    { method: 'GET', url: '/customers/bulk/done/99999', allow: UPDATE, ok: 404 },
    // transfer page
    { method: 'GET', url: '/customers/transfer', allow: REVIEW },
    { method: 'GET', url: (c) => `/customers/transfer?from=${c.users.rep.id}&to=${c.users.rep2.id}`, allow: REVIEW },
    // saved filters: anyone who reads customers; a filter is its owner's alone
    { method: 'POST', url: '/customers/filters', form: { name: '', query: '' }, allow: READ, ok: 422 },
    { method: 'POST', url: (c) => `/customers/filters/${c.filterId}/delete`, allow: ['user'], expect: { admin: 404, decision: 404, supervisor: 404, agent: 404, revoked: 404 } }
  ]
  // a disabled user's session ends with his account: he is treated as signed out
  const routes = rows.map((r) => ({ ...r, expect: { disabled: r.method === 'GET' ? 303 : 401, ...r.expect } }))

  await runMatrix(t, app, { routes, ctx, clients, tables: TABLES })
  t.equal((await db.selectFrom('saved_filters').select('id').execute()).length, 0, 'the owner deleted his filter last')
  const untouched = await db.selectFrom('customers').select(['review_state', 'version', 'owner_id', 'grade']).where('id', 'in', [mine, mine2, foreign]).execute()
  t.ok(untouched.every((r) => r.review_state === 'pending' && r.version === 1 && r.grade === 'B'), 'no customer changed along the way')

  for (const prefix of ['/customers/review', '/customers/:id/approve', '/customers/:id/reject', '/customers/merge', '/customers/bulk', '/customers/transfer', '/customers/filters']) {
    assertCovered(t, app, routes, ctx, prefix)
  }
})
