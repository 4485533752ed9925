import type Router from '@koa/router';
import type { Huifang } from '../../huifang.js';
import { html } from '../html.js';
import { consoleHandler, render } from '../console-handler.js';
import { dateTime, listQuery, pager, param, select } from './common.js';
import { AUDIT_ACTION_LABELS, CHANNEL_LABELS, OUTCOME_LABELS, label } from '../labels.js';
import { DomainError } from '../../core/errors.js';
import { fromLocal, addLocalDays } from '../../core/time.js';

const ENTITY_LABELS: Readonly<Record<string, string>> = { Case: '案例', FollowUp: '回访', Escalation: '升级', Customer: '客户', SurveyInstance: '问卷', OutboxMessage: '消息', ConsoleUser: '管理台账号', CalendarEntry: '日历', ComplaintKeyword: '投诉话题' };

/** 审计: the audit log (administrators and auditors), filtered by actor, action, entity and date. */
export function auditPage(router: Router, app: Huifang): void {
  router.get(
    '/console/audit',
    consoleHandler(app, async (ctx, state) => {
      if (!state.access.canAudit) throw new DomainError('FORBIDDEN', 'Audit log is for administrators and auditors', {});
      const tz = app.config.timezone;
      const q = listQuery(ctx);
      const day = (name: string) => {
        const v = param(ctx, name);
        if (!v || !/^\d{4}-\d{2}-\d{2}$/.test(v)) return undefined;
        const [y, m, d] = v.split('-').map(Number) as [number, number, number];
        return fromLocal({ year: y, month: m, day: d, hour: 0, minute: 0, second: 0 }, tz);
      };
      const from = day('from');
      const to = day('to');
      const org = await app.deps.org.loadOrgSnapshot();
      const users = await app.console.auth.listConsoleUsers();
      const names = new Map<string, string>([...users.map((u) => [u.id, u.name] as const), ...[...org.staff.values()].map((st) => [st.id, st.name] as const)]);
      const reasons: Readonly<Record<string, string>> = app.deps.templates.labels.escalationReasons;
      const actors = [...users.filter((u) => !u.staffId).map((u) => ({ value: u.id, label: `${u.name}（管理台账号）` })), ...[...org.staff.values()].sort((a, b) => a.name.localeCompare(b.name, 'zh-Hans-CN')).map((s) => ({ value: s.id, label: s.name }))];
      const result = await app.console.views.listAudit({
        page: q.page,
        pageSize: 50,
        ...(param(ctx, 'actor') ? { actorId: param(ctx, 'actor') } : {}),
        ...(param(ctx, 'action') ? { action: param(ctx, 'action') } : {}),
        ...(param(ctx, 'entity') ? { entityType: param(ctx, 'entity') } : {}),
        ...(param(ctx, 'entityId') ? { entityId: param(ctx, 'entityId') } : {}),
        ...(from ? { from } : {}),
        ...(to ? { to: addLocalDays(to, 1, tz) } : {}),
      });
      render(ctx, app, state, {
        title: '审计',
        current: '/console/audit',
        body: html`<form class="filters card" method="get">
<div><label for="actor">操作人</label>${select('actor', param(ctx, 'actor'), actors)}</div>
<div><label for="action">事项</label>${select('action', param(ctx, 'action'), [
          { value: 'customer.phone_revealed', label: '查看号码' },
          { value: 'customer.viewed', label: '查看客户' },
          { value: 'customer.opted', label: '登记拒收 / 同意' },
          { value: 'follow_up.', label: '回访' },
          { value: 'escalation.', label: '升级' },
          { value: 'console.', label: '管理台登录' },
          { value: 'calendar.', label: '日历' },
        ])}</div>
<div><label for="entity">对象</label>${select('entity', param(ctx, 'entity'), Object.entries(ENTITY_LABELS).map(([value, l]) => ({ value, label: l })))}</div>
<div><label for="entityId">对象编号</label><input id="entityId" name="entityId" value="${param(ctx, 'entityId') ?? ''}"></div>
<div><label for="from">从</label><input id="from" name="from" type="date" value="${param(ctx, 'from') ?? ''}"></div>
<div><label for="to">至</label><input id="to" name="to" type="date" value="${param(ctx, 'to') ?? ''}"></div>
<div class="actions"><button type="submit">筛选</button><a class="button secondary" href="/console/audit">清除</a></div></form>
<div class="card"><table class="rows"><thead><tr><th>时间</th><th>操作人</th><th>事项</th><th>对象</th><th>详情</th></tr></thead><tbody>${result.items.map(
          (a) => html`<tr><td data-label="时间" class="nowrap">${dateTime(a.at, tz)}</td><td data-label="操作人" class="nowrap">${a.actorName ?? (a.actorType === 'SYSTEM' ? '系统' : a.actorType === 'CUSTOMER' ? '客户' : a.actorType === 'API' ? `接口 ${a.actorId ?? ''}` : (a.actorId ?? '—'))}</td><td data-label="事项" class="nowrap">${label(AUDIT_ACTION_LABELS, a.action)}</td><td data-label="对象">${ENTITY_LABELS[a.entityType] ?? a.entityType}<div class="muted small">${a.entityId}</div></td><td data-label="详情" class="small wide">${detailsText(a.details, names, reasons, tz)}</td></tr>`,
        )}</tbody></table>${pager(ctx, result)}</div>`,
      });
    }),
  );
}

