/**
 * Signing in to the console: a single-use link (`huifang console link`), WeCom (OAuth2 in WeCom's own
 * browser, the QR-code login on a desktop browser), or, while the staff channel is the sandbox, a
 * picker of the example staff. Every attempt is rate-limited per address and audited.
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Huifang } from '../huifang.js';
import { accessOf } from '../core/console/access.js';
import { html, type Html } from './html.js';
import { plainPage, sendPage } from './layout.js';
import { endSession, randomToken, readSession, sha256, startSession, csrfMatches, sameOrigin } from './session.js';
import { readForm } from './forms.js';
import type { WecomSignIn } from '../core/ports/console-auth.js';
import { randomBytes } from 'node:crypto';
import { isFullSandbox } from '../config.js';

/** How long a `huifang console link` link stays valid. */
export const SIGN_IN_LINK_MINUTES = 10;
/** How long WeCom has to send the browser back with the code. */
const SIGN_IN_STATE_MINUTES = 10;
const THROTTLE_WINDOW_MS = 15 * 60_000;

/** Creates a single-use sign-in link for an account; returns the URL to hand over. */
export async function createSignInLink(app: Huifang, userId: string): Promise<{ url: string; expiresAt: Date }> {
  const token = randomToken();
  const now = app.clock.now();
  const expiresAt = new Date(now.getTime() + SIGN_IN_LINK_MINUTES * 60_000);
  await app.console.auth.createSignInLink({ tokenHash: sha256(token), userId, expiresAt, at: now });
  return { url: `${app.config.publicBaseUrl}/console/login/link?t=${token}`, expiresAt };
}

