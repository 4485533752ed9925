import { describe, expect, it } from 'vitest';
import { WorkingCalendar } from '../../../../bot/core/calendar/working-calendar.js';
import { nextYearSchedule } from '../../../../bot/core/calendar/next-year-schedule.js';

const TZ = 'Asia/Shanghai';
const withYears = (...years: number[]) => new WorkingCalendar({ years: years.map((year) => ({ year, source: 'test', holidays: [{ date: `${year}-01-01`, name: '元旦' }], makeupWorkdays: [] })) });

describe('nextYearSchedule', () => {
  it('reminds from 1 November (local time) while next year is missing', () => {
    const calendar = withYears(2098);
    // 31 October 23:59 in Shanghai is still October; 16:00 UTC on 31 October is already 1 November there.
    expect(nextYearSchedule(calendar, new Date('2098-10-31T23:59:00+08:00'), TZ)).toEqual({ year: 2099, today: '2098-10-31', missing: true, remind: false });
    expect(nextYearSchedule(calendar, new Date('2098-10-31T16:00:00Z'), TZ)).toEqual({ year: 2099, today: '2098-11-01', missing: true, remind: true });
    expect(nextYearSchedule(calendar, new Date('2098-12-31T23:59:00+08:00'), TZ)).toMatchObject({ year: 2099, remind: true });
  });

  it('stops once next year is in the calendar, and starts over with the year after on 1 January', () => {
    const calendar = withYears(2098, 2099);
    expect(nextYearSchedule(calendar, new Date('2098-12-06T09:00:00+08:00'), TZ)).toEqual({ year: 2099, today: '2098-12-06', missing: false, remind: false });
    expect(nextYearSchedule(calendar, new Date('2099-01-01T00:00:00+08:00'), TZ)).toEqual({ year: 2100, today: '2099-01-01', missing: true, remind: false });
  });
});
