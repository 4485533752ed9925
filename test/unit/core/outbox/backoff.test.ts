import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKOFF, retryDelayMs } from '../../../../bot/core/outbox/backoff.js';

const { baseDelayMs, maxDelayMs } = DEFAULT_BACKOFF;

describe('retryDelayMs', () => {
  it('waits between half and all of the base delay before the first retry', () => {
    expect(retryDelayMs(1, 0)).toBe(baseDelayMs / 2);
    expect(retryDelayMs(1, 0.5)).toBe(baseDelayMs * 0.75);
    expect(retryDelayMs(1, 0.9999999)).toBeLessThanOrEqual(baseDelayMs);
    expect(retryDelayMs(1, 0.9999999)).toBeGreaterThan(baseDelayMs * 0.99);
  });

  it('doubles the delay window with each attempt', () => {
    expect([1, 2, 3, 4].map((attempt) => retryDelayMs(attempt, 0))).toEqual([15_000, 30_000, 60_000, 120_000]);
  });

  it('stays within [exp/2, exp] for every attempt and jitter, capped at the maximum delay', () => {
    for (let attempt = 1; attempt <= 40; attempt++) {
      const exp = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
      for (const jitter of [0, 0.1, 0.5, 0.9, 0.999999]) {
        const delay = retryDelayMs(attempt, jitter);
        expect(delay).toBeGreaterThanOrEqual(exp / 2);
        expect(delay).toBeLessThanOrEqual(exp);
        expect(delay).toBeLessThanOrEqual(maxDelayMs);
      }
    }
  });

  it('never exceeds the cap, even for absurd attempt numbers', () => {
    expect(retryDelayMs(5_000, 0.999999)).toBeLessThanOrEqual(maxDelayMs);
    expect(retryDelayMs(5_000, 0)).toBe(maxDelayMs / 2);
  });

  it('clamps jitter outside [0, 1)', () => {
    expect(retryDelayMs(1, -3)).toBe(baseDelayMs / 2);
    expect(retryDelayMs(1, 7)).toBeLessThanOrEqual(baseDelayMs);
    expect(retryDelayMs(1, 7)).toBeGreaterThan(baseDelayMs * 0.99);
  });

  it('treats attempt 0 like the first attempt', () => {
    expect(retryDelayMs(0, 0)).toBe(retryDelayMs(1, 0));
  });

  it("honours a provider's longer retry-after hint, and ignores a shorter one", () => {
    expect(retryDelayMs(1, 0, DEFAULT_BACKOFF, 600_000)).toBe(600_000);
    expect(retryDelayMs(1, 0, DEFAULT_BACKOFF, 1_000)).toBe(15_000);
  });

  it('applies a custom policy', () => {
    const policy = { baseDelayMs: 1_000, maxDelayMs: 4_000 };
    expect([1, 2, 3, 4, 5].map((a) => retryDelayMs(a, 0, policy))).toEqual([500, 1_000, 2_000, 2_000, 2_000]);
  });

  it('returns whole milliseconds', () => {
    expect(Number.isInteger(retryDelayMs(3, 0.123456789))).toBe(true);
  });
});
