// Knowledge base (知识库): sanitising on save, search (Chinese fragments and Latin
// words), the call screen's suggestions and "use in this request", view counts,
// stale edits, double submits, delete with confirmation, audit rows, linking an
// article to a request, and every route × every built-in role.
import crypto from 'node:crypto'
import t from 'tap'
import { plainText, sanitizeBody } from '../../../src/modules/service-desk/kb-service.ts'
import { auditRows, seedOffice, signIn, testApp, type Client } from '../../helpers/app.ts'
import { assertCovered, matrixClients, runMatrix, type MatrixRoute, type Who } from '../../helpers/matrix.ts'

const token = () => crypto.randomBytes(12).toString('base64url')

interface ArticleForm { title: string; body: string; category?: string; published?: boolean }

/** creates an article through the real form post; returns its id */
async function newArticle(c: Client, a: ArticleForm): Promise<number> {
  const res = await c.post('/service/kb', {
    form_token: token(), category: a.category ?? 'FAQ', title: a.title, body_html: a.body, ...(a.published === false ? {} : { published: 'on' })
  })
  const m = /^\/service\/kb\/(\d+)$/.exec(String(res.headers.location ?? ''))
  if (res.statusCode !== 303 || !m) throw new Error(`create failed: ${res.statusCode} ${res.body.slice(0, 400)}`)
  return Number(m[1])
}

const changes = (row: { changes: unknown }) => row.changes as Record<string, unknown>
const versionOf = (html: string) => /name="version" value="(\d+)"/.exec(html)![1]

t.test('sanitising keeps the allow-list and nothing else', async (t) => {
  const dirty = '<h1>标题</h1><p onclick="x()">退货<script>alert(1)</script><img src=x onerror="alert(2)"></p>' +
    '<a href="javascript:alert(3)">坏链接</a><a href="//evil.example/x">协议相对</a><a href="https://ok.example/a?b=1&c=2" target="_blank" rel="opener">好链接</a>' +
    '<a href="mailto:kf@example.cn">邮件</a><ul><li><strong>粗</strong> <em>斜</em> <u>下划线</u></li></ul>' +
    '<table><tr><th colspan="2">价格</th></tr><tr><td colspan="x">X100</td><td>¥99</td></tr></table><blockquote>引用</blockquote><pre><code>a &lt; b</code></pre>' +
    '<style>p{}</style><iframe src="https://x"></iframe><div style="color:red">文字</div>'
  const clean = sanitizeBody(dirty)
  for (const bad of ['<script', 'alert(1)', 'onerror', 'onclick', 'javascript:', '<img', '<style', '<iframe', 'style=', 'evil.example', 'target=', '"opener"', '<h1']) {
    t.notOk(clean.includes(bad), `removed: ${bad}`)
  }
  t.match(clean, '<h2>标题</h2>', 'h1 becomes the top allowed heading')
  t.match(clean, '<a href="https://ok.example/a?b=1&amp;c=2" rel="noopener noreferrer">好链接</a>', 'https link kept, with rel')
  t.match(clean, '<a href="mailto:kf@example.cn" rel="noopener noreferrer">')
  t.match(clean, '<li><strong>粗</strong> <em>斜</em> <u>下划线</u></li>')
  t.match(clean, '<th colspan="2">价格</th>', 'a numeric colspan is kept')
  t.match(clean, '<td>X100</td>', 'a non-numeric colspan is dropped')
  t.match(clean, '<blockquote>引用</blockquote><pre><code>a &lt; b</code></pre>')
  t.match(clean, '文字', 'text of a removed tag stays')
  const text = plainText(clean)
  t.match(text, '标题\n退货', 'blocks become lines')
  t.match(text, 'a < b', 'entities are decoded for search')
  t.notMatch(text, '<strong')
})