/** Chinese names of the detail fields an audit entry carries; fields not listed are left out of the page. */
const DETAIL_LABELS: Readonly<Record<string, string>> = {
  page: '页面',
  method: '方式',
  role: '角色',
  ip: '地址',
  reason: '原因',
  severity: '程度',
  level: '级别',
  fromLevel: '原级别',
  toLevel: '新级别',
  ownerId: '负责人',
  fromOwnerId: '原负责人',
  toOwnerId: '新负责人',
  assigneeId: '负责人',
  from: '原负责人',
  to: '新负责人',
  responsibleId: '责任人',
  note: '说明',
  deadlineAt: '时限',
  expiresAt: '有效至',
  until: '至',
  purpose: '用途',
  limit: '每日上限',
  channel: '通道',
  outcome: '结果',
  satisfaction: '满意度',
  score: '评分',
  kind: '类型',
  name: '名称',
  topic: '话题',
  keyword: '关键词',
  via: '途径',
  source: '来源',
  consentMarketing: '同意营销',
  policyId: '策略',
  externalId: '编号',
  why: '原因',
  secondFollowUpDueAt: '二次回访时间',
};

/** Chinese words for the coded values of those fields. */
const VALUE_LABELS: Readonly<Record<string, string>> = {
  customer: '客户页',
  case: '案例页',
  link: '一次性链接',
  sandbox: '体验模式',
  wecom_oauth: '企业微信',
  wecom_qr: '企业微信扫码',
  admin: '管理员',
  auditor: '审计员',
  manager: '负责人',
  staff: '员工',
  view: '查看',
  call: '拨打',
  console: '管理台',
  normal: '一般',
  serious: '严重',
  general: '一般',
  holiday: '放假',
  workday: '调休上班',
  closure: '本单位停业',
  ...CHANNEL_LABELS,
  ...OUTCOME_LABELS,
  // Reasons the service records in English (sign-in refusals, calendar repairs, surveys, handovers).
  'account inactive or staff member gone': '账号已停用或人员已离职',
  'unknown, used or expired link': '链接无效、已使用或已过期',
  'unknown, used or expired state': '登录已过期或无效',
  'WeCom refused the code': '企业微信未确认身份',
  'not an active staff member': '不是在职员工',
  'invalid calendar data': '日历数据冲突',
  'restored: invalid calendar data': '日历数据冲突，已恢复原日期',
  'second follow-up after an escalation': '升级处理后的二次回访',
  reassign: '转派',
  handover: '休假交接',
  NO_ELIGIBLE_OWNER: '无人可接',
  NOT_OPENED: '未打开',
  WECHAT_FAILED: '公众号发送失败',
  WECHAT_NOT_DELIVERED: '公众号未送达',
  CUSTOMER_CONTACT_CAP: '客户联系次数已达上限',
  CANCELLED: '已取消',
};

/**
 * Audit details as short Chinese text: known fields by their Chinese names, staff ids as names, codes
 * as words, instants in local time; ids and internal keys are left out. Never phone numbers (none are
 * stored there).
 */
function detailsText(details: Record<string, unknown>, names: ReadonlyMap<string, string>, reasons: Readonly<Record<string, string>>, timeZone: string): string {
  const valueText = (key: string, v: unknown): string => {
    if (v === null || v === undefined || v === '') return '—';
    if (typeof v === 'boolean') return v ? '是' : '否';
    if (typeof v === 'number') return String(v);
    if (typeof v !== 'string') return JSON.stringify(v);
    if (names.has(v)) return names.get(v)!;
    if (key === 'reason' || key === 'why') return reasons[v] ?? VALUE_LABELS[v] ?? v;
    if (/^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/.test(v)) return dateTime(new Date(v), timeZone);
    return VALUE_LABELS[v] ?? v;
  };
  return Object.entries(details)
    .filter(([k]) => k in DETAIL_LABELS)
    .map(([k, v]) => `${DETAIL_LABELS[k]}：${valueText(k, v)}`)
    .join('；')
    .slice(0, 300);
}
