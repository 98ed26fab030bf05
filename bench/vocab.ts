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

// ── The service desk (seed-service-sql.ts) ─────────────────────────────────────
// Request templates per consultation category: a short subject, what the caller
// said and what the agent answered, as agents type them (mostly Chinese, now and
// then a model number or a figure, which lands in search_text).
export interface RequestTemplate { category: string; subject: string; content: string; answer: string }
export const REQUEST_TEMPLATES: RequestTemplate[] = [
  { category: 'PRODUCT', subject: '咨询考勤机功能', content: '客户想了解考勤机是否支持多门店统一管理。', answer: '已介绍主要功能，产品资料已发到客户邮箱。' },
  { category: 'PRODUCT', subject: '产品能否先试用', content: '客户希望先试用一个月，满意后批量采购。', answer: '可免费试用30天，已登记试用申请。' },
  { category: 'PRODUCT', subject: 'KH-500与旧型号的区别', content: '客户正在使用旧型号，询问升级后的改进。', answer: '新型号识别更快、支持远程管理，旧设备可折价换新。' },
  { category: 'PRODUCT', subject: '户外环境能否使用', content: '厂区在户外，询问设备能否在高温潮湿环境使用。', answer: '已告知工作温度范围和防护等级，建议加装防护罩。' },
  { category: 'PRODUCT', subject: '会议平板尺寸选择', content: '会议室约二十平方米，询问选哪种尺寸。', answer: '建议65寸，已发送选型指南。' },
  { category: 'PRODUCT', subject: '网盘扩容咨询', content: '企业网盘空间快满了，询问如何扩容。', answer: '扩容以100GB为单位购买，已转业务员报价。' },
  { category: 'PRICE', subject: '批量采购报价', content: '客户计划采购二十台，询问单价和批量折扣。', answer: '二十台以上九折，正式报价单由业务员发送。' },
  { category: 'PRICE', subject: '续费价格咨询', content: '年度服务下月到期，询问续费价格。', answer: '到期前一个月续费可享九五折。' },
  { category: 'PRICE', subject: '能否开具专用发票', content: '客户财务询问能否开具增值税专用发票。', answer: '可以开具，支持对公转账和银行承兑汇票。' },
  { category: 'PRICE', subject: '代理商价格咨询', content: '对方是本地经销商，想了解渠道价格。', answer: '需签订代理协议后执行，已转市场部跟进。' },
  { category: 'PRICE', subject: '安装费用咨询', content: '询问市区外上门安装是否收费。', answer: '市区外每次收取上门费300元。' },
  { category: 'PRICE', subject: '价格调整通知', content: '客户收到调价通知，询问已签合同是否受影响。', answer: '已签合同按原价执行，不受影响。' },
  { category: 'ORDER', subject: '发货进度查询', content: '上周下的订单还没有收到，询问物流进度。', answer: '货物已发出，预计两天内送达，已告知快递单号。' },
  { category: 'ORDER', subject: '修改收货地址', content: '客户搬了新办公室，需要修改收货地址。', answer: '已联系仓库修改地址，并与客户核对无误。' },
  { category: 'ORDER', subject: '到货数量不符', content: '客户反映收到的货物比订单少了一箱。', answer: '已核对出库单，确认少发一箱，已安排补发。' },
  { category: 'ORDER', subject: '催问合同和发票', content: '询问上月订单的合同原件和发票何时寄出。', answer: '已于昨日寄出，快递单号已发给客户。' },
  { category: 'ORDER', subject: '订单取消申请', content: '客户预算调整，申请取消未发货的订单。', answer: '已取消订单，款项五个工作日内退回。' },
  { category: 'ORDER', subject: '货物破损', content: '到货时外箱破损，设备屏幕有裂痕。', answer: '已安排换货，破损设备由物流取回。' },
  { category: 'TECH', subject: '设备无法联网', content: '设备显示离线，重启后仍然无法连接网络。', answer: '指导客户检查网线和DHCP设置，设备已恢复在线。' },
  { category: 'TECH', subject: '报表导出失败', content: '导出月度考勤报表时提示导出失败。', answer: '远程协助升级到最新版本后导出正常。' },
  { category: 'TECH', subject: '管理员无法登录', content: '管理员忘记密码，无法登录后台。', answer: '核实身份后已重置密码，建议开启双重验证。' },
  { category: 'TECH', subject: '预约上门安装', content: '需要安排工程师上门安装并培训管理员。', answer: '已预约工程师本周四上午上门。' },
  { category: 'TECH', subject: '人脸识别不准确', content: '早上识别经常失败，需要多次对准。', answer: '逆光导致识别率下降，已指导调整安装角度。' },
  { category: 'TECH', subject: '打印机无法添加', content: '云打印后台添加打印机时提示型号不支持。', answer: '已更新驱动列表，打印机添加成功。' },
  { category: 'OTHER', subject: '咨询展厅地址', content: '客户想到展厅参观，询问地址和开放时间。', answer: '已告知地址和开放时间，建议提前预约。' },
  { category: 'OTHER', subject: '合作代理咨询', content: '对方希望成为本地区代理商，询问代理条件。', answer: '已介绍代理政策，转市场部跟进。' },
  { category: 'OTHER', subject: '更换对接人', content: '原采购负责人离职，告知新的对接人。', answer: '已记录新的对接人，并通知负责业务员。' },
  { category: 'OTHER', subject: '投诉处理进度', content: '客户询问上次投诉的处理结果。', answer: '已查询处理记录，主管今天下午回电。' }
]
export const FOLLOWUP_NOTES = ['已联系仓库核实', '等待技术部回复', '客户要求明天再回电', '已把资料发到客户邮箱', '已转负责业务员跟进', '客户电话未接通，稍后再打', '已和客户确认处理方案']
export const APPOINTMENT_PURPOSES = ['回访报价', '确认到货情况', '回访满意度', '跟进安装进度', '提醒服务续费', '预约上门演示', '确认培训时间', '回访故障处理结果']
export const APPOINTMENT_RESULTS = { done: ['客户已确认，无其他问题', '客户满意，同意续费', '已约定下周上门', '客户反馈设备运行正常'], no_answer: ['无人接听', '电话占线', '关机'], cancelled: ['客户已自行解决', '客户要求改用邮件联系', '重复预约，取消'] }
