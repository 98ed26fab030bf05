// UI text lives in locales/*.json (zh-CN first, en complete); data stays as entered.
import fs from 'node:fs'
import path from 'node:path'

export const LANGS = ['zh-CN', 'en'] as const
export type Lang = (typeof LANGS)[number]
export const DEFAULT_LANG: Lang = 'zh-CN'

type Dict = Record<string, string>
const LOCALES_DIR = path.resolve(import.meta.dirname, '../../locales')

function flatten(obj: Record<string, unknown>, prefix = '', out: Dict = {}): Dict {
  for (const [k, v] of Object.entries(obj)) {
    if (v && typeof v === 'object') flatten(v as Record<string, unknown>, `${prefix}${k}.`, out)
    else out[`${prefix}${k}`] = String(v)
  }
  return out
}

// locales/<lang>.json holds the platform's text; locales/<lang>/<module>.json a
// module's, under the prefix `<module>.` so modules never edit each other's files.
function load(lang: Lang): Dict {
  const out = flatten(JSON.parse(fs.readFileSync(path.join(LOCALES_DIR, `${lang}.json`), 'utf8')))
  const dir = path.join(LOCALES_DIR, lang)
  if (fs.existsSync(dir)) {
    for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
      flatten(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')), `${f.slice(0, -5)}.`, out)
    }
  }
  return out
}

const dicts = Object.fromEntries(LANGS.map((l) => [l, load(l)])) as Record<Lang, Dict>

export function isLang(v: unknown): v is Lang { return typeof v === 'string' && (LANGS as readonly string[]).includes(v) }

export type T = (key: string, params?: Record<string, string | number>) => string

export function translator(lang: Lang): T {
  const d = dicts[lang]
  const fallback = dicts[DEFAULT_LANG]
  return (key, params) => {
    let s = d[key] ?? fallback[key] ?? key
    if (params) s = s.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m))
    return s
  }
}

export function keysOf(lang: Lang): string[] { return Object.keys(dicts[lang]) }

/** Picks zh or en from a row that carries both (code lists, roles). */
export function label(lang: Lang, zh: string, en: string): string { return lang === 'en' ? en || zh : zh || en }
