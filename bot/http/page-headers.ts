import type { Middleware } from 'koa';

/**
 * The framing and sniffing policy of every HTML page Huifang serves (survey, staff form, digest,
 * escalation, sandbox, API page, console, and their error pages), applied in one place.
 *
 * - `X-Content-Type-Options: nosniff` and `X-Frame-Options: DENY` on every HTML answer;
 * - a `Content-Security-Policy`: a page that needs scripts sets its own (hash- or self-based, always with
 *   `frame-ancestors 'none'`); a page without one gets {@link DEFAULT_PAGE_CSP}, which runs no script;
 *   a page policy without `frame-ancestors` has `frame-ancestors 'none'` added.
 */
export const DEFAULT_PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/** Sets the headers above after the route has answered, when the answer is HTML. */
export function pageHeadersMiddleware(): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } finally {
      if (/^text\/html\b/i.test(ctx.response.get('Content-Type'))) {
        ctx.set('X-Content-Type-Options', 'nosniff');
        ctx.set('X-Frame-Options', 'DENY');
        const csp = ctx.response.get('Content-Security-Policy');
        if (!csp) ctx.set('Content-Security-Policy', DEFAULT_PAGE_CSP);
        else if (!/frame-ancestors/i.test(csp)) ctx.set('Content-Security-Policy', `${csp}; frame-ancestors 'none'`);
      }
    }
  };
}
