// What the demo's customers and callers are made of (`npm run demo`): cities with
// their area codes and region codes, brand and trade words, people's names, and the
// ways people type phone numbers. Pure functions of a random source, so the demo
// office is the same on every run. Used by customers/demo.ts and service-desk/demo.ts.

export type Rand = () => number

export const pickOf = <T>(rand: Rand, items: readonly T[]): T => items[Math.floor(rand() * items.length)]

/** one item by weight: [[value, weight], …] */
export function weighted<T>(rand: Rand, items: ReadonlyArray<readonly [T, number]>): T {
  const total = items.reduce((s, [, w]) => s + w, 0)
  let x = rand() * total
  for (const [v, w] of items) if ((x -= w) < 0) return v
  return items[items.length - 1][0]
}

/** an integer in [lo, hi] */
export const between = (rand: Rand, lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1))

export interface City { word: string; area: string; region: string; territory: 'east' | 'south' | 'north' }

// region: the GB/T 2260 code the city's districts hang under (a municipality's
// districts sit right under the province code)
export const CITIES: City[] = ([
  ['上海', '021', '310000', 'east'], ['杭州', '0571', '330100', 'east'], ['南京', '025', '320100', 'east'], ['苏州', '0512', '320500', 'east'],
  ['宁波', '0574', '330200', 'east'], ['无锡', '0510', '320200', 'east'], ['温州', '0577', '330300', 'east'], ['合肥', '0551', '340100', 'east'],
  ['济南', '0531', '370100', 'east'], ['青岛', '0532', '370200', 'east'],
  ['深圳', '0755', '440300', 'south'], ['广州', '020', '440100', 'south'], ['佛山', '0757', '440600', 'south'], ['珠海', '0756', '440400', 'south'],
  ['厦门', '0592', '350200', 'south'], ['福州', '0591', '350100', 'south'], ['长沙', '0731', '430100', 'south'],
  ['北京', '010', '110000', 'north'], ['天津', '022', '120000', 'north'], ['武汉', '027', '420100', 'north'], ['成都', '028', '510100', 'north'],
  ['西安', '029', '610100', 'north'], ['重庆', '023', '500000', 'north'], ['郑州', '0371', '410100', 'north'], ['沈阳', '024', '210100', 'north'],
  ['大连', '0411', '210200', 'north'], ['昆明', '0871', '530100', 'north']
] as const).map(([word, area, region, territory]) => ({ word, area, region, territory }))

/** brand words of company names, the first ones far more common than the rest */
export const BRANDS = [
  '华信', '中天', '东方', '宏远', '恒通', '金鼎', '瑞丰', '鑫源', '海纳', '博雅', '天成', '明德', '永利', '盛世', '汇通', '联创',
  '新宇', '正大', '和信', '润泽', '嘉禾', '康达', '丰华', '远航', '腾飞', '宏图', '凯旋', '安泰', '国泰', '信达', '华宇', '金桥',
  '海天', '百川', '金城', '银河', '星辰', '光明', '大地', '万通', '三友', '力诚', '鼎盛', '卓越', '同方', '泰和', '天宇', '华夏',
  '中科', '智联', '云帆', '锦程', '宝丰', '恒信', '北辰', '青松', '绿源', '创维', '佳禾', '德胜', '富源', '广厦', '弘毅', '华茂',
  '汇丰', '嘉鸿', '金瑞', '九州', '骏马', '凯达', '朗润', '立信', '龙腾', '美嘉', '宁远', '鹏程', '启明', '全顺', '荣盛', '瑞祥',
  '三和', '尚品', '顺发', '泰丰', '天骄', '拓普', '万象', '威达', '伟业', '祥和', '新华', '鑫达', '星河', '亚太', '易通', '永泰',
  '宇通', '远景', '长江', '振华', '致远', '中恒', '卓瑞', '安捷', '奥华', '百信', '保利', '辰光', '诚达', '大成', '鼎立', '方正',
  '丰泽', '福瑞', '冠华', '国信', '海川', '昊天', '和盛', '恒达', '弘盛', '华创', '汇源', '吉顺', '佳美', '金盛', '聚源', '康泰'
]

