import { describe, expect, it } from 'vitest';
import { WorkingCalendar } from '../../../../bot/core/calendar/working-calendar.js';
import { overviewOfYear } from '../../../../bot/core/calendar/year-overview.js';

// A made-up schedule for 2098 (not a real notice): 国庆节 Wed 1 – Fri 3 October, make-up Saturday 11 October.
const data = {
  years: [
    {
      year: 2098,
      source: 'test',
      holidays: ['2098-10-01', '2098-10-02', '2098-10-03'].map((date) => ({ date, name: '国庆节' })),
      makeupWorkdays: [{ date: '2098-10-11', holiday: '国庆节' }],
    },
  ],
  closures: [{ date: '2099-06-01', reason: '院庆' }],
};

describe('overviewOfYear', () => {
  it('counts a confirmed year by its schedule: holidays off, make-up Saturdays worked', () => {
    const o = overviewOfYear(new WorkingCalendar(data), 2098);
    expect(o.confirmed).toBe(true);
    // 2098 has 104 Saturdays and Sundays; three weekday holidays off, one make-up Saturday worked.
    expect(o.workingDays).toBe(365 - 104 - 3 + 1);
    expect(o.months[9]).toEqual({ month: 10, days: 31, workingDays: 23 - 3 + 1, weekendDays: 8 - 1, holidays: 3, makeupWorkdays: 1, closures: 0 });
    expect(o.months.reduce((n, m) => n + m.days, 0)).toBe(365);
  });

  it('counts a year without a schedule by weekends only, unconfirmed; closures still apply', () => {
    const o = overviewOfYear(new WorkingCalendar(data, { beyondCoverage: 'assume_weekends' }), 2099);
    expect(o.confirmed).toBe(false);
    expect(o.workingDays).toBe(365 - 104 - 1);
    expect(o.months[5]).toMatchObject({ month: 6, workingDays: 21, weekendDays: 8, holidays: 0, closures: 1 });
  });

  it('refuses a year without a schedule when the calendar does not assume weekends', () => {
    expect(() => overviewOfYear(new WorkingCalendar(data), 2099)).toThrow(expect.objectContaining({ code: 'CALENDAR_NOT_COVERED' }));
  });
});
