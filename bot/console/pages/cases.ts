import type Router from '@koa/router';
import type { Huifang } from '../../huifang.js';
import { html } from '../html.js';
import { findStep } from '../../core/policies/find-step.js';
import { consoleHandler, render } from '../console-handler.js';
import { dateTime, listQuery, pager, param, select, sortHeader, policiesInOrder } from './common.js';
import { ACTION_LABELS, AUDIT_ACTION_LABELS, CASE_TYPE_LABELS, CHANNEL_LABELS, ESCALATION_STATUS_LABELS, FOLLOW_UP_STATUS_LABELS, MESSAGE_KIND_LABELS, OUTCOME_LABELS, label } from '../labels.js';
import type { PolicyDefinition } from '../../core/policies/types.js';
import { DomainError } from '../../core/errors.js';
import { recordCustomerView } from '../../core/console/console-actions.js';
import type { TimelineEntry } from '../../core/ports/console-views.js';
import { scopeChoices } from './follow-ups.js';

const KIND_LABELS: Readonly<Record<TimelineEntry['kind'], string>> = {
  case: '案例',
  follow_up: '回访',
  message: '消息',
  delivery: '送达',
  reply: '客户回复',
  form: '回访记录',
  escalation: '升级',
  audit: '操作',
};

/** A timeline entry's title in Chinese (its machine title is `<kind>.<value>` or an audit action). */
function entryTitle(e: TimelineEntry, reasons: Readonly<Record<string, string>>): string {
  const [head, tail] = e.title.split('.');
  if (e.kind === 'audit') return AUDIT_ACTION_LABELS[e.title] ?? e.title;
  if (e.kind === 'follow_up') return `回访${label(FOLLOW_UP_STATUS_LABELS, tail?.toUpperCase())}`;
  if (e.kind === 'message') return `消息${({ pending: '待发送', sending: '发送中', sent: '已发送', dead: '发送失败', cancelled: '未发送' } as Record<string, string>)[tail ?? ''] ?? tail}`;
  if (e.kind === 'delivery') return tail === 'delivered' ? '已送达' : tail === 'failed' ? '送达失败' : '送达状态';
  if (e.kind === 'reply') return `客户答复：${label(OUTCOME_LABELS, tail?.toUpperCase())}`;
  if (e.kind === 'escalation') return `升级：${label(reasons, (tail ?? '').toUpperCase())}`;
  if (head === 'case') return '事件发生';
  return e.title;
}

/**
 * A timeline entry's detail in Chinese: the read model writes codes (case type, step key, `channel
 * kind · step · error code`); the page names them. Free text (replies, notes, summaries) is shown as it is.
 */
function entryDetail(e: TimelineEntry, policy: PolicyDefinition | undefined): string | null {
  if (!e.detail) return null;
  const step = (key: string | undefined) => (key ? (findStep(policy, key)?.title ?? key) : '');
  if (e.kind === 'case') return label(CASE_TYPE_LABELS, e.detail);
  if (e.kind === 'follow_up') return step(e.detail);
  if (e.kind === 'message' || e.kind === 'delivery') {
    const [head, ...rest] = e.detail.split(' · ');
    const [channel, kind] = (head ?? '').split(' ');
    const what = [label(CHANNEL_LABELS, channel), kind ? label(MESSAGE_KIND_LABELS, kind) : ''].filter(Boolean).join(' ');
    const [stepKey, ...errors] = e.kind === 'message' && rest.length && !/^[A-Z0-9_.]+$/.test(rest[0]!) ? rest : ['', ...rest];
    return [what, step(stepKey), ...errors.map((code) => `错误 ${code}`)].filter(Boolean).join(' · ');
  }
  return e.detail;
}

