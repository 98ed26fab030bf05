// Duplicate check (查重): the warning while a new customer is typed, and the create
// form refusing a likely duplicate until "create anyway" is ticked (issue 3 item 8).
import t from 'tap'
import { auditRows, seedOffice, signIn, testApp, type Client } from '../../helpers/app.ts'
import { createViaForm, customerForm } from './helpers.ts'

/** the fragment the new-customer form's name/phone fields ask for while typing */
async function warn(c: Client, q: Record<string, string>) {
  return c.request('GET', `/customers/duplicates?${new URLSearchParams(q)}`, { headers: { 'hx-request': 'true' } })
}

async function newToken(c: Client): Promise<string> {
  const page = await c.get('/customers/new')
  return /name="form_token" value="([^"]+)"/.exec(page.body)![1]
}

t.test('duplicates', async (t) => {
  const app = await testApp(t)
  await seedOffice(app)
  const rep = await signIn(app, 'rep')
  const rep2 = await signIn(app, 'rep2')
  const sup = await signIn(app, 'super')

  const bjkj = await createViaForm(rep, { name: '北京科技有限公司', short_name: '北科', phone: '010-6552 1234', email: 'info@bjkj.cn', remarks: 'CANARY-DUP-REMARK' })
  await rep.post(`/customers/${bjkj}/contacts`, { name: '王大锤', mobile: '+86 138-0013-8000', email: 'wang@dachui.cn', valid: 'on' })
  const siemens = await createViaForm(rep, { name: 'Siemens China Co., Ltd.', phone: '', email: '' })
  const gone = await createViaForm(rep, { name: '上海已删除贸易有限公司', phone: '021-7777 6666', email: '' })
  await sup.post(`/customers/${gone}/delete`)
  const code = (await app.db.selectFrom('customers').select('code').where('id', '=', bjkj).executeTakeFirstOrThrow()).code

  t.test('same or similar name', async (t) => {
    for (const name of ['北京科技有限公司', '北京 科技 有限公司', '北京科技（有限）公司', '北京科技公司', '北京科技有限责任公司', '北科']) {
      const r = await warn(rep, { name })
      t.equal(r.statusCode, 200)
      t.match(r.body, code, `${name} → the existing customer`)
      t.match(r.body, '同名', `${name} counts as the same name`)
    }
    const typo = await warn(rep, { name: '北京科枝有限公司' })
    t.match(typo.body, code, 'one character different')
    t.match(typo.body, '名称相似')
    const longer = await warn(rep, { name: '北京科技发展有限公司' })
    t.match(longer.body, code, 'the name plus a word')
    t.match(longer.body, '名称相似')
    const latin = await warn(rep, { name: 'SIEMENS CHINA LIMITED' })
    t.match(latin.body, 'Siemens China Co., Ltd.', 'Latin names without their legal form')
    const unrelated = await warn(rep, { name: '上海贸易有限公司' })
    t.equal(unrelated.body.trim(), '', 'nothing similar: an empty fragment')
    const shortName = await warn(rep, { name: '北' })
    t.equal(shortName.body.trim(), '', 'one character is too little to call anything a duplicate')
    t.equal((await warn(rep, { name: '上海已删除贸易有限公司' })).body.trim(), '', 'deleted customers are no duplicates')
    t.notMatch(longer.body, 'CANARY')
  })

  t.test('same phone, the customer\'s or a contact\'s', async (t) => {
    for (const phone of ['010-6552 1234', '(010) 65521234', '65521234', '+86 10 6552 1234']) {
      const r = await warn(rep, { name: '', phone })
      t.match(r.body, code, `${phone}`)
      t.match(r.body, '电话相同')
    }
    const mobile = await warn(rep, { phone: '13800138000' })
    t.match(mobile.body, code, 'a contact\'s mobile')
    t.equal((await warn(rep, { phone: '010-6552 1235' })).body.trim(), '', 'another number')
    t.equal((await warn(rep, { phone: '1234' })).body.trim(), '', 'four digits are not a phone number')
    t.equal((await warn(rep, { phone: '021-7777 6666' })).body.trim(), '', 'a deleted customer\'s phone')
  })

  t.test('same e-mail, the customer\'s or a contact\'s', async (t) => {
    const r = await warn(rep, { email: 'INFO@bjkj.cn' })
    t.match(r.body, code)
    t.match(r.body, '邮箱相同')
    t.match((await warn(rep, { email: 'wang@dachui.cn' })).body, code, 'a contact\'s e-mail')
    t.equal((await warn(rep, { email: 'nfo@bjkj.cn' })).body.trim(), '', 'a fragment is not the same e-mail')
    t.equal((await warn(rep, { email: '%@%' })).body.trim(), '', 'wildcards are literal')
  })

  t.test('in scope: a link; otherwise who owns it', async (t) => {
    const own = await warn(rep, { name: '北京科技有限公司' })
    t.match(own.body, `href="/customers/${bjkj}"`, 'the owner gets a link')
    const other = await warn(rep2, { name: '北京科技有限公司' })
    t.match(other.body, code, 'another rep learns that it exists')
    t.match(other.body, '北京科技有限公司')
    t.match(other.body, '张三', 'and who owns it')
    t.notMatch(other.body, `/customers/${bjkj}`, 'without a link')
    t.notMatch(other.body, /CANARY|6552|info@bjkj/, 'and without its details')
    t.match(other.body, 'name="confirm_duplicate"', 'the warning offers "create anyway"')
    const ticked = await warn(rep2, { name: '北京科技有限公司', confirm_duplicate: '1' })
    t.match(ticked.body, /name="confirm_duplicate" value="1" checked/, 'the tick survives a refresh while typing')
  })

  t.test('the create form stops a duplicate until confirmed', async (t) => {
    const before = await app.db.selectFrom('customers').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
    const token = await newToken(rep2)
    const form: Record<string, string | string[]> = { ...customerForm({ name: '北京科技公司', phone: '', email: '', remarks: '我的备注' }), form_token: token }
    delete form.confirm_duplicate
    const stopped = await rep2.post('/customers', form)
    t.equal(stopped.statusCode, 422, 'refused with the warning')
    t.match(stopped.body, code)
    t.match(stopped.body, '可能已有这个客户')
    t.match(stopped.body, 'value="北京科技公司"', 'what was typed is kept')
    t.match(stopped.body, '我的备注')
    t.match(stopped.body, `value="${token}"`, 'with the same one-time token')
    const mid = await app.db.selectFrom('customers').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
    t.equal(mid.n, before.n, 'nothing created')

    const invalid = await rep2.post('/customers', { ...form, email: 'not-mail', confirm_duplicate: '1' })
    t.equal(invalid.statusCode, 422, 'another error on the form')
    t.match(invalid.body, 'field-error')
    t.match(invalid.body, /name="confirm_duplicate" value="1" checked/, 'keeps the warning and the tick')

    const confirmed = await rep2.post('/customers', { ...form, confirm_duplicate: '1' })
    t.equal(confirmed.statusCode, 303, 'created once confirmed')
    const id = Number(/\/customers\/(\d+)$/.exec(String(confirmed.headers.location))![1])
    t.equal((await auditRows(app, { entity: 'customer', entityId: id, action: 'create' })).length, 1)
    const again = await rep2.post('/customers', form)
    t.equal(again.statusCode, 303, 'the same form posted again (double click) is the first result, not a warning')
    t.equal(again.headers.location, confirmed.headers.location)

    const fresh = await rep2.post('/customers', { ...customerForm({ name: '广州全新贸易有限公司', phone: '020-1111 2222', email: 'new@gz.cn' }), confirm_duplicate: '', form_token: await newToken(rep2) })
    t.equal(fresh.statusCode, 303, 'no duplicate: saved at once')
  })

  t.test('permission and sign-in', async (t) => {
    const anon = await app.inject({ method: 'GET', url: '/customers/duplicates?name=x', headers: { 'hx-request': 'true' } })
    t.ok([302, 303, 401].includes(anon.statusCode) || anon.headers['hx-redirect'], 'signed out: sent to sign in')
    await app.db.updateTable('roles').set({ permissions: ['customers.read'] }).where('code', '=', 'agent').execute()
    const agent = await signIn(app, 'agent')
    t.equal((await warn(agent, { name: '北京科技有限公司' })).statusCode, 403, 'without customers.create')
    t.ok(siemens)
  })
})
