import { freshStore, baseConfig } from './test/helpers/app.ts'
import { buildApp } from './src/app.ts'
import { PGlite } from '@electric-sql/pglite'
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm'
const td: any[] = []
const t = { teardown: (f: any) => td.push(f) }
for (let i = 0; i < 3; i++) {
let a = performance.now()
const { store, config } = await freshStore(t, baseConfig())
console.log('store', (performance.now() - a).toFixed(0)); a = performance.now()
const app = await buildApp(config, { store, logger: false })
await app.ready()
console.log('app', (performance.now() - a).toFixed(0)); a = performance.now()
const p = await PGlite.create({ extensions: { pg_trgm } })
console.log('bare pglite', (performance.now() - a).toFixed(0)); a = performance.now()
await p.close()
}
