import { createHash, timingSafeEqual } from 'node:crypto';
import type Koa from 'koa';
import { noteFailedAuth, refuseIfThrottled } from './failed-auth.js';

/** Paths behind the sandbox password: the sandbox itself and the console, whose sandbox sign-in needs no credential. */
const GUARDED = /^\/(?:sandbox|console)(?:\/|$)|^\/$/;

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/**
 * HTTP Basic in front of `/sandbox` and `/console` while every channel is the sandbox and
 * `HUIFANG_SANDBOX_PASSWORD` is set: any user name, that password. The sandbox lists every customer
 * and every signed link, and the console then lets anyone sign in as any staff member, so a service
 * reachable beyond loopback must not serve them to strangers. Other paths (webhooks, `/api/v1` with
 * its own keys, survey links, `/healthz`) are left alone. A wrong password counts as a failed
 * authentication of the client address (bot/http/failed-auth.ts); the browser's first, credential-less
 * request does not.
 */
export function sandboxPassword(password: string): Koa.Middleware {
  const expected = digest(password);
  return async (ctx, next) => {
    if (!GUARDED.test(ctx.path)) return next();
    const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(ctx.get('Authorization'));
    if (match) refuseIfThrottled(ctx);
    const decoded = match ? Buffer.from(match[1]!, 'base64').toString('utf8') : '';
    const given = decoded.slice(decoded.indexOf(':') + 1);
    // Compared as digests: equal length, constant time.
    if (match && decoded.includes(':') && timingSafeEqual(digest(given), expected)) return next();
    if (match) noteFailedAuth(ctx);
    ctx.status = 401;
    ctx.set('WWW-Authenticate', 'Basic realm="Huifang sandbox", charset="UTF-8"');
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'text/plain; charset=utf-8';
    ctx.body = '需要沙箱密码（HUIFANG_SANDBOX_PASSWORD）/ the sandbox password (HUIFANG_SANDBOX_PASSWORD) is required\n';
  };
}