/** trade words with the industry code they suggest, most common first */
export const TRADES: ReadonlyArray<readonly [word: string, industry: string]> = [
  ['电子科技', 'IT'], ['信息技术', 'IT'], ['网络科技', 'IT'], ['软件', 'IT'], ['智能科技', 'IT'], ['通信设备', 'IT'],
  ['贸易', 'RETAIL'], ['商贸', 'RETAIL'], ['进出口贸易', 'RETAIL'], ['食品', 'RETAIL'], ['连锁超市', 'RETAIL'], ['服饰', 'RETAIL'],
  ['机械设备', 'MFG'], ['精密机械', 'MFG'], ['化工', 'MFG'], ['新材料', 'MFG'], ['建材', 'MFG'], ['五金制品', 'MFG'], ['包装材料', 'MFG'],
  ['光电', 'MFG'], ['电器', 'MFG'], ['塑胶制品', 'MFG'], ['家具', 'MFG'], ['纺织', 'MFG'], ['医疗器械', 'MFG'],
  ['投资管理', 'FIN'], ['融资租赁', 'FIN'], ['保险代理', 'FIN'],
  ['教育科技', 'EDU'], ['职业培训', 'EDU'],
  ['文化传媒', 'MEDIA'], ['广告', 'MEDIA'], ['印刷', 'MEDIA'],
  ['物流', 'OTHER'], ['供应链管理', 'OTHER'], ['装饰工程', 'OTHER'], ['建筑工程', 'OTHER'], ['环保科技', 'OTHER'], ['新能源', 'OTHER'],
  ['生物科技', 'OTHER'], ['餐饮管理', 'OTHER'], ['酒店管理', 'OTHER'], ['汽车服务', 'OTHER'], ['实业', 'OTHER']
]

export const LEGAL_FORMS: ReadonlyArray<readonly [string, number]> = [
  ['有限公司', 70], ['有限责任公司', 10], ['股份有限公司', 10], ['集团有限公司', 4], ['厂', 3], ['经营部', 3]
]

/** public bodies (customer type G) by the district they are in */
export const PUBLIC_BODIES = ['教育局', '卫生健康局', '人力资源和社会保障局', '市场监督管理局', '政务服务中心', '街道办事处', '图书馆', '疾病预防控制中心']

export const SURNAMES = [
  '王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱', '胡', '郭', '何', '高', '林', '罗',
  '郑', '梁', '谢', '宋', '唐', '许', '韩', '冯', '邓', '曹', '彭', '曾', '肖', '田', '董', '袁', '潘', '于', '蒋', '蔡',
  '余', '杜', '叶', '程', '苏', '魏', '吕', '丁', '任', '沈', '姚', '卢', '姜', '崔', '钟', '谭', '陆', '汪', '范', '金', '欧阳', '司马'
]
const GIVEN_M = ['伟', '强', '磊', '军', '洋', '勇', '杰', '涛', '明', '超', '刚', '建华', '建国', '志强', '鹏', '晓东', '浩然', '宇轩', '思远',
  '俊杰', '博文', '一鸣', '天佑', '明轩', '志刚', '国庆', '海涛', '建军', '振华', '文斌', '子豪', '立新', '永强', '家俊', '德明']
const GIVEN_F = ['芳', '娜', '敏', '静', '丽', '艳', '秀英', '霞', '桂英', '红', '丹', '萍', '玉兰', '海燕', '子涵', '雨桐', '欣怡', '梓萱',
  '嘉怡', '佳琪', '诗涵', '若曦', '春梅', '丽娟', '秀兰', '桂芳', '晓燕', '婷婷', '雅琴', '慧敏', '淑华', '美玲', '思琪', '晶晶', '颖']

export function person(rand: Rand): { name: string; gender: 'M' | 'F' } {
  const gender = rand() < 0.55 ? 'M' : 'F'
  return { name: pickOf(rand, SURNAMES) + pickOf(rand, gender === 'M' ? GIVEN_M : GIVEN_F), gender }
}

const MOBILE_PREFIXES = ['130', '131', '132', '133', '135', '136', '137', '138', '139', '150', '151', '152', '155', '156', '157', '158', '159',
  '166', '176', '177', '180', '181', '182', '183', '185', '186', '187', '188', '189', '191', '198', '199']

