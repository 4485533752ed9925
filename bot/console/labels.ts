/**
 * Chinese labels of the statuses, outcomes and actions the console shows. Escalation reasons come from
 * templates/messages (`labels.escalation_reasons`), as in the staff messages.
 */

export const CONSOLE_ROLE_LABELS: Readonly<Record<string, string>> = { admin: '管理员', auditor: '审计员', manager: '负责人', staff: '员工' };

export const FOLLOW_UP_STATUS_LABELS: Readonly<Record<string, string>> = {
  SCHEDULED: '待执行',
  ACTIVE: '进行中',
  OVERDUE: '已逾期',
  DONE: '已完成',
  UNREACHABLE: '未联系上',
  CANCELLED: '已取消',
  SKIPPED: '未抽中',
};

export const OUTCOME_LABELS: Readonly<Record<string, string>> = {
  SATISFIED: '满意',
  NEUTRAL: '一般',
  DISSATISFIED: '不满意',
  UNREACHABLE: '未接通',
  NO_RESPONSE: '未答复',
};

/** Case types of the installed policy packs (templates/policies, `caseTypes`); an unknown type shows as it is. */
export const CASE_TYPE_LABELS: Readonly<Record<string, string>> = {
  project_acceptance: '工程验收',
  station_maintenance: '站点维护',
  home_service: '家政服务',
  equipment_installation: '设备安装',
  equipment_maintenance: '设备维修',
  equipment_complaint: '设备投诉',
  express_delivery: '快递签收',
  water_connection: '供水报装',
  water_hotline_transfer: '热线转办',
  water_hotline_repair: '热线报修',
  water_key_customer: '重点客户',
  service_complaint: '服务投诉',
  power_service: '供电服务',
  piano_term: '学期课程',
  discharge: '出院',
  decoration_project: '装饰工程',
  vehicle_paid_repair: '自费维修',
  vehicle_warranty_repair: '保修期维修',
  vehicle_registration: '车辆上牌',
  property_complaint: '物业投诉',
  estate_inbound_call: '来电咨询',
  estate_visit: '到访看房',
  estate_purchase: '购房',
  travel_product_use: '产品使用',
  travel_partner: '合作伙伴',
  travel_complaint: '旅游投诉',
};

/** Kinds of outbound message, as the case timeline names them. */
export const MESSAGE_KIND_LABELS: Readonly<Record<string, string>> = {
  task_card: '任务卡片',
  card_update: '卡片更新',
  staff_text: '员工通知',
  staff_document: '周报 / 月报',
  staff_markdown: '周报 / 月报',
  survey_invite: '问卷邀请',
  customer_notice: '客户通知',
  webhook: '事件推送',
};

export const ACTION_LABELS: Readonly<Record<string, string>> = { STAFF_TASK: '人工回访', CUSTOMER_SURVEY: '问卷' };

export const CHANNEL_LABELS: Readonly<Record<string, string>> = { wecom: '企业微信', sms: '短信', wechat: '公众号', wecom_contact: '企业微信客户联系', webhook: '事件推送' };

/** The webhook event types (docs/webhooks.md), as the settings page lists them. */
export const WEBHOOK_EVENT_LABELS: Readonly<Record<string, string>> = {
  'case.created': '案例登记',
  'followup.completed': '回访完成',
  'survey.answered': '问卷答复',
  'escalation.opened': '升级',
  'escalation.climbed': '超时升级',
  'escalation.resolved': '升级处理完成',
};

export const ESCALATION_STATUS_LABELS: Readonly<Record<string, string>> = {
  OPEN: '待受理',
  ACKNOWLEDGED: '已受理',
  RESOLVED: '已处理，待二次回访',
  CLOSED: '已关闭',
};

export const OUTBOX_STATUS_LABELS: Readonly<Record<string, string>> = { PENDING: '待发送', SENDING: '发送中', SENT: '已发送', DEAD: '发送失败', CANCELLED: '未发送' };

/** What an audit action means, for the timeline and the audit page; unknown actions show as they are. */
export const AUDIT_ACTION_LABELS: Readonly<Record<string, string>> = {
  'case.created': '案例登记',
  'case.updated': '案例更新',
  'case.replanned': '按新策略重排',
  'case.closed': '案例关闭',
  'follow_up.activated': '回访推送',
  'follow_up.done': '回访完成',
  'follow_up.unreachable': '未接通',
  'follow_up.rescheduled': '改期',
  'follow_up.overdue': '回访逾期',
  'follow_up.reassigned': '转派',
  'follow_up.handed_over': '休假交接',
  'follow_up.reminded': '提醒',
  'follow_up.cancelled': '回访取消',
  'follow_up.deferred': '回访顺延',
  'follow_up.quota_topped_up': '抽样补足最低次数',
  'follow_up.satisfied': '回访：满意',
  'follow_up.dissatisfied': '回访：不满意',
  'follow_up.reschedule': '改期',
  'follow_up.medical_concern': '病情异常',
  'survey.answered': '问卷答复',
  'survey.sent': '问卷发送',
  'survey.fallback': '改发短信',
  'escalation.opened': '升级',
  'escalation.viewed': '查看升级',
  'escalation.acknowledged': '确认受理',
  'escalation.climbed': '超时升级',
  'escalation.breached': '超过最终时限',
  'escalation.resolved': '处理完成',
  'escalation.evidence_added': '补充反馈',
  'escalation.closed': '二次回访完成，关闭',
  'escalation.reassigned': '升级转交',
  'escalation.unassigned': '升级无人可接',
  'customer.viewed': '查看客户',
  'customer.phone_revealed': '查看号码',
  'customer.phone_reveal_refused': '查看号码（超出限额）',
  'customer.opted_out': '登记拒收',
  'customer.opted_in': '登记同意接收',
  'outbox.cancelled': '消息未发送（已拒收）',
  'console.signed_in': '登录管理台',
  'console.signed_out': '退出管理台',
  'console.sign_in_refused': '登录被拒',
  'console.sign_in_throttled': '登录过于频繁',
  'console.role_changed': '调整管理台角色',
  'console.admin_bootstrapped': '建立首个管理员',
  'console.link_created': '生成登录链接',
  'webhook.subscription_added': '添加推送订阅',
  'webhook.subscription_removed': '删除推送订阅',
  'calendar.entry_added': '添加日历',
  'calendar.entry_removed': '删除日历',
  'calendar.year_imported': '导入全年日历',
  'calendar.year_import_undone': '撤销导入日历',
  'complaint_topic.added': '添加投诉话题词',
  'complaint_topic.removed': '删除投诉话题词',
};

export function label(map: Readonly<Record<string, string>>, key: string | null | undefined): string {
  if (!key) return '—';
  return map[key] ?? key;
}

/** Where a report of an escalation's incident came from (EscalationEvidence.source). */
export const EVIDENCE_SOURCE_LABELS: Readonly<Record<string, string>> = { staff: '员工回访', sms: '客户短信', web: '问卷页面', system: '系统' };
