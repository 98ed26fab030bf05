// Configuration is validated once at boot: a bad value stops the start with a
// message naming the variable (and exit code 2), not a stack trace or odd behaviour.
import t from 'tap'
import { ConfigError, loadConfig } from '../../src/config.ts'
import { startServer } from './lib/server-child.ts'

const refused = (env: Record<string, string>) => {
  try { loadConfig(env); return null } catch (e) { return e }
}

t.test('bad values name their variable', async (t) => {
  for (const [name, value] of [
    ['PORT', 'abc'], ['PORT', '70000'], ['TIME_ZONE', 'Mars/Base'], ['DATABASE_URL', 'mysql://x'],
    ['LOG_LEVEL', 'loud'], ['COOKIE_SECURE', 'maybe'], ['TRUST_PROXY', 'perhaps'], ['SESSION_IDLE_MINUTES', '0'],
    ['LOCKOUT_THRESHOLD', '-1'], ['ARGON2_MEMORY_KIB', '1024']
  ]) {
    const e = refused({ [name]: value })
    t.ok(e instanceof ConfigError, `${name}=${value} is refused`)
    t.match((e as Error).message, new RegExp(`\\b${name}\\b`), `the message names ${name}`)
  }
  const both = refused({ PORT: 'abc', TIME_ZONE: 'Mars/Base' }) as Error
  t.match(both.message, /PORT[\s\S]*TIME_ZONE|TIME_ZONE[\s\S]*PORT/, 'every bad variable is named at once')
})

t.test('good values are read', async (t) => {
  const c = loadConfig({ PORT: '8080', TIME_ZONE: 'Asia/Urumqi', SESSION_IDLE_MINUTES: '5', COOKIE_SECURE: 'true', TRUST_PROXY: 'yes', DATABASE_URL: 'postgresql://u@h/db' })
  t.equal(c.port, 8080)
  t.equal(c.timeZone, 'Asia/Urumqi')
  t.equal(c.sessionIdleMs, 5 * 60_000)
  t.equal(c.cookieSecure, true)
  t.equal(c.trustProxy, true)
  t.equal(c.databaseUrl, 'postgresql://u@h/db')
  const d = loadConfig({ PORT: '' })
  t.equal(d.port, 3000, 'an empty variable means the default')
  t.equal(d.cookieSecure, 'auto')
  t.equal(d.lockoutThreshold, 5)
})

t.test('the server prints the problem and exits 2', async (t) => {
  const child = await startServer({ PORT: 'abc', TIME_ZONE: 'Mars/Base', DATA_DIR: '/nonexistent/never-created' }, t)
  const { code } = await child.exited
  t.equal(code, 2)
  t.match(child.output(), /PORT/)
  t.match(child.output(), /TIME_ZONE/)
  t.notMatch(child.output(), /\n\s+at .+:\d+:\d+/, 'no stack trace')
})