export function signInRoutes(router: Router, app: Huifang, wecom: WecomSignIn | null): void {
  const org = app.config.organisationName;
  // Signing in without a credential is for the sandbox only: never while a real channel is connected.
  const sandboxPicker = isFullSandbox(app.config);
  const page = (ctx: Context, status: number, body: Html) => sendPage(ctx, status, plainPage({ title: '登录', organisation: org, body }));
  const refused = (ctx: Context, status: number, text: string) => page(ctx, status, html`<div class="card"><p class="alert bad" role="alert">${text}</p><p><a class="button secondary" href="/console/login">返回登录</a></p></div>`);

  /** Counts the attempt; false (and a 429 page) when the address has made too many. */
  async function admit(ctx: Context, method: string): Promise<boolean> {
    const now = app.clock.now();
    const window = new Date(Math.floor(now.getTime() / THROTTLE_WINDOW_MS) * THROTTLE_WINDOW_MS);
    const count = await app.console.rateCounters.hit(`signin:${ctx.ip}`, window);
    if (count <= app.config.console.signInAttemptsPer15Minutes) return true;
    await audit(ctx, 'console.sign_in_throttled', null, { method });
    refused(ctx, 429, '登录尝试过于频繁，请 15 分钟后再试。');
    return false;
  }

  async function audit(ctx: Context, action: string, userId: string | null, details: Record<string, unknown>): Promise<void> {
    await app.deps.audit.record({
      at: app.clock.now(),
      actorType: 'CONSOLE',
      actorId: userId,
      action,
      entityType: 'ConsoleUser',
      entityId: userId ?? '-',
      details: { ...details, ip: ctx.ip },
    });
  }

  /** Signs the account in if it may (active, its staff member still there); else the refusal page. */
  async function signIn(ctx: Context, userId: string, method: string): Promise<void> {
    const account = await app.console.auth.findConsoleUser(userId);
    const access = account ? accessOf(account, await app.deps.org.loadOrgSnapshot()) : null;
    if (!access) {
      await audit(ctx, 'console.sign_in_refused', userId, { method, reason: 'account inactive or staff member gone' });
      return refused(ctx, 403, '该账号已停用或不再在职，无法登录。请联系管理员。');
    }
    await startSession(ctx, app, userId);
    await audit(ctx, 'console.signed_in', userId, { method, role: access.role });
    ctx.redirect('/console');
  }

  router.get('/console/login', async (ctx) => {
    if (await readSession(ctx, app)) return ctx.redirect('/console');
    // Inside WeCom's own browser the member is known to WeCom: go straight to its OAuth2 page.
    if (wecom && /wxwork/i.test(ctx.get('user-agent')) && ctx.query.manual === undefined) return ctx.redirect('/console/login/wecom?method=oauth');
    const staff = sandboxPicker ? [...(await app.deps.org.loadOrgSnapshot()).staff.values()].filter((s) => s.active).sort((a, b) => a.name.localeCompare(b.name, 'zh-Hans-CN')) : [];
    page(
      ctx,
      200,
      html`<div class="card">
${wecom ? html`<p>请使用企业微信登录：</p><a class="button" href="/console/login/wecom?method=qr">企业微信扫码登录</a><p class="muted small">在企业微信中打开本页将自动登录。</p>` : ''}
${
  sandboxPicker
    ? html`<p class="alert">体验模式（未接入企业微信）：选择一位示例员工登录。</p>${
        staff.length === 0
          ? html`<p class="muted">尚无员工。请先在 <a href="/sandbox">体验页</a> 载入示例机构。</p>`
          : html`<form method="post" action="/console/login/sandbox" class="picker"><label for="staff">员工</label><select id="staff" name="staffId">${staff.map((s) => html`<option value="${s.id}">${s.name}（${s.wecomUserId}）</option>`)}</select><button type="submit">登录</button></form>`
      }`
    : ''
}
<p class="muted small">也可由管理员运行 <code>npx huifang console link --user 企业微信账号</code> 生成一次性登录链接（10 分钟内有效）。</p></div>`,
    );
  });

  // The link is opened first (link previews in chat apps fetch it too), then confirmed with a POST.
  router.get('/console/login/link', async (ctx) => {
    const token = typeof ctx.query.t === 'string' ? ctx.query.t : '';
    if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return refused(ctx, 400, '登录链接无效。');
    page(ctx, 200, html`<div class="card"><p>点击下方按钮完成登录。链接只能使用一次，10 分钟内有效。</p><form method="post" action="/console/login/link"><input type="hidden" name="t" value="${token}"><button type="submit">登录</button></form></div>`);
  });

  router.post('/console/login/link', async (ctx) => {
    if (!sameOrigin(ctx, app)) return refused(ctx, 403, '请求来源不符。');
    if (!(await admit(ctx, 'link'))) return;
    const token = (await readForm(ctx)).get('t') ?? '';
    const userId = /^[A-Za-z0-9_-]{20,100}$/.test(token) ? await app.console.auth.consumeSignInLink(sha256(token), app.clock.now()) : null;
    if (!userId) {
      await audit(ctx, 'console.sign_in_refused', null, { method: 'link', reason: 'unknown, used or expired link' });
      return refused(ctx, 410, '登录链接已使用或已过期。请向管理员重新获取。');
    }
    await signIn(ctx, userId, 'link');
  });

  router.get('/console/login/wecom', async (ctx) => {
    if (!wecom) return refused(ctx, 404, '未接入企业微信。');
    if (!(await admit(ctx, 'wecom'))) return;
    const method = ctx.query.method === 'oauth' ? 'oauth' : 'qr';
    // WeCom allows letters and digits only in `state` (docs/protocols/wecom.md §11.1).
    const state = randomBytes(18).toString('hex');
    const now = app.clock.now();
    await app.console.auth.createSignInState({ state, method, expiresAt: new Date(now.getTime() + SIGN_IN_STATE_MINUTES * 60_000), at: now });
    ctx.redirect(wecom.authorizeUrl(method, `${app.config.publicBaseUrl}/console/login/wecom/callback`, state));
  });

  router.get('/console/login/wecom/callback', async (ctx) => {
    if (!wecom) return refused(ctx, 404, '未接入企业微信。');
    if (!(await admit(ctx, 'wecom'))) return;
    const code = typeof ctx.query.code === 'string' ? ctx.query.code : '';
    const state = typeof ctx.query.state === 'string' ? ctx.query.state : '';
    const method = /^[A-Za-z0-9]{10,128}$/.test(state) ? await app.console.auth.consumeSignInState(state, app.clock.now()) : null;
    if (!method) {
      await audit(ctx, 'console.sign_in_refused', null, { method: 'wecom', reason: 'unknown, used or expired state' });
      return refused(ctx, 400, '登录已过期或无效，请重新登录。');
    }
    const userid = code && code.length <= 512 ? await wecom.userIdOf(code) : null;
    const staff = userid ? await app.deps.org.findStaffByWecomUserId(userid) : null;
    if (!staff || !staff.active) {
      await audit(ctx, 'console.sign_in_refused', null, { method, reason: userid ? 'not an active staff member' : 'WeCom refused the code' });
      return refused(ctx, 403, userid ? '您的企业微信账号未登记为在职员工，无法登录。请联系管理员。' : '企业微信未确认您的身份，请重新登录。');
    }
    const account = await app.console.auth.ensureStaffConsoleUser({ id: app.deps.ids.next(), staffId: staff.id, name: staff.name, at: app.clock.now() });
    await signIn(ctx, account.id, `wecom_${method}`);
  });

  router.post('/console/login/sandbox', async (ctx) => {
    if (!sandboxPicker) return refused(ctx, 404, '仅体验模式可用。');
    if (!sameOrigin(ctx, app)) return refused(ctx, 403, '请求来源不符。');
    if (!(await admit(ctx, 'sandbox'))) return;
    const staffId = (await readForm(ctx)).get('staffId') ?? '';
    const staff = (await app.deps.org.loadOrgSnapshot()).staff.get(staffId);
    if (!staff || !staff.active) return refused(ctx, 400, '请选择一位在职员工。');
    const account = await app.console.auth.ensureStaffConsoleUser({ id: app.deps.ids.next(), staffId: staff.id, name: staff.name, at: app.clock.now() });
    await signIn(ctx, account.id, 'sandbox');
  });

  router.post('/console/logout', async (ctx) => {
    const state = await readSession(ctx, app);
    const form = await readForm(ctx);
    if (state && !csrfMatches(state, form.get('_csrf'))) return refused(ctx, 403, '请求已过期，请刷新页面后重试。');
    if (state) await audit(ctx, 'console.signed_out', state.access.account.id, {});
    await endSession(ctx, app, state);
    ctx.redirect('/console/login');
  });
}
