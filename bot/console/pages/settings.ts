import type Router from '@koa/router';
import type { Huifang } from '../../huifang.js';
import { html } from '../html.js';
import { consoleHandler, render } from '../console-handler.js';
import { csrfField, dateTime, select } from './common.js';
import { DomainError } from '../../core/errors.js';
import { startOfLocalDay } from '../../core/time.js';
import { accessOf } from '../../core/console/access.js';
import { jobs } from '../../../jobs/index.js';
import { createSignInLink } from '../sign-in.js';
import { CHANNEL_LABELS, CONSOLE_ROLE_LABELS, WEBHOOK_EVENT_LABELS, label } from '../labels.js';
import { WEBHOOK_EVENT_TYPES } from '../../core/webhooks/events.js';
import {
  addWebhookSubscription,
  parseWebhookAttempts,
  parseWebhookTimeout,
  removeWebhookSubscription,
  rotateWebhookSecret,
  WEBHOOK_ATTEMPTS,
  WEBHOOK_ROTATION_OVERLAP,
  WEBHOOK_TIMEOUT,
  type SubscriptionActor,
} from '../../core/webhooks/subscriptions.js';
import type { ConsoleSessionState } from '../session.js';

/** What each job does, in Chinese (the job's own name stays under it, as the logs use it). */
const JOB_LABELS: Readonly<Record<string, string>> = {
  'activate-due-follow-ups': '推送到期回访',
  'mark-overdue': '标记逾期回访',
  'send-reminders': '发送催办提醒',
  'climb-escalations': '超时升级上报',
  'dispatch-outbox': '发送消息',
  'process-inbox': '处理收到的回复与点击',
  'survey-fallback': '问卷改发短信',
  'pull-sms-reports': '拉取短信回执与回复',
  'send-weekly-digests': '发送周报',
  'send-monthly-reports': '发送月报',
  'sync-wecom-contacts': '同步企业微信通讯录',
  'plan-greetings': '安排节日与生日问候',
  'reload-calendar': '载入管理台添加的日历',
  'top-up-quotas': '抽样配额补足最低次数',
};

/**
 * A job's node-cron schedule (seconds first, business time zone) in words: 每分钟, 每分钟 6 次,
 * 每 5 分钟, 每小时第 23 分, 每天 03:23; anything else as written.
 */
export function scheduleText(schedule: string): string {
  const [sec, min, hour, dom, mon, dow] = schedule.split(' ');
  if (dom !== '*' || mon !== '*' || dow !== '*') return schedule;
  const fixed = (v: string | undefined) => v !== undefined && /^\d+$/.test(v);
  if (hour === '*' && min === '*') return sec?.includes(',') ? `每分钟 ${sec.split(',').length} 次` : '每分钟';
  if (hour === '*' && min?.startsWith('*/') && fixed(sec)) return `每 ${min.slice(2)} 分钟`;
  if (hour === '*' && fixed(min) && fixed(sec)) return `每小时第 ${min} 分`;
  if (fixed(hour) && fixed(min) && fixed(sec)) return `每天 ${hour!.padStart(2, '0')}:${min!.padStart(2, '0')}`;
  return schedule;
}

const MODE_LABELS: Readonly<Record<string, string>> = { sandbox: '体验模式（不对外发送）', wecom: '企业微信', tencent: '腾讯云短信', wechat: '微信公众号' };

