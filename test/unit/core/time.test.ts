import { describe, expect, it } from 'vitest';
import {
  addLocalDays,
  atLocalTime,
  formatChineseDate,
  formatLocalDate,
  formatLocalDateTime,
  fromLocal,
  isoWeekKey,
  startOfLocalDay,
  toLocal,
  zoneOffsetMs,
} from '../../../bot/core/time.js';

const SH = 'Asia/Shanghai';

describe('isoWeekKey', () => {
  it.each([
    // instant (with its local offset), ISO week of the Shanghai date
    ['2026-11-29T23:59:59+08:00', '2026-W48'], // Sunday night
    ['2026-11-30T00:00:00+08:00', '2026-W49'], // Monday 00:00 starts the next week
    ['2026-12-31T12:00:00+08:00', '2026-W53'], // 2026 has 53 ISO weeks (1 Jan 2026 is a Thursday)
    ['2027-01-01T00:30:00+08:00', '2026-W53'], // New Year's Day 2027 still belongs to 2026's last week
    ['2027-01-03T23:59:59+08:00', '2026-W53'],
    ['2027-01-04T00:00:00+08:00', '2027-W01'],
    ['2024-12-29T23:59:00+08:00', '2024-W52'],
    ['2024-12-30T00:00:00+08:00', '2025-W01'], // a December Monday in the next year's first week
    ['2025-12-29T00:00:00+08:00', '2026-W01'],
    ['2026-01-01T00:00:00+08:00', '2026-W01'],
    ['2021-01-03T12:00:00+08:00', '2020-W53'],
  ])('%s is in %s', (at, week) => {
    expect(isoWeekKey(new Date(at), SH)).toBe(week);
  });

  it('uses the Shanghai date, not the UTC date, near midnight', () => {
    // 2026-11-29T16:00Z is Monday 00:00 in Shanghai but still Sunday in UTC.
    expect(isoWeekKey(new Date('2026-11-29T16:00:00Z'), SH)).toBe('2026-W49');
    expect(isoWeekKey(new Date('2026-11-29T16:00:00Z'), 'UTC')).toBe('2026-W48');
  });
});

describe('fromLocal / toLocal', () => {
  it('maps Shanghai wall-clock times across the year end to UTC instants', () => {
    expect(fromLocal({ year: 2026, month: 12, day: 31, hour: 23, minute: 59, second: 59 }, SH)).toEqual(new Date('2026-12-31T15:59:59Z'));
    expect(fromLocal({ year: 2027, month: 1, day: 1, hour: 0, minute: 0, second: 0 }, SH)).toEqual(new Date('2026-12-31T16:00:00Z'));
    expect(fromLocal({ year: 2027, month: 1, day: 1, hour: 7, minute: 59, second: 0 }, SH)).toEqual(new Date('2026-12-31T23:59:00Z'));
  });

  it('round-trips through toLocal', () => {
    for (const iso of ['2026-12-31T16:00:00Z', '2027-01-01T00:00:00Z', '2026-02-28T17:30:00Z', '2028-02-29T04:05:06Z']) {
      const instant = new Date(iso);
      expect(fromLocal(toLocal(instant, SH), SH)).toEqual(instant);
    }
  });

  it('reads the local fields of an instant in Shanghai', () => {
    expect(toLocal(new Date('2026-12-31T16:00:00Z'), SH)).toEqual({ year: 2027, month: 1, day: 1, hour: 0, minute: 0, second: 0 });
  });

  it('has a fixed +8 h offset in Shanghai', () => {
    expect(zoneOffsetMs(new Date('2026-07-01T00:00:00Z'), SH)).toBe(8 * 3_600_000);
    expect(zoneOffsetMs(new Date('2026-01-01T00:00:00Z'), SH)).toBe(8 * 3_600_000);
  });
});

describe('local day arithmetic', () => {
  it('adds calendar days across the year end, keeping the wall-clock time', () => {
    expect(addLocalDays(new Date('2026-12-28T10:00:00+08:00'), 7, SH)).toEqual(new Date('2027-01-04T10:00:00+08:00'));
    expect(addLocalDays(new Date('2027-01-01T00:30:00+08:00'), -1, SH)).toEqual(new Date('2026-12-31T00:30:00+08:00'));
  });

  it('adds days across the end of February in a leap year', () => {
    expect(addLocalDays(new Date('2028-02-27T09:00:00+08:00'), 3, SH)).toEqual(new Date('2028-03-01T09:00:00+08:00'));
  });

  it('sets a local time of day on the local date', () => {
    expect(atLocalTime(new Date('2026-12-31T20:00:00Z'), '09:00', SH)).toEqual(new Date('2027-01-01T09:00:00+08:00'));
    expect(startOfLocalDay(new Date('2026-12-31T20:00:00Z'), SH)).toEqual(new Date('2027-01-01T00:00:00+08:00'));
    expect(() => atLocalTime(new Date(), '9:00', SH)).toThrow(/HH:MM/);
  });

  it('formats local dates for messages', () => {
    const instant = new Date('2026-12-31T16:05:00Z');
    expect(formatLocalDate(instant, SH)).toBe('2027-01-01');
    expect(formatLocalDateTime(instant, SH)).toBe('2027-01-01 00:05');
    expect(formatChineseDate(instant, SH)).toBe('1月1日');
  });
});
