/**
 * The pure working-day calendar, built from the official 2025/2026 schedules typed in from the reference.
 * Every instant is written with an explicit offset and every call names its timezone, so the process's TZ
 * plays no part (the CLI test runs the same data under TZ=America/New_York to prove it end to end).
 */
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../../../bot/core/errors.js';
import { WorkingCalendar, formatYearRanges, type WorkingCalendarData } from '../../../../bot/core/calendar/working-calendar.js';
import { OFFICIAL_2025, OFFICIAL_2026 } from './official-schedules.js';

const SH = 'Asia/Shanghai';
const DATA: WorkingCalendarData = { years: [OFFICIAL_2025, OFFICIAL_2026] };

/** An instant given as Shanghai wall-clock time: `at('2025-09-26 10:30')`. */
function at(local: string): Date {
  return new Date(`${local.replace(' ', 'T')}:00+08:00`);
}
/** The Shanghai wall-clock time of an instant, `YYYY-MM-DD HH:MM`. */
function shanghai(instant: Date): string {
  return new Date(instant.getTime() + 8 * 3_600_000).toISOString().slice(0, 16).replace('T', ' ');
}

function catchError(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('expected a DomainError');
}

describe('WorkingCalendar day kinds', () => {
  const cal = new WorkingCalendar(DATA);

  it.each([
    ['2025-10-01', 'holiday', '国庆节', false],
    ['2025-10-06', 'holiday', '中秋节', false], // 中秋 inside the National Day block
    ['2025-10-08', 'holiday', '国庆节', false],
    ['2025-09-28', 'makeup_workday', '国庆节', true], // a Sunday
    ['2025-10-11', 'makeup_workday', '国庆节', true], // a Saturday
    ['2025-09-27', 'weekend', undefined, false],
    ['2025-10-09', 'workday', undefined, true],
    ['2026-02-14', 'makeup_workday', '春节', true],
    ['2026-02-28', 'makeup_workday', '春节', true],
    ['2026-02-23', 'holiday', '春节', false], // a Monday given off (调休)
    ['2026-01-04', 'makeup_workday', '元旦', true],
    ['2026-09-20', 'makeup_workday', '国庆节', true],
    ['2026-09-26', 'holiday', '中秋节', false],
  ] as const)('%s is %s %s', (date, kind, name, working) => {
    const info = cal.dayInfo(date);
    expect(info).toEqual({ date, kind, isWorkingDay: working, assumed: false, ...(name ? { name } : {}) });
    expect(cal.isWorkingDay(date)).toBe(working);
    expect(cal.isPublicHoliday(date)).toBe(kind === 'holiday');
  });

  it('counts a weekend inside a holiday block as a public holiday (P4: no follow-ups on public holidays)', () => {
    expect(cal.isPublicHoliday('2026-10-03')).toBe(true); // Saturday in 国庆
    expect(cal.isPublicHoliday('2026-10-10')).toBe(false); // make-up Saturday: a working day, not a holiday
    expect(cal.isPublicHoliday('2026-10-17')).toBe(false); // ordinary Saturday
  });

  it('lists covered years and a year schedule sorted by date', () => {
    expect(cal.coveredYears()).toEqual([2025, 2026]);
    const s = cal.yearSchedule(2026)!;
    expect(s.holidays.map((h) => h.date)).toEqual([...s.holidays.map((h) => h.date)].sort());
    expect(s.makeupWorkdays.map((m) => m.date)).toEqual(['2026-01-04', '2026-02-14', '2026-02-28', '2026-05-09', '2026-09-20', '2026-10-10']);
    expect(cal.yearSchedule(2027)).toBeUndefined();
  });

  it('rejects a malformed date', () => {
    expect(catchError(() => cal.isWorkingDay('2026-2-3')).code).toBe('CALENDAR_INVALID_ARGUMENT');
    expect(catchError(() => cal.isWorkingDay('2026-02-30')).code).toBe('CALENDAR_INVALID_ARGUMENT');
  });
});

