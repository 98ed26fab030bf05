// S13: the audit log is append-only in the database itself, an audit row commits or
// rolls back with the change it records, and no password, session id or CSRF token
// ever reaches the audit log or the application log.
import t from 'tap'
import { sql } from 'kysely'
import { buildApp } from '../../src/app.ts'
import { audit, type Actor } from '../../src/platform/audit.ts'
import { Client, baseConfig, freshStore, seedOffice, signIn, testApp } from '../helpers/app.ts'

const actor: Actor = { userId: null, userName: 'test', ip: '127.0.0.1', requestId: 'test' }

t.test('the audit table refuses UPDATE, DELETE and TRUNCATE', async (t) => {
  const app = await testApp(t)
  await seedOffice(app)
  await signIn(app, 'rep')
  const before = await app.db.selectFrom('audit_log').selectAll().orderBy('id').execute()
  t.ok(before.length > 0)
  await t.rejects(sql`update audit_log set summary = 'rewritten'`.execute(app.db), /append-only/, 'UPDATE')
  await t.rejects(sql`delete from audit_log`.execute(app.db), /append-only/, 'DELETE')
  await t.rejects(sql`truncate audit_log`.execute(app.db), /append-only/, 'TRUNCATE')
  await t.rejects(app.db.updateTable('audit_log').set({ summary: 'x' }).where('id', '=', before[0].id).execute(), /append-only/, 'UPDATE through Kysely')
  t.same(await app.db.selectFrom('audit_log').selectAll().orderBy('id').execute(), before, 'history is unchanged')
})

t.test('an audit row commits or rolls back with its change', async (t) => {
  const app = await testApp(t)
  const count = async () => ({
    data: (await app.db.selectFrom('code_items').select('id').where('code', '=', 'ROLLBACK').execute()).length,
    audit: (await app.db.selectFrom('audit_log').select('id').where('entity_id', '=', 'ROLLBACK').execute()).length
  })
  const write = (fail: boolean) => app.db.transaction().execute(async (trx) => {
    const row = await trx.insertInto('code_items').values({ kind: 'industry', code: 'ROLLBACK', label_zh: '回滚', label_en: 'Rollback' })
      .returningAll().executeTakeFirstOrThrow()
    await audit(trx, actor, { action: 'create', entity: 'code_item', entityId: 'ROLLBACK', after: row })
    if (fail) throw new Error('forced failure after the write')
  })
  await t.rejects(write(true), /forced failure/)
  t.same(await count(), { data: 0, audit: 0 }, 'a forced failure leaves neither the row nor its audit row')
  await write(false)
  t.same(await count(), { data: 1, audit: 1 }, 'a success leaves both')
  // the app keeps working after the rollback (PGlite's single connection is free again)
  t.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200)
})

t.test('no password, session id or CSRF token in the audit log or the app log', async (t) => {
  const log: string[] = []
  const { store, config } = await freshStore(t, baseConfig({ logLevel: 'debug' }))
  const app = await buildApp(config, { store, logStream: { write: (line: string) => { log.push(line) } } })
  t.teardown(() => app.close())

  const secrets = new Set<string>()
  const watch = (c: Client) => {
    for (const [k, v] of c.cookies) if (k !== 'kehu_lang') secrets.add(v) // session id and pre-session secret
    if (c.csrf) secrets.add(c.csrf)
  }
  const first = 'First-run-pass-2026', second = 'Second-pass-2026', wrong = 'Wrong-guess-2026'
  ;[first, second, wrong].forEach((p) => secrets.add(p))

  const c = new Client(app)
  await c.get('/setup'); watch(c)
  await c.post('/setup', { login: 'chief', name: '管理员', password: first, password2: first }); watch(c)
  await c.get('/'); watch(c)
  await c.get('/account/password'); watch(c)
  await c.post('/account/password', { current: first, password: second, password2: second }); watch(c)
  await c.get('/'); watch(c)
  await c.post('/lang', { lang: 'en', back: '/' }); watch(c)
  await c.post('/lang', { lang: 'zh-CN', back: '/', _csrf: 'forged-token-value-1234567890' }); watch(c)
  await c.post('/logout'); watch(c)

  const v = new Client(app)
  await v.get('/login'); watch(v)
  await v.post('/login', { login: 'chief', password: wrong }); watch(v)
  await v.post('/login', { login: 'nobody', password: wrong }); watch(v)
  await v.post('/login', { login: 'chief', password: second }); watch(v)
  await v.get('/'); watch(v)
  await v.hx('POST', '/logout'); watch(v)

  const hashes = (await app.db.selectFrom('users').select('password_hash').execute()).map((u) => u.password_hash)
  const auditText = JSON.stringify(await app.db.selectFrom('audit_log').selectAll().execute())
  const logText = log.join('')
  t.ok(auditText.includes('signin.failed') && auditText.includes('password.change'), 'the run was audited')
  t.ok(log.filter((l) => l.includes('"request completed"')).length >= 15, `every request was logged (${log.length} lines)`)
  t.ok(secrets.size >= 8, `${secrets.size} secrets watched`)
  for (const s of [...secrets, ...hashes]) {
    const shown = `${s.slice(0, 6)}…`
    t.notOk(auditText.includes(s), `audit log does not contain ${shown}`)
    t.notOk(logText.includes(s), `app log does not contain ${shown}`)
  }
})
