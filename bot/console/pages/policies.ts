import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Router from '@koa/router';
import type { Huifang } from '../../huifang.js';
import { ROOT_DIR } from '../../huifang.js';
import { html } from '../html.js';
import { consoleHandler, render } from '../console-handler.js';
import { csrfField, policiesInOrder } from './common.js';
import { ACTION_LABELS, CASE_TYPE_LABELS, CHANNEL_LABELS, label } from '../labels.js';
import { DomainError } from '../../core/errors.js';
import { simulateCase } from '../../policies/simulate.js';
import { caseBody } from '../../cases/case-body.js';
import type { Offset, PolicyDefinition } from '../../core/policies/types.js';

const UNIT_LABELS: Readonly<Record<string, string>> = { hours: '小时', working_hours: '工作小时', days: '天', working_days: '个工作日', months: '个月', years: '年' };

function offsetText(o: Offset): string {
  const text = (part: Offset) =>
    part.endOfMonth && part.amount === 0
      ? '当月月底'
      : (part.amount < 0 ? `前 ${-part.amount} ${UNIT_LABELS[part.unit] ?? part.unit}` : `${part.amount} ${UNIT_LABELS[part.unit] ?? part.unit}`) + (part.endOfMonth ? '（月底）' : '');
  return [o, ...(o.plus ?? [])].map(text).join(' + ');
}

/** The example cases shipped with the packs, by policy id (templates/policies/examples). */
function examplesOf(policyId: string): { file: string; text: string }[] {
  const dir = join(ROOT_DIR, 'templates/policies/examples');
  return readdirSync(dir)
    .filter((f) => f.startsWith(`${policyId}-`) && f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, text: withoutPhone(readFileSync(join(dir, file), 'utf8')) }));
}

/**
 * An example case as the form shows it: without the customer's phone number, which planning does not
 * use and which the console never shows in full (an example's number may be an example customer's).
 */
function withoutPhone(text: string): string {
  try {
    const body = JSON.parse(text) as { customer?: { phone?: unknown } };
    if (!body.customer || !('phone' in body.customer)) return text;
    delete body.customer.phone;
    return `${JSON.stringify(body, null, 2)}\n`;
  } catch {
    return text;
  }
}

/** A pack's case types in Chinese, each with the code the API takes (`type` of POST /api/v1/cases). */
function caseTypesText(p: PolicyDefinition): string {
  return p.caseTypes.map((t) => (CASE_TYPE_LABELS[t] ? `${CASE_TYPE_LABELS[t]}（${t}）` : t)).join('、');
}

function anchorText(p: PolicyDefinition, step: PolicyDefinition['steps'][number]): string {
  if (step.anchor.kind === 'event') return '事件发生';
  if (step.anchor.kind === 'milestone') return `里程碑「${step.anchor.name}」`;
  if (step.anchor.kind === 'latest') return `最晚的：${step.anchor.of.map((a) => (a.kind === 'event' ? '事件发生' : `里程碑「${a.name}」`)).join('、')}`;
  const key = step.anchor.key;
  const title = p.steps.find((s) => s.key === key)?.title ?? key;
  return step.anchor.kind === 'completed' ? `步骤「${title}」实际完成` : `步骤「${title}」`;
}

