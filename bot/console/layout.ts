import type { Context } from 'koa';
import { html, raw, type Html } from './html.js';
import type { ConsoleAccess } from '../core/console/access.js';
import { CONSOLE_ROLE_LABELS } from './labels.js';
import type { ConsoleSessionState } from './session.js';

/** The console's pages, in menu order, with who may open them. */
export const CONSOLE_PAGES: readonly { path: string; label: string; visible: (a: ConsoleAccess) => boolean }[] = [
  { path: '/console', label: '工作台', visible: () => true },
  { path: '/console/follow-ups', label: '回访任务', visible: () => true },
  { path: '/console/cases', label: '案例', visible: () => true },
  { path: '/console/escalations', label: '升级', visible: () => true },
  { path: '/console/satisfaction', label: '满意度', visible: (a) => a.role !== 'staff' },
  { path: '/console/customers', label: '客户', visible: () => true },
  { path: '/console/calendar', label: '日历', visible: () => true },
  { path: '/console/policies', label: '策略', visible: () => true },
  { path: '/console/audit', label: '审计', visible: (a) => a.canAudit },
  { path: '/console/settings', label: '设置', visible: (a) => a.canAdminister },
];

/** Nothing external; our stylesheet and script only; images (charts) from us; no framing. */
export const CONSOLE_CSP = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'; connect-src 'self'";

/** Sends an HTML page that no cache or search engine keeps, under the console's CSP. */
export function sendPage(ctx: Context, status: number, page: Html): void {
  ctx.status = status;
  ctx.type = 'text/html; charset=utf-8';
  ctx.set('Cache-Control', 'no-store');
  // same-origin, not no-referrer: with no-referrer browsers send `Origin: null` on form posts, and the
  // console checks the Origin of every post. Nothing is sent to other sites either way.
  ctx.set('Referrer-Policy', 'same-origin');
  ctx.set('X-Robots-Tag', 'noindex');
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('X-Frame-Options', 'DENY');
  ctx.set('Content-Security-Policy', CONSOLE_CSP);
  ctx.body = page.text;
}

function documentOf(title: string, organisation: string, body: Html): Html {
  return html`<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><meta name="format-detection" content="telephone=no"><title>${title} · ${organisation}回访管理台</title><link rel="icon" href="/console/assets/icon.svg" type="image/svg+xml"><link rel="stylesheet" href="/console/assets/console.css"></head><body>${body}<script src="/console/assets/console.js" defer></script></body></html>`;
}

/** A signed-in page: header with the person and sign-out, the menu, the content. */
export function consolePage(state: ConsoleSessionState, input: { title: string; organisation: string; current: string; body: Html }): Html {
  const { access } = state;
  const items = CONSOLE_PAGES.filter((p) => p.visible(access)).map(
    (p) => html`<li><a href="${p.path}"${p.path === input.current ? raw(' aria-current="page"') : ''}>${p.label}</a></li>`,
  );
  return documentOf(
    input.title,
    input.organisation,
    html`<header class="top"><a class="brand" href="/console">${input.organisation} · 回访管理台</a><div class="who">${access.account.name}<small>${CONSOLE_ROLE_LABELS[access.role]}${access.role === 'auditor' ? '（只读）' : ''}</small></div><form method="post" action="/console/logout"><input type="hidden" name="_csrf" value="${state.csrfToken}"><button class="secondary" type="submit">退出</button></form></header>
<nav class="menu" aria-label="主菜单"><ul>${items}</ul></nav>
<main><h1>${input.title}</h1>${input.body}</main>`,
  );
}

/** A page without a session (sign-in, messages). */
export function plainPage(input: { title: string; organisation: string; body: Html }): Html {
  return documentOf(input.title, input.organisation, html`<main class="login"><h1>${input.organisation} · 回访管理台</h1>${input.body}</main>`);
}