describe('addWorkingDays', () => {
  const cal = new WorkingCalendar(DATA);

  it.each([
    // National Day + Mid-Autumn 2025: Oct 1–8 off, Sun Sep 28 and Sat Oct 11 worked.
    ['2025-09-26 10:30', 1, '2025-09-28 10:30'],
    ['2025-09-26 10:30', 2, '2025-09-29 10:30'],
    ['2025-09-26 10:30', 3, '2025-09-30 10:30'],
    ['2025-09-26 10:30', 4, '2025-10-09 10:30'],
    ['2025-09-26 10:30', 6, '2025-10-11 10:30'],
    ['2025-09-26 10:30', 7, '2025-10-13 10:30'],
    ['2025-10-03 08:00', 1, '2025-10-09 08:00'], // starting inside the holiday
    // Spring Festival 2026: Feb 15–23 off, Sat Feb 14 and Sat Feb 28 worked.
    ['2026-02-13 15:00', 1, '2026-02-14 15:00'],
    ['2026-02-13 15:00', 2, '2026-02-24 15:00'],
    ['2026-02-13 15:00', 6, '2026-02-28 15:00'],
    ['2026-02-13 15:00', 7, '2026-03-02 15:00'],
    // Spring Festival 2025: Jan 28–Feb 4 off, Sun Jan 26 and Sat Feb 8 worked.
    ['2025-01-24 09:00', 1, '2025-01-26 09:00'],
    ['2025-01-24 09:00', 3, '2025-02-05 09:00'],
    ['2025-01-24 09:00', 6, '2025-02-08 09:00'],
    // Month and year ends.
    ['2026-01-30 17:00', 1, '2026-02-02 17:00'],
    ['2026-04-30 11:00', 1, '2026-05-06 11:00'], // Labour Day May 1–5
    ['2026-04-30 11:00', 4, '2026-05-09 11:00'], // the make-up Saturday
    ['2025-12-31 16:00', 1, '2026-01-04 16:00'], // 元旦 Jan 1–3 off, Sunday Jan 4 worked
    ['2025-12-31 16:00', 2, '2026-01-05 16:00'],
  ])('%s + %i working days = %s', (from, n, expected) => {
    expect(shanghai(cal.addWorkingDays(at(from), n, SH))).toBe(expected);
  });

  it('returns the instant unchanged for n = 0, even on a holiday', () => {
    const x = at('2025-10-02 12:00');
    expect(cal.addWorkingDays(x, 0, SH)).toEqual(x);
  });

  it('rejects a negative, fractional or absurd n', () => {
    for (const n of [-1, 1.5, Number.NaN, 100_000]) {
      expect(catchError(() => cal.addWorkingDays(at('2026-03-02 09:00'), n, SH)).code).toBe('CALENDAR_INVALID_ARGUMENT');
    }
  });

  it('works on local dates too', () => {
    expect(cal.addWorkingDaysToDate('2025-09-30', 1)).toBe('2025-10-09');
    expect(cal.addWorkingDaysToDate('2026-09-18', 1)).toBe('2026-09-20'); // Sunday make-up before 中秋/国庆
  });
});

describe('23:59 boundaries in Asia/Shanghai', () => {
  const cal = new WorkingCalendar(DATA);

  it('decides the day by the Shanghai date, not the UTC date', () => {
    // 2025-09-30 23:59 in Shanghai is 15:59 UTC; one minute later it is 1 October (a holiday) in Shanghai.
    expect(shanghai(cal.workingDayDeadline(new Date('2025-09-30T15:59:00Z'), 1, SH))).toBe('2025-10-09 23:59');
    expect(shanghai(cal.workingDayDeadline(new Date('2025-09-29T15:59:59Z'), 1, SH))).toBe('2025-09-30 23:59');
    expect(shanghai(cal.workingDayDeadline(new Date('2025-09-29T16:00:00Z'), 1, SH))).toBe('2025-10-09 23:59');
  });

  it('puts "within 7 working days after X" at the end of the 7th working day', () => {
    const archivedMorning = at('2025-09-26 08:05');
    const archivedEvening = at('2025-09-26 23:58');
    const deadline = cal.workingDayDeadline(archivedMorning, 7, SH);
    expect(deadline.toISOString()).toBe('2025-10-13T15:59:00.000Z'); // 2025-10-13 23:59 +08:00
    expect(cal.workingDayDeadline(archivedEvening, 7, SH)).toEqual(deadline);
    expect(shanghai(cal.workingDayDeadline(archivedMorning, 0, SH))).toBe('2025-09-26 23:59');
    expect(cal.workingDayDeadline(archivedMorning, 7, SH, '23:59:59').toISOString()).toBe('2025-10-13T15:59:59.000Z');
    expect(shanghai(cal.workingDayDeadline(archivedMorning, 7, SH, '17:30'))).toBe('2025-10-13 17:30');
  });

  it('gives different answers for the same instant in different zones, as it should', () => {
    const x = new Date('2025-09-30T20:00:00Z'); // Shanghai: Oct 1 04:00 (holiday); UTC: Sep 30 20:00 (Tuesday)
    expect(shanghai(cal.nextWorkingMoment(x, SH))).toBe('2025-10-09 09:00');
    expect(cal.nextWorkingMoment(x, 'UTC')).toEqual(x);
  });

  it('rejects a malformed time of day', () => {
    expect(catchError(() => cal.workingDayDeadline(at('2026-03-02 09:00'), 1, SH, '24:00')).code).toBe('CALENDAR_INVALID_ARGUMENT');
    expect(catchError(() => cal.nextWorkingMoment(at('2026-03-01 09:00'), SH, '9:00')).code).toBe('CALENDAR_INVALID_ARGUMENT');
  });
});

