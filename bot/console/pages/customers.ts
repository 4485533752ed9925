import type Router from '@koa/router';
import type { Huifang } from '../../huifang.js';
import { html } from '../html.js';
import { consoleHandler, render } from '../console-handler.js';
import { csrfField, dateTime, listQuery, pager, param, select } from './common.js';
import { DomainError } from '../../core/errors.js';
import { recordConsent, recordCustomerView, revealPhone } from '../../core/console/console-actions.js';

/** `+8613812345678` → `13812345678` for a `tel:` link and display. */
function dialable(e164: string): string {
  return e164.startsWith('+86') ? e164.slice(3) : e164;
}

/** 客户: customers of the scope, their consent and opt-outs; recording an opt-out or opt-in; the audited number reveal. */
export function customersPage(router: Router, app: Huifang): void {
  router.get(
    '/console/customers',
    consoleHandler(app, async (ctx, state) => {
      const tz = app.config.timezone;
      const q = listQuery(ctx);
      const opted = param(ctx, 'optedOut');
      const result = await app.console.views.listCustomers(state.access.scope, { ...q, ...(opted === 'yes' ? { optedOut: true } : opted === 'no' ? { optedOut: false } : {}) });
      render(ctx, app, state, {
        title: '客户',
        current: '/console/customers',
        body: html`<form class="filters card" method="get">
<div><label for="q">搜索</label><input id="q" name="q" value="${q.q ?? ''}" placeholder="客户姓名 / 手机尾号 / 案例编号"></div>
<div><label for="optedOut">接收状态</label>${select('optedOut', opted, [{ value: 'no', label: '可联系' }, { value: 'yes', label: '已拒收' }])}</div>
<div class="actions"><button type="submit">筛选</button><a class="button secondary" href="/console/customers">清除</a></div></form>
<div class="card"><table class="rows"><thead><tr><th>客户</th><th>手机</th><th>接受回访</th><th>接受营销</th><th>拒收</th><th>案例数</th></tr></thead><tbody>
${
  result.items.length
    ? result.items.map(
        (c) => html`<tr><td data-label="客户"><a href="/console/customers/${c.id}">${c.name}</a>${c.externalId ? html`<div class="muted small">${c.externalId}</div>` : ''}</td><td data-label="手机">${c.phone ?? '—'}${c.phoneInvalidAt ? html` <span class="status DEAD">空号</span>` : ''}</td><td data-label="接受回访">${c.consentSurvey ? '同意' : '不同意'}</td><td data-label="接受营销">${c.consentMarketing ? '同意' : '未同意'}</td><td data-label="拒收">${c.optedOutAt ? html`<span class="status OPEN">已拒收</span> <span class="small muted">${dateTime(c.optedOutAt, tz)}</span>` : '—'}</td><td data-label="案例数">${c.cases}</td></tr>`,
      )
    : html`<tr><td colspan="6" class="muted">没有符合条件的客户。</td></tr>`
}</tbody></table>${pager(ctx, result)}</div>`,
      });
    }),
  );

  router.get(
    '/console/customers/:id',
    consoleHandler(app, async (ctx, state) => {
      const tz = app.config.timezone;
      const c = await app.console.views.customer(state.access.scope, String(ctx.params.id));
      if (!c) throw new DomainError('NOT_FOUND', 'No such customer in scope', {});
      await recordCustomerView(app.console.actions, state.access, c.id, 'customer');
      const cases = await app.console.views.listCases(state.access.scope, { q: c.externalId ?? undefined, page: 1, pageSize: 20 });
      const reveals = state.access.canWrite && c.phone;
      render(ctx, app, state, {
        title: c.name,
        current: '/console/customers',
        body: html`<div class="two"><div class="card"><dl class="facts">
<dt>称呼</dt><dd>${c.salutation ?? '—'}</dd><dt>客户编号</dt><dd>${c.externalId ?? '—'}</dd>
<dt>手机</dt><dd>${c.phone ?? '—'}${c.phoneInvalidAt ? ' · 运营商报告空号，不再发短信' : ''}</dd>
<dt>公众号</dt><dd>${c.hasWechat ? '已关注' : '—'}</dd>
<dt>接受回访</dt><dd>${c.consentSurvey ? '同意' : '不同意'}</dd><dt>接受营销</dt><dd>${c.consentMarketing ? '同意' : '未同意'}</dd>
<dt>拒收</dt><dd>${c.optedOutAt ? `已拒收（${dateTime(c.optedOutAt, tz)}，来源 ${c.optOutSource ?? '—'}）` : '未拒收'}</dd>
${c.deceasedAt ? html`<dt>状态</dt><dd>已故，不再联系</dd>` : ''}</dl>
${
  reveals
    ? html`<form method="post" action="/console/customers/${c.id}/reveal" class="actions">${csrfField(state)}<button class="secondary" name="purpose" value="view" type="submit">查看号码</button><button class="secondary" name="purpose" value="call" type="submit">拨打</button></form><p class="muted small">查看完整号码会被记录（谁、何时、查看谁的号码），每人每天最多 ${app.config.console.revealsPerDay} 次。</p>`
    : ''
}</div>
${
  state.access.canWrite
    ? html`<div class="card">${
        c.optedOutAt
          ? html`<h2>登记同意接收</h2><form method="post" action="/console/customers/${c.id}/consent">${csrfField(state)}<input type="hidden" name="change" value="opt_in"><label for="reason">原因（必填：谁提出、通过什么方式）</label><textarea id="reason" name="reason" required maxlength="500"></textarea><label class="inline"><input type="checkbox" name="marketing" value="yes"> 同时同意接收节日问候等营销信息</label><p><button type="submit">登记同意接收</button></p></form>`
          : html`<h2>登记拒收</h2><form method="post" action="/console/customers/${c.id}/consent" data-confirm="登记后将不再向该客户发送回访和问候，确认？">${csrfField(state)}<input type="hidden" name="change" value="opt_out"><label for="reason">原因（必填：谁提出、通过什么方式）</label><textarea id="reason" name="reason" required maxlength="500"></textarea><p><button class="danger" type="submit">登记拒收</button></p></form>`
      }</div>`
    : ''
}</div>
<div class="card"><h2>案例</h2><ul>${cases.items.filter((k) => k.customerId === c.id).map((k) => html`<li><a href="/console/cases/${k.id}">${k.externalId}</a> · ${k.policyId} ${app.deps.policies.byId(k.policyId)?.name ?? ''} · ${dateTime(k.occurredAt, tz)}</li>`)}</ul></div>`,
      });
    }),
  );

  router.post(
    '/console/customers/:id/reveal',
    consoleHandler(app, async (ctx, state, form) => {
      const purpose = form!.get('purpose') === 'call' ? 'call' : 'view';
      const c = await app.console.views.customer(state.access.scope, String(ctx.params.id));
      if (!c) throw new DomainError('UNKNOWN_CUSTOMER', 'No such customer in scope', {});
      const { phone, remainingToday } = await revealPhone(app.console.actions, state.access, { customerId: c.id, purpose });
      const number = dialable(phone);
      render(ctx, app, state, {
        title: `${c.name} 的号码`,
        current: '/console/customers',
        body: html`<div class="card"><p class="alert">此次查看已记录。今日还可查看 ${remainingToday} 次。</p><p class="big"><b>${number}</b></p><p><a class="button" href="tel:${number}">拨打 ${number}</a></p><p><a href="/console/customers/${c.id}">返回客户</a></p></div>`,
      });
    }),
  );

  router.post(
    '/console/customers/:id/consent',
    consoleHandler(app, async (ctx, state, form) => {
      const change = form!.get('change') === 'opt_in' ? 'opt_in' : 'opt_out';
      await recordConsent(app.console.actions, state.access, {
        customerId: String(ctx.params.id),
        change,
        reason: form!.get('reason') ?? '',
        ...(change === 'opt_in' ? { consentMarketing: form!.get('marketing') === 'yes' } : {}),
      });
      ctx.redirect(`/console/customers/${String(ctx.params.id)}`);
    }),
  );
}
