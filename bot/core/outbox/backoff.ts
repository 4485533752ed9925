/** Retry policy of the outbox dispatcher. */
export interface BackoffPolicy {
  /** Delay before the first retry, in ms. */
  baseDelayMs: number;
  /** Upper bound of any delay, in ms. */
  maxDelayMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseDelayMs: 30_000, maxDelayMs: 3_600_000 };

/**
 * Capped exponential backoff with "equal jitter": half the delay is fixed, half random.
 * `jitter` is a number in [0, 1) supplied by the caller (core code draws no randomness itself).
 * A provider's retry-after hint wins when it is longer.
 */
export function retryDelayMs(attempt: number, jitter: number, policy: BackoffPolicy = DEFAULT_BACKOFF, retryAfterMs?: number): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  const delay = exp / 2 + (exp / 2) * Math.min(Math.max(jitter, 0), 0.999999);
  return Math.round(Math.max(delay, retryAfterMs ?? 0));
}
