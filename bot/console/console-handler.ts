import type { Context, Middleware } from 'koa';
import type { Huifang } from '../huifang.js';
import { DomainError } from '../core/errors.js';
import { html, type Html } from './html.js';
import { consolePage, plainPage, sendPage } from './layout.js';
import { csrfMatches, readSession, sameOrigin, type ConsoleSessionState } from './session.js';
import { readForm } from './forms.js';

/** What a console page handler gets: the request, the signed-in person, and (for a POST) the checked form. */
export type ConsoleHandler = (ctx: Context, state: ConsoleSessionState, form: URLSearchParams | null) => Promise<void>;

/** Chinese explanations of the refusals a console action can meet. */
const REFUSALS: Readonly<Record<string, string>> = {
  READ_ONLY: '审计员账号只能查看，不能修改。',
  FORBIDDEN: '您的角色不能进行此操作。',
  UNKNOWN_STAFF: '所选人员不在您负责的科室，或已停用。',
  UNKNOWN_ESCALATION: '未找到这条升级事项（或不在您负责的范围内）。',
  ESCALATION_CLOSED: '该升级事项已处理完毕。',
  STALE_ESCALATION: '该升级事项已有变化，请刷新后重试。',
  NOT_OWNER: '只有升级事项的当前负责人可以受理或处理；可先转交给自己。',
  NOTE_REQUIRED: '请填写处理说明（做了什么、结果如何），至少 2 个字。',
  NOTE_TOO_LONG: '处理说明最多 1000 字。',
  UNKNOWN_CUSTOMER: '未找到该客户（或不在您负责的范围内）。',
  REASON_REQUIRED: '请填写原因（谁提出、通过什么方式），至少 2 个字。',
  REASON_TOO_LONG: '原因最多 500 字。',
  REVEAL_LIMIT: '今日查看号码的次数已达上限，请明天再试或联系管理员。',
  NOT_FOUND: '未找到该页面或记录。',
  VALIDATION_FAILED: '填写的内容有误，请检查后重试。',
  BODY_TOO_LARGE: '提交的内容过大。',
  CALENDAR_YEAR_SHIPPED: '该年份的国务院节假日安排已随系统提供，不能再添加放假或调休日；如需本单位停业日，请选择「本单位停业」。',
  CALENDAR_DATA_INVALID: '该日期与已有的日历冲突（例如调休上班日与放假日重叠），未添加。',
  WEBHOOK_URL_INVALID: '推送地址须为完整的 http:// 或 https:// 网址，且不能包含用户名或密码。',
  WEBHOOK_EVENTS_MISSING: '请至少选择一个要推送的事件。',
  WEBHOOK_EVENT_UNKNOWN: '所选事件不存在，请刷新页面后重试。',
  WEBHOOK_NOT_FOUND: '未找到该推送订阅（可能已被删除）。',
};

const STATUS: Readonly<Record<string, number>> = { READ_ONLY: 403, FORBIDDEN: 403, NOT_FOUND: 404, UNKNOWN_ESCALATION: 404, UNKNOWN_CUSTOMER: 404, WEBHOOK_NOT_FOUND: 404, REVEAL_LIMIT: 429, BODY_TOO_LARGE: 413 };

export function refusalText(error: DomainError): string {
  return REFUSALS[error.code] ?? '操作未成功，请检查后重试。';
}

/**
 * Wraps a console page: without a valid session a GET goes to the sign-in page (anything else is
 * refused); a POST must come from our own pages (Origin) and carry the session's CSRF token. A
 * `DomainError` becomes a page saying, in Chinese, what to do; anything else is left to the error
 * middleware (a generic 500, logged).
 */
export function consoleHandler(app: Huifang, handler: ConsoleHandler): Middleware {
  const org = app.config.organisationName;
  return async (ctx) => {
    const state = await readSession(ctx, app);
    if (!state) {
      if (ctx.method === 'GET' || ctx.method === 'HEAD') return ctx.redirect('/console/login');
      return sendPage(ctx, 401, plainPage({ title: '请先登录', organisation: org, body: html`<div class="card"><p class="alert bad">登录已过期，请重新登录。</p><a class="button" href="/console/login">登录</a></div>` }));
    }
    let form: URLSearchParams | null = null;
    if (ctx.method === 'POST') {
      form = sameOrigin(ctx, app) ? await readForm(ctx) : null;
      if (!form || !csrfMatches(state, form.get('_csrf'))) return errorPage(ctx, state, 403, '请求已过期或来源不符，请刷新页面后重试。');
    }
    try {
      await handler(ctx, state, form);
    } catch (thrown) {
      if (!(thrown instanceof DomainError)) throw thrown;
      errorPage(ctx, state, STATUS[thrown.code] ?? 400, refusalText(thrown));
    }
  };

  function errorPage(ctx: Context, state: ConsoleSessionState, status: number, text: string): void {
    const back = ctx.get('referer');
    const sameSite = back && back.startsWith(app.config.publicBaseUrl) ? back : '/console';
    sendPage(ctx, status, consolePage(state, { title: '未能完成', organisation: org, current: '', body: html`<div class="card"><p class="alert bad" role="alert">${text}</p><a class="button secondary" href="${sameSite}">返回</a></div>` }));
  }
}

/** Renders a signed-in page. */
export function render(ctx: Context, app: Huifang, state: ConsoleSessionState, input: { title: string; current: string; body: Html; status?: number }): void {
  sendPage(ctx, input.status ?? 200, consolePage(state, { title: input.title, organisation: app.config.organisationName, current: input.current, body: input.body }));
}
