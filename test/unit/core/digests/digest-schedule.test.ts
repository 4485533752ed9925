import { describe, expect, it } from 'vitest';
import { dueDigestWeek, formatWeeklySchedule, isoWeekRange, parseWeeklySchedule, type WeeklySchedule } from '../../../../bot/core/digests/digest-schedule.js';
import { parseDigestLinkId, digestLinkId } from '../../../../bot/core/digests/send-weekly-digests.js';

const TZ = 'Asia/Shanghai';
const at = (local: string) => new Date(`${local}:00+08:00`);
const MONDAY_9 = parseWeeklySchedule('MON 09:00') as WeeklySchedule;

describe('weekly digest schedule', () => {
  it('parses a weekday and a time, and rejects anything else', () => {
    expect(MONDAY_9).toEqual({ weekday: 1, hour: 9, minute: 0 });
    expect(parseWeeklySchedule('fri 17:30')).toEqual({ weekday: 5, hour: 17, minute: 30 });
    expect(formatWeeklySchedule({ weekday: 7, hour: 8, minute: 5 })).toBe('SUN 08:05');
    for (const bad of ['MON 9:00', 'MONDAY 09:00', '0 0 9 * * 1', 'MON 24:00', '']) expect(parseWeeklySchedule(bad)).toHaveProperty('error');
  });

  it('is due from Monday 09:00 (Asia/Shanghai) until Sunday 24:00, for the previous ISO week', () => {
    expect(dueDigestWeek(at('2026-11-30T08:59'), MONDAY_9, TZ)).toBeNull();
    // Sunday 23:59 in Shanghai is Sunday 15:59 UTC: still the week before, whose digest was sent.
    expect(dueDigestWeek(at('2026-11-29T23:59'), MONDAY_9, TZ)?.week).toBe('2026-W47');
    const due = dueDigestWeek(at('2026-11-30T09:00'), MONDAY_9, TZ)!;
    expect(due).toEqual({ week: '2026-W48', from: at('2026-11-23T00:00'), to: at('2026-11-30T00:00'), sendAt: at('2026-11-30T09:00') });
    expect(dueDigestWeek(at('2026-12-06T23:59'), MONDAY_9, TZ)?.week).toBe('2026-W48');
    expect(dueDigestWeek(at('2026-12-07T09:00'), MONDAY_9, TZ)?.week).toBe('2026-W49');
  });

  it('crosses the year boundary by ISO week', () => {
    expect(dueDigestWeek(at('2027-01-04T09:00'), MONDAY_9, TZ)?.week).toBe('2026-W53');
    expect(isoWeekRange('2026-W53', TZ)).toEqual({ week: '2026-W53', from: at('2026-12-28T00:00'), to: at('2027-01-04T00:00') });
    expect(isoWeekRange('2025-W53', TZ)).toBeNull();
    expect(isoWeekRange('2026-W48', TZ)?.from).toEqual(at('2026-11-23T00:00'));
  });

  it('round-trips the detail link id', () => {
    expect(parseDigestLinkId(digestLinkId('2026-W48', '01JABCDEF'))).toEqual({ week: '2026-W48', staffId: '01JABCDEF' });
    expect(parseDigestLinkId('2026-W48~a.b')).toBeNull();
  });
});