t.test('knowledge base', async (t) => {
  const app = await testApp(t)
  const office = await seedOffice(app)
  const db = app.db
  const sup = await signIn(app, 'super')
  const boss = await signIn(app, 'boss')
  const agent = await signIn(app, 'agent')

  // awaited: the articles below must not exist yet
  await t.test('an empty knowledge base says what to do', async (t) => {
    const page = await sup.get('/service/kb')
    t.equal(page.statusCode, 200)
    t.match(page.body, '知识库里还没有文章')
    t.match(page.body, 'href="/service/kb/new"', 'an editor is offered to write the first article')
    const reader = await agent.get('/service/kb')
    t.match(reader.body, '请联系主管添加')
    t.notMatch(reader.body, 'href="/service/kb/new"')
  })

  const returns = await newArticle(sup, { category: 'POLICY', title: '退货政策', body: '<p>收到商品七天内可以无理由退货。</p><p>Returns within 7 days.</p>' })
  const warranty = await newArticle(sup, { category: 'POLICY', title: '保修说明', body: '<p>整机保修一年。</p><p>已激活的商品不能退货，只能维修。</p>' })
  const price = await newArticle(sup, { category: 'PRICE', title: 'X100 价格表', body: '<table><tr><th>Model</th><th>Price</th></tr><tr><td>X100</td><td>¥1999</td></tr></table>' })
  const draft = await newArticle(sup, { title: '退货流程（草稿）', body: '<p>内部草稿</p>', published: false })

  t.test('create: sanitised on save, audited, double submit makes one article', async (t) => {
    const form = await sup.get('/service/kb/new')
    t.equal(form.statusCode, 200)
    const tok = /name="form_token" value="([^"]+)"/.exec(form.body)![1]
    const body = { form_token: tok, category: 'FAQ', title: '常见问题：发票', body_html: '<p>可以开<strong>增值税</strong>发票<script>steal()</script></p><img src=x onerror=alert(1)><a href="javascript:alert(1)">点我</a>', published: 'on' }
    const first = await sup.post('/service/kb', body)
    t.equal(first.statusCode, 303)
    const again = await sup.post('/service/kb', body)
    t.equal(again.headers.location, first.headers.location, 'the second post returns the first article')
    const rows = await db.selectFrom('kb_articles').selectAll().where('title', '=', '常见问题：发票').execute()
    t.equal(rows.length, 1, 'one article')
    const a = rows[0]
    t.equal(a.body_html, '<p>可以开<strong>增值税</strong>发票</p><a rel="noopener noreferrer">点我</a>', 'script, onerror and javascript: removed')
    t.equal(a.body_text, '可以开增值税发票\n点我')
    t.ok(a.search_grams.includes('发票'), 'Chinese pairs are indexed')
    const page = await agent.get(`/service/kb/${a.id}`)
    t.match(page.body, '<strong>增值税</strong>', 'allowed markup is shown as markup')
    t.notMatch(page.body, 'steal()')
    const audits = await auditRows(app, { entity: 'kb_article', entityId: a.id })
    t.equal(audits.length, 1)
    t.equal(audits[0].action, 'create')
    t.same(changes(audits[0]).title, [null, '常见问题：发票'], 'field-level after')
  })

  t.test('invalid input is refused with the field message and the input kept', async (t) => {
    const bad = await sup.post('/service/kb', { form_token: token(), category: 'FAQ', title: '', body_html: '<p>保留我&amp;的内容</p>' })
    t.equal(bad.statusCode, 422)
    t.match(bad.body, '此项必填')
    t.match(bad.body, '&lt;p&gt;保留我&amp;amp;的内容&lt;/p&gt;', 'the typed body is back in the textarea, escaped')
    const empty = await sup.post('/service/kb', { form_token: token(), category: 'FAQ', title: '只有脚本', body_html: '<script>x()</script>' })
    t.equal(empty.statusCode, 422)
    t.match(empty.body, '正文不能为空')
    t.match(empty.body, 'value="只有脚本"')
    const cat = await sup.post('/service/kb', { form_token: token(), category: 'NOPE', title: '分类不对', body_html: 'x' })
    t.equal(cat.statusCode, 422)
    t.match(cat.body, '请从列表中选择')
    const before = await db.selectFrom('kb_articles').select('id').execute()
    const preview = await sup.post('/service/kb', { form_token: token(), category: 'FAQ', title: '预览', body_html: '<h3>小标题</h3><script>x()</script>', preview: '1' })
    t.equal(preview.statusCode, 200)
    t.match(preview.body, '<h3>小标题</h3>', 'the preview shows the sanitised body')
    t.match(preview.body, '还没有保存')
    t.equal((await db.selectFrom('kb_articles').select('id').execute()).length, before.length, 'a preview saves nothing')
  })

  t.test('search: Chinese two-character fragments and Latin words, titles first', async (t) => {
    const zh = await agent.get('/service/kb?q=' + encodeURIComponent('退货'))
    t.equal(zh.statusCode, 200)
    const i = zh.body.indexOf('退货政策'), j = zh.body.indexOf('保修说明')
    t.ok(i > 0 && j > 0, 'the title match and the body match are both found')
    t.ok(i < j, 'the title match comes first')
    t.notMatch(zh.body, '退货流程', 'a reader does not find drafts')
    t.match((await sup.get('/service/kb?q=' + encodeURIComponent('退货'))).body, '退货流程', 'an editor does')
    const latin = await agent.get('/service/kb?q=x100')
    t.match(latin.body, 'X100 价格表', 'a Latin word matches whatever its case')
    t.notMatch(latin.body, '退货政策')
    t.match((await agent.get('/service/kb?q=returns')).body, '退货政策', 'a Latin word in the body')
    t.match((await agent.get('/service/kb?q=' + encodeURIComponent('保修 一年'))).body, '保修说明', 'several terms all match')
    const none = await agent.get('/service/kb?q=' + encodeURIComponent('退款'))
    t.match(none.body, '没有找到与“退款”相关的知识')
    const cat = await agent.get('/service/kb?category=PRICE')
    t.match(cat.body, 'X100 价格表')
    t.notMatch(cat.body, '退货政策')
    t.equal((await agent.get('/service/kb?category=' + encodeURIComponent('<x>'))).statusCode, 400)
  })

  t.test('the call screen suggests articles and sets the request\'s article', async (t) => {
    const hx = { 'hx-request': 'true' }
    const frag = await agent.get('/service/kb/suggest?kb_q=' + encodeURIComponent('退货'), hx)
    t.equal(frag.statusCode, 200)
    t.notMatch(frag.body, '<html', 'a fragment, no layout')
    t.match(frag.body, `href="/service/kb/${returns}" target="_blank" rel="noopener"`, 'opens the article in a new tab')
    t.match(frag.body, '服务政策', 'with its category')
    t.match(frag.body, '无理由退货', 'and a snippet')
    t.match(frag.body, `hx-get="/service/kb/chosen?article_id=${returns}" hx-target="#kb-chosen"`, 'a "use" control without inline script')
    t.notMatch(frag.body, '退货流程', 'drafts are not suggested')
    t.ok(frag.body.indexOf('退货政策') < frag.body.indexOf('保修说明'), 'titles first')
    t.equal((await agent.get('/service/kb/suggest?kb_q=', hx)).body.trim(), '', 'an empty query gives an empty fragment')
    t.match((await agent.get('/service/kb/suggest?kb_q=zzzz', hx)).body, '没有找到')
    for (let n = 0; n < 9; n++) await newArticle(sup, { title: `退货问答 ${n}`, body: '<p>退货</p>' })
    const many = await agent.get('/service/kb/suggest?kb_q=' + encodeURIComponent('退货'), hx)
    t.equal(many.body.match(/<li>/g)?.length, 8, 'at most eight hits')
    const chosen = await agent.get(`/service/kb/chosen?article_id=${returns}`, hx)
    t.match(chosen.body, `<input type="hidden" name="article_id" value="${returns}">`)
    t.match(chosen.body, 'id="kb-chosen"')
    t.equal((await agent.get('/service/kb/chosen', hx)).body.includes('name="article_id"'), false, 'removing the choice empties the box')
    t.equal((await agent.get(`/service/kb/chosen?article_id=${draft}`, hx)).statusCode, 404)

    const screen = await agent.get('/service/calls/new')
    t.match(screen.body, 'id="kb-chosen"', 'the call screen holds the box the control fills')
    const tok = /name="form_token" value="([^"]+)"/.exec(screen.body)![1]
    const refused = await agent.post('/service/requests', { form_token: tok, channel: 'phone', subject: '', status: 'received', priority: 'normal', article_id: String(returns), article_title: '退货政策' })
    t.equal(refused.statusCode, 422)
    t.match(refused.body, `name="article_id" value="${returns}"`, 'a refused save keeps the chosen article')
    const save = await agent.post('/service/requests', { form_token: tok, channel: 'phone', caller_phone: '138 0000 1111', subject: '咨询退货', status: 'received', priority: 'normal', kb_q: '退货', article_id: String(returns) })
    t.equal(save.statusCode, 303)
    const rid = Number(/\/service\/requests\/(\d+)/.exec(String(save.headers.location))![1])
    t.same(await db.selectFrom('request_articles').select('article_id').where('request_id', '=', rid).execute(), [{ article_id: returns }])
    const page = await agent.get(`/service/requests/${rid}`)
    t.match(page.body, `<a href="/service/kb/${returns}">退货政策</a>`, 'the request page lists it')
  })

  t.test('link an article to an existing request', async (t) => {
    const screen = await agent.get('/service/calls/new')
    const tok = /name="form_token" value="([^"]+)"/.exec(screen.body)![1]
    const save = await agent.post('/service/requests', { form_token: tok, channel: 'phone', subject: '问保修', status: 'received', priority: 'normal' })
    const rid = Number(/\/service\/requests\/(\d+)/.exec(String(save.headers.location))![1])
    const page = await agent.get(`/service/requests/${rid}`)
    t.match(page.body, `action="/service/requests/${rid}/articles"`, 'the request page has the link form')
    t.match(page.body, 'hx-get="/service/kb/suggest?mode=link"')
    const link = await agent.hx('GET', '/service/kb/suggest?mode=link&kb_q=' + encodeURIComponent('保修'))
    t.match(link.body, `name="article_id" value="${warranty}"`, 'on the request page each hit submits the link form')
    const nojs = await agent.post(`/service/requests/${rid}/articles`, { kb_q: '保修', article_id: '' })
    t.equal(nojs.statusCode, 200, 'without JavaScript the search shows the hits on the page')
    t.match(nojs.body, `<button type="submit" class="btn small" name="article_id" value="${warranty}">`)
    const bad = await agent.post(`/service/requests/${rid}/articles`, { kb_q: '草稿', article_id: String(draft) })
    t.equal(bad.statusCode, 422, 'a draft cannot be linked')
    t.match(bad.body, '请先搜索并选择一篇已发布的文章')
    t.match(bad.body, 'value="草稿"', 'the search is kept')
    const ok = await agent.post(`/service/requests/${rid}/articles`, { article_id: String(warranty) })
    t.equal(ok.statusCode, 303)
    t.equal(ok.headers.location, `/service/requests/${rid}#articles`)
    t.match((await agent.get(`/service/requests/${rid}`)).body, `<a href="/service/kb/${warranty}">保修说明</a>`, 'it shows on the request page')
    t.equal((await agent.post(`/service/requests/${rid}/articles`, { article_id: String(warranty) })).statusCode, 303, 'linking twice is harmless')
    const audits = await auditRows(app, { entity: 'service_request', entityId: rid, action: 'link_article' })
    t.equal(audits.length, 1, 'one audit row for one change')
    t.same(changes(audits[0]), { article_ids: [[], [warranty]] })
    t.equal((await sup.post(`/service/requests/${rid}/articles`, { article_id: String(warranty) })).statusCode, 404, 'a request outside the scope is not found')
    t.equal((await (await signIn(app, 'rep')).post(`/service/requests/${rid}/articles`, { article_id: String(warranty) })).statusCode, 403)
  })

  t.test('views are counted once per view; drafts and deleted articles only for editors', async (t) => {
    const before = (await db.selectFrom('kb_articles').select('views').where('id', '=', price).executeTakeFirstOrThrow()).views
    const p1 = await agent.get(`/service/kb/${price}`)
    t.equal(p1.statusCode, 200)
    t.match(p1.body, `阅读 ${before + 1} 次`)
    await agent.get(`/service/kb/${price}`)
    await agent.request('HEAD', `/service/kb/${price}`)
    await agent.get('/service/kb/suggest?kb_q=x100')
    t.equal((await db.selectFrom('kb_articles').select('views').where('id', '=', price).executeTakeFirstOrThrow()).views, before + 2, 'two page views, nothing else')
    t.equal((await agent.get(`/service/kb/${draft}`)).statusCode, 404, 'a reader cannot open a draft')
    const d = await sup.get(`/service/kb/${draft}`)
    t.equal(d.statusCode, 200)
    t.match(d.body, '这是草稿')
    t.equal((await db.selectFrom('kb_articles').select('views').where('id', '=', draft).executeTakeFirstOrThrow()).views, 0, 'an editor checking a draft is not a reader')
  })

  t.test('a stale edit is refused with both versions shown and the input kept', async (t) => {
    const mine = await sup.get(`/service/kb/${warranty}/edit`)
    t.equal(mine.statusCode, 200)
    const v = versionOf(mine.body)
    const theirs = await boss.get(`/service/kb/${warranty}/edit`)
    const saved = await boss.post(`/service/kb/${warranty}`, { version: versionOf(theirs.body), category: 'POLICY', title: '保修说明（2027版）', body_html: '<p>整机保修两年。</p>', published: 'on' })
    t.equal(saved.statusCode, 303)
    const stale = await sup.post(`/service/kb/${warranty}`, { version: v, category: 'POLICY', title: '保修条款', body_html: '<p>我的修改：保修一年半。</p>', published: 'on' })
    t.equal(stale.statusCode, 409)
    t.match(stale.body, '王总 已修改了这条记录', 'says who changed it')
    t.match(stale.body, '保修说明（2027版）', 'their version is shown')
    t.match(stale.body, '&lt;p&gt;整机保修两年。&lt;/p&gt;', 'their text too')
    t.match(stale.body, 'value="保修条款"', 'my title is kept')
    t.match(stale.body, '我的修改：保修一年半', 'my text is kept')
    const row = await db.selectFrom('kb_articles').select(['title', 'version']).where('id', '=', warranty).executeTakeFirstOrThrow()
    t.equal(row.title, '保修说明（2027版）', 'nothing was overwritten')
    const retry = await sup.post(`/service/kb/${warranty}`, { version: versionOf(stale.body), category: 'POLICY', title: '保修条款', body_html: '<p>保修一年半。</p>', published: 'on' })
    t.equal(retry.statusCode, 303, 'saving again on purpose works')
    const audits = await auditRows(app, { entity: 'kb_article', entityId: warranty, action: 'update' })
    t.equal(audits.length, 2)
    t.same(changes(audits[1]).title, ['保修说明（2027版）', '保修条款'], 'before and after per field')
    const bad = await sup.post(`/service/kb/${warranty}`, { version: String(row.version + 1), category: 'POLICY', title: 'x'.repeat(201), body_html: '<p>长标题</p>' })
    t.equal(bad.statusCode, 422)
    t.match(bad.body, '不能超过 200 个字符')
  })

  t.test('delete asks first, then soft-deletes; restore brings it back', async (t) => {
    const page = await sup.get(`/service/kb/${price}`)
    t.match(page.body, `href="/service/kb/${price}/delete"`)
    const ask = await sup.get(`/service/kb/${price}/delete`)
    t.equal(ask.statusCode, 200)
    t.match(ask.body, '确定要删除《X100 价格表》吗')
    const unconfirmed = await sup.post(`/service/kb/${price}/delete`, { version: versionOf(ask.body) })
    t.equal(unconfirmed.statusCode, 200, 'a post without the confirmation shows the question again')
    t.equal((await db.selectFrom('kb_articles').select('deleted_at').where('id', '=', price).executeTakeFirstOrThrow()).deleted_at, null)
    const del = await sup.post(`/service/kb/${price}/delete`, { version: versionOf(ask.body), confirm: 'yes' })
    t.equal(del.statusCode, 303)
    t.equal(del.headers.location, '/service/kb')
    const row = await db.selectFrom('kb_articles').select(['deleted_at']).where('id', '=', price).executeTakeFirstOrThrow()
    t.ok(row.deleted_at, 'marked deleted, not removed')
    t.notMatch((await agent.get('/service/kb')).body, 'X100 价格表', 'gone from the list')
    t.notMatch((await agent.get('/service/kb/suggest?kb_q=x100')).body, 'X100', 'and from the suggestions')
    t.equal((await agent.get(`/service/kb/${price}`)).statusCode, 404)
    t.match((await sup.get('/service/kb?state=deleted')).body, 'X100 价格表', 'editors find it under "deleted"')
    t.equal((await sup.get(`/service/kb/${price}/edit`)).statusCode, 404, 'a deleted article is not edited')
    const audit = (await auditRows(app, { entity: 'kb_article', entityId: price, action: 'delete' }))[0]
    t.ok(audit, 'the delete is audited')
    t.equal((changes(audit).deleted_at as unknown[])[0], null)
    t.equal((await sup.post(`/service/kb/${price}/restore`)).statusCode, 303)
    t.equal((await agent.get(`/service/kb/${price}`)).statusCode, 200, 'restored')
    t.equal((await auditRows(app, { entity: 'kb_article', entityId: price, action: 'restore' })).length, 1)
  })

  t.test('the list pages newest first with a keyset "more"', async (t) => {
    const uid = office.users.super.id
    await db.insertInto('kb_articles').values(Array.from({ length: 50 }, (_, n) => ({
      category: 'FAQ', title: `批量文章 ${n}`, body_html: '<p>批量</p>', body_text: '批量', created_by: uid, updated_by: uid
    }))).execute()
    const first = await agent.get('/service/kb')
    t.ok(first.body.indexOf('批量文章 49') < first.body.indexOf('批量文章 48'), 'newest first')
    const more = /hx-get="(\/service\/kb\?after=\d+)"/.exec(first.body)
    t.ok(more, 'a "more" control')
    const next = await agent.get(more![1].replace(/&amp;/g, '&'), { 'hx-request': 'true' })
    t.notMatch(next.body, '<html', 'more rows come as a fragment')
    t.match(next.body, '退货政策', 'the older articles')
    t.notMatch(next.body, '批量文章 49')
  })
})

