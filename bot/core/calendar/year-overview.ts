import { addDays, dateRange, makeLocalDate } from './local-date.js';
import type { WorkingCalendar } from './working-calendar.js';

/** One month of a year's overview: how many days of each kind. */
export interface MonthOverview {
  month: number;
  days: number;
  /** Working days (make-up days included; holidays and closures excluded). */
  workingDays: number;
  /** Saturdays and Sundays that are not holidays, closures or make-up days. */
  weekendDays: number;
  holidays: number;
  makeupWorkdays: number;
  closures: number;
}

/** A year at a glance, as `huifang calendar` prints it. */
export interface YearOverview {
  year: number;
  /**
   * True when the year's State Council schedule is known (shipped data, a file under templates/calendar,
   * or the days entered in the console / imported). False: the working days are counted by weekends only
   * (docs/calendar.md, "A year without a schedule") and are unconfirmed.
   */
  confirmed: boolean;
  workingDays: number;
  months: MonthOverview[];
}

/**
 * Counts the days of `year` by kind, month by month. For a year without a schedule the calendar must
 * have been built with `beyondCoverage: 'assume_weekends'` (otherwise it throws CALENDAR_NOT_COVERED);
 * the result then says `confirmed: false`. Pure.
 */
export function overviewOfYear(calendar: WorkingCalendar, year: number): YearOverview {
  const months: MonthOverview[] = [];
  for (let month = 1; month <= 12; month++) {
    const first = makeLocalDate(year, month, 1);
    const last = month === 12 ? makeLocalDate(year, 12, 31) : addDays(makeLocalDate(year, month + 1, 1), -1);
    const row: MonthOverview = { month, days: 0, workingDays: 0, weekendDays: 0, holidays: 0, makeupWorkdays: 0, closures: 0 };
    for (const date of dateRange(first, last)) {
      const info = calendar.dayInfo(date);
      row.days++;
      if (info.isWorkingDay) row.workingDays++;
      if (info.kind === 'weekend') row.weekendDays++;
      else if (info.kind === 'holiday') row.holidays++;
      else if (info.kind === 'makeup_workday') row.makeupWorkdays++;
      else if (info.kind === 'closure') row.closures++;
    }
    months.push(row);
  }
  return { year, confirmed: calendar.isCovered(year), workingDays: months.reduce((n, m) => n + m.workingDays, 0), months };
}
