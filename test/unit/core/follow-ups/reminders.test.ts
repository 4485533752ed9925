import { describe, expect, it } from 'vitest';
import { planReminderAt } from '../../../../bot/core/follow-ups/reminders.js';

const TZ = 'Asia/Shanghai';
const at = (s: string) => new Date(s);

describe('planReminderAt', () => {
  it('is a quarter of the card’s time before the deadline, at least two hours', () => {
    expect(planReminderAt(at('2026-11-10T09:00:00+08:00'), at('2026-11-14T09:00:00+08:00'), undefined, TZ)).toEqual(at('2026-11-13T09:00:00+08:00'));
    // 6 h window: a quarter is 1.5 h, so the two-hour minimum applies.
    expect(planReminderAt(at('2026-11-10T09:00:00+08:00'), at('2026-11-10T15:00:00+08:00'), undefined, TZ)).toEqual(at('2026-11-10T13:00:00+08:00'));
  });

  it('uses the policy’s `before` when it has one', () => {
    expect(planReminderAt(at('2026-11-10T09:00:00+08:00'), at('2026-11-14T18:00:00+08:00'), { before: { amount: 1, unit: 'days' } }, TZ)).toEqual(at('2026-11-13T18:00:00+08:00'));
    expect(planReminderAt(at('2026-11-10T09:00:00+08:00'), at('2026-11-14T18:00:00+08:00'), { before: { amount: 3, unit: 'hours' } }, TZ)).toEqual(at('2026-11-14T15:00:00+08:00'));
  });

  it('moves a night-time reminder to 20:00 the evening before (or the same evening)', () => {
    // Deadline 23:59 with one day before → 23:59 the day before → 20:00 that evening.
    expect(planReminderAt(at('2026-11-10T09:00:00+08:00'), at('2026-11-14T23:59:00+08:00'), { before: { amount: 1, unit: 'days' } }, TZ)).toEqual(at('2026-11-13T20:00:00+08:00'));
    // Deadline 09:00 with two hours before → 07:00 → 20:00 the previous evening.
    expect(planReminderAt(at('2026-11-10T09:00:00+08:00'), at('2026-11-14T09:00:00+08:00'), { before: { amount: 2, unit: 'hours' } }, TZ)).toEqual(at('2026-11-13T20:00:00+08:00'));
  });

  it('gives none when the card is too close to its deadline or reminders are off', () => {
    expect(planReminderAt(at('2026-11-10T09:00:00+08:00'), at('2026-11-10T10:00:00+08:00'), undefined, TZ)).toBeNull();
    expect(planReminderAt(at('2026-11-10T09:00:00+08:00'), at('2026-11-14T09:00:00+08:00'), { enabled: false }, TZ)).toBeNull();
    expect(planReminderAt(at('2026-11-10T09:00:00+08:00'), at('2026-11-09T09:00:00+08:00'), undefined, TZ)).toBeNull();
  });
});
