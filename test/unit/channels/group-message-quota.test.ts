import { describe, expect, it } from 'vitest';
import { groupMessageQuota } from '../../../bot/channels/wecom/group-message-quota.js';

const TZ = 'Asia/Shanghai';

describe('groupMessageQuota (docs/protocols/wecom.md §12.3)', () => {
  it('allows as many group messages per natural month as the month has days, counted from the 1st in China time', () => {
    // 2026-02-01 00:30 in Shanghai is still 31 January in UTC.
    expect(groupMessageQuota(new Date('2026-01-31T16:30:00Z'), 'days_in_month', TZ)).toEqual({ since: new Date('2026-01-31T16:00:00Z'), quota: 28 });
    expect(groupMessageQuota(new Date('2026-12-15T04:00:00Z'), 'days_in_month', TZ)).toEqual({ since: new Date('2026-11-30T16:00:00Z'), quota: 31 });
    expect(groupMessageQuota(new Date('2028-02-10T04:00:00Z'), 'days_in_month', TZ).quota).toBe(29);
  });

  it('allows 7 from Monday, or 1 a day, when the corp tightened the rule', () => {
    // Wednesday 2026-11-11, 10:00 in Shanghai: the week began on Monday 9 November.
    expect(groupMessageQuota(new Date('2026-11-11T02:00:00Z'), 'seven_a_week', TZ)).toEqual({ since: new Date('2026-11-08T16:00:00Z'), quota: 7 });
    // A Sunday belongs to the week that began six days before.
    expect(groupMessageQuota(new Date('2026-11-15T02:00:00Z'), 'seven_a_week', TZ).since).toEqual(new Date('2026-11-08T16:00:00Z'));
    expect(groupMessageQuota(new Date('2026-11-11T02:00:00Z'), 'one_a_day', TZ)).toEqual({ since: new Date('2026-11-10T16:00:00Z'), quota: 1 });
  });
});
