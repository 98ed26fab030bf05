// The audit viewer (filters, keyset pages, the field-level detail) and the settings page.
import t from 'tap'
import { sql } from 'kysely'
import { audit } from '../../../src/platform/audit.ts'
import { formatter } from '../../../src/platform/format.ts'
import { escapeHtml } from '../../../src/platform/render.ts'
import { translator } from '../../../src/platform/i18n.ts'
import { auditRows, seedOffice, signIn, testApp } from '../../helpers/app.ts'
import { assertUnchanged } from '../../helpers/matrix.ts'

const tr = translator('zh-CN')
const says = (body: string, key: string, params?: Record<string, string | number>) => body.includes(escapeHtml(tr(key, params)))
const ids = (body: string) => [...body.matchAll(/href="\/admin\/audit\/(\d+)"/g)].map((m) => Number(m[1]))

t.test('audit viewer', async (t) => {
  const app = await testApp(t)
  const o = await seedOffice(app)
  const admin = await signIn(app, 'admin')
  const boss = await signIn(app, 'boss')
  // 120 entries from the one writer every service uses
  const actor = { userId: o.users.super.id, userName: '李主管', ip: '10.0.0.7', requestId: 'r1' }
  for (let i = 1; i <= 120; i++) {
    await audit(app.db, actor, { action: 'update', entity: 'widget', entityId: i % 3, summary: `widget ${i}`, before: { n: i - 1 }, after: { n: i } })
  }

  t.test('newest first, 50 a page, older pages by id (no OFFSET), nothing lost or repeated', async (t) => {
    const first = await boss.get('/admin/audit?entity=widget')
    t.equal(first.statusCode, 200, 'the decision maker reads the log')
    const p1 = ids(first.body)
    t.equal(p1.length, 50)
    t.same(p1, [...p1].sort((a, b) => b - a), 'newest first')
    const older = /href="(\/admin\/audit\?[^"]*before=(\d+)[^"]*)"/.exec(first.body)!
    t.equal(Number(older[2]), p1[49], 'the next page starts below the last id shown')
    const second = await boss.get(older[1].replace(/&amp;/g, '&'))
    const p2 = ids(second.body)
    t.equal(p2.length, 50)
    t.ok(p2.every((id) => id < p1[49]))
    const next = /href="(\/admin\/audit\?[^"]*before=\d+[^"]*)" rel="next"/.exec(second.body)!
    const third = await boss.get(next[1].replace(/&amp;/g, '&'))
    const p3 = ids(third.body)
    t.equal(p3.length, 20)
    t.notMatch(third.body, 'rel="next"', 'no older link on the last page')
    t.equal(new Set([...p1, ...p2, ...p3]).size, 120, 'every entry exactly once')
    t.match(second.body, '回到最新')
  })

  t.test('filters: who, what, record, date range', async (t) => {
    const rows = async (q: string) => ids((await admin.get(`/admin/audit?${q}`)).body)
    t.equal((await rows(`user=${o.users.super.id}&entity=widget&record=1`)).length, 40)
    t.equal((await rows(`user=${o.users.boss.id}&entity=widget`)).length, 0)
    const signins = await rows('action=signin')
    t.ok(signins.length >= 2, 'the sign-ins of this test')
    const today = formatter('zh-CN', app.config.timeZone).today()
    const d = new Date(`${today}T00:00:00Z`)
    const day = (n: number) => new Date(d.getTime() + n * 86400_000).toISOString().slice(0, 10)
    t.equal((await rows(`entity=widget&from=${today}&to=${today}`)).length, 50, 'today, in the office time zone')
    t.equal((await rows(`entity=widget&from=${day(1)}`)).length, 0, 'nothing from tomorrow')
    t.equal((await rows(`entity=widget&to=${day(-1)}`)).length, 0, 'nothing up to yesterday')
    const empty = await admin.get(`/admin/audit?entity=widget&from=${day(1)}`)
    t.ok(says(empty.body, 'admin.audit.noMatch'))
    const bad = await admin.get('/admin/audit?from=2026-13-45')
    t.equal(bad.statusCode, 422)
    t.ok(says(bad.body, 'admin.audit.badDate'))
    const range = await admin.get(`/admin/audit?from=${day(1)}&to=${today}`)
    t.equal(range.statusCode, 422)
    t.ok(says(range.body, 'admin.audit.badRange'))
    const injection = await admin.get(`/admin/audit?entity=${encodeURIComponent("user' or 1=1 --")}`)
    t.equal(injection.statusCode, 422, 'odd values are refused, not run')
    const frag = await admin.request('GET', '/admin/audit?entity=widget', { headers: { 'hx-request': 'true' } })
    t.notMatch(frag.body, '<html')
    t.match(frag.body, 'id="audit-rows"')
  })

  t.test('the detail shows each changed field before and after', async (t) => {
    const c = await signIn(app, 'admin')
    await c.get(`/admin/departments/${o.departments.service}`)
    await c.post(`/admin/departments/${o.departments.service}/rename`, { name: '客户服务部', version: '1' })
    const row = (await auditRows(app, { entity: 'department', entityId: o.departments.service })).at(-1)!
    const res = await boss.get(`/admin/audit/${row.id}`)
    t.equal(res.statusCode, 200)
    t.match(res.body, /<th scope="row">name<\/th><td class="before">客服部<\/td><td class="after">客户服务部<\/td>/)
    t.match(res.body, '系统管理员', 'who')
    const failed = await auditRows(app, { action: 'signin' })
    const detail = await boss.get(`/admin/audit/${failed[0].id}`)
    t.equal(detail.statusCode, 200)
    t.equal((await boss.get('/admin/audit/999999999')).statusCode, 404)
    t.equal((await boss.get('/admin/audit/abc')).statusCode, 404)
  })

  t.test('reading the log changes nothing, and the log cannot be rewritten', async (t) => {
    await assertUnchanged(t, app, ['audit_log'], async () => {
      await admin.get('/admin/audit')
      await admin.get(`/admin/audit/${(await auditRows(app)).at(-1)!.id}`)
    })
    await t.rejects(sql`update audit_log set summary = 'x'`.execute(app.db), 'the table refuses updates')
  })
})

