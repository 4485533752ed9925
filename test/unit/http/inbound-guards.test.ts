// The pure guards of the HTTP edge: which text no database can store, and the sliding window of failed
// authentications (the callbacks' XML reader has its own test: test/unit/channels/read-xml.test.ts).
import { describe, expect, it } from 'vitest';
import { assertSafeJson, isInstantInRange, unsafeTextReason } from '../../../bot/inbound-text.js';
import { FailedAuthLimiter } from '../../../bot/http/failed-auth.js';
import { DomainError } from '../../../bot/core/errors.js';

describe('unsafeTextReason', () => {
  it.each([
    ['', null],
    ['王秀英', null],
    ['emoji 😀 pair', null],
    ['a\u0000b', 'contains the NUL character (U+0000)'],
    ['\ud800', 'contains an unpaired UTF-16 surrogate'],
    ['x\ud800y', 'contains an unpaired UTF-16 surrogate'],
    ['\udc00', 'contains an unpaired UTF-16 surrogate'],
    ['\udc00\ud800', 'contains an unpaired UTF-16 surrogate'],
    ['😀\ud83d', 'contains an unpaired UTF-16 surrogate'],
  ])('%j → %s', (text, reason) => {
    expect(unsafeTextReason(text)).toBe(reason);
  });

  it('names the path of a bad string or key in a JSON value, and refuses deep nesting without recursion', () => {
    const fieldOf = (value: unknown) => {
      try {
        assertSafeJson(value);
        return null;
      } catch (err) {
        return err instanceof DomainError ? `${err.code} ${err.message}` : String(err);
      }
    };
    expect(fieldOf({ customer: { tags: ['ok', 'b\u0000'] } })).toBe('INVALID_TEXT customer.tags.1: contains the NUL character (U+0000)');
    expect(fieldOf({ attributes: { ['k\ud800']: 1 } })).toBe('INVALID_TEXT attributes (a key): contains an unpaired UTF-16 surrogate');
    expect(fieldOf('\u0000')).toBe('INVALID_TEXT (body): contains the NUL character (U+0000)');
    let deep: unknown = [];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(fieldOf(deep)).toMatch(/^MALFORMED_JSON /);
    expect(fieldOf({ a: { b: { c: [1, 'x', null, true] } } })).toBeNull();
  });

  it('accepts instants from 1900 to the end of 2999 only', () => {
    expect(isInstantInRange(new Date('1900-01-01T00:00:00Z'))).toBe(true);
    expect(isInstantInRange(new Date('2999-12-31T23:59:59.999Z'))).toBe(true);
    expect(isInstantInRange(new Date('1899-12-31T23:59:59.999Z'))).toBe(false);
    expect(isInstantInRange(new Date('3000-01-01T00:00:00Z'))).toBe(false);
    expect(isInstantInRange(new Date(Number.NaN))).toBe(false);
  });
});

describe('FailedAuthLimiter', () => {
  it('refuses an address after `limit` failures within the window, until the oldest leaves it', () => {
    const limiter = new FailedAuthLimiter(3, 60_000);
    limiter.fail('a', 0);
    limiter.fail('a', 10_000);
    expect(limiter.retryAfterSeconds('a', 10_000)).toBe(0);
    limiter.fail('a', 20_000);
    expect(limiter.retryAfterSeconds('a', 20_000)).toBe(40);
    expect(limiter.retryAfterSeconds('b', 20_000)).toBe(0);
    // The first failure leaves the window at 60 s: two remain, the address may try again.
    expect(limiter.retryAfterSeconds('a', 59_999)).toBe(1);
    expect(limiter.retryAfterSeconds('a', 60_000)).toBe(0);
    limiter.fail('a', 61_000);
    expect(limiter.retryAfterSeconds('a', 61_000)).toBe(9);
  });
});
