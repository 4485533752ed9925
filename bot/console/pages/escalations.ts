import type Router from '@koa/router';
import type { Huifang } from '../../huifang.js';
import { html } from '../html.js';
import { consoleHandler, render } from '../console-handler.js';
import { csrfField, dateTime, listQuery, pager, param, select, sortHeader } from './common.js';
import { AUDIT_ACTION_LABELS, ESCALATION_STATUS_LABELS, EVIDENCE_SOURCE_LABELS, FOLLOW_UP_STATUS_LABELS, label } from '../labels.js';
import { DomainError } from '../../core/errors.js';
import { acknowledgeEscalation, resolveEscalation } from '../../core/escalation/act-on-escalation.js';
import { reassignEscalation } from '../../core/console/console-actions.js';
import type { ConsoleSessionState } from '../session.js';
import { scopeChoices } from './follow-ups.js';

const OPEN = ['OPEN', 'ACKNOWLEDGED'];

/** 升级: open escalations with their deadline countdown; acknowledge, reassign, resolve with a note. */
export function escalationsPage(router: Router, app: Huifang): void {
  const reasons: Readonly<Record<string, string>> = app.deps.templates.labels.escalationReasons;
  router.get(
    '/console/escalations',
    consoleHandler(app, async (ctx, state) => {
      const tz = app.config.timezone;
      const q = listQuery(ctx);
      const status = param(ctx, 'status');
      const statuses = status === 'all' ? undefined : status ? status.split(',').filter((s) => s in ESCALATION_STATUS_LABELS) : OPEN;
      const result = await app.console.views.listEscalations(state.access.scope, {
        ...q,
        sort: q.sort === 'createdAt' ? 'createdAt' : 'deadlineAt',
        direction: q.direction ?? 'asc',
        ...(statuses ? { status: statuses } : {}),
        ...(param(ctx, 'reason') ? { reason: param(ctx, 'reason') } : {}),
        ...(param(ctx, 'owner') ? { ownerId: param(ctx, 'owner') } : {}),
      });
      render(ctx, app, state, {
        title: '升级',
        current: '/console/escalations',
        body: html`<form class="filters card" method="get">
<div><label for="q">搜索</label><input id="q" name="q" value="${q.q ?? ''}" placeholder="客户姓名 / 手机尾号 / 案例编号"></div>
<div><label for="status">状态</label>${select('status', status ?? OPEN.join(','), [{ value: OPEN.join(','), label: '待处理' }, { value: 'all', label: '全部状态' }, ...Object.entries(ESCALATION_STATUS_LABELS).map(([value, l]) => ({ value, label: l }))], null)}</div>
<div><label for="reason">原因</label>${select('reason', param(ctx, 'reason'), Object.entries(reasons).map(([value, l]) => ({ value, label: l })))}</div>
<div class="actions"><button type="submit">筛选</button><a class="button secondary" href="/console/escalations">清除</a></div></form>
<div class="card"><table class="rows"><thead><tr><th>客户</th><th>原因</th><th>状态</th><th>当前负责人</th><th>${sortHeader(ctx, 'deadlineAt', '处理时限', 'deadlineAt')}</th><th>${sortHeader(ctx, 'createdAt', '升级时间', 'deadlineAt')}</th></tr></thead><tbody>
${
  result.items.length
    ? result.items.map(
        (e) => html`<tr><td data-label="客户"><a href="/console/escalations/${e.id}">${e.customerName}</a><div class="muted small">${e.customerPhone ?? '无电话'} · ${e.caseExternalId}</div></td><td data-label="原因">${label(reasons, e.reason)}<div class="muted small">第 ${e.level} 级</div></td><td data-label="状态"><span class="status ${e.breachedAt ? 'breached' : e.status}">${label(ESCALATION_STATUS_LABELS, e.status)}</span></td><td data-label="负责人">${e.ownerName}</td><td data-label="时限" class="nowrap">${dateTime(e.deadlineAt, tz)}${OPEN.includes(e.status) ? html`<div class="small" data-deadline="${e.deadlineAt.toISOString()}"></div>` : ''}</td><td data-label="升级时间" class="nowrap">${dateTime(e.createdAt, tz)}</td></tr>`,
      )
    : html`<tr><td colspan="6" class="muted">${statuses === OPEN ? '没有待处理的升级事项。' : '没有符合条件的升级事项。'}${state.access.scope.kind === 'own' ? '客户不满意或回访逾期时，事项交由上级处理；交给您本人的事项会显示在这里。' : ''}</td></tr>`
}</tbody></table>${pager(ctx, result)}</div>`,
      });
    }),
  );

  router.get(
    '/console/escalations/:id',
    consoleHandler(app, async (ctx, state) => {
      const e = await app.console.views.escalation(state.access.scope, String(ctx.params.id));
      if (!e) throw new DomainError('NOT_FOUND', 'No such escalation in scope', {});
      await showEscalation(ctx, state, e.id);
    }),
  );

  async function showEscalation(ctx: Parameters<Parameters<typeof consoleHandler>[1]>[0], state: ConsoleSessionState, id: string): Promise<void> {
    const tz = app.config.timezone;
    const e = (await app.console.views.escalation(state.access.scope, id))!;
    const { access } = state;
    const org = await app.deps.org.loadOrgSnapshot();
    const open = OPEN.includes(e.status);
    const isOwner = access.staffId === e.ownerId;
    const canReassign = access.canWrite && (access.role === 'admin' || access.role === 'manager') && open;
    const { staff } = scopeChoices(org, access.scope);
    const history = await app.deps.escalations.escalationHistory(e.id);
    // Every report of the incident (bot/core/escalation/incident.ts), the one that opened it first.
    const evidence = await app.deps.escalations.listEscalationEvidence(e.id);
    const name = (sid: string | null) => (sid ? (org.staff.get(sid)?.name ?? '—') : '系统');
    render(ctx, app, state, {
      title: `升级：${label(reasons, e.reason)}`,
      current: '/console/escalations',
      body: html`<div class="two"><div class="card"><dl class="facts">
<dt>状态</dt><dd><span class="status ${e.breachedAt ? 'breached' : e.status}">${label(ESCALATION_STATUS_LABELS, e.status)}</span>${e.breachedAt ? ' · 已超过最终时限' : ''}</dd>
<dt>级别</dt><dd>第 ${e.level} 级 · ${e.ownerName}</dd>
<dt>处理时限</dt><dd>${dateTime(e.deadlineAt, tz)}${open ? html` <span data-deadline="${e.deadlineAt.toISOString()}"></span>` : ''}</dd>
<dt>客户</dt><dd>${e.customerName}（${e.customerPhone ?? '无电话'}）</dd>
<dt>案例</dt><dd><a href="/console/cases/${e.caseId}">${e.caseExternalId}</a></dd>
${e.note ? html`<dt>处理说明</dt><dd>${e.note}</dd>` : ''}
${e.secondFollowUpId ? html`<dt>二次回访</dt><dd>${label(FOLLOW_UP_STATUS_LABELS, e.secondFollowUpStatus)}</dd>` : ''}
</dl><p class="small pre">${e.summary}</p></div>
<div class="card"><h2>操作</h2>
${!access.canWrite ? html`<p class="muted">只读账号。</p>` : ''}
${
  access.canWrite && open && isOwner
    ? html`${
        e.status === 'OPEN'
          ? html`<form method="post" action="/console/escalations/${e.id}/acknowledge">${csrfField(state)}<button type="submit">确认受理</button></form>`
          : ''
      }<form method="post" action="/console/escalations/${e.id}/resolve">${csrfField(state)}<label for="note">处理说明（必填）</label><textarea id="note" name="note" maxlength="1000" required></textarea><p class="muted small">提交后将安排二次回访，二次回访的结果会关闭本事项。</p><button type="submit">标记已处理</button></form>`
    : open && access.canWrite
      ? html`<p class="muted">只有当前负责人可以受理和处理。</p>`
      : ''
}
${
  canReassign
    ? html`<form method="post" action="/console/escalations/${e.id}/reassign">${csrfField(state)}<h2>转交</h2><label for="toStaffId">转交给</label>${select('toStaffId', undefined, staff.filter((s) => s.id !== e.ownerId).map((s) => ({ value: s.id, label: s.name })), '请选择')}<label for="rnote">说明（可选）</label><input id="rnote" name="note" maxlength="200"><p><button class="secondary" type="submit">转交</button></p></form>`
    : ''
}</div></div>
${
  evidence.length > 0
    ? html`<div class="card"><h2>反馈记录（${evidence.length}）</h2><table class="rows"><thead><tr><th>时间</th><th>来源</th><th>内容</th></tr></thead><tbody>${evidence.map(
        (x) => html`<tr><td data-label="时间" class="nowrap">${dateTime(x.at, tz)}</td><td data-label="来源">${label(EVIDENCE_SOURCE_LABELS, x.source)}</td><td data-label="内容">${label(reasons, x.reason)}${x.note ? html`：${x.note}` : ''}</td></tr>`,
      )}</tbody></table></div>`
    : ''
}
<div class="card"><h2>记录</h2><table class="rows"><thead><tr><th>时间</th><th>人员</th><th>事项</th></tr></thead><tbody>${history.map(
        (h) => html`<tr><td data-label="时间" class="nowrap">${dateTime(h.at, tz)}</td><td data-label="人员">${name(h.actorId)}</td><td data-label="事项">${label(AUDIT_ACTION_LABELS, h.action)}${typeof h.details.note === 'string' ? html`：${h.details.note}` : ''}</td></tr>`,
      )}</tbody></table></div>`,
    });
  }

  /** The escalation, in scope, and the acting staff member as its owner (the use cases check ownership). */
  async function ownerActor(state: ConsoleSessionState, id: string) {
    const e = await app.console.views.escalation(state.access.scope, id);
    if (!e) throw new DomainError('UNKNOWN_ESCALATION', 'No such escalation in scope', {});
    if (!state.access.canWrite) throw new DomainError('READ_ONLY', 'Read only', {});
    const staff = state.access.staffId ? (await app.deps.org.loadOrgSnapshot()).staff.get(state.access.staffId) : undefined;
    if (!staff || staff.id !== e.ownerId) throw new DomainError('NOT_OWNER', 'Only the owner', {});
    return { escalationId: e.id, level: e.level, wecomUserId: staff.wecomUserId, inboundEventId: null };
  }

  router.post(
    '/console/escalations/:id/acknowledge',
    consoleHandler(app, async (ctx, state) => {
      await acknowledgeEscalation(app.deps, await ownerActor(state, String(ctx.params.id)));
      ctx.redirect(`/console/escalations/${String(ctx.params.id)}`);
    }),
  );

  router.post(
    '/console/escalations/:id/resolve',
    consoleHandler(app, async (ctx, state, form) => {
      await resolveEscalation(app.deps, { ...(await ownerActor(state, String(ctx.params.id))), note: form!.get('note') ?? '' });
      ctx.redirect(`/console/escalations/${String(ctx.params.id)}`);
    }),
  );

  router.post(
    '/console/escalations/:id/reassign',
    consoleHandler(app, async (ctx, state, form) => {
      await reassignEscalation(app.console.actions, state.access, { escalationId: String(ctx.params.id), toStaffId: form!.get('toStaffId') ?? '', note: form!.get('note') || null });
      ctx.redirect(`/console/escalations/${String(ctx.params.id)}`);
    }),
  );
}
