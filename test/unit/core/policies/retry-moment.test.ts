import { describe, expect, it } from 'vitest';
import { retryContactRules, retryMoment } from '../../../../bot/core/policies/contact-window.js';
import { loadCalendar } from '../../../../bot/loaders/load-calendar.js';
import { formatLocalDate } from '../../../../bot/core/time.js';
import { shippedPolicy } from '../../../support/org-snapshot.js';

const TZ = 'Asia/Shanghai';
const ctx = { timeZone: TZ, calendar: loadCalendar().calendar };
const at = (s: string) => new Date(s);
// 002 制度21 in P4: seasonal hours, 「节假日不进行回访」, calls on the 1st–25th, retries on the 25th–27th, mandatory.
const clinic = shippedPolicy('P4').steps.find((s) => s.key === 'gyn16_call2')!.contact!;

describe('retries after an unanswered call (record-staff-outcome)', () => {
  it('moves a retry under mandatory rules off the National Day holiday, and its deadline with it', () => {
    // Called on 30 September 2026 at 14:30, unanswered; the retry a day later would fall on 1 October.
    const { dueAt, deadlineAt } = retryMoment(at('2026-09-30T14:30:00+08:00'), at('2026-10-01T14:30:00+08:00'), at('2026-10-02T23:59:00+08:00'), retryContactRules(clinic), ctx);

    expect(ctx.calendar.isPublicHoliday(formatLocalDate(dueAt, TZ))).toBe(false);
    expect(dueAt).toEqual(at('2026-10-08T14:00:00+08:00'));
    expect(deadlineAt).toEqual(at('2026-10-08T23:59:00+08:00'));
    expect(dueAt.getTime()).toBeLessThanOrEqual(deadlineAt.getTime());
  });

  it('keeps the 25th–27th for retries when they fit before the deadline', () => {
    const { dueAt, deadlineAt } = retryMoment(at('2026-11-23T15:00:00+08:00'), at('2026-11-24T15:00:00+08:00'), at('2026-11-30T23:59:00+08:00'), retryContactRules(clinic), ctx);

    expect(dueAt).toEqual(at('2026-11-25T14:00:00+08:00'));
    expect(deadlineAt).toEqual(at('2026-11-30T23:59:00+08:00'));
  });

  it('lets the deadline win under preference rules: the retry is due at once, the deadline unchanged', () => {
    const preference = { ...clinic, mandatory: false };
    const { dueAt, deadlineAt } = retryMoment(at('2026-09-30T14:30:00+08:00'), at('2026-10-01T14:30:00+08:00'), at('2026-10-02T23:59:00+08:00'), retryContactRules(preference), ctx);

    expect(dueAt).toEqual(at('2026-10-01T14:30:00+08:00'));
    expect(deadlineAt).toEqual(at('2026-10-02T23:59:00+08:00'));
  });

  it('keeps a retry inside a window of the same day when there is one', () => {
    const { dueAt, deadlineAt } = retryMoment(at('2026-11-25T15:00:00+08:00'), at('2026-11-25T17:00:00+08:00'), at('2026-11-26T23:59:00+08:00'), retryContactRules(clinic), ctx);

    expect(dueAt).toEqual(at('2026-11-25T19:00:00+08:00'));
    expect(deadlineAt).toEqual(at('2026-11-26T23:59:00+08:00'));
  });

  it('brings a retry whose delay would pass the deadline back before it: halfway, in a window (the deadline wins)', () => {
    // 二次回访 after an escalation (P5, P6): 3 working days, a retry a working day later — unanswered on the last day.
    const esc2 = { windows: [{ name: 'day', months: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], times: [{ from: '09:00', to: '12:00' }, { from: '14:00', to: '18:00' }] }] };
    const { dueAt, deadlineAt } = retryMoment(at('2026-11-26T10:00:00+08:00'), at('2026-11-27T09:00:00+08:00'), at('2026-11-26T23:59:00+08:00'), esc2, ctx);

    expect(dueAt).toEqual(at('2026-11-26T16:59:30+08:00'));
    expect(deadlineAt).toEqual(at('2026-11-26T23:59:00+08:00'));
    expect(retryMoment(at('2026-11-26T10:00:00+08:00'), at('2026-11-27T09:00:00+08:00'), at('2026-11-26T23:59:00+08:00'), undefined, ctx).dueAt).toEqual(at('2026-11-26T16:59:30+08:00'));
  });
});
