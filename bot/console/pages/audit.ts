import type Router from '@koa/router';
import type { Huifang } from '../../huifang.js';
import { html } from '../html.js';
import { consoleHandler, render } from '../console-handler.js';
import { dateTime, listQuery, pager, param, select } from './common.js';
import { AUDIT_ACTION_LABELS, label } from '../labels.js';
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
          (a) => html`<tr><td data-label="时间" class="nowrap">${dateTime(a.at, tz)}</td><td data-label="操作人">${a.actorName ?? (a.actorType === 'SYSTEM' ? '系统' : a.actorType === 'CUSTOMER' ? '客户' : a.actorType === 'API' ? `接口 ${a.actorId ?? ''}` : (a.actorId ?? '—'))}</td><td data-label="事项">${label(AUDIT_ACTION_LABELS, a.action)}</td><td data-label="对象">${ENTITY_LABELS[a.entityType] ?? a.entityType}<div class="muted small">${a.entityId}</div></td><td data-label="详情" class="small">${detailsText(a.details)}</td></tr>`,
        )}</tbody></table>${pager(ctx, result)}</div>`,
      });
    }),
  );
}

/** Audit details as short text; never phone numbers (none are stored there). */
function detailsText(details: Record<string, unknown>): string {
  return Object.entries(details)
    .filter(([k]) => !['actedBy'].includes(k))
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join('；')
    .slice(0, 300);
}