t.test('knowledge base permission matrix', async (t) => {
  const app = await testApp(t)
  const office = await seedOffice(app)
  const db = app.db
  const sup = await signIn(app, 'super')
  const art = await newArticle(sup, { title: '矩阵文章', body: '<p>退货</p>' })
  const draft = await newArticle(sup, { title: '矩阵草稿', body: '<p>草稿</p>', published: false })
  const gone = await newArticle(sup, { title: '矩阵已删', body: '<p>删</p>' })
  await sup.post(`/service/kb/${gone}/delete`, { version: '1', confirm: 'yes' })
  const agentC = await signIn(app, 'agent')
  const screen = await agentC.get('/service/calls/new')
  const tok = /name="form_token" value="([^"]+)"/.exec(screen.body)![1]
  const save = await agentC.post('/service/requests', { form_token: tok, channel: 'phone', subject: '矩阵受理单', status: 'received', priority: 'normal' })
  const req = Number(/\/service\/requests\/(\d+)/.exec(String(save.headers.location))![1])

  const clients = await matrixClients(app)
  const roles = Object.fromEntries((await db.selectFrom('roles').select(['id', 'code']).execute()).map((r) => [r.code, r.id]))
  const hash = (await db.selectFrom('users').select('password_hash').where('login', '=', 'agent').executeTakeFirstOrThrow()).password_hash
  await db.insertInto('users').values({ login: 'noknow', name: '无知识库坐席', department_id: office.departments.service, role_id: roles.agent, password_hash: hash, revokes: ['knowledge.read'] }).execute()
  clients.set('noknow', await signIn(app, 'noknow'))

  const READ: Who[] = ['admin', 'decision', 'supervisor', 'user', 'agent']
  const EDIT: Who[] = ['admin', 'decision', 'supervisor']
  // agents see every request (migrations/0003: data_scope all); the supervisor only his department's
  const LINK: Who[] = ['admin', 'decision', 'agent', 'noknow']
  const ctx = { art, draft, gone, req }
  type C = typeof ctx
  const bad = { category: 'FAQ', title: '', body_html: '<p>x</p>' }
  const routes: MatrixRoute<C>[] = [
    { method: 'GET', url: '/service/kb', allow: READ },
    { method: 'GET', url: '/service/kb?q=%E9%80%80%E8%B4%A7&category=FAQ', allow: READ },
    { method: 'GET', url: '/service/kb?after=abc', allow: READ, ok: 400 },
    { method: 'GET', url: '/service/kb/suggest?kb_q=%E9%80%80%E8%B4%A7', allow: READ },
    { method: 'GET', url: (c) => `/service/kb/chosen?article_id=${c.art}`, allow: READ },
    { method: 'GET', url: (c) => `/service/kb/chosen?article_id=${c.draft}`, allow: READ, ok: 404 },
    { method: 'GET', url: '/service/kb/new', allow: EDIT },
    { method: 'POST', url: '/service/kb', form: { ...bad, form_token: token() }, allow: EDIT, ok: 422 },
    { method: 'GET', url: (c) => `/service/kb/${c.art}`, allow: READ },
    { method: 'GET', url: (c) => `/service/kb/${c.draft}`, allow: READ, expect: { user: 404, agent: 404 } },
    { method: 'GET', url: (c) => `/service/kb/${c.gone}`, allow: READ, expect: { user: 404, agent: 404 } },
    { method: 'GET', url: '/service/kb/999999', allow: READ, ok: 404 },
    { method: 'GET', url: '/service/kb/abc', allow: READ, ok: 404 },
    { method: 'GET', url: (c) => `/service/kb/${c.art}/edit`, allow: EDIT },
    { method: 'GET', url: (c) => `/service/kb/${c.gone}/edit`, allow: EDIT, ok: 404 },
    { method: 'GET', url: '/service/kb/999999/edit', allow: EDIT, ok: 404 },
    { method: 'POST', url: (c) => `/service/kb/${c.art}`, form: { ...bad, version: '1' }, allow: EDIT, ok: 422 },
    { method: 'POST', url: '/service/kb/999999', form: { ...bad, version: '1' }, allow: EDIT, ok: 404 },
    { method: 'GET', url: (c) => `/service/kb/${c.art}/delete`, allow: EDIT },
    { method: 'GET', url: '/service/kb/999999/delete', allow: EDIT, ok: 404 },
    { method: 'POST', url: (c) => `/service/kb/${c.art}/delete`, form: { version: '1' }, allow: EDIT, ok: 200 },
    { method: 'POST', url: (c) => `/service/kb/${c.art}/delete`, form: { version: 'x', confirm: 'yes' }, allow: EDIT, ok: 422 },
    { method: 'POST', url: '/service/kb/999999/delete', form: { version: '1', confirm: 'yes' }, allow: EDIT, ok: 404 },
    { method: 'POST', url: '/service/kb/999999/restore', allow: EDIT, ok: 404 },
    { method: 'POST', url: (c) => `/service/requests/${c.req}/articles`, form: { article_id: '' }, allow: LINK, ok: 422, expect: { supervisor: 404 } },
    { method: 'POST', url: '/service/requests/999999/articles', form: { article_id: '1' }, allow: [...LINK, 'supervisor'], ok: 404 },
    // the one real change, last: restoring the deleted article
    { method: 'POST', url: (c) => `/service/kb/${c.gone}/restore`, allow: EDIT }
  ]
  await runMatrix(t, app, { routes, ctx, clients, tables: ['kb_articles', 'request_articles', 'form_tokens'] })
  assertCovered(t, app, routes, ctx, '/service/kb')
  const rows = await db.selectFrom('kb_articles').select(['id', 'deleted_at', 'version']).orderBy('id').execute()
  t.same(rows.map((r) => [r.id, !!r.deleted_at]), [[art, false], [draft, false], [gone, false]], 'only the restore changed anything')
  t.equal((await db.selectFrom('request_articles').selectAll().execute()).length, 0)
})