t.test('settings', async (t) => {
  const app = await testApp(t)
  const o = await seedOffice(app)
  // someone other than an administrator who may change settings: the TOTP rule,
  // once on, sends administrators to enrol before any other page
  await app.db.updateTable('users').set({ grants: ['settings.admin'] }).where('id', '=', o.users.super.id).execute()
  const keeper = await signIn(app, 'super')
  const admin = await signIn(app, 'admin')
  const stored = async () => (await app.db.selectFrom('settings').select('value').where('key', '=', 'totp_required_for_admins').executeTakeFirst())?.value

  const page = await admin.get('/admin/settings')
  t.equal(page.statusCode, 200)
  t.match(page.body, /name="totp_required_for_admins" id="[^"]+">/, 'unticked by default')
  t.notMatch(page.body, 'name="secret"', 'internal settings are never shown')

  const count = (await auditRows(app)).length
  t.equal((await admin.post('/admin/settings', { totp_required_for_admins: 'on' })).statusCode, 303)
  t.equal(await stored(), true, 'stored as JSON true')
  const rows = await auditRows(app)
  t.equal(rows.length, count + 1)
  t.match(rows.at(-1), { action: 'update', entity: 'setting', entity_id: 'totp_required_for_admins' })
  t.same((rows.at(-1)!.changes as Record<string, unknown>).totp_required_for_admins, [false, true])
  const next = await admin.get('/admin/settings')
  t.equal(next.headers.location, '/account/totp', 'it takes effect at once: the administrator must now set up TOTP')

  t.match((await keeper.get('/admin/settings')).body, /name="totp_required_for_admins" id="[^"]+" checked/)
  const same = await assertUnchanged(t, app, ['settings'], () => keeper.post('/admin/settings', { totp_required_for_admins: 'on' }))
  t.equal(same.statusCode, 303, 'saving without a change writes nothing')
  t.equal((await keeper.post('/admin/settings', {})).statusCode, 303)
  t.equal(await stored(), false, 'an unticked box turns it off')
  t.equal((await auditRows(app, { entity: 'setting' })).length, 2)
  t.equal((await admin.get('/admin/settings')).statusCode, 200, 'the administrator is let through again')
  await assertUnchanged(t, app, ['settings'], () => keeper.post('/admin/settings', { secret: 'x', setup_done: 'y' }))
})
