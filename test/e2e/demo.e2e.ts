// `npm run demo`: a demo office on its own database, a table of the accounts printed
// on every start, and those accounts really sign in with the printed passwords.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { DEMO_PASSWORDS, DEMO_PEOPLE } from '../../src/modules/demo.ts'
import { launchBrowser, openPage, signIn, startServer, text, where, zh } from './helpers.ts'

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kehu-e2e-demo-'))
t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }))
const browser = await launchBrowser(t)

async function printedTable(output: string[]): Promise<string> {
  for (let i = 0; i < 100 && !output.some((l) => /^\s+linna\s/.test(l)); i++) await new Promise((r) => setTimeout(r, 100))
  return output.filter((l) => !l.startsWith('{')).join('\n')
}

const ROLE_ZH = { admin: '系统管理员', decision: '业务决策', supervisor: '主管', user: '一般用户', agent: '客服坐席' }

t.test('the first start creates the demo office and prints its accounts', async (t) => {
  const server = await startServer(t, { script: 'scripts/demo.ts', dataDir })
  const table = await printedTable(server.output)
  t.match(table, 'demo office created just now')
  for (const p of DEMO_PEOPLE) {
    t.match(table, new RegExp(`^\\s+${p.login}\\s+${p.name}\\s+${ROLE_ZH[p.role]}\\s+\\S+\\s+${DEMO_PASSWORDS[p.role].replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'), `${p.login} listed`)
  }
  t.ok(DEMO_PEOPLE.length >= 15, 'about fifteen people')
  t.same(new Set(DEMO_PEOPLE.map((p) => p.role)), new Set(Object.keys(ROLE_ZH)), 'every built-in role has someone')

  // one person of each role signs in with the printed password and lands on the workbench
  for (const role of Object.keys(ROLE_ZH) as Array<keyof typeof ROLE_ZH>) {
    const p = DEMO_PEOPLE.find((x) => x.role === role)!
    const { page, problems, context } = await openPage(browser, server.url)
    await signIn(page, p.login, DEMO_PASSWORDS[role])
    t.equal(where(page), '/', `${p.login} signs in`)
    t.match(await text(page, '.who'), `${p.name} · ${ROLE_ZH[role]}`, 'name and role in the top bar')
    t.equal(await text(page, 'main h1'), zh('workbench.title'))
    t.same(problems, [], 'no console errors, CSP violations or requests to other hosts')
    await context.close()
  }
  t.same(server.errors, [], 'the server logged no errors')
  await server.stop()
})

t.test('a second start keeps the data and prints the table again', async (t) => {
  const server = await startServer(t, { script: 'scripts/demo.ts', dataDir })
  const table = await printedTable(server.output)
  t.notMatch(table, 'created just now', 'nothing seeded twice')
  t.match(table, /^\s+admin\s+周立明\s+系统管理员/m)
  const { page, context } = await openPage(browser, server.url)
  await page.goto('/setup')
  t.equal(where(page), '/login', 'the demo database needs no first run')
  await context.close()
  t.same(server.errors, [], 'the server logged no errors')
  await server.stop()
})
