/**
 * Console sessions: a random token in an HttpOnly cookie (SameSite=Lax; Secure when the request came
 * over HTTPS, directly or through the reverse proxy), its SHA-256 in the database. A session ends after
 * `HUIFANG_CONSOLE_IDLE_MINUTES` without a request, `HUIFANG_CONSOLE_SESSION_HOURS` after sign-in, or
 * at sign-out. Each session carries a CSRF token that every form and mutation sends back.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import type { Huifang } from '../huifang.js';
import { accessOf, type ConsoleAccess } from '../core/console/access.js';

export const SESSION_COOKIE = 'huifang_console';

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** The signed-in person of a request, with the session's CSRF token. */
export interface ConsoleSessionState {
  access: ConsoleAccess;
  csrfToken: string;
  tokenHash: string;
}

/** Whether the request reached us over HTTPS (koa runs with `proxy: true`, so X-Forwarded-Proto counts). */
function isHttps(ctx: Context, app: Huifang): boolean {
  return ctx.secure || app.config.publicBaseUrl.startsWith('https://');
}

function cookieOptions(ctx: Context, app: Huifang, maxAgeMs?: number) {
  return { httpOnly: true, sameSite: 'lax' as const, secure: isHttps(ctx, app), path: '/console', overwrite: true, ...(maxAgeMs === undefined ? {} : { maxAge: maxAgeMs }) };
}

/** Starts a session for the account and sets the cookie; the caller has checked the account may sign in. */
export async function startSession(ctx: Context, app: Huifang, userId: string): Promise<void> {
  const now = app.clock.now();
  const token = randomToken();
  const expiresAt = new Date(now.getTime() + app.config.console.sessionHours * 3_600_000);
  await app.console.auth.createSession({ tokenHash: sha256(token), userId, csrfToken: randomToken(24), createdAt: now, lastSeenAt: now, expiresAt });
  // The koa cookie writer refuses `secure` on a plain-HTTP socket unless told the proxy terminated TLS.
  ctx.cookies.secure = isHttps(ctx, app);
  ctx.cookies.set(SESSION_COOKIE, token, cookieOptions(ctx, app, expiresAt.getTime() - now.getTime()));
}

/** Ends the request's session (sign-out) and clears the cookie. */
export async function endSession(ctx: Context, app: Huifang, state: ConsoleSessionState | null): Promise<void> {
  if (state) await app.console.auth.endSession(state.tokenHash, app.clock.now());
  ctx.cookies.secure = isHttps(ctx, app);
  ctx.cookies.set(SESSION_COOKIE, '', { ...cookieOptions(ctx, app), maxAge: 0 });
}

/**
 * The session of the request, or null when there is none, it ended, it expired (idle or absolute),
 * or its account may no longer sign in. A valid session's activity is recorded.
 */
export async function readSession(ctx: Context, app: Huifang): Promise<ConsoleSessionState | null> {
  const token = ctx.cookies.get(SESSION_COOKIE);
  if (!token || token.length > 100) return null;
  const tokenHash = sha256(token);
  const session = await app.console.auth.findSession(tokenHash);
  const now = app.clock.now();
  if (!session || session.endedAt || session.expiresAt <= now) return null;
  if (now.getTime() - session.lastSeenAt.getTime() > app.config.console.idleMinutes * 60_000) {
    await app.console.auth.endSession(tokenHash, now);
    return null;
  }
  const account = await app.console.auth.findConsoleUser(session.userId);
  const access = account ? accessOf(account, await app.deps.org.loadOrgSnapshot()) : null;
  if (!access) return null;
  // Activity is recorded at most once a minute per session.
  if (now.getTime() - session.lastSeenAt.getTime() > 60_000) await app.console.auth.touchSession(tokenHash, now);
  return { access, csrfToken: session.csrfToken, tokenHash };
}

/** Whether a submitted CSRF token is the session's (constant time). */
export function csrfMatches(state: ConsoleSessionState, submitted: string | undefined | null): boolean {
  if (!submitted) return false;
  const a = Buffer.from(submitted);
  const b = Buffer.from(state.csrfToken);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A request from another site (its Origin is not ours) is refused whatever token it carries. */
export function sameOrigin(ctx: Context, app: Huifang): boolean {
  const origin = ctx.get('origin');
  if (!origin) return true;
  try {
    const ours = new URL(app.config.publicBaseUrl);
    const theirs = new URL(origin);
    return theirs.host === ours.host || theirs.host === ctx.host;
  } catch {
    return false;
  }
}