describe('nextWorkingMoment', () => {
  const cal = new WorkingCalendar(DATA);

  it('keeps an instant on a working day, make-up Saturday included, whatever the hour', () => {
    const x = at('2026-02-14 22:15');
    expect(cal.nextWorkingMoment(x, SH)).toEqual(x);
  });

  it('moves a holiday or weekend instant to the next working day at the given time', () => {
    expect(shanghai(cal.nextWorkingMoment(at('2026-02-15 10:00'), SH))).toBe('2026-02-24 09:00');
    expect(shanghai(cal.nextWorkingMoment(at('2026-02-15 10:00'), SH, '08:30'))).toBe('2026-02-24 08:30');
    expect(shanghai(cal.nextWorkingMoment(at('2026-09-19 10:00'), SH))).toBe('2026-09-20 09:00'); // Sunday make-up
  });
});

describe('organisation closures', () => {
  const cal = new WorkingCalendar({
    years: DATA.years,
    closures: [
      { date: '2026-12-31', reason: '年终盘点', source: 'closures.yaml' },
      { date: '2026-12-31', reason: '系统升级', source: 'other.yaml' },
      { date: '2026-02-28', reason: '院庆' }, // on a make-up Saturday
      { date: '2026-10-02', reason: '不会显示' }, // on a holiday: the holiday wins
      { date: '2026-03-07', reason: '培训' }, // on an ordinary Saturday
      { date: '2026-06-17', reason: '消防检查' }, // on a Wednesday
    ],
  });

  it('makes the day a non-working day, with its reason', () => {
    expect(cal.dayInfo('2026-12-31')).toEqual({ date: '2026-12-31', kind: 'closure', name: '年终盘点; 系统升级', isWorkingDay: false, assumed: false });
    expect(cal.dayInfo('2026-02-28')).toMatchObject({ kind: 'closure', name: '院庆', isWorkingDay: false });
    expect(cal.dayInfo('2026-10-02')).toMatchObject({ kind: 'holiday', name: '国庆节' });
    expect(cal.dayInfo('2026-03-07')).toMatchObject({ kind: 'closure', isWorkingDay: false });
    expect(cal.isPublicHoliday('2026-12-31')).toBe(false);
  });

  it('is skipped when counting working days', () => {
    expect(cal.addWorkingDaysToDate('2026-02-27', 1)).toBe('2026-03-02');
    expect(cal.addWorkingDaysToDate('2026-06-16', 1)).toBe('2026-06-18');
    expect(shanghai(cal.workingDayDeadline(at('2026-06-16 09:00'), 1, SH))).toBe('2026-06-18 23:59');
  });

  it('lists the closures of a year', () => {
    expect(cal.closuresInYear(2026).map((c) => c.date)).toEqual(['2026-02-28', '2026-03-07', '2026-06-17', '2026-10-02', '2026-12-31']);
  });
});