/** 策略: the installed packs, read only, and a form that simulates a case against one of them. */
export function policiesPage(router: Router, app: Huifang): void {
  router.get(
    '/console/policies',
    consoleHandler(app, async (ctx, state) => {
      render(ctx, app, state, {
        title: '策略',
        current: '/console/policies',
        body: html`<div class="card"><p class="muted">回访策略以文件形式安装在 templates/policies/，此处只读。修改后请运行 <code>npx huifang policy replan --policy ID</code> 预览对已排期回访的影响。</p><table class="rows"><thead><tr><th>编号</th><th>名称</th><th>案例类型</th><th>步骤</th></tr></thead><tbody>${policiesInOrder(app.deps.policies).map(
          (p) => html`<tr><td data-label="编号"><a href="/console/policies/${p.id}">${p.id}</a></td><td data-label="名称">${p.name}</td><td data-label="案例类型" class="small">${caseTypesText(p)}</td><td data-label="步骤">${p.steps.length}</td></tr>`,
        )}</tbody></table></div>`,
      });
    }),
  );

  const show = async (ctx: Parameters<Parameters<typeof consoleHandler>[1]>[0], state: Parameters<Parameters<typeof consoleHandler>[1]>[1], input: string | null) => {
    const tz = app.config.timezone;
    const p = app.deps.policies.byId(String(ctx.params.id));
    if (!p) throw new DomainError('NOT_FOUND', 'No such policy', {});
    const examples = examplesOf(p.id);
    let simulation = html``;
    if (input !== null) {
      let parsed: unknown;
      let error: string | null = null;
      try {
        parsed = JSON.parse(input);
      } catch {
        error = '不是有效的 JSON。';
      }
      const body = error ? null : caseBody.safeParse(parsed);
      if (body && !body.success) error = body.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('；');
      if (!error && body?.success && !p.caseTypes.includes(body.data.type)) error = `案例类型 ${body.data.type} 不属于 ${p.id}（${p.caseTypes.join('、')}）。`;
      if (error || !body?.success) simulation = html`<p class="alert bad" role="alert">${error}</p>`;
      else {
        const result = simulateCase({ policy: p, body: body.data, org: await app.deps.org.loadOrgSnapshot(), calendar: app.deps.calendar, timeZone: tz });
        simulation = html`<h2>模拟结果</h2>${result.followUps.length === 0 ? html`<p class="muted">此案例不会安排回访。</p>` : ''}<table class="rows"><thead><tr><th>步骤</th><th>方式</th><th>应回访</th><th>截止</th><th>负责人</th><th>抽样</th></tr></thead><tbody>${result.followUps.map(
          (f) => html`<tr><td data-label="步骤">${f.title}</td><td data-label="方式">${label(ACTION_LABELS, f.action)} · ${label(CHANNEL_LABELS, f.channel)}</td><td data-label="应回访" class="nowrap">${f.dueAt.replace('T', ' ').slice(0, 16)}</td><td data-label="截止" class="nowrap">${f.deadlineAt.replace('T', ' ').slice(0, 16)}</td><td data-label="负责人">${f.assignee?.staff?.name ?? (f.action === 'STAFF_TASK' ? '（无人可派）' : '—')}</td><td data-label="抽样">${f.sampling.kept ? '抽中' : '未抽中'}</td></tr>`,
        )}</tbody></table>${result.waiting.map((w) => html`<p class="muted">步骤 ${w.step} 等待 ${w.anchor}。</p>`)}${result.notices.map((n) => html`<p class="alert small">${n}</p>`)}`;
      }
    }
    render(ctx, app, state, {
      title: `${p.id} ${p.name}`,
      current: '/console/policies',
      body: html`<div class="card"><p class="small muted">依据：${p.source}</p><p>案例类型：${caseTypesText(p)}</p><table class="rows"><thead><tr><th>步骤</th><th>方式</th><th>起算</th><th>最早 / 截止</th><th>最多尝试</th></tr></thead><tbody>${p.steps.map(
        (s) => html`<tr><td data-label="步骤">${s.title}<div class="muted small">${s.key}</div></td><td data-label="方式">${label(ACTION_LABELS, s.action)} · ${label(CHANNEL_LABELS, s.channel)}</td><td data-label="起算">${anchorText(p, s)}</td><td data-label="最早/截止">${offsetText(s.earliest)} / ${offsetText(s.deadline)}</td><td data-label="最多尝试">${s.maxAttempts}</td></tr>`,
      )}</tbody></table></div>
<form class="card" method="post" action="/console/policies/${p.id}/simulate">${csrfField(state)}<h2>模拟一个案例</h2><p class="muted small">粘贴 POST /api/v1/cases 的请求体，查看它会得到哪些回访（不写入数据库）。</p>
<label for="case">案例 JSON</label><textarea id="case" name="case" rows="12">${input ?? examples[0]?.text ?? ''}</textarea><p><button type="submit">模拟</button></p>${
        examples.length > 1 ? html`<p class="muted small">示例：${examples.map((e) => e.file).join('、')}</p>` : ''
      }${simulation}</form>`,
    });
  };

  router.get('/console/policies/:id', consoleHandler(app, async (ctx, state) => show(ctx, state, null)));
  router.post('/console/policies/:id/simulate', consoleHandler(app, async (ctx, state, form) => show(ctx, state, (form!.get('case') ?? '').slice(0, 20_000))));
}
