import type Router from '@koa/router';
import type { Huifang } from '../../huifang.js';
import { html } from '../html.js';
import { findStep } from '../../core/policies/find-step.js';
import { consoleHandler, render } from '../console-handler.js';
import { csrfField, dateTime, listQuery, pager, param, select, sortHeader, withQuery, policiesInOrder } from './common.js';
import { ACTION_LABELS, FOLLOW_UP_STATUS_LABELS, OUTCOME_LABELS, label } from '../labels.js';
import { addLocalDays, fromLocal, startOfLocalDay } from '../../core/time.js';
import { staffInScope, type ConsoleScope } from '../../core/console/access.js';
import { reassignFollowUps } from '../../core/console/console-actions.js';
import type { OrgSnapshot } from '../../core/model.js';
import type { FollowUpListFilter } from '../../core/ports/console-views.js';

const STATUSES = ['SCHEDULED', 'ACTIVE', 'OVERDUE', 'DONE', 'UNREACHABLE', 'CANCELLED', 'SKIPPED'];
/** The statuses of work still to do: the list's default. */
const OPEN_STATUSES = 'SCHEDULED,ACTIVE,OVERDUE';

/** The departments and active staff a person may filter by or hand work to. */
export function scopeChoices(org: OrgSnapshot, scope: ConsoleScope) {
  const departments = [...org.departments.values()]
    .filter((d) => scope.kind === 'all' || (scope.kind === 'departments' && scope.departmentIds.includes(d.id)))
    .sort((a, b) => a.name.localeCompare(b.name, 'zh-Hans-CN'));
  const staff = [...org.staff.values()].filter((s) => s.active && staffInScope(scope, org, s.id)).sort((a, b) => a.name.localeCompare(b.name, 'zh-Hans-CN'));
  return { departments, staff };
}

function localDay(day: string, timeZone: string): Date {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return fromLocal({ year: y, month: m, day: d, hour: 0, minute: 0, second: 0 }, timeZone);
}

