// Shared by the customer tests: a valid customer form and a way to create one
// through the real form (token, CSRF, redirect) as a given client.
import type { Client } from '../../helpers/app.ts'

// The same name, phone and e-mail every time: "create anyway" (confirm_duplicate) is
// ticked so the duplicate check lets the tests make as many as they need; the
// duplicate tests leave it out.
export function customerForm(over: Record<string, string | string[]> = {}): Record<string, string | string[]> {
  return { customer_type: 'A', name: '北京科技有限公司', grade: 'B', status: 'potential', phone: '010-6552 1234', email: 'info@bjkj.cn', confirm_duplicate: '1', ...over }
}

/** creates a customer through GET /customers/new + POST /customers; returns its id */
export async function createViaForm(c: Client, over: Record<string, string | string[]> = {}): Promise<number> {
  const page = await c.get('/customers/new')
  const token = /name="form_token" value="([^"]+)"/.exec(page.body)?.[1]
  if (!token) throw new Error(`no form token on /customers/new (${page.statusCode})`)
  const res = await c.post('/customers', { ...customerForm(over), form_token: token })
  const m = /^\/customers\/(\d+)$/.exec(String(res.headers.location ?? ''))
  if (res.statusCode !== 303 || !m) throw new Error(`create failed: ${res.statusCode} ${res.body.slice(0, 500)}`)
  return Number(m[1])
}
