// S9 "a restart signs nobody out": sessions and the server secret live in the
// database, so a signed-in user and a half-filled sign-in form both survive the app
// being closed and built again on the same data. PGlite: a data directory in a temp
// folder; PostgreSQL (DATABASE_URL): a fresh database on that server.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { buildApp } from '../../src/app.ts'
import type { Config } from '../../src/config.ts'
import { Client, PASSWORD, baseConfig, freshStore, seedOffice } from '../helpers/app.ts'
import { preparedDataDir } from './lib/server-child.ts'

t.test('a restart signs nobody out', async (t) => {
  let config: Config
  if (process.env.DATABASE_URL) {
    config = (await freshStore(t, baseConfig())).config
  } else {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kehu-restart-'))
    t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }))
    config = baseConfig({ dataDir: path.join(tmp, 'data'), databaseUrl: undefined, memoryDb: false })
    await preparedDataDir(config.dataDir)
  }

  const app1 = await buildApp(config, { logger: false })
  await seedOffice(app1)
  const user = new Client(app1)
  await user.get('/login')
  t.equal((await user.post('/login', { login: 'rep', password: PASSWORD })).statusCode, 303)
  t.equal((await user.get('/')).statusCode, 200)
  const visitor = new Client(app1)
  await visitor.get('/login') // the form is open when the server restarts
  await app1.close()

  const app2 = await buildApp(config, { logger: false })
  t.teardown(() => app2.close())
  user.app = app2
  visitor.app = app2
  const home = await user.get('/')
  t.equal(home.statusCode, 200, 'the signed-in user is still signed in')
  t.match(home.body, '张三')
  t.equal((await user.post('/lang', { lang: 'en', back: '/' })).statusCode, 303, 'and his CSRF token still works')
  const res = await visitor.post('/login', { login: 'rep2', password: PASSWORD })
  t.equal(res.statusCode, 303, 'a sign-in form loaded before the restart still submits (the server secret persists)')
})
