// The words the benchmark's customers and contacts are made of. Names are built in
// SQL by picking one word per slot; the pinyin initials of every word are computed
// here once with the app's own initials() and handed to SQL, which concatenates the
// initials of the parts it chose (pinyin cannot be done in SQL). seed.ts checks on
// a sample of rows that this gives exactly what derive() gives for the whole name.
//
// Frequencies are skewed on purpose, as real customer names are: a few regions and
// trade words are everywhere (the "very common" search terms), a long tail of brand
// words is rare (the "selective" two-character terms).

/** region prefix, its landline area code and the region-table name it maps to */
export const REGIONS: Array<[word: string, area: string]> = [
  ['北京', '010'], ['上海', '021'], ['广州', '020'], ['深圳', '0755'], ['天津', '022'], ['重庆', '023'],
  ['杭州', '0571'], ['南京', '025'], ['武汉', '027'], ['成都', '028'], ['西安', '029'], ['苏州', '0512'],
  ['宁波', '0574'], ['青岛', '0532'], ['大连', '0411'], ['厦门', '0592'], ['长沙', '0731'], ['郑州', '0371'],
  ['济南', '0531'], ['合肥', '0551'], ['福州', '0591'], ['昆明', '0871'], ['沈阳', '024'], ['哈尔滨', '0451'],
  ['石家庄', '0311'], ['太原', '0351'], ['南昌', '0791'], ['贵阳', '0851'], ['南宁', '0771'], ['兰州', '0931'],
  ['无锡', '0510'], ['佛山', '0757'], ['东莞', '0769'], ['温州', '0577'], ['珠海', '0756'], ['常州', '0519']
]

/** brand words, most common first (picked with a Zipf-like skew) */
export const COMMON_STEMS = [
  '华为', '中天', '东方', '宏远', '恒通', '金鼎', '瑞丰', '鑫源', '海纳', '博雅', '天成', '明德', '永利', '盛世',
  '汇通', '华信', '联创', '新宇', '正大', '和信', '润泽', '嘉禾', '康达', '丰华', '远航', '腾飞', '宏图', '凯旋',
  '安泰', '国泰', '信达', '华宇', '金桥', '海天', '百川', '金城', '银河', '星辰', '光明', '大地', '万通', '三友',
  '力诚', '鼎盛', '卓越', '创新', '同方', '泰和', '天宇', '华夏', '中科', '智联', '云帆', '锦程', '宝丰', '恒信',
  '万达', '北辰', '青松', '绿源'
]

// The rare tail: two-character words made of characters that read one way only,
// pairs that are not common words (each one lands on a few hundred names in 1 M).
const TAIL_A = '鑫瑞泰隆昌嘉祥福康安顺达兴旺鸿鹏骏豪杰俊峰岳川江海洋涛澜辉耀晟煜炜铭诚信德仁义礼智'
const TAIL_B = '源泉林森峰岭宇轩阁苑坊园庭城邦基业成功通达丰茂华盛荣昊晨曦'
export const RARE_STEMS: string[] = (() => {
  const out: string[] = []
  const common = new Set(COMMON_STEMS)
  for (let i = 0; out.length < 400; i++) {
    const a = [...TAIL_A][(i * 7) % [...TAIL_A].length], b = [...TAIL_B][(i * 13 + Math.floor(i / 37)) % [...TAIL_B].length]
    const w = a + b
    if (a !== b && !common.has(w) && !out.includes(w)) out.push(w)
    if (i > 100_000) break
  }
  return out
})()

/** trade word, most common first */
export const TRADES = [
  '科技', '贸易', '电子', '建设', '实业', '投资', '物流', '商贸', '信息技术', '机械', '医药', '化工', '食品', '建材',
  '装饰', '环保', '能源', '软件', '网络', '广告', '文化传媒', '教育咨询', '房地产开发', '农业', '生物', '电器',
  '家具', '印刷', '包装', '五金', '光电', '新材料', '通信', '商务咨询', '酒店管理', '旅游', '纺织', '服装', '餐饮管理', '汽车服务'
]

/** legal-form suffix, most common first */
export const SUFFIXES = ['有限公司', '有限责任公司', '股份有限公司', '集团有限公司', '商行', '经营部', '工作室', '厂', '分公司', '集团']

/** surnames, most common first (with a few two-character ones) */
export const SURNAMES = [
  '王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱', '胡', '郭', '何', '高', '林', '罗',
  '郑', '梁', '谢', '宋', '唐', '许', '韩', '冯', '邓', '曹', '彭', '曾', '肖', '田', '董', '袁', '潘', '于', '蒋', '蔡',
  '余', '杜', '叶', '程', '苏', '魏', '吕', '丁', '任', '沈', '姚', '卢', '姜', '崔', '钟', '谭', '陆', '汪', '范', '金',
  '欧阳', '司马', '诸葛', '上官'
]

/** given names (one or two characters) */
export const GIVEN = [
  '伟', '芳', '娜', '敏', '静', '丽', '强', '磊', '军', '洋', '勇', '艳', '杰', '涛', '明', '超', '秀英', '霞', '平', '刚',
  '桂英', '建华', '文', '华', '建国', '红', '志强', '丹', '萍', '鹏', '玉兰', '海燕', '晓东', '晓明', '子涵', '浩然',
  '雨桐', '欣怡', '梓萱', '宇轩', '思远', '俊杰', '嘉怡', '博文', '一鸣', '天佑', '佳琪', '诗涵', '明轩', '若曦',
  '志刚', '春梅', '国庆', '丽娟', '永红', '海涛', '建军', '秀兰', '桂芳', '振华'
]

export const POSITIONS = ['CHAIR', 'GM', 'SALES', 'MKT', 'PR', 'CE', 'EXT', 'HR', 'STAFF']

/** what was said on a call or visit */
export const SUMMARIES = [
  '电话沟通新年度采购计划，客户有意向增加订单', '上门拜访，演示新产品，客户反馈良好', '客户询问报价，已发送最新价格表',
  '跟进合同条款，对方法务正在审核', '客户反映上批货物交付延迟，已协调物流', '邀请客户参加下月行业展会',
  '沟通售后服务需求，安排技术人员上门', '客户提出账期延长申请，待财务审批', '回访满意度，客户对服务总体满意',
  '讨论年度框架协议续签事宜', '发送产品资料和案例介绍邮件', '客户更换采购负责人，已建立新联系',
  '会议确认项目里程碑和验收标准', '客户暂无需求，三个月后再联系', '催收上季度尾款，客户承诺月底前支付'
]
export const NEXT_STEPS = ['发送报价单', '安排上门拜访', '确认合同细节', '跟进付款', '邀请参加展会', '回访使用情况']
