import { isInstantInRange } from '../../inbound-text.js';
import type { Context } from 'koa';
import { html, type Html } from '../html.js';
import type { ConsoleSessionState } from '../session.js';
import type { Page } from '../../core/ports/console-views.js';
import type { PolicyRegistry } from '../../core/ports/policies.js';
import type { PolicyDefinition } from '../../core/policies/types.js';
import { formatLocalDate, formatLocalDateTime } from '../../core/time.js';

export const PAGE_SIZE = 20;

/** The list query every list page shares: page, search text, sort and direction. */
export function listQuery(ctx: Context): { page: number; pageSize: number; q: string | undefined; sort: string | undefined; direction: 'asc' | 'desc' | undefined } {
  const page = Math.max(1, Math.min(10_000, Number.parseInt(String(ctx.query.page ?? '1'), 10) || 1));
  const q = typeof ctx.query.q === 'string' && ctx.query.q.trim() ? ctx.query.q.trim().slice(0, 64) : undefined;
  const sort = typeof ctx.query.sort === 'string' ? ctx.query.sort : undefined;
  const direction = ctx.query.dir === 'desc' ? 'desc' : ctx.query.dir === 'asc' ? 'asc' : undefined;
  return { page, pageSize: PAGE_SIZE, q, sort, direction };
}

/** A query parameter as a string, or undefined when absent or empty. */
export function param(ctx: Context, name: string): string | undefined {
  const value = ctx.query[name];
  return typeof value === 'string' && value.trim() ? value.trim().slice(0, 200) : undefined;
}

/** The URL of this page with some query parameters changed (undefined removes one). */
export function withQuery(ctx: Context, changes: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(ctx.query)) if (typeof v === 'string') params.set(k, v);
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) params.delete(k);
    else params.set(k, v);
  }
  const text = params.toString();
  return text ? `${ctx.path}?${text}` : ctx.path;
}

export function pager<T>(ctx: Context, page: Page<T>): Html {
  const pages = Math.max(1, Math.ceil(page.total / page.pageSize));
  return html`<div class="pager"><span class="muted small">共 ${page.total} 条 · 第 ${page.page} / ${pages} 页</span><span class="actions">${
    page.page > 1 ? html`<a class="button secondary" href="${withQuery(ctx, { page: String(page.page - 1) })}">上一页</a>` : ''
  }${page.page < pages ? html`<a class="button secondary" href="${withQuery(ctx, { page: String(page.page + 1) })}">下一页</a>` : ''}</span></div>`;
}

/** A column header that sorts by `key` (a second click reverses the direction). */
export function sortHeader(ctx: Context, key: string, text: string, defaultSort: string): Html {
  const current = (typeof ctx.query.sort === 'string' ? ctx.query.sort : defaultSort) === key;
  const direction = current && ctx.query.dir !== 'desc' ? 'desc' : 'asc';
  return html`<a href="${withQuery(ctx, { sort: key, dir: direction, page: undefined })}">${text}${current ? (ctx.query.dir === 'desc' ? ' ↓' : ' ↑') : ''}</a>`;
}

export function csrfField(state: ConsoleSessionState): Html {
  return html`<input type="hidden" name="_csrf" value="${state.csrfToken}">`;
}

export function dateTime(d: Date | null | undefined, timeZone: string): string {
  return d ? formatLocalDateTime(d, timeZone) : '—';
}

export function date(d: Date | null | undefined, timeZone: string): string {
  return d ? formatLocalDate(d, timeZone) : '—';
}

/** `85.0%`, or `—` when nothing was answered. */
export function rate(part: number, whole: number): string {
  return whole > 0 ? `${((part / whole) * 100).toFixed(1)}%` : '—';
}

/**
 * A `<select>` of options with the current value selected; the first option is "all" (none when
 * `allLabel` is null). Its id is `id`
 * (default: the name), which its `<label for>` must name; two selects of one name on a page need two ids.
 */
export function select(name: string, current: string | undefined, options: readonly { value: string; label: string }[], allLabel: string | null = '全部', id = name): Html {
  return html`<select id="${id}" name="${name}">${allLabel === null ? '' : html`<option value="">${allLabel}</option>`}${options.map((o) => html`<option value="${o.value}"${o.value === current ? html` selected` : ''}>${o.label}</option>`)}</select>`;
}

/**
 * An instant from a `YYYY-MM-DD` query value, read as the local day's start; undefined when absent,
 * invalid or outside the range Huifang accepts (bot/inbound-text.ts).
 */
export function localDayParam(ctx: Context, name: string, fromLocal: (day: string) => Date): Date | undefined {
  const value = param(ctx, name);
  const day = value && /^\d{4}-\d{2}-\d{2}$/.test(value) ? fromLocal(value) : undefined;
  return day && isInstantInRange(day) ? day : undefined;
}

/** The installed packs in their natural order (P1, P2 … P10), as people count them. */
export function policiesInOrder(policies: PolicyRegistry): PolicyDefinition[] {
  return [...policies.all()].sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
}
