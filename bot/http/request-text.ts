import type { Middleware } from 'koa';
import { assertSafeText } from '../inbound-text.js';

/**
 * Refuses, before any route runs, a request whose path or query string carries text no database can
 * store (U+0000, an unpaired surrogate): a 400 `INVALID_TEXT` naming `path` or `query.<name>`. Bodies
 * are checked where they are read (bot/http/read-body.ts).
 */
export function requestTextMiddleware(): Middleware {
  return async (ctx, next) => {
    let path = ctx.path;
    try {
      path = decodeURIComponent(path);
    } catch {
      // Not valid percent-encoding: the router matches the raw text, which holds no NUL.
    }
    assertSafeText('path', path);
    for (const [name, value] of Object.entries(ctx.query)) {
      assertSafeText('query (a parameter name)', name);
      for (const v of Array.isArray(value) ? value : [value ?? '']) assertSafeText(`query.${name}`, v);
    }
    await next();
  };
}