describe('beyond the covered years', () => {
  it('throws CALENDAR_NOT_COVERED naming the year and how to add it', () => {
    const cal = new WorkingCalendar(DATA, { notCoveredHint: 'Add templates/calendar/{year}.yaml.' });
    const err = catchError(() => cal.isWorkingDay('2027-01-04'));
    expect(err.code).toBe('CALENDAR_NOT_COVERED');
    expect(err.message).toContain('no 2027 schedule');
    expect(err.message).toContain('covered: 2025–2026');
    expect(err.message).toContain('Add templates/calendar/2027.yaml.');
    expect(err.details).toEqual({ year: 2027, coveredYears: [2025, 2026] });
    // Crossing the year end in the middle of a count throws too, rather than guessing.
    expect(catchError(() => cal.addWorkingDays(at('2026-12-30 10:00'), 3, SH)).code).toBe('CALENDAR_NOT_COVERED');
    expect(catchError(() => cal.isWorkingDay('2024-12-31')).code).toBe('CALENDAR_NOT_COVERED');
  });

  it('with assume_weekends answers by weekends only and reports each year once per call', () => {
    const assumed: number[] = [];
    const cal = new WorkingCalendar(DATA, { beyondCoverage: 'assume_weekends', onAssumption: (y) => assumed.push(y) });
    // 2027-01-01 is New Year's Day in reality; without the 2027 schedule it can only be assumed a Friday at work.
    expect(shanghai(cal.addWorkingDays(at('2026-12-30 10:00'), 3, SH))).toBe('2027-01-04 10:00');
    expect(assumed).toEqual([2027]);
    expect(cal.dayInfo('2027-01-02')).toEqual({ date: '2027-01-02', kind: 'weekend', isWorkingDay: false, assumed: true });
    expect(assumed).toEqual([2027, 2027]);
    expect(cal.isWorkingDay('2026-10-09')).toBe(true);
    expect(assumed).toHaveLength(2); // covered dates report nothing
  });

  it('counts across the leap day of 2028 (not covered) under assume_weekends', () => {
    const assumed: number[] = [];
    const cal = new WorkingCalendar(
      { years: DATA.years, closures: [{ date: '2028-03-01', reason: '院庆' }] },
      { beyondCoverage: 'assume_weekends', onAssumption: (y) => assumed.push(y) },
    );
    expect(shanghai(cal.addWorkingDays(at('2028-02-25 14:00'), 1, SH))).toBe('2028-02-28 14:00');
    expect(shanghai(cal.addWorkingDays(at('2028-02-28 14:00'), 1, SH))).toBe('2028-02-29 14:00');
    expect(shanghai(cal.addWorkingDays(at('2028-02-28 14:00'), 2, SH))).toBe('2028-03-02 14:00'); // closure on Mar 1 still applies
    expect(shanghai(cal.workingDayDeadline(at('2028-02-28 14:00'), 1, SH))).toBe('2028-02-29 23:59');
    expect(assumed).toEqual([2028, 2028, 2028, 2028]);
    expect(cal.dayInfo('2028-03-01')).toMatchObject({ kind: 'closure', assumed: true });
  });
});

describe('data validation', () => {
  function problems(data: WorkingCalendarData): string[] {
    const err = catchError(() => new WorkingCalendar(data));
    expect(err.code).toBe('CALENDAR_DATA_INVALID');
    return err.details!.problems as string[];
  }

  it('rejects a make-up working day that is not a weekend', () => {
    const bad = { ...OFFICIAL_2026, makeupWorkdays: [{ date: '2026-02-13', holiday: '春节' }] };
    expect(problems({ years: [bad] })).toEqual([expect.stringContaining('2026-02-13 is not a Saturday or Sunday')]);
  });

  it('rejects bad dates, a year twice, a date twice, a date outside its year, empty names', () => {
    const out = problems({
      years: [
        { year: 2027, source: 'a', holidays: [{ date: '2027-02-30', name: '春节' }, { date: '2027-10-01', name: '' }], makeupWorkdays: [] },
        { year: 2027, source: 'b', holidays: [{ date: '2026-06-01', name: 'x' }], makeupWorkdays: [{ date: '2027-10-01', holiday: '国庆节' }] },
      ],
      closures: [{ date: '2027-13-01', reason: '' }],
    });
    expect(out).toEqual([
      expect.stringContaining('"2027-02-30" is not a valid YYYY-MM-DD date'),
      expect.stringContaining('holiday 2027-10-01 has no name'),
      '2027 (b): year defined twice',
      expect.stringContaining('2026-06-01 is outside 2027'),
      expect.stringContaining('2027-10-01 is both a holiday of 2027 and a make-up working day'),
      expect.stringContaining('make-up working day 2027-10-01 is not a Saturday or Sunday'),
      expect.stringContaining('"2027-13-01" is not a valid YYYY-MM-DD date'),
      expect.stringContaining('2027-13-01: no reason given'),
    ]);
  });

  it('accepts the adjacent December for a New Year make-up day (as 2012: 2011-12-31 worked)', () => {
    const cal = new WorkingCalendar({
      years: [{ year: 2012, source: 't', holidays: [{ date: '2012-01-01', name: '元旦' }], makeupWorkdays: [{ date: '2011-12-31', holiday: '元旦' }] }],
      closures: [],
    });
    expect(cal.coveredYears()).toEqual([2012]);
  });

  it('formats year ranges', () => {
    expect(formatYearRanges([2006, 2004, 2005, 2027, 2029, 2030])).toBe('2004–2006, 2027, 2029–2030');
  });
});
