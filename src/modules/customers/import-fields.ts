// What an import file's columns can map to, and the guess from their header text
// (Chinese or English, as people name them, and as our own export names them so an
// exported file imports back unchanged).
import { translator } from '../../platform/i18n.ts'

/** customer fields, then the first contact's; each maps from at most one column */
export const IMPORT_FIELDS = [
  'name', 'customer_type', 'short_name', 'legal_rep', 'email', 'region', 'address', 'phone', 'fax', 'website',
  'nature', 'industry', 'sales_channel', 'brands', 'size', 'credit', 'assessment', 'grade', 'status', 'source', 'tags',
  'owner', 'registered_on', 'collected_by', 'remarks',
  'contact_name', 'contact_gender', 'contact_position', 'contact_mobile', 'contact_office_phone', 'contact_email'
] as const
export type ImportField = (typeof IMPORT_FIELDS)[number]
export const REQUIRED_FIELDS: ImportField[] = ['name']

/** column index → field; columns not in the map are ignored */
export type Mapping = Record<number, ImportField>

const SYNONYMS: Record<ImportField, string[]> = {
  name: ['企业名称', '客户名称', '公司名称', '单位名称', '名称', '客户', '公司', '企业', 'name', 'company', 'companyname', 'customer', 'customername', 'account', 'accountname'],
  customer_type: ['客户类型', '类型', '客户类别', 'type', 'customertype', 'category'],
  short_name: ['简称', '客户简称', '企业简称', 'shortname', 'abbreviation', 'alias'],
  legal_rep: ['法人代表', '法人', '法定代表人', 'legalrep', 'legalrepresentative'],
  email: ['电子邮箱', '邮箱', '电子邮件', '企业邮箱', 'email', 'e-mail', 'mail'],
  region: ['所在区域', '区域', '地区', '省市区', '所在地区', '所在地', '省市', 'region', 'area', 'province'],
  address: ['详细地址', '地址', '公司地址', '通讯地址', 'address', 'street'],
  phone: ['电话', '公司电话', '联系电话', '固定电话', '座机', '总机', 'phone', 'telephone', 'tel'],
  fax: ['传真', 'fax'],
  website: ['网址', '网站', '主页', '公司网址', 'website', 'web', 'url', 'homepage'],
  nature: ['企业性质', '性质', 'nature', 'ownership'],
  industry: ['行业', '所属行业', '行业类别', 'industry', 'sector'],
  sales_channel: ['销售渠道', '渠道', 'saleschannel', 'channel'],
  brands: ['经营/代理品牌', '经营代理品牌', '品牌', '经营品牌', '代理品牌', 'brands', 'brand'],
  size: ['企业规模', '规模', 'size', 'companysize'],
  credit: ['企业资信', '资信', '信用', '信用等级', 'credit', 'creditrating'],
  assessment: ['客户考核', '考核', 'assessment'],
  grade: ['客户等级', '等级', '级别', 'grade', 'rating', 'level'],
  status: ['客户状态', '状态', 'status', 'stage'],
  source: ['客户来源', '来源', '信息来源', 'source', 'leadsource'],
  tags: ['标签', 'tags', 'tag', 'labels'],
  owner: ['负责业务员', '业务员', '负责人', '销售', '销售员', '客户经理', '归属人', 'owner', 'salesrep', 'rep', 'assignedto'],
  registered_on: ['信息登记日期', '登记日期', '登记时间', 'registeredon', 'registrationdate', 'registered'],
  collected_by: ['信息采集人', '采集人', 'collectedby'],
  remarks: ['备注', '说明', '附注', 'remarks', 'notes', 'note', 'comment', 'comments'],
  contact_name: ['联系人', '联系人姓名', '主联系人', '姓名', 'contact', 'contactname', 'maincontact'],
  contact_gender: ['性别', '联系人性别', 'gender', 'sex'],
  contact_position: ['职务', '职位', '联系人职务', 'position', 'title', 'jobtitle'],
  contact_mobile: ['手机', '手机号', '手机号码', '联系人手机', '移动电话', 'mobile', 'cell', 'cellphone', 'mobilephone'],
  contact_office_phone: ['办公电话', '联系人电话', '联系人办公电话', 'officephone', 'workphone'],
  contact_email: ['联系人邮箱', '联系人电子邮箱', 'contactemail']
}

/** header text as compared: no spaces, marks of required columns, brackets or punctuation */
export function normalizeHeader(h: string): string {
  return h.normalize('NFKC').toLowerCase()
    .replace(/[（(【\[][^）)】\]]*[）)】\]]/g, '') // "企业名称（必填）", "Name (required)"
    .replace(/[\s*＊:：_.。·\-]/g, '')
}

let lookup: Map<string, ImportField> | undefined
function synonymLookup(): Map<string, ImportField> {
  if (lookup) return lookup
  const m = new Map<string, ImportField>()
  // our own export headers first (both languages), then the synonyms
  for (const lang of ['zh-CN', 'en'] as const) {
    const t = translator(lang)
    for (const f of IMPORT_FIELDS) m.set(normalizeHeader(t(`customerIo.field.${f}`)), f)
  }
  for (const f of IMPORT_FIELDS) for (const s of SYNONYMS[f]) if (!m.has(normalizeHeader(s))) m.set(normalizeHeader(s), f)
  lookup = m
  return m
}

/**
 * The mapping for a file's headers: what this user chose before for the same
 * header text, else the known name of the column, else a header that contains a
 * known name ("客户名称（全称）"). Each field is taken by the first column only.
 */
export function guessMapping(headers: string[], remembered: Record<string, string> = {}): Mapping {
  const known = synonymLookup()
  const out: Mapping = {}
  const taken = new Set<string>()
  const take = (i: number, f: string | undefined) => {
    if (!f || taken.has(f) || !(IMPORT_FIELDS as readonly string[]).includes(f)) return false
    out[i] = f as ImportField
    taken.add(f)
    return true
  }
  const norm = headers.map(normalizeHeader)
  const passes: ((h: string) => string | undefined)[] = [
    (h) => (h in remembered ? remembered[h] || '-' : undefined),
    (h) => known.get(h),
    (h) => {
      // the longest known name inside the header: 联系人手机号 is the mobile, not the contact's name
      let best: [string, ImportField] | undefined
      for (const [k, f] of known) if (k.length >= 2 && /[^\x00-\x7f]/.test(k) && h.includes(k) && (!best || k.length > best[0].length)) best = [k, f]
      return best?.[1]
    }
  ]
  for (const pass of passes) {
    norm.forEach((h, i) => {
      if (i in out || !h) return
      const f = pass(h)
      if (f === '-') out[i] = undefined as never // remembered as ignored: stays unmapped
      else take(i, f)
    })
  }
  for (const k of Object.keys(out)) if (out[Number(k)] === undefined) delete out[Number(k)]
  return out
}

/** what to remember of a mapping: header text → field ('' for a column left out) */
export function mappingMemory(headers: string[], mapping: Mapping, before: Record<string, string> = {}): Record<string, string> {
  const out = { ...before }
  headers.forEach((h, i) => { const n = normalizeHeader(h); if (n) out[n] = mapping[i] ?? '' })
  // a small bounded memory: the newest 200 header names
  const keys = Object.keys(out)
  for (const k of keys.slice(0, Math.max(0, keys.length - 200))) delete out[k]
  return out
}
