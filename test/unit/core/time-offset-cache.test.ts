// The per-hour offset cache of bot/core/time.ts against Intl itself: the same wall clock for every instant tried,
// in a zone without DST (Asia/Shanghai, +08:00), zones with DST (northern and southern, a 30-minute DST, a
// 45-minute offset) and zones that changed their standard time or skipped a day, on both sides of each change.
import { describe, expect, it } from 'vitest';
import { fromLocal, toLocal, toLocalByIntl, zoneOffsetMs, type LocalDateTime } from '../../../bot/core/time.js';

const ZONES = [
  'Asia/Shanghai',
  'UTC',
  'America/New_York',
  'Europe/London',
  'Europe/Berlin',
  'Australia/Sydney',
  'Australia/Lord_Howe', // DST of 30 minutes
  'Asia/Kathmandu', // +05:45
  'America/Sao_Paulo', // DST until 2019
  'Europe/Moscow', // standard time +04 in 2011, +03 again from 2014-10-26
  'Pacific/Apia', // skipped 2011-12-30, DST until 2021
  'America/St_Johns', // -03:30 with DST
];

const HOUR = 3_600_000;

/** Deterministic instants: a walk in uneven steps (so minutes and seconds vary) over years, plus every 7 min 13 s around each change. */
function instants(zone: string): number[] {
  const out: number[] = [];
  const from = Date.UTC(1985, 0, 1);
  const to = Date.UTC(2035, 0, 1);
  for (let t = from; t < to; t += 29 * 86_400_000 + 3 * HOUR + 17 * 60_000 + 11_000 + 7) out.push(t);
  // Around every change of offset found by hourly probes over 2009–2027: each side, every 7 min 13 s.
  for (let h = Date.UTC(2009, 0, 1); h < Date.UTC(2027, 0, 1); h += HOUR) {
    if (offsetByIntl(h, zone) !== offsetByIntl(h + HOUR, zone)) {
      for (let t = h - 2 * HOUR; t <= h + 3 * HOUR; t += 7 * 60_000 + 13_000) out.push(t);
    }
  }
  return out;
}

function offsetByIntl(t: number, zone: string): number {
  const l = toLocalByIntl(new Date(t), zone);
  return Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute, l.second) - Math.floor(t / 1000) * 1000;
}

/** fromLocal as it was before the cache: two passes of the offset, each asked of Intl. */
function fromLocalByIntl(local: LocalDateTime, zone: string): Date {
  const guess = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second);
  const first = guess - offsetByIntl(guess, zone);
  return new Date(guess - offsetByIntl(first, zone));
}

describe('time-zone offsets, cached per hour', () => {
  it.each(ZONES)('%s: the wall clock and the offset of every instant are what Intl says', (zone) => {
    let compared = 0;
    for (const t of instants(zone)) {
      const instant = new Date(t);
      expect(toLocal(instant, zone), `${instant.toISOString()} in ${zone}`).toEqual(toLocalByIntl(instant, zone));
      expect(zoneOffsetMs(instant, zone), `${instant.toISOString()} in ${zone}`).toBe(offsetByIntl(t, zone));
      compared++;
    }
    expect(compared).toBeGreaterThan(600);
  });

  it.each(ZONES)('%s: a wall-clock time maps to the instant it did without the cache, in DST gaps and overlaps too', (zone) => {
    for (const [i, t] of instants(zone).entries()) {
      if (i % 4 !== 0) continue;
      // Every local time an hour apart of the sample, and the gap/overlap hours around changes among them.
      const local = toLocalByIntl(new Date(t), zone);
      for (const hour of [0, 1, 2, 3, local.hour]) {
        const wanted = { ...local, hour };
        expect(fromLocal(wanted, zone).getTime(), `${JSON.stringify(wanted)} in ${zone}`).toBe(fromLocalByIntl(wanted, zone).getTime());
      }
    }
  });

  it('Asia/Shanghai is +08:00 throughout since its last DST (1991), and converts by that constant', () => {
    for (const t of instants('Asia/Shanghai').filter((t) => t >= Date.UTC(1992, 0, 1))) expect(zoneOffsetMs(new Date(t), 'Asia/Shanghai')).toBe(8 * HOUR);
    expect(toLocal(new Date('2026-11-29T16:00:00.999Z'), 'Asia/Shanghai')).toEqual({ year: 2026, month: 11, day: 30, hour: 0, minute: 0, second: 0 });
  });

  it('is exact inside the hour of a DST change: New York at 2026-03-08 and 2026-11-01', () => {
    const ny = 'America/New_York';
    // 01:59:59 EST is followed by 03:00:00 EDT.
    expect(toLocal(new Date('2026-03-08T06:59:59Z'), ny)).toMatchObject({ hour: 1, minute: 59, second: 59 });
    expect(toLocal(new Date('2026-03-08T07:00:00Z'), ny)).toMatchObject({ hour: 3, minute: 0, second: 0 });
    // 01:30 happens twice in November; the cache keeps both.
    expect(toLocal(new Date('2026-11-01T05:30:00Z'), ny)).toMatchObject({ hour: 1, minute: 30 });
    expect(toLocal(new Date('2026-11-01T06:30:00Z'), ny)).toMatchObject({ hour: 1, minute: 30 });
    expect(zoneOffsetMs(new Date('2026-11-01T05:30:00Z'), ny)).toBe(-4 * HOUR);
    expect(zoneOffsetMs(new Date('2026-11-01T06:30:00Z'), ny)).toBe(-5 * HOUR);
  });
});
