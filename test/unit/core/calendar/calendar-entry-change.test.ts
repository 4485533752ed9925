import { describe, expect, it } from 'vitest';
import { WorkingCalendar } from '../../../../bot/core/calendar/working-calendar.js';
import { checkCalendarEntryChange, planCalendarYearImport, type CalendarYearImport } from '../../../../bot/core/calendar/calendar-entry-change.js';
import type { CalendarEntryRecord } from '../../../../bot/core/ports/console-admin.js';

// Made-up schedules (not real notices). The shipped data has 2098, whose 元旦 block runs into 2099-01-01.
const shipped = () =>
  new WorkingCalendar(
    {
      years: [{ year: 2098, source: 'shipped', holidays: [{ date: '2098-12-31', name: '元旦' }, { date: '2099-01-01', name: '元旦' }], makeupWorkdays: [] }],
    },
    { beyondCoverage: 'assume_weekends' },
  );
const at = new Date('2098-12-01T02:00:00Z');
const entry = (date: string, kind: CalendarEntryRecord['kind'], name: string): CalendarEntryRecord => ({ date, kind, name, createdAt: at, createdBy: 'admin' });

// 2100: 国庆节 Fri 1 – Sun 3 October, make-up Saturday 9 October; a closure on Monday 4 October.
const year2100: CalendarYearImport = {
  year: 2100,
  schedule: {
    year: 2100,
    source: '国务院办公厅关于2100年部分节假日安排的通知（测试）',
    holidays: ['2100-10-01', '2100-10-02', '2100-10-03'].map((date) => ({ date, name: '国庆节' })),
    makeupWorkdays: [{ date: '2100-10-09', holiday: '国庆节' }],
  },
  closures: [{ date: '2100-10-04', reason: '院庆' }],
};

describe('planCalendarYearImport', () => {
  it('turns every day of the file into an entry for a year the database does not have', () => {
    const plan = planCalendarYearImport(shipped(), [], year2100, { at, by: null });
    expect(plan.problems).toEqual([]);
    expect(plan.change.remove).toEqual([]);
    expect(plan.change.put.map((e) => `${e.date} ${e.kind} ${e.name}`)).toEqual([
      '2100-10-01 holiday 国庆节',
      '2100-10-02 holiday 国庆节',
      '2100-10-03 holiday 国庆节',
      '2100-10-09 workday 国庆节',
      '2100-10-04 closure 院庆',
    ]);
  });

  it('replaces the year: days entered earlier that the file does not list are removed, other closures kept, the same days left as they are', () => {
    const current = [
      entry('2100-10-01', 'holiday', '国庆节'), // unchanged
      entry('2100-10-02', 'closure', '停电'), // replaced by the holiday
      entry('2100-10-08', 'holiday', '国庆节'), // not in the notice: removed
      entry('2100-06-01', 'closure', '院庆'), // a closure of the year the file does not mention: kept
      entry('2101-01-01', 'holiday', '元旦'), // another year: untouched
    ];
    const plan = planCalendarYearImport(shipped(), current, year2100, { at, by: null });
    expect(plan.problems).toEqual([]);
    expect(plan.unchanged).toBe(1);
    expect(plan.replaced.map((r) => `${r.before.date} ${r.before.kind}→${r.after.kind}`)).toEqual(['2100-10-02 closure→holiday']);
    expect(plan.removed.map((e) => e.date)).toEqual(['2100-10-08']);
    expect(plan.change.remove).toEqual(['2100-10-08']);
    expect(plan.change.put.map((e) => e.date)).not.toContain('2100-10-01');
  });

  it('refuses a year that comes with the shipped calendar', () => {
    const plan = planCalendarYearImport(shipped(), [], { year: 2098, schedule: { ...year2100.schedule, year: 2098, holidays: [{ date: '2098-10-01', name: '国庆节' }], makeupWorkdays: [] }, closures: [] }, { at, by: null });
    expect(plan.problems).toEqual([expect.objectContaining({ code: 'CALENDAR_YEAR_SHIPPED' })]);
  });

  it('refuses a day outside the year, and a day the shipped data already gives another meaning', () => {
    const outside = planCalendarYearImport(shipped(), [], { ...year2100, schedule: { ...year2100.schedule, holidays: [...year2100.schedule.holidays, { date: '2099-12-31', name: '国庆节' }] } }, { at, by: null });
    expect(outside.problems).toEqual([expect.objectContaining({ code: 'CALENDAR_DATA_INVALID', message: expect.stringContaining('2099-12-31 is not in 2100') })]);
    // 2099-01-01 is a holiday of the shipped 2098 schedule; the 2099 notice cannot make it a make-up day too.
    const clash = planCalendarYearImport(
      shipped(),
      [],
      { year: 2099, schedule: { year: 2099, source: 't', holidays: [{ date: '2099-01-02', name: '元旦' }], makeupWorkdays: [] }, closures: [] },
      { at, by: null },
    );
    expect(clash.problems).toEqual([]);
    const clashing = planCalendarYearImport(
      shipped(),
      [],
      { year: 2099, schedule: { year: 2099, source: 't', holidays: [{ date: '2099-01-01', name: '元旦' }], makeupWorkdays: [] }, closures: [] },
      { at, by: null },
    );
    expect(clashing.problems).toEqual([expect.objectContaining({ code: 'CALENDAR_DATA_INVALID', message: expect.stringContaining('2099-01-01 is both') })]);
  });
});

describe('checkCalendarEntryChange (the console adds one day)', () => {
  it('refuses a holiday for a shipped year but accepts a closure in it', () => {
    expect(checkCalendarEntryChange(shipped(), [], { put: [entry('2098-11-18', 'holiday', '自定假日')], remove: [] })).toEqual([expect.objectContaining({ code: 'CALENDAR_YEAR_SHIPPED' })]);
    expect(checkCalendarEntryChange(shipped(), [], { put: [entry('2098-11-18', 'closure', '院庆停诊')], remove: [] })).toEqual([]);
  });

  it('refuses a make-up working day on a weekday', () => {
    // 2100-10-05 is a Tuesday.
    expect(checkCalendarEntryChange(shipped(), [], { put: [entry('2100-10-05', 'workday', '国庆节')], remove: [] })).toEqual([
      expect.objectContaining({ code: 'CALENDAR_DATA_INVALID', message: expect.stringContaining('2100-10-05 is not a Saturday or Sunday') }),
    ]);
  });
});
