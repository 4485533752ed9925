import type { Context, Middleware } from 'koa';
import { DomainError } from '../core/errors.js';

/** The window failed authentications are counted over. */
export const FAILED_AUTH_WINDOW_MS = 15 * 60_000;

/** Addresses tracked at most; beyond it the ones whose failures have all aged out are dropped first. */
const MAX_ADDRESSES = 50_000;

/**
 * Failed authentications per client address, over a sliding window, in this process's memory: a wrong
 * API key, a forged or mangled signed link (`/s`, `/f`, `/d`, `/r`, `/e`), a wrong SMS callback key, a
 * wrong sandbox password.
 * Once an address has failed `limit` times within the window, every authenticated request from it is
 * answered 429 with `Retry-After` until its oldest counted failure leaves the window. Each replica
 * counts on its own (README "Security"): with N replicas an address gets at most N × limit tries.
 */
export class FailedAuthLimiter {
  readonly #failures = new Map<string, number[]>();

  constructor(
    readonly limit: number,
    readonly windowMs = FAILED_AUTH_WINDOW_MS,
  ) {}

  /** Seconds until `address` may try again (0: it may now). */
  retryAfterSeconds(address: string, nowMs: number): number {
    const times = this.#recent(address, nowMs);
    if (times.length < this.limit) return 0;
    return Math.max(1, Math.ceil((times[times.length - this.limit]! + this.windowMs - nowMs) / 1000));
  }

  /** Counts one failure of `address`. */
  fail(address: string, nowMs: number): void {
    const times = this.#recent(address, nowMs);
    times.push(nowMs);
    // Only the last `limit` failures decide anything.
    if (times.length > this.limit) times.splice(0, times.length - this.limit);
    this.#failures.set(address, times);
    if (this.#failures.size > MAX_ADDRESSES) this.#prune(nowMs);
  }

  #recent(address: string, nowMs: number): number[] {
    const times = this.#failures.get(address);
    if (!times) return [];
    const fresh = times.filter((t) => t > nowMs - this.windowMs);
    if (fresh.length === 0) this.#failures.delete(address);
    return fresh;
  }

  #prune(nowMs: number): void {
    for (const address of [...this.#failures.keys()]) this.#recent(address, nowMs);
    // Still too many live addresses: forget the oldest entries (insertion order) rather than grow.
    for (const address of this.#failures.keys()) {
      if (this.#failures.size <= MAX_ADDRESSES) break;
      this.#failures.delete(address);
    }
  }
}

interface Throttle {
  limiter: FailedAuthLimiter;
  now: () => Date;
}

/** Makes the limiter available to the authentication points of every route (`ctx.state.failedAuth`). */
export function failedAuthMiddleware(limiter: FailedAuthLimiter, now: () => Date): Middleware {
  const throttle: Throttle = { limiter, now };
  return async (ctx, next) => {
    ctx.state.failedAuth = throttle;
    await next();
  };
}

/**
 * Refuses the request with 429 `TOO_MANY_FAILED_ATTEMPTS` and `Retry-After` when its address has failed
 * to authenticate too often. Called before checking a credential. The address is `ctx.ip`: behind the
 * one trusted reverse proxy, the address it appended to `X-Forwarded-For` (bot/http/app.ts).
 */
export function refuseIfThrottled(ctx: Context): void {
  const throttle = ctx.state.failedAuth as Throttle | undefined;
  if (!throttle) return;
  const seconds = throttle.limiter.retryAfterSeconds(ctx.ip, throttle.now().getTime());
  if (seconds === 0) return;
  ctx.set('Retry-After', String(seconds));
  throw new DomainError('TOO_MANY_FAILED_ATTEMPTS', `Too many failed authentications from this address; retry in ${seconds} s`, { retryAfterSeconds: seconds });
}

/** Counts a failed authentication of the request's address. */
export function noteFailedAuth(ctx: Context): void {
  const throttle = ctx.state.failedAuth as Throttle | undefined;
  throttle?.limiter.fail(ctx.ip, throttle.now().getTime());
}
