import { describe, expect, it } from 'vitest';
import { FakeClock, UlidGenerator } from '../../bot/clocks.js';

describe('UlidGenerator', () => {
  it('writes the time in its first ten characters and keeps ids of one millisecond in order', () => {
    // The ULID specification's example time: 1469918176385 ms is 01ARYZ6S41.
    const clock = new FakeClock('2016-07-30T23:54:10.259Z');
    clock.advance(1469918176385 - clock.now().getTime());
    const draws: number[] = [];
    const ids = new UlidGenerator(clock, (n) => {
      draws.push(n);
      return new Uint8Array(n).fill(draws.length === 1 ? 0 : 0xff);
    });
    const first = ids.next();
    const second = ids.next();
    expect(first).toBe('01ARYZ6S410000000000000000');
    expect(second).toBe('01ARYZ6S410000000000000001');
    // The next millisecond: its own time, and fresh random bits.
    clock.advance(1);
    const third = ids.next();
    expect(third).toBe('01ARYZ6S42ZZZZZZZZZZZZZZZZ');
    expect(draws).toEqual([10, 10]);
    expect([third, second, first].sort()).toEqual([first, second, third]);
    // Back to an earlier millisecond (a clock set back): that time again, not the last one written.
    clock.advance(-1);
    expect(ids.next().slice(0, 10)).toBe('01ARYZ6S41');
  });
});