/** 设置 (administrators): channel modes, quotas and their use today, the jobs' last runs, console accounts. */
export function settingsPage(router: Router, app: Huifang): void {
  router.get(
    '/console/settings',
    consoleHandler(app, async (ctx, state) => {
      if (!state.access.canAdminister) throw new DomainError('FORBIDDEN', 'Administrators only', {});
      const tz = app.config.timezone;
      const dayStart = startOfLocalDay(app.clock.now(), tz);
      const [wecomToday, smsToday, wechatToday, runs, users, org, subscriptions] = await Promise.all([
        app.deps.outbox.countSentSince('wecom', dayStart, ['card_update']),
        app.deps.outbox.countSentSince('sms', dayStart),
        app.deps.outbox.countSentSince('wechat', dayStart),
        app.console.views.jobRuns(),
        app.console.auth.listConsoleUsers(),
        app.deps.org.loadOrgSnapshot(),
        app.webhooks.listWebhookSubscriptions(),
      ]);
      const limit = app.config.wecom?.dailyMessageLimit ?? null;
      const channels = app.config.channels;
      const run = (name: string) => runs.find((r) => r.job === name);
      render(ctx, app, state, {
        title: '设置',
        current: '/console/settings',
        body: html`<div class="card"><h2>发送通道</h2><table class="rows"><thead><tr><th>通道</th><th>接入</th><th>今日已发送</th><th>每日额度</th></tr></thead><tbody>
<tr><td data-label="通道">${label(CHANNEL_LABELS, 'wecom')}（员工任务）</td><td data-label="接入">${MODE_LABELS[channels.staff] ?? channels.staff}</td><td data-label="今日已发送">${wecomToday}</td><td data-label="每日额度">${limit === null ? '未设置（WECOM_DAILY_MESSAGE_LIMIT）' : `${limit}（已用 ${((wecomToday / limit) * 100).toFixed(1)}%）`}</td></tr>
<tr><td data-label="通道">${label(CHANNEL_LABELS, 'sms')}</td><td data-label="接入">${MODE_LABELS[channels.sms] ?? channels.sms}</td><td data-label="今日已发送">${smsToday}</td><td data-label="每日额度">按腾讯云账号设置</td></tr>
<tr><td data-label="通道">${label(CHANNEL_LABELS, 'wechat')}</td><td data-label="接入">${MODE_LABELS[channels.wechat] ?? channels.wechat}</td><td data-label="今日已发送">${wechatToday}</td><td data-label="每日额度">按公众号模板消息额度</td></tr>
</tbody></table><p class="muted small">通道由环境变量配置（见 README「配置」），修改后重启服务生效。</p></div>
<div class="card"><h2>定时任务</h2><table class="rows"><thead><tr><th>任务</th><th>计划</th><th>最近运行</th><th>结果</th><th>今日失败</th></tr></thead><tbody>${Object.entries(jobs).map(([name, job]) => {
          const r = run(name);
          return html`<tr><td data-label="任务">${JOB_LABELS[name] ?? name}<div class="muted small">${name}</div></td><td data-label="计划" class="small">${scheduleText(job.schedule)}</td><td data-label="最近运行">${r ? dateTime(r.lastFinishedAt ?? r.lastStartedAt ?? null, tz) : html`<span class="muted">尚未运行</span>`}</td><td data-label="结果">${r?.lastStatus === 'failed' ? html`<span class="status DEAD">失败</span> <span class="small">${r.lastError ?? ''}</span>` : r?.lastStatus === 'ok' ? html`<span class="status DONE">正常</span>` : '—'}</td><td data-label="今日失败">${r && r.failureDay === dateTime(dayStart, tz).slice(0, 10) ? r.failuresOnDay : 0}</td></tr>`;
        })}</tbody></table></div>
<div class="card"><h2>管理台账号</h2><table class="rows"><thead><tr><th>姓名</th><th>角色</th><th>状态</th><th>操作</th></tr></thead><tbody>${users.map((u) => {
          const access = accessOf(u, org);
          return html`<tr><td data-label="姓名">${u.name}${u.staffId ? '' : html` <span class="muted small">（无员工档案）</span>`}</td><td data-label="角色">${access ? CONSOLE_ROLE_LABELS[access.role] : '—'}</td><td data-label="状态">${access ? '可登录' : '不可登录'}</td><td data-label="操作" class="wide"><div class="row-actions"><form method="post" action="/console/settings/accounts/${u.id}/role" class="actions">${csrfField(state)}<label class="sr" for="role-${u.id}">${u.name} 的角色</label>${select('role', u.role ?? '', [{ value: 'admin', label: '管理员' }, { value: 'auditor', label: '审计员' }], '按职务', `role-${u.id}`)}<button class="secondary" type="submit">更改角色</button></form><form method="post" action="/console/settings/accounts/${u.id}/link">${csrfField(state)}<button class="secondary" type="submit">生成登录链接</button></form></div></td></tr>`;
        })}</tbody></table><p class="muted small">员工首次用企业微信登录时自动建立账号；角色默认按职务（部门负责人及经理、护士长等看本部门，其他员工看自己的任务）。</p></div>
<div class="card" id="webhooks"><h2>事件推送（Webhook）</h2>${
          subscriptions.length === 0
            ? html`<p class="muted">尚无订阅。</p>`
            : html`<table class="rows"><thead><tr><th>推送地址</th><th>事件</th><th>超时／次数</th><th>添加时间</th><th>操作</th></tr></thead><tbody>${subscriptions.map(
                (s) =>
                  html`<tr><td data-label="推送地址"><code>${s.url}</code><div class="muted small">${s.id}</div></td><td data-label="事件" class="small">${s.events.map((e) => label(WEBHOOK_EVENT_LABELS, e)).join('、')}</td><td data-label="超时／次数" class="small">${s.timeoutMs / 1000} 秒／${s.maxAttempts} 次</td><td data-label="添加时间">${dateTime(s.createdAt, tz)}${s.previousSecretUntil ? html`<div class="muted small">已更换密钥，旧密钥签名至 ${dateTime(s.previousSecretUntil, tz)}</div>` : ''}</td><td data-label="操作"><form method="post" action="/console/settings/webhooks/${s.id}/rotate">${csrfField(state)}<button class="secondary" type="submit">更换密钥</button></form><form method="post" action="/console/settings/webhooks/${s.id}/remove">${csrfField(state)}<button class="secondary" type="submit">删除</button></form></td></tr>`,
              )}</tbody></table>`
        }<h3>添加订阅</h3><form method="post" action="/console/settings/webhooks">${csrfField(state)}<label for="webhook-url">推送地址</label><input id="webhook-url" name="url" type="url" required placeholder="https://crm.example.com/hooks/huifang"><label for="webhook-timeout">超时（秒，${WEBHOOK_TIMEOUT.minMs / 1000}–${WEBHOOK_TIMEOUT.maxMs / 1000}）</label><input id="webhook-timeout" name="timeout" type="number" min="${WEBHOOK_TIMEOUT.minMs / 1000}" max="${WEBHOOK_TIMEOUT.maxMs / 1000}" value="${WEBHOOK_TIMEOUT.defaultMs / 1000}"><label for="webhook-attempts">最多尝试次数（${WEBHOOK_ATTEMPTS.min}–${WEBHOOK_ATTEMPTS.max}）</label><input id="webhook-attempts" name="attempts" type="number" min="${WEBHOOK_ATTEMPTS.min}" max="${WEBHOOK_ATTEMPTS.max}" value="${WEBHOOK_ATTEMPTS.default}"><fieldset><legend>事件</legend>${WEBHOOK_EVENT_TYPES.map(
          (e) => html`<label class="inline"><input type="checkbox" name="events" value="${e}"> ${label(WEBHOOK_EVENT_LABELS, e)} <span class="muted small">${e}</span></label>`,
        )}</fieldset><p><button type="submit">添加订阅</button></p></form><p class="muted small">推送内容只含编号和脱敏手机号，并以签名密钥签名；对方系统的校验方法见 docs/webhooks.md。更换密钥后 24 小时内新旧密钥同时签名。也可用命令 <code>huifang webhooks add|list|test|rotate|remove</code> 管理（<code>test</code> 发送一条带签名的 ping 并显示对方的应答）。</p></div>`,
      });
    }),
  );

  router.post(
    '/console/settings/accounts/:id/role',
    consoleHandler(app, async (ctx, state, form) => {
      if (!state.access.canAdminister) throw new DomainError('FORBIDDEN', 'Administrators only', {});
      const id = String(ctx.params.id);
      const value = form!.get('role');
      const role = value === 'admin' || value === 'auditor' ? value : null;
      const account = await app.console.auth.findConsoleUser(id);
      if (!account) throw new DomainError('NOT_FOUND', 'No such account', {});
      if (id === state.access.account.id && role !== 'admin') throw new DomainError('FORBIDDEN', 'An administrator cannot remove their own role', {});
      await app.console.auth.setConsoleRole(id, role);
      await app.deps.audit.record({ at: app.clock.now(), ...(state.access.staffId ? { actorType: 'STAFF' as const, actorId: state.access.staffId } : { actorType: 'CONSOLE' as const, actorId: state.access.account.id }), action: 'console.role_changed', entityType: 'ConsoleUser', entityId: id, details: { from: account.role, to: role } });
      ctx.redirect('/console/settings');
    }),
  );

  router.post(
    '/console/settings/accounts/:id/link',
    consoleHandler(app, async (ctx, state) => {
      if (!state.access.canAdminister) throw new DomainError('FORBIDDEN', 'Administrators only', {});
      const account = await app.console.auth.findConsoleUser(String(ctx.params.id));
      if (!account) throw new DomainError('NOT_FOUND', 'No such account', {});
      const { url, expiresAt } = await createSignInLink(app, account.id);
      await app.deps.audit.record({
        at: app.clock.now(),
        ...(state.access.staffId ? { actorType: 'STAFF' as const, actorId: state.access.staffId } : { actorType: 'CONSOLE' as const, actorId: state.access.account.id }),
        action: 'console.link_created',
        entityType: 'ConsoleUser',
        entityId: account.id,
        details: { via: 'console settings', expiresAt: expiresAt.toISOString() },
      });
      // Shown once, here, not put in a URL (it would stay in the browser's history).
      render(ctx, app, state, {
        title: '一次性登录链接',
        current: '/console/settings',
        body: html`<div class="card"><p>${account.name} 的一次性登录链接，10 分钟内有效，只能使用一次。请通过企业微信单独发送给本人：</p><p><code>${url}</code></p><a class="button secondary" href="/console/settings">返回设置</a></div>`,
      });
    }),
  );

  router.post(
    '/console/settings/webhooks',
    consoleHandler(app, async (ctx, state, form) => {
      if (!state.access.canAdminister) throw new DomainError('FORBIDDEN', 'Administrators only', {});
      const optional = (name: string) => {
        const v = String(form!.get(name) ?? '').trim();
        return v === '' ? undefined : v;
      };
      const timeoutMs = parseWebhookTimeout(optional('timeout'));
      const maxAttempts = parseWebhookAttempts(optional('attempts'));
      const { subscription, secret } = await addWebhookSubscription({ ...app.deps, webhooks: app.webhooks }, { url: String(form!.get('url') ?? ''), events: form!.getAll('events'), timeoutMs, maxAttempts }, consoleActor(state));
      // The secret is shown once, here, not put in a URL (it would stay in the browser's history).
      render(ctx, app, state, {
        title: '已添加推送订阅',
        current: '/console/settings',
        body: html`<div class="card"><p>已添加推送订阅 <code>${subscription.url}</code>。</p><p>签名密钥只显示这一次，请立即交给对方系统保存（用于校验 <code>Huifang-Signature</code> 请求头，见 docs/webhooks.md）：</p><p><code>${secret}</code></p><a class="button secondary" href="/console/settings#webhooks">返回设置</a></div>`,
      });
    }),
  );

  router.post(
    '/console/settings/webhooks/:id/rotate',
    consoleHandler(app, async (ctx, state) => {
      if (!state.access.canAdminister) throw new DomainError('FORBIDDEN', 'Administrators only', {});
      const { secret, previousUntil } = await rotateWebhookSecret({ ...app.deps, webhooks: app.webhooks }, String(ctx.params.id), WEBHOOK_ROTATION_OVERLAP.defaultMs, consoleActor(state));
      // Shown once, like the first secret.
      render(ctx, app, state, {
        title: '已更换签名密钥',
        current: '/console/settings',
        body: html`<div class="card"><p>新的签名密钥只显示这一次，请立即交给对方系统保存：</p><p><code>${secret}</code></p><p>在 ${dateTime(previousUntil, app.config.timezone)} 之前，每次推送同时带新旧两个签名（两个 <code>v1=</code>），对方换好新密钥前不会拒收；之后只用新密钥签名。</p><a class="button secondary" href="/console/settings#webhooks">返回设置</a></div>`,
      });
    }),
  );

  router.post(
    '/console/settings/webhooks/:id/remove',
    consoleHandler(app, async (ctx, state) => {
      if (!state.access.canAdminister) throw new DomainError('FORBIDDEN', 'Administrators only', {});
      await removeWebhookSubscription({ ...app.deps, webhooks: app.webhooks }, String(ctx.params.id), consoleActor(state));
      ctx.redirect('/console/settings#webhooks');
    }),
  );
}

/** Who changes subscriptions in the console, for the audit log. */
function consoleActor(state: ConsoleSessionState): SubscriptionActor {
  return state.access.staffId ? { actorType: 'STAFF', actorId: state.access.staffId } : { actorType: 'CONSOLE', actorId: state.access.account.id };
}
