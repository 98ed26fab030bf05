// Phone numbers arrive in every format: '+86 138-0013-8000', '(010) 6552 1234 转 808',
// '0086 13800138000'. We keep what was typed for display and match on digits only,
// without the country code and without an extension.
const EXT = /(?:转|分机|ext\.?|x|#)\s*\d{1,6}\s*$/i

export function normalizePhone(input: string | null | undefined): string {
  if (!input) return ''
  let s = input.trim().replace(EXT, '')
  s = s.replace(/[^\d+]/g, '')
  if (s.startsWith('+86')) s = s.slice(3)
  else if (s.startsWith('0086')) s = s.slice(4)
  else if (s.startsWith('+')) s = s.slice(1)
  else if (s.startsWith('86') && s.length === 13 && s[2] === '1') s = s.slice(2) // 86 + mobile
  return s.replace(/\D/g, '').slice(0, 20)
}

/** the digits of a search term, if the term looks like (part of) a phone number */
export function phoneTerm(term: string): string | null {
  const t = term.trim()
  if (!/^[+\d\s\-().]+$/.test(t)) return null
  const digits = normalizePhone(t)
  return digits.length >= 3 ? digits : null
}
