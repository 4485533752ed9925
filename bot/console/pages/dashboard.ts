import type Router from '@koa/router';
import type { Huifang } from '../../huifang.js';
import { html } from '../html.js';
import { consoleHandler, render } from '../console-handler.js';
import { rate } from './common.js';
import { fromLocal, startOfLocalDay, toLocal, addLocalDays } from '../../core/time.js';
import { CHANNEL_LABELS, label } from '../labels.js';

/** The start of the local month containing `instant`, and of the month before. */
export function monthStarts(instant: Date, timeZone: string): { monthStart: Date; lastMonthStart: Date } {
  const local = toLocal(instant, timeZone);
  const monthStart = fromLocal({ year: local.year, month: local.month, day: 1, hour: 0, minute: 0, second: 0 }, timeZone);
  const prev = local.month === 1 ? { year: local.year - 1, month: 12 } : { year: local.year, month: local.month - 1 };
  return { monthStart, lastMonthStart: fromLocal({ ...prev, day: 1, hour: 0, minute: 0, second: 0 }, timeZone) };
}

/** 工作台: today's due, overdue and open escalations; satisfaction this month against last; warnings. */
export function dashboardPage(router: Router, app: Huifang): void {
  router.get(
    '/console',
    consoleHandler(app, async (ctx, state) => {
      const tz = app.config.timezone;
      const now = app.clock.now();
      const dayStart = startOfLocalDay(now, tz);
      const f = await app.console.views.dashboard(state.access.scope, { dayStart, dayEnd: addLocalDays(dayStart, 1, tz), ...monthStarts(now, tz), now });
      const s = f.satisfaction;
      const thisRate = s.thisMonth.answered ? s.thisMonth.satisfied / s.thisMonth.answered : null;
      const lastRate = s.lastMonth.answered ? s.lastMonth.satisfied / s.lastMonth.answered : null;
      const change = thisRate !== null && lastRate !== null ? (thisRate - lastRate) * 100 : null;
      const nextYear = toLocal(now, tz).year + 1;
      const covered = app.deps.calendar.coveredYears();
      const warnings = [
        ...(covered.includes(nextYear) ? [] : [html`<p class="alert">节假日日历尚未包含 ${nextYear} 年：国务院办公厅公布安排后，请在 <a href="/console/calendar?year=${String(nextYear)}">日历</a> 中添加，否则 ${nextYear} 年只按周末计算工作日。</p>`]),
        ...f.channelHealth.byChannel
          .filter((c) => c.dead > 0)
          .map((c) => html`<p class="alert bad">${label(CHANNEL_LABELS, c.channel)}：过去 24 小时有 ${c.dead} 条消息发送失败。</p>`),
        ...f.channelHealth.byChannel
          .filter((c) => c.blocked > 0)
          .map((c) => html`<p class="alert">${label(CHANNEL_LABELS, c.channel)}：${c.blocked} 条消息发送未成功，正在等待重试。</p>`),
      ];
      render(ctx, app, state, {
        title: '工作台',
        current: '/console',
        body: html`<div class="tiles">
<a class="tile" href="/console/follow-ups?status=SCHEDULED,ACTIVE&amp;due=today"><b>${f.dueToday}</b><span>今日待回访</span></a>
<a class="tile${f.overdue > 0 ? ' warn' : ''}" href="/console/follow-ups?status=OVERDUE"><b>${f.overdue}</b><span>已逾期</span></a>
<a class="tile${f.openEscalations > 0 ? ' warn' : ''}" href="/console/escalations"><b>${f.openEscalations}</b><span>待处理升级${f.breachedEscalations ? `（${f.breachedEscalations} 已超最终时限）` : ''}</span></a>
<a class="tile" href="/console/follow-ups?status=ACTIVE"><b>${f.activeTasks}</b><span>进行中</span></a>
</div>
<div class="card"><h2>本月满意度</h2>
<p><b>${rate(s.thisMonth.satisfied, s.thisMonth.answered)}</b> <span class="muted">（${s.thisMonth.satisfied} 满意 / ${s.thisMonth.answered} 已回访，不满意 ${s.thisMonth.dissatisfied}）</span></p>
<p class="muted">上月 ${rate(s.lastMonth.satisfied, s.lastMonth.answered)}（${s.lastMonth.answered} 已回访）${change === null ? '' : `，较上月 ${change >= 0 ? '+' : ''}${change.toFixed(1)} 个百分点`}</p>
${state.access.role !== 'staff' ? html`<p><a href="/console/satisfaction">查看满意度明细 →</a></p>` : ''}</div>
${warnings.length ? html`<div class="card"><h2>提醒</h2>${warnings}</div>` : html`<div class="card"><p class="alert ok">日历与发送通道正常。</p></div>`}`,
      });
    }),
  );
}
