import type Router from '@koa/router';
import type { Huifang } from '../../huifang.js';
import { html } from '../html.js';
import { consoleHandler, render } from '../console-handler.js';
import { csrfField, rate } from './common.js';
import { DomainError } from '../../core/errors.js';
import { fromLocal, toLocal } from '../../core/time.js';
import type { ConsoleScope } from '../../core/console/access.js';
import type { SatisfactionFigures, SatisfactionGroupRow } from '../../core/ports/console-views.js';
import { SATISFACTION_TREND_SIZE, satisfactionTrendOption } from '../../charts/satisfaction-trend.js';

/** The local month `YYYY-MM` as an instant range. */
export function monthRangeOf(month: string, timeZone: string): { from: Date; to: Date } {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const next = m === 12 ? { year: y + 1, month: 1 } : { year: y, month: m + 1 };
  return { from: fromLocal({ year: y, month: m, day: 1, hour: 0, minute: 0, second: 0 }, timeZone), to: fromLocal({ ...next, day: 1, hour: 0, minute: 0, second: 0 }, timeZone) };
}

/** The `count` months ending with `month`, oldest first. */
export function monthsEndingWith(month: string, count: number): string[] {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return Array.from({ length: count }, (_, i) => {
    const index = y * 12 + (m - 1) - (count - 1 - i);
    return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
  });
}

/** `NPS` as promoters − detractors in points, or null without answers. */
export function npsOf(row: Pick<SatisfactionGroupRow, 'npsAnswers' | 'promoters' | 'detractors'>): number | null {
  return row.npsAnswers > 0 ? Math.round(((row.promoters - row.detractors) / row.npsAnswers) * 100) : null;
}

/** Counts the comments mentioning each topic's keywords (a comment counts once per topic). */
export function complaintTopics(comments: SatisfactionFigures['comments'], keywords: readonly { topic: string; keyword: string }[]): { topic: string; count: number; examples: string[] }[] {
  const topics = new Map<string, { topic: string; count: number; examples: string[] }>();
  for (const c of comments) {
    const hit = new Set(keywords.filter((k) => c.text.includes(k.keyword)).map((k) => k.topic));
    for (const topic of hit) {
      const t = topics.get(topic) ?? { topic, count: 0, examples: [] };
      t.count++;
      if (t.examples.length < 3) t.examples.push(c.text.slice(0, 60));
      topics.set(topic, t);
    }
  }
  return [...topics.values()].sort((a, b) => b.count - a.count || a.topic.localeCompare(b.topic, 'zh-Hans-CN'));
}

