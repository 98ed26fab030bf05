// The upload's own defences (security.md §1.9, S14): size, content type by magic
// bytes, zip-bomb limits before expanding, permission before the body is read.
import zlib from 'node:zlib'
import t from 'tap'
import { Client, seedOffice, signIn, testApp } from '../../helpers/app.ts'
import { csv, jobIdOf, multipart, upload } from './io-helpers.ts'

/** a minimal zip; `claim` overrides the uncompressed size the directory states for an entry */
function zip(entries: { name: string; data: Buffer; claim?: number }[]): Buffer {
  const locals: Buffer[] = []
  const centrals: Buffer[] = []
  let offset = 0
  for (const e of entries) {
    const body = zlib.deflateRawSync(e.data)
    const name = Buffer.from(e.name)
    const size = e.claim ?? e.data.length
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt16LE(8, 8)
    local.writeUInt32LE(body.length, 18); local.writeUInt32LE(size, 22); local.writeUInt16LE(name.length, 26)
    const central = Buffer.alloc(46)
    central.writeUInt32LE(0x02014b50, 0); central.writeUInt16LE(20, 4); central.writeUInt16LE(20, 6); central.writeUInt16LE(8, 10)
    central.writeUInt32LE(body.length, 20); central.writeUInt32LE(size, 24); central.writeUInt16LE(name.length, 28); central.writeUInt32LE(offset, 42)
    locals.push(local, name, body)
    centrals.push(central, name)
    offset += 30 + name.length + body.length
  }
  const cd = Buffer.concat(centrals)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(entries.length, 8); end.writeUInt16LE(entries.length, 10)
  end.writeUInt32LE(cd.length, 12); end.writeUInt32LE(offset, 16)
  return Buffer.concat([...locals, cd, end])
}

const jobs = (app: Awaited<ReturnType<typeof testApp>>) =>
  app.db.withTables<{ import_jobs: { id: number; file_name: string } }>().selectFrom('import_jobs').select(['id', 'file_name']).execute()

t.test('import uploads', async (t) => {
  const app = await testApp(t)
  await seedOffice(app)
  const rep = await signIn(app, 'rep')
  const good = csv([['企业名称'], ['上传测试公司']])

  t.test('oversize upload → 413 with the limit, nothing kept', async (t) => {
    const res = await upload(rep, 'big.csv', Buffer.alloc(31 * 1024 * 1024, 0x61))
    t.equal(res.statusCode, 413)
    t.match(res.body, '最大 30 MB')
    t.equal((await jobs(app)).length, 0)
  })

  t.test('content that does not match the extension → 422', async (t) => {
    for (const [name, data, text] of [
      ['客户.xlsx', good, '内容不是 Excel 工作簿'],
      ['客户.csv', zip([{ name: 'a.txt', data: Buffer.from('x') }]), '内容不是文本'],
      ['old.xls', Buffer.from('d0cf11e0a1b11ae1', 'hex'), '不支持旧版'],
      ['run.exe', good, '只能导入'],
      ['broken.xlsx', Buffer.from('PK\u0003\u0004 not really a zip'), '文件已损坏']
    ] as const) {
      const res = await upload(rep, name, data)
      t.equal(res.statusCode, 422, name)
      t.match(res.body, text, name)
      t.match(res.body, 'enctype="multipart/form-data"', 'the upload form is shown again')
    }
    t.equal((await jobs(app)).length, 0)
  })

  t.test('zip bombs are refused before anything expands them', async (t) => {
    const zeros = Buffer.alloc(40 * 1024 * 1024)
    const bomb = zip([{ name: '[Content_Types].xml', data: Buffer.from('<x/>') }, { name: 'xl/worksheets/sheet1.xml', data: zeros }])
    t.ok(bomb.length < 200 * 1024, `a ${bomb.length}-byte file expanding to 40 MB`)
    const res = await upload(rep, 'bomb.xlsx', bomb)
    t.equal(res.statusCode, 422)
    t.match(res.body, '解压后过大')

    // a directory that understates the size: caught while inflating, with output discarded
    const liar = zip([{ name: 'xl/worksheets/sheet1.xml', data: Buffer.alloc(8 * 1024 * 1024), claim: 900_000 }])
    const res2 = await upload(rep, 'liar.xlsx', liar)
    t.equal(res2.statusCode, 422)
    t.match(res2.body, '解压后过大')

    const many = zip(Array.from({ length: 1200 }, (_, i) => ({ name: `f${i}.xml`, data: Buffer.from('<a/>') })))
    t.equal((await upload(rep, 'many.xlsx', many)).statusCode, 422, 'too many entries')
    t.equal((await jobs(app)).length, 0)
  })

  t.test('the file is kept under the job id; its name is only shown, escaped', async (t) => {
    const res = await upload(rep, '..\\..\\<img src=x onerror=alert(1)>.csv', good)
    t.equal(res.statusCode, 303)
    const id = jobIdOf(res)
    const [job] = await jobs(app)
    t.equal(job.id, id)
    t.equal(job.file_name, '<img src=x onerror=alert(1)>.csv', 'no path from the browser survives')
    const page = await rep.get('/customers/import')
    t.match(page.body, '&lt;img src=x onerror=alert(1)&gt;.csv')
    t.notMatch(page.body, '<img src=x')
  })

  t.test('permission and CSRF are checked; refused bodies are not read', async (t) => {
    const anon = new Client(app)
    await anon.get('/login')
    const m = multipart({ _csrf: anon.csrf }, { name: 'file', filename: 'a.csv', data: good })
    const a = await anon.request('POST', '/customers/import', { payload: m.payload, headers: { 'content-type': m.contentType }, csrf: false })
    t.equal(a.statusCode, 401)
    const revoked = await app.db.updateTable('users').set({ revokes: ['customers.create'] }).where('login', '=', 'rep2').execute()
    t.ok(revoked)
    const rep2 = await signIn(app, 'rep2')
    t.equal((await rep2.get('/customers/import')).statusCode, 403)
    const r = await upload(rep2, 'a.csv', good)
    t.equal(r.statusCode, 403, 'no customers.create → 403')
    const big = await upload(rep2, 'big.csv', Buffer.alloc(31 * 1024 * 1024, 0x61))
    t.equal(big.statusCode, 403, 'refused before the size matters')
    const noToken = multipart({}, { name: 'file', filename: 'a.csv', data: good })
    const c = await rep.request('POST', '/customers/import', { payload: noToken.payload, headers: { 'content-type': noToken.contentType }, csrf: false })
    t.equal(c.statusCode, 403, 'no CSRF token → 403')
    const before = (await jobs(app)).length
    const wrong = multipart({ _csrf: 'forged-token-value' }, { name: 'file', filename: 'a.csv', data: good })
    const w = await rep.request('POST', '/customers/import', { payload: wrong.payload, headers: { 'content-type': wrong.contentType }, csrf: false })
    t.equal(w.statusCode, 403)
    t.equal((await jobs(app)).length, before, 'no job made by a refused request')
  })

  t.test('a job older than a day is removed with its file', async (t) => {
    const res = await upload(rep, 'old.csv', good)
    const id = jobIdOf(res)
    await app.db.withTables<{ import_jobs: { id: number; created_at: Date } }>().updateTable('import_jobs')
      .set({ created_at: new Date(Date.now() - 25 * 3600_000) }).where('id', '=', id).execute()
    await upload(rep, 'new.csv', good)
    t.notOk((await jobs(app)).some((j) => j.id === id))
    t.equal((await rep.get(`/customers/import/${id}`)).statusCode, 404)
  })
})
