import t from 'tap'
import { z } from 'zod'
import { parseForm } from '../../src/platform/forms.ts'
import { translator } from '../../src/platform/i18n.ts'
import { childRegions, ensureRegions, regionField, regionName, regionPath, regionPicker } from '../../src/platform/regions.ts'
import { eta } from '../../src/platform/render.ts'
import { Client, seedOffice, signIn, testApp } from '../helpers/app.ts'

const options = (html: string) => [...html.matchAll(/<option value="(\d*)"[^>]*>([^<]*)</g)].map((m) => [m[1], m[2]])

t.test('regions', async (t) => {
  const app = await testApp(t)
  await seedOffice(app)

  t.test('the table is filled at start from the package', async (t) => {
    const provinces = await childRegions(app.db, null)
    t.equal(provinces.length, 34, '34 provincial-level divisions, including 台湾, 香港, 澳门')
    t.same(provinces[0], { code: '110000', name: '北京市' })
    const nanshan = await app.db.selectFrom('regions').selectAll().where('code', '=', '440305').executeTakeFirstOrThrow()
    t.same(nanshan, { code: '440305', name: '南山区', parent_code: '440300', level: 3 })
    t.same(await regionPath(app.db, '440305'), [
      { code: '440000', name: '广东省' }, { code: '440300', name: '深圳市' }, { code: '440305', name: '南山区' }
    ])
    t.equal(await regionName(app.db, '440305'), '广东省 深圳市 南山区')
    t.equal(await regionName(app.db, '440300'), '广东省 深圳市')
    t.equal(await regionName(app.db, '110101'), '北京市 东城区', 'a municipality has no city level')
    t.equal(await regionName(app.db, '429004'), '湖北省 仙桃市', 'the "directly administered" grouping is left out of the name')
    t.equal(await regionName(app.db, '999999'), '')
    t.same(await regionPath(app.db, 'abc'), [])
    const shenzhen = await childRegions(app.db, '440300')
    t.ok(shenzhen.some((r) => r.name === '南山区'))
    t.notOk(shenzhen.some((r) => r.name === '市辖区'), 'the standard\'s bookkeeping "市辖区" rows are not offered')
    t.same(await childRegions(app.db, '999999'), [])
    const again = await ensureRegions(app.db)
    t.equal(again, 0, 'a second start leaves a filled table alone')
  })

  t.test('children route returns the options one level down', async (t) => {
    const c = await signIn(app, 'rep')
    const res = await c.hx('GET', '/regions/children?parent=440300')
    t.equal(res.statusCode, 200)
    const opts = options(res.body)
    t.same(opts[0], ['', '请选择'], 'a blank choice first')
    t.ok(opts.some(([code, name]) => code === '440305' && name === '南山区'))
    t.equal(res.headers['cache-control'], 'no-store')

    // the picker's selects send their value under the form's field name, named in HX-Trigger-Name
    const viaPicker = await c.request('GET', '/regions/children?region_code=440000&clear=f-region_code-3', {
      headers: { 'hx-request': 'true', 'hx-trigger-name': 'region_code' }
    })
    t.equal(viaPicker.statusCode, 200)
    t.ok(options(viaPicker.body).some(([code]) => code === '440300'))
    t.match(viaPicker.body, /<select id="f-region_code-3" hx-swap-oob="innerHTML">/, 'the district select is emptied out of band')

    const unknown = await c.hx('GET', '/regions/children?parent=990000')
    t.equal(unknown.statusCode, 200)
    t.same(options(unknown.body), [['', '请选择']], 'an unknown parent has no children')
    const blank = await c.hx('GET', '/regions/children?parent=')
    t.same(options(blank.body), [['', '请选择']])

    for (const bad of ['44', '4403050', 'abcdef', "440300'--", '440300&parent=110000']) {
      const r = await c.hx('GET', `/regions/children?parent=${encodeURIComponent(bad)}`)
      t.equal(r.statusCode, 422, `bad code ${bad}`)
    }
    const evilId = await c.hx('GET', '/regions/children?parent=440000&clear=%22%3E%3Cscript%3E')
    t.equal(evilId.statusCode, 200)
    t.notMatch(evilId.body, /hx-swap-oob|<script/, 'an id that is not an id is ignored')

    const en = await c.post('/lang', { lang: 'en', back: '/' })
    t.equal(en.statusCode, 303)
    t.same(options((await c.hx('GET', '/regions/children?parent=440300')).body)[0], ['', 'Choose…'])
  })

  t.test('anonymous visitors are sent to sign-in', async (t) => {
    const anon = new Client(app)
    const page = await anon.get('/regions/children?parent=440300')
    t.equal(page.statusCode, 303)
    t.match(String(page.headers.location), /^\/login/)
    const hx = await anon.hx('GET', '/regions/children?parent=440300')
    t.equal(hx.headers['hx-redirect'], '/login')
    t.notMatch(hx.body, '南山区')
  })

  t.test('the picker renders the chosen path preselected', async (t) => {
    const zh = translator('zh-CN')
    const html = eta.render('/partials/region-picker', {
      t: zh, name: 'region_code', label: '所在地区', picker: await regionPicker(app.db, '440305'), required: true
    })
    const selects = [...html.matchAll(/<select id="([^"]+)" name="([^"]+)"[^>]*>([\s\S]*?)<\/select>/g)]
    t.same(selects.map((s) => [s[1], s[2]]), [['f-region_code-1', 'region_code'], ['f-region_code-2', 'region_code'], ['f-region_code-3', 'region_code']])
    const selected = selects.map((s) => /<option value="(\d+)" selected>/.exec(s[3])?.[1])
    t.same(selected, ['440000', '440300', '440305'])
    t.ok(options(selects[1][3]).some(([, name]) => name === '广州市'), 'the city list is the chosen province\'s')
    t.ok(options(selects[2][3]).some(([, name]) => name === '福田区'), 'the district list is the chosen city\'s')
    t.match(html, 'hx-get="/regions/children" hx-target="#f-region_code-2" hx-trigger="change"')
    t.match(html, 'hx-target="#f-region_code-3"')
    t.match(html, '<legend>所在地区')
    t.notMatch(html, /<script|\son\w+=/i, 'no inline script, no event attributes')

    const empty = eta.render('/partials/region-picker', { t: zh, name: 'area', id: 'x', label: '地区', picker: await regionPicker(app.db, null) })
    t.notMatch(empty, ' selected')
    t.equal(options(empty).length, 1 + 34 + 1 + 1, 'provinces only; the lower levels wait for a choice')
    const withError = eta.render('/partials/region-picker', { t: zh, name: 'area', label: '地区', picker: await regionPicker(app.db, null), errors: { area: { key: 'errors.required' } } })
    t.match(withError, 'aria-invalid="true"')
    t.match(withError, zh('errors.required'))
  })

  t.test('the posted chain becomes the most specific consistent code', async (t) => {
    const schema = z.object({ region_code: regionField() })
    const parse = (v: unknown) => parseForm(schema, { region_code: v }).region_code
    t.equal(parse(['440000', '440300', '440305']), '440305')
    t.equal(parse(['440000', '440300', '']), '440300')
    t.equal(parse(['440000', '', '']), '440000')
    t.equal(parse(['', '', '']), undefined)
    t.equal(parse(undefined), undefined)
    t.equal(parse('440305'), '440305', 'a single value is fine too')
    t.equal(parse(['110000', '110101', '']), '110101', 'a municipality\'s district sits in the second select')
    t.equal(parse(['420000', '429000', '429004']), '429004')
    t.equal(parse(['110000', '440300', '440305']), '110000', 'a province changed without JavaScript drops the stale levels below')
    t.equal(parse(['440000', '440300', '440106']), '440300', 'a district of another city is dropped')
    t.throws(() => parse(['44000x', '', '']), 'a malformed code is refused')
    t.throws(() => parse(['440000', '440300', '440305', '440305']), 'more than three values is refused')
  })
})