/** 回访任务: follow-ups by status, department, assignee, policy and date; bulk reassignment; leave handover. */
export function followUpsPage(router: Router, app: Huifang): void {
  router.get(
    '/console/follow-ups',
    consoleHandler(app, async (ctx, state) => {
      const tz = app.config.timezone;
      const { access } = state;
      const org = await app.deps.org.loadOrgSnapshot();
      const { departments, staff } = scopeChoices(org, access.scope);
      const q = listQuery(ctx);
      // Without a status the list shows the work still to do; 「全部状态」 (all) shows finished work too.
      const statusParam = param(ctx, 'status') ?? OPEN_STATUSES;
      const status = statusParam === 'all' ? undefined : statusParam.split(',').filter((s) => STATUSES.includes(s));
      const today = startOfLocalDay(app.clock.now(), tz);
      const from = param(ctx, 'from');
      const to = param(ctx, 'to');
      const filter: FollowUpListFilter = {
        ...q,
        sort: (['dueAt', 'deadlineAt', 'customer', 'status'] as const).find((s) => s === q.sort) ?? 'dueAt',
        direction: q.direction ?? 'asc',
        ...(status?.length ? { status } : {}),
        ...(param(ctx, 'department') ? { departmentId: param(ctx, 'department') } : {}),
        ...(param(ctx, 'assignee') ? { assigneeId: param(ctx, 'assignee') } : {}),
        ...(param(ctx, 'policy') ? { policyId: param(ctx, 'policy') } : {}),
        ...(ctx.query.due === 'today'
          ? { dueFrom: today, dueTo: addLocalDays(today, 1, tz) }
          : {
              ...(from && /^\d{4}-\d{2}-\d{2}$/.test(from) ? { dueFrom: localDay(from, tz) } : {}),
              ...(to && /^\d{4}-\d{2}-\d{2}$/.test(to) ? { dueTo: addLocalDays(localDay(to, tz), 1, tz) } : {}),
            }),
      };
      const result = await app.console.views.listFollowUps(access.scope, filter);
      const canReassign = access.canWrite && (access.role === 'admin' || access.role === 'manager');
      const staffOptions = staff.map((s) => ({ value: s.id, label: s.name }));
      const rows = result.items.map(
        (f) => html`<tr>
${canReassign ? html`<td class="check" data-label="选择"><input type="checkbox" name="id" value="${f.id}" form="bulk" aria-label="选择 ${f.customerName}" ${['SCHEDULED', 'ACTIVE', 'OVERDUE'].includes(f.status) ? '' : html`disabled`}></td>` : ''}
<td data-label="客户"><a href="/console/cases/${f.caseId}">${f.customerName}</a><div class="muted small">${f.customerPhone ?? '无电话'} · ${f.caseExternalId}</div></td>
<td data-label="回访">${findStep(app.deps.policies.byId(f.policyId), f.step)?.title ?? f.step}<div class="muted small">${label(ACTION_LABELS, f.action)}</div></td>
<td data-label="状态"><span class="status ${f.status}">${label(FOLLOW_UP_STATUS_LABELS, f.status)}</span>${f.outcome ? html`<div class="small">${label(OUTCOME_LABELS, f.outcome)}</div>` : ''}</td>
<td data-label="负责人">${f.assigneeName ?? (f.action === 'CUSTOMER_SURVEY' ? html`<span class="muted">客户自助填写</span>` : '—')}<div class="muted small">${f.departmentName ?? ''}</div></td>
<td data-label="应回访" class="nowrap">${dateTime(f.dueAt, tz)}</td>
<td data-label="截止" class="nowrap">${dateTime(f.deadlineAt, tz)}</td></tr>`,
      );
      render(ctx, app, state, {
        title: '回访任务',
        current: '/console/follow-ups',
        body: html`${typeof ctx.query.moved === 'string' ? html`<p class="alert ok" role="status">已转派 ${Number(ctx.query.moved) || 0} 条回访。</p>` : ''}<form class="filters card" method="get">
<div><label for="q">搜索</label><input id="q" name="q" value="${q.q ?? ''}" placeholder="客户姓名 / 手机尾号 / 案例编号"></div>
<div><label for="status">状态</label>${select(
          'status',
          statusParam,
          [{ value: OPEN_STATUSES, label: '未完成' }, { value: 'all', label: '全部状态' }, ...STATUSES.map((s) => ({ value: s, label: FOLLOW_UP_STATUS_LABELS[s]! }))],
          null,
        )}</div>
${departments.length > 1 ? html`<div><label for="department">科室</label>${select('department', param(ctx, 'department'), departments.map((d) => ({ value: d.id, label: d.name })))}</div>` : ''}
${access.scope.kind !== 'own' ? html`<div><label for="assignee">负责人</label>${select('assignee', param(ctx, 'assignee'), staffOptions)}</div>` : ''}
<div><label for="policy">策略</label>${select('policy', param(ctx, 'policy'), policiesInOrder(app.deps.policies).map((p) => ({ value: p.id, label: `${p.id} ${p.name}` })))}</div>
<div><label for="from">应回访 从</label><input id="from" name="from" type="date" value="${from ?? ''}"></div>
<div><label for="to">至</label><input id="to" name="to" type="date" value="${to ?? ''}"></div>
<div class="actions"><button type="submit">筛选</button><a class="button secondary" href="/console/follow-ups">清除</a></div></form>
<div class="card"><table class="rows"><thead><tr>${canReassign ? html`<th><input type="checkbox" data-check-all form="bulk" aria-label="全选"></th>` : ''}<th>${sortHeader(ctx, 'customer', '客户', 'dueAt')}</th><th>回访</th><th>${sortHeader(ctx, 'status', '状态', 'dueAt')}</th><th>负责人</th><th>${sortHeader(ctx, 'dueAt', '应回访', 'dueAt')}</th><th>${sortHeader(ctx, 'deadlineAt', '截止', 'dueAt')}</th></tr></thead>
<tbody>${rows.length ? rows : html`<tr><td colspan="7" class="muted">没有符合条件的回访。</td></tr>`}</tbody></table>${pager(ctx, result)}</div>
${
  canReassign
    ? html`<div class="two"><form id="bulk" class="card" method="post" action="/console/follow-ups/reassign">${csrfField(state)}<h2>转派选中的回访</h2>
<label for="to-bulk">转派给</label>${select('toStaffId', undefined, staffOptions, '请选择', 'to-bulk')}<label for="note-bulk">说明（可选）</label><input id="note-bulk" name="note" maxlength="200"><input type="hidden" name="back" value="${withQuery(ctx, {})}"><p><button type="submit">转派</button></p></form>
<form class="card" method="post" action="/console/follow-ups/handover" data-confirm="确认把此人的全部未完成回访交接给新负责人？">${csrfField(state)}<h2>休假交接</h2><p class="muted small">把一位员工的全部未完成回访交给另一位，已推送的任务会向新负责人重新推送卡片。</p>
<label for="from-staff">交出人</label>${select('fromStaffId', undefined, staffOptions, '请选择', 'from-staff')}<label for="to-staff">接手人</label>${select('toStaffId', undefined, staffOptions, '请选择', 'to-staff')}<label for="note-handover">说明</label><input id="note-handover" name="note" maxlength="200" placeholder="如：休假 12 月 8 日至 15 日"><p><button type="submit">交接</button></p></form></div>`
    : ''
}`,
      });
    }),
  );

  router.post(
    '/console/follow-ups/reassign',
    consoleHandler(app, async (ctx, state, form) => {
      const ids = form!.getAll('id').filter((id) => /^[0-9A-Za-z]{10,40}$/.test(id)).slice(0, 500);
      const result = await reassignFollowUps(app.console.actions, state.access, { followUpIds: ids, toStaffId: form!.get('toStaffId') ?? '', reason: 'reassign', note: form!.get('note') || null });
      const back = form!.get('back') ?? '/console/follow-ups';
      ctx.redirect(`${back.startsWith('/console/follow-ups') ? back : '/console/follow-ups'}${back.includes('?') ? '&' : '?'}moved=${result.moved}`);
    }),
  );

  router.post(
    '/console/follow-ups/handover',
    consoleHandler(app, async (ctx, state, form) => {
      const fromStaffId = form!.get('fromStaffId') ?? '';
      const result = await reassignFollowUps(app.console.actions, state.access, { fromStaffId, toStaffId: form!.get('toStaffId') ?? '', reason: 'handover', note: form!.get('note') || null });
      ctx.redirect(`/console/follow-ups?assignee=${encodeURIComponent(form!.get('toStaffId') ?? '')}&status=SCHEDULED,ACTIVE,OVERDUE&moved=${result.moved}`);
    }),
  );
}