/** a mobile number nobody in `used` has yet, typed one of the ways people type them */
export function mobile(rand: Rand, used: Set<string>): string {
  let d: string
  do d = pickOf(rand, MOBILE_PREFIXES) + String(Math.floor(rand() * 1e8)).padStart(8, '0')
  while (used.has(d))
  used.add(d)
  return weighted(rand, [
    [d, 50], [`${d.slice(0, 3)} ${d.slice(3, 7)} ${d.slice(7)}`, 20], [`${d.slice(0, 3)}-${d.slice(3, 7)}-${d.slice(7)}`, 15],
    [`+86 ${d.slice(0, 3)} ${d.slice(3, 7)} ${d.slice(7)}`, 15]
  ] as const)
}

/** a landline of the city (8 local digits in the big cities, 7 or 8 elsewhere), typed as people do */
export function landline(rand: Rand, city: City, used: Set<string>, ext = false): string {
  const len = city.area.length === 3 || rand() < 0.7 ? 8 : 7
  let local: string
  do local = String(between(rand, 2, 8)) + String(Math.floor(rand() * 10 ** (len - 1))).padStart(len - 1, '0')
  while (used.has(city.area + local))
  used.add(city.area + local)
  const split = len === 8 ? `${local.slice(0, 4)} ${local.slice(4)}` : `${local.slice(0, 3)} ${local.slice(3)}`
  const shown = weighted(rand, [[`${city.area}-${local}`, 55], [`(${city.area}) ${split}`, 20], [`${city.area} ${split}`, 25]] as const)
  return ext ? `${shown} 转 ${between(rand, 801, 899)}` : shown
}

export const STREETS = ['人民路', '解放路', '中山路', '建设路', '科技园路', '创业大道', '长江路', '新华街', '滨海大道', '金融街', '工业大道',
  '高新路', '文化路', '光明路', '东风路', '和平路', '学府路', '迎宾大道', '世纪大道', '环城北路']

export const CONTACT_DEPARTMENTS = ['总经办', '采购部', '行政部', '财务部', '技术部', '市场部', '销售部', '信息中心', '人力资源部']

export const TAGS: ReadonlyArray<readonly [string, number]> = [
  ['老客户', 20], ['重点客户', 14], ['VIP', 6], ['展会', 10], ['转介绍', 10], ['年度框架', 6], ['待回款', 5], ['新客户', 12], ['高潜力', 9], ['政府采购', 4]
]

/** what the demo office sells, for the demand, request and article texts */
export const PRODUCTS = ['KH-200 智能考勤机', 'KH-500 人脸门禁一体机', '云打印服务', '企业网盘', '智能会议平板', '客服呼叫中心系统', '电子签章服务', '办公耗材套装']

export const DEMANDS: Record<string, string[]> = {
  INFO: ['在行业网站发布新品上市信息', '发布年度招商信息', '发布企业宣传资料和案例', '在展会会刊刊登企业信息', '发布代理商招募信息'],
  ADS: ['年度媒体广告投放，预算约 20 万元', '春季促销户外广告投放', '行业杂志半版广告连续六期', '地铁站灯箱广告一个季度', '短视频平台推广合作'],
  SUBSCR: ['订阅《中国电子商情》全年', '订阅行业期刊两份', '订阅市场分析月报', '续订《办公自动化》杂志', '订阅采购指南年刊']
}

export const COMMUNICATIONS: Record<'call' | 'visit' | 'email' | 'meeting', string[]> = {
  call: ['电话沟通新年度采购计划，客户有意向增加订单', '客户询问报价，已发送最新价格表', '跟进合同条款，对方法务正在审核', '客户反映上批货物交付延迟，已协调物流',
    '回访满意度，客户对服务总体满意', '客户暂无需求，约三个月后再联系', '催收上季度尾款，客户承诺月底前支付', '确认发票信息和收货地址',
    '客户咨询 KH-500 门禁的安装条件', '电话确认下周上门演示的时间'],
  visit: ['上门拜访，演示新产品，客户反馈良好', '拜访采购负责人，了解年度预算', '到现场查看考勤机安装位置', '陪同技术人员上门培训使用',
    '拜访新任总经理，介绍合作情况'],
  email: ['发送产品资料和案例介绍邮件', '邮件发送正式报价单和合同草案', '邮件确认培训安排', '发送年度服务报告'],
  meeting: ['会议确认项目里程碑和验收标准', '讨论年度框架协议续签事宜', '参加客户招标答疑会', '与客户财务核对往来账目']
}

export const NEXT_STEPS = ['发送报价单', '安排上门拜访', '确认合同细节', '跟进付款', '邀请参加展会', '回访使用情况', '寄送样品', '安排技术交流', '确认招标时间']
