import type { Context, Middleware } from 'koa';
import { DomainError } from '../core/errors.js';
import type { RateCounters } from '../core/ports/console-auth.js';

/** The window failed authentications are counted over. */
export const FAILED_AUTH_WINDOW_MS = 15 * 60_000;

/** Addresses tracked at most; beyond it the ones whose failures have all aged out are dropped first. */
const MAX_ADDRESSES = 50_000;

/** Prefix of the shared failure counts in the `RateCounter` table (one row per address and 15-minute window). */
export const FAILED_AUTH_KEY = 'failed-auth:';

/** How often a process deletes shared failure counts too old to matter. */
const FORGET_EVERY_MS = 60_000;

/** The counts every replica shares, and where a failure to reach them is reported. */
export interface SharedFailureCounts {
  counters: RateCounters;
  /** The database could not be reached: the limiter goes on with this process's own counts. */
  onError(err: unknown): void;
}

/**
 * Failed authentications per client address: a wrong API key, a forged or mangled signed link (`/s`, `/f`,
 * `/d`, `/r`, `/e`), a wrong SMS callback key, a wrong sandbox password. Once an address has failed `limit`
 * times within the window, every authenticated request from it is answered 429 with `Retry-After`.
 *
 * Two counts decide. This process's own, over a sliding window in memory, exact and free to check. And,
 * with `shared`, the count every replica keeps in the database (`RateCounter` rows `failed-auth:<address>`
 * per fixed window of `windowMs`): each failure adds one there (one upsert, plus one read of the previous
 * window) and learns the total, and when the current and previous windows together reach `limit` the
 * address is blocked here until the current window ends. Checking stays in memory — no query on the path
 * of a request that authenticates — so a replica (or a restarted process) learns a block with the first
 * failure it sees itself: an address gets about `limit` tries in all, instead of `limit` per replica and
 * afresh after every restart. Plus, on each replica, the tries that reach it before its count comes back
 * from the database (the failed request's answer does not wait for it): usually one, at most `limit`, which
 * its own sliding count keeps.
 */
export class FailedAuthLimiter {
  readonly #failures = new Map<string, number[]>();
  /** Blocks learned from the shared counts: address → until (ms). */
  readonly #sharedBlocks = new Map<string, number>();
  readonly #inFlight = new Set<Promise<void>>();
  #forgotAt = Number.NEGATIVE_INFINITY;

  constructor(
    readonly limit: number,
    readonly windowMs = FAILED_AUTH_WINDOW_MS,
    private readonly shared?: SharedFailureCounts,
  ) {}

  /** Seconds until `address` may try again (0: it may now). */
  retryAfterSeconds(address: string, nowMs: number): number {
    const times = this.#recent(address, nowMs);
    const local = times.length < this.limit ? 0 : Math.max(1, Math.ceil((times[times.length - this.limit]! + this.windowMs - nowMs) / 1000));
    const until = this.#sharedBlocks.get(address);
    if (until === undefined) return local;
    if (until <= nowMs) {
      this.#sharedBlocks.delete(address);
      return local;
    }
    return Math.max(local, Math.ceil((until - nowMs) / 1000));
  }

  /** Counts one failure of `address` here and, with `shared`, in the database (see {@link settled}). */
  fail(address: string, nowMs: number): void {
    const times = this.#recent(address, nowMs);
    times.push(nowMs);
    // Only the last `limit` failures decide anything.
    if (times.length > this.limit) times.splice(0, times.length - this.limit);
    this.#failures.set(address, times);
    if (this.#failures.size > MAX_ADDRESSES) this.#prune(nowMs);
    if (this.shared) {
      // Not awaited by the request it failed (its answer does not depend on it); tracked for `settled`.
      const counting = this.#countShared(this.shared, address, nowMs);
      this.#inFlight.add(counting);
      void counting.finally(() => this.#inFlight.delete(counting));
    }
  }

  /** Resolves once every failure counted so far has reached the shared counts (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  async #countShared(shared: SharedFailureCounts, address: string, nowMs: number): Promise<void> {
    try {
      const windowStart = Math.floor(nowMs / this.windowMs) * this.windowMs;
      const key = `${FAILED_AUTH_KEY}${address}`;
      const current = await shared.counters.hit(key, new Date(windowStart));
      const previous = current >= this.limit ? 0 : await shared.counters.count(key, new Date(windowStart - this.windowMs));
      if (current + previous >= this.limit) {
        // Until this window ends, as a sliding window would free the address about then; a failure in the
        // next window still finds the previous one's count and blocks again.
        const until = windowStart + this.windowMs;
        this.#sharedBlocks.set(address, Math.max(until, this.#sharedBlocks.get(address) ?? 0));
        if (this.#sharedBlocks.size > MAX_ADDRESSES) this.#pruneShared(nowMs);
      }
      if (nowMs - this.#forgotAt >= FORGET_EVERY_MS) {
        this.#forgotAt = nowMs;
        await shared.counters.forget(FAILED_AUTH_KEY, new Date(windowStart - this.windowMs));
      }
    } catch (err) {
      shared.onError(err);
    }
  }

  #recent(address: string, nowMs: number): number[] {
    const times = this.#failures.get(address);
    if (!times) return [];
    const fresh = times.filter((t) => t > nowMs - this.windowMs);
    if (fresh.length === 0) this.#failures.delete(address);
    return fresh;
  }

  #pruneShared(nowMs: number): void {
    for (const [address, until] of this.#sharedBlocks) if (until <= nowMs) this.#sharedBlocks.delete(address);
    for (const address of this.#sharedBlocks.keys()) {
      if (this.#sharedBlocks.size <= MAX_ADDRESSES) break;
      this.#sharedBlocks.delete(address);
    }
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
