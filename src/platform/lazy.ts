// A CommonJS package required on first use instead of at start-up: a package that
// takes long to load (exceljs, sanitize-html) and that most processes never use costs
// every start, and every test file, for nothing.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

/** `() => module`, loading `id` on the first call */
export function lazyRequire<T>(id: string): () => T {
  let mod: T | undefined
  return () => (mod ??= require(id) as T)
}
