// `npm run demo`: the app on its own embedded database (./data-demo, so the real
// ./data is never touched), filled with a demo office the first time, and a table of
// the demo accounts printed on every start so nobody has to look the passwords up.
// DATA_DIR or DATABASE_URL choose another database; one that already has users is
// left as it is.
import { start } from '../src/server.ts'
import { demoAccounts, seedDemo } from '../src/modules/demo.ts'

const env = { ...process.env }
if (!env.DATA_DIR && !env.DATABASE_URL) env.DATA_DIR = './data-demo'

/** display width in a terminal: CJK characters take two columns */
function width(s: string): number {
  let w = 0
  for (const ch of s) w += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u.test(ch) ? 2 : 1
  return w
}
const pad = (s: string, n: number) => s + ' '.repeat(Math.max(0, n - width(s)))

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i]))))
  const line = (cells: string[]) => ('  ' + cells.map((c, i) => pad(c, widths[i])).join('  ')).trimEnd()
  return [line(head), '  ' + widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

let seeded = false
const app = await start(env, {
  async beforeListen(app) {
    const t0 = Date.now()
    const ctx = await seedDemo(app.db, app.config)
    if (ctx) {
      app.markSetupDone()
      seeded = true
      app.log.info(`demo office created in ${Date.now() - t0} ms: ${ctx.users.length} users`)
    }
  }
})

const accounts = await demoAccounts(app.db)
// the log is written asynchronously (and fastify logs its addresses a tick after
// listen resolves): a short pause puts the table below the start-up lines
await new Promise((resolve) => setTimeout(resolve, 200))
const url = `http://localhost:${app.config.port}`
if (accounts.length) {
  console.log([
    '',
    `Kehu demo${seeded ? ' (demo office created just now)' : ''}: ${url}`,
    `演示账号 / demo accounts (passwords as created; a changed password is not shown):`,
    table(['登录名 login', '姓名 name', '角色 role', '部门 department', '密码 password'],
      accounts.map((a) => [a.login, a.name, a.role + (a.active ? '' : ' (停用)'), a.department, a.password])),
    ''
  ].join('\n'))
} else {
  console.log(`\nThis database already had users before the demo ran, so no demo accounts were created. ${url}\n`)
}