/** 满意度: satisfaction and NPS by department, staff member and policy; the 12-month trend; complaint topics; XLSX. */
export function satisfactionPage(router: Router, app: Huifang): void {
  const tz = app.config.timezone;
  const monthParam = (value: unknown): string => {
    if (typeof value === 'string' && /^\d{4}-(0[1-9]|1[0-2])$/.test(value)) return value;
    const now = toLocal(app.clock.now(), tz);
    return `${now.year}-${String(now.month).padStart(2, '0')}`;
  };
  const npsQuestions = () =>
    app.deps.surveyDefinitions
      .all()
      .flatMap((d) => d.questions.filter((q) => q.type === 'nps').map((q) => ({ surveyKey: d.key, questionKey: q.key })));
  const figures = (scope: ConsoleScope, month: string) => app.console.views.satisfaction(scope, { ...monthRangeOf(month, tz), npsQuestions: npsQuestions() });

  const table = (title: string, rows: readonly SatisfactionGroupRow[], label: (r: SatisfactionGroupRow) => string) =>
    html`<div class="card"><h2>${title}</h2><table class="rows"><thead><tr><th>${title.replace('按', '')}</th><th>已回访</th><th>满意度</th><th>不满意</th><th>NPS</th></tr></thead><tbody>${
      rows.length
        ? rows.map((r) => {
            const nps = npsOf(r);
            return html`<tr><td data-label="${title.replace('按', '')}">${label(r)}</td><td data-label="已回访">${r.answered}</td><td data-label="满意度">${rate(r.satisfied, r.answered)}</td><td data-label="不满意">${r.dissatisfied}</td><td data-label="NPS">${nps === null ? '—' : `${nps}（${r.npsAnswers} 份）`}</td></tr>`;
          })
        : html`<tr><td colspan="5" class="muted">本月尚无回访结果。</td></tr>`
    }</tbody></table></div>`;

  router.get(
    '/console/satisfaction',
    consoleHandler(app, async (ctx, state) => {
      if (state.access.role === 'staff') throw new DomainError('FORBIDDEN', 'Managers, administrators and auditors', {});
      const month = monthParam(ctx.query.month);
      const f = await figures(state.access.scope, month);
      const keywords = await app.console.admin.listComplaintKeywords();
      const topics = complaintTopics(f.comments, keywords);
      const policyName = (id: string) => `${id} ${app.deps.policies.byId(id)?.name ?? ''}`;
      const total = f.byPolicy.reduce((a, r) => ({ answered: a.answered + r.answered, satisfied: a.satisfied + r.satisfied }), { answered: 0, satisfied: 0 });
      render(ctx, app, state, {
        title: '满意度',
        current: '/console/satisfaction',
        body: html`<form class="filters card" method="get"><div><label for="month">月份</label><input id="month" name="month" type="month" value="${month}"></div><div class="actions"><button type="submit">查看</button><a class="button secondary" href="/console/satisfaction/export.xlsx?month=${month}">导出 Excel</a></div></form>
<div class="card"><p>${month} 满意度 <b>${rate(total.satisfied, total.answered)}</b>（${total.satisfied} / ${total.answered}）</p><div class="chart"><img src="/console/satisfaction/trend.svg?month=${month}" alt="近 12 个月满意度趋势" width="800" height="480"></div><p class="muted small phone-only">图表可左右滑动查看全部 12 个月。</p></div>
<div class="two">${table('按科室', f.byDepartment, (r) => r.label)}${table('按人员', f.byStaff, (r) => r.label)}</div>
${table('按策略', f.byPolicy, (r) => policyName(r.key))}
<div class="card"><h2>投诉话题</h2>${
          topics.length
            ? html`<table class="rows"><thead><tr><th>话题</th><th>提及次数</th><th>示例</th></tr></thead><tbody>${topics.map((t) => html`<tr><td data-label="话题">${t.topic}</td><td data-label="次数">${t.count}</td><td data-label="示例" class="small">${t.examples.join(' / ')}</td></tr>`)}</tbody></table>`
            : html`<p class="muted">本月客户意见中没有出现话题词。</p>`
        }
<p class="muted small">话题按客户意见（问卷意见、短信回复、不满意的回访记录）中出现的关键词统计。</p>
${
  state.access.canAdminister
    ? html`<h2>话题词</h2><form method="post" action="/console/satisfaction/keywords" class="filters">${csrfField(state)}<div><label for="topic">话题</label><input id="topic" name="topic" required maxlength="20" placeholder="如：服务态度"></div><div><label for="keyword">关键词</label><input id="keyword" name="keyword" required maxlength="20" placeholder="如：态度差"></div><div class="actions"><button type="submit">添加</button></div></form>
<ul>${keywords.map((k) => html`<li>${k.topic}：${k.keyword} <form method="post" action="/console/satisfaction/keywords/${k.id}/remove" class="inline">${csrfField(state)}<button class="secondary" type="submit">删除</button></form></li>`)}</ul>`
    : html`<p class="muted small">话题词由管理员维护：${keywords.length ? [...new Set(keywords.map((k) => k.topic))].join('、') : '尚未设置'}。</p>`
}</div>`,
      });
    }),
  );

  // The 12-month trend, drawn on the server with the same chart definition as the monthly report.
  router.get(
    '/console/satisfaction/trend.svg',
    consoleHandler(app, async (ctx, state) => {
      if (state.access.role === 'staff') throw new DomainError('FORBIDDEN', 'Managers, administrators and auditors', {});
      const months = monthsEndingWith(monthParam(ctx.query.month), 12);
      const counts = await app.console.views.satisfactionTrend(state.access.scope, months.map((key) => ({ key, ...monthRangeOf(key, tz) })));
      // ECharts and exceljs are loaded by the requests that need them, not at start-up (README, "Memory").
      const { renderChartSvg } = await import('../../charts/render-chart.js');
      const svg = renderChartSvg(
        satisfactionTrendOption(
          counts.map((c) => ({ month: c.key, satisfied: c.satisfied, rated: c.answered, rate: c.answered ? c.satisfied / c.answered : null })),
          app.deps.templates.monthlyReport.bands,
        ),
        SATISFACTION_TREND_SIZE,
      );
      ctx.set('Cache-Control', 'no-store');
      ctx.set('X-Content-Type-Options', 'nosniff');
      ctx.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
      ctx.type = 'image/svg+xml';
      ctx.body = svg;
    }),
  );

  router.get(
    '/console/satisfaction/export.xlsx',
    consoleHandler(app, async (ctx, state) => {
      if (state.access.role === 'staff') throw new DomainError('FORBIDDEN', 'Managers, administrators and auditors', {});
      const month = monthParam(ctx.query.month);
      const f = await figures(state.access.scope, month);
      const { default: ExcelJS } = await import('exceljs');
      const workbook = new ExcelJS.Workbook();
      workbook.creator = 'Huifang';
      const sheet = (name: string, rows: readonly SatisfactionGroupRow[], label: (r: SatisfactionGroupRow) => string) => {
        const ws = workbook.addWorksheet(name);
        ws.columns = [
          { header: name.replace('按', ''), width: 24 },
          { header: '已回访', width: 10 },
          { header: '满意', width: 10 },
          { header: '一般', width: 10 },
          { header: '不满意', width: 10 },
          { header: '满意度', width: 10 },
          { header: 'NPS', width: 10 },
          { header: 'NPS 份数', width: 10 },
        ];
        for (const r of rows) ws.addRow([label(r), r.answered, r.satisfied, r.neutral, r.dissatisfied, r.answered ? r.satisfied / r.answered : null, npsOf(r), r.npsAnswers]);
        ws.getColumn(6).numFmt = '0.0%';
      };
      sheet('按科室', f.byDepartment, (r) => r.label);
      sheet('按人员', f.byStaff, (r) => r.label);
      sheet('按策略', f.byPolicy, (r) => `${r.key} ${app.deps.policies.byId(r.key)?.name ?? ''}`);
      const buffer = Buffer.from(await workbook.xlsx.writeBuffer());
      ctx.set('Cache-Control', 'no-store');
      ctx.set('X-Content-Type-Options', 'nosniff');
      ctx.set('Content-Disposition', `attachment; filename="satisfaction-${month}.xlsx"; filename*=UTF-8''${encodeURIComponent(`满意度-${month}.xlsx`)}`);
      ctx.type = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
      ctx.body = buffer;
    }),
  );

  router.post(
    '/console/satisfaction/keywords',
    consoleHandler(app, async (ctx, state, form) => {
      if (!state.access.canAdminister) throw new DomainError('FORBIDDEN', 'Administrators only', {});
      const topic = (form!.get('topic') ?? '').trim();
      const keyword = (form!.get('keyword') ?? '').trim();
      if (!topic || !keyword || topic.length > 20 || keyword.length > 20) throw new DomainError('VALIDATION_FAILED', 'topic and keyword', {});
      const now = app.clock.now();
      const id = app.deps.ids.next();
      const actor = state.access.staffId ? { actorType: 'STAFF' as const, actorId: state.access.staffId } : { actorType: 'CONSOLE' as const, actorId: state.access.account.id };
      await app.console.admin.addComplaintKeyword({ id, topic, keyword, createdAt: now, createdBy: state.access.account.id }, { at: now, ...actor, action: 'complaint_topic.added', entityType: 'ComplaintKeyword', entityId: id, details: { topic, keyword } });
      ctx.redirect('/console/satisfaction');
    }),
  );

  router.post(
    '/console/satisfaction/keywords/:id/remove',
    consoleHandler(app, async (ctx, state) => {
      if (!state.access.canAdminister) throw new DomainError('FORBIDDEN', 'Administrators only', {});
      const now = app.clock.now();
      const actor = state.access.staffId ? { actorType: 'STAFF' as const, actorId: state.access.staffId } : { actorType: 'CONSOLE' as const, actorId: state.access.account.id };
      await app.console.admin.removeComplaintKeyword(String(ctx.params.id), { at: now, ...actor, action: 'complaint_topic.removed', entityType: 'ComplaintKeyword', entityId: String(ctx.params.id), details: {} });
      ctx.redirect('/console/satisfaction');
    }),
  );
}