/** 案例: the cases of the scope, and each case's timeline. */
export function casesPage(router: Router, app: Huifang): void {
  const reasons: Readonly<Record<string, string>> = app.deps.templates.labels.escalationReasons;
  router.get(
    '/console/cases',
    consoleHandler(app, async (ctx, state) => {
      const tz = app.config.timezone;
      const q = listQuery(ctx);
      const org = await app.deps.org.loadOrgSnapshot();
      const { departments } = scopeChoices(org, state.access.scope);
      const result = await app.console.views.listCases(state.access.scope, {
        ...q,
        sort: q.sort === 'externalId' ? 'externalId' : 'occurredAt',
        direction: q.direction ?? 'desc',
        ...(param(ctx, 'policy') ? { policyId: param(ctx, 'policy') } : {}),
        ...(param(ctx, 'department') ? { departmentId: param(ctx, 'department') } : {}),
        ...(param(ctx, 'status') ? { status: param(ctx, 'status') } : {}),
      });
      render(ctx, app, state, {
        title: '案例',
        current: '/console/cases',
        body: html`<form class="filters card" method="get">
<div><label for="q">搜索</label><input id="q" name="q" value="${q.q ?? ''}" placeholder="客户姓名 / 手机尾号 / 案例编号"></div>
<div><label for="policy">策略</label>${select('policy', param(ctx, 'policy'), policiesInOrder(app.deps.policies).map((p) => ({ value: p.id, label: `${p.id} ${p.name}` })))}</div>
${departments.length > 1 ? html`<div><label for="department">科室</label>${select('department', param(ctx, 'department'), departments.map((d) => ({ value: d.id, label: d.name })))}</div>` : ''}
<div><label for="status">状态</label>${select('status', param(ctx, 'status'), [{ value: 'OPEN', label: '进行中' }, { value: 'CLOSED', label: '已结束' }])}</div>
<div class="actions"><button type="submit">筛选</button><a class="button secondary" href="/console/cases">清除</a></div></form>
<div class="card"><table class="rows"><thead><tr><th>${sortHeader(ctx, 'externalId', '案例编号', 'occurredAt')}</th><th>客户</th><th>策略</th><th>科室 / 负责人</th><th>${sortHeader(ctx, 'occurredAt', '发生时间', 'occurredAt')}</th><th>未完成回访</th></tr></thead><tbody>
${
  result.items.length
    ? result.items.map(
        (c) => html`<tr><td data-label="案例编号"><a href="/console/cases/${c.id}">${c.externalId}</a></td><td data-label="客户">${c.customerName}<div class="muted small">${c.customerPhone ?? '无电话'}</div></td><td data-label="策略">${c.policyId}<div class="muted small">${app.deps.policies.byId(c.policyId)?.name ?? ''}</div></td><td data-label="科室 / 负责人">${c.departmentName ?? '—'}<div class="muted small">${c.responsibleName ?? ''}</div></td><td data-label="发生时间" class="nowrap">${dateTime(c.occurredAt, tz)}</td><td data-label="未完成回访">${c.openFollowUps}</td></tr>`,
      )
    : html`<tr><td colspan="6" class="muted">没有符合条件的案例。</td></tr>`
}</tbody></table>${pager(ctx, result)}</div>`,
      });
    }),
  );

  router.get(
    '/console/cases/:id',
    consoleHandler(app, async (ctx, state) => {
      const tz = app.config.timezone;
      const detail = await app.console.views.caseDetail(state.access.scope, String(ctx.params.id));
      if (!detail) throw new DomainError('NOT_FOUND', 'No such case in scope', {});
      const c = detail.case;
      // Every console view of a customer is audited.
      await recordCustomerView(app.console.actions, state.access, c.customerId, 'case');
      const policy = app.deps.policies.byId(c.policyId);
      render(ctx, app, state, {
        title: `案例 ${c.externalId}`,
        current: '/console/cases',
        body: html`<div class="two"><div class="card"><h2>概况</h2><dl class="facts">
<dt>客户</dt><dd><a href="/console/customers/${c.customerId}">${c.customerName}</a>（${c.customerPhone ?? '无电话'}）</dd>
<dt>策略</dt><dd>${c.policyId} ${policy?.name ?? ''}</dd><dt>类型</dt><dd>${label(CASE_TYPE_LABELS, c.type)}</dd>
<dt>科室</dt><dd>${c.departmentName ?? '—'}</dd><dt>负责人</dt><dd>${c.responsibleName ?? '—'}</dd>
<dt>发生</dt><dd>${dateTime(c.occurredAt, tz)}</dd><dt>状态</dt><dd>${c.status === 'OPEN' ? '进行中' : '已结束'}${c.closedAt ? `（${dateTime(c.closedAt, tz)}）` : ''}</dd></dl></div>
<div class="card"><h2>回访</h2><table class="rows"><thead><tr><th>步骤</th><th>状态</th><th>负责人</th><th>截止</th></tr></thead><tbody>${detail.followUps.map(
          (f) => html`<tr><td data-label="步骤">${findStep(app.deps.policies.byId(f.policyId), f.step)?.title ?? f.step}<div class="muted small">${label(ACTION_LABELS, f.action)}</div></td><td data-label="状态"><span class="status ${f.status}">${label(FOLLOW_UP_STATUS_LABELS, f.status)}</span>${f.outcome ? html` ${label(OUTCOME_LABELS, f.outcome)}` : ''}</td><td data-label="负责人">${f.assigneeName ?? (f.action === 'CUSTOMER_SURVEY' ? html`<span class="muted">客户自助填写</span>` : '—')}</td><td data-label="截止" class="nowrap">${dateTime(f.deadlineAt, tz)}</td></tr>`,
        )}</tbody></table>
${detail.escalations.length ? html`<h2>升级</h2><ul>${detail.escalations.map((e) => html`<li><a href="/console/escalations/${e.id}">${label(reasons, e.reason)}</a> · <span class="status ${e.status}">${label(ESCALATION_STATUS_LABELS, e.status)}</span> · ${e.ownerName}</li>`)}</ul>` : ''}</div></div>
<div class="card"><h2>时间线</h2><ol class="timeline">${detail.timeline.map(
          (e) => html`<li><div class="when">${dateTime(e.at, tz)} · ${KIND_LABELS[e.kind]}</div><div>${entryTitle(e, reasons)}${e.who ? html` <span class="muted">（${e.who}）</span>` : ''}</div>${e.detail ? html`<div class="small muted">${entryDetail(e, policy)}</div>` : ''}</li>`,
        )}</ol></div>`,
      });
    }),
  );
}
