// Chinese text search without a segmenter: pg_trgm cannot use its index for one- and
// two-character terms (张三, 华为), so CJK text is indexed as the array of its
// characters and adjacent pairs (GIN), and a term is looked up by its pairs.
export const CJK = /[\u3400-\u9fff\uf900-\ufaff]/

/** every CJK character and every adjacent CJK pair in the texts */
export function cjkGrams(...texts: (string | null | undefined)[]): string[] {
  const out = new Set<string>()
  for (const text of texts) {
    if (!text) continue
    for (const run of text.match(/[\u3400-\u9fff\uf900-\ufaff]+/g) ?? []) {
      const chars = [...run]
      for (let i = 0; i < chars.length; i++) {
        out.add(chars[i])
        if (i + 1 < chars.length) out.add(chars[i] + chars[i + 1])
      }
    }
  }
  return [...out]
}

/** the grams a search term must all be found among: its pairs, or its one character */
export function termGrams(term: string): string[] {
  const chars = [...term].filter((c) => CJK.test(c))
  if (chars.length === 1) return chars
  const pairs = new Set<string>()
  for (let i = 0; i + 1 < chars.length; i++) pairs.add(chars[i] + chars[i + 1])
  return [...pairs]
}

export const hasCjk = (s: string) => CJK.test(s)
