import { formatLocalDate } from '../time.js';
import type { LocalDate } from './local-date.js';
import type { WorkingCalendar } from './working-calendar.js';

/**
 * The local month and day from which a missing schedule for next year is reported to operators every
 * day (log) and every week (administrators' digest): the State Council usually publishes the notice in
 * October or November, so from 1 November a missing year is most likely an installation not updated.
 */
export const NEXT_YEAR_REMINDER_FROM = '11-01';

/** Whether next year's State Council schedule is in the calendar, as of an instant. */
export interface NextYearSchedule {
  /** Next year in the business timezone. */
  year: number;
  /** The local date of the instant asked about (a reminder is given at most once per such date). */
  today: LocalDate;
  /** The calendar has no schedule for `year` (shipped data, templates/calendar files, or the database's days). */
  missing: boolean;
  /** Missing, and on or after {@link NEXT_YEAR_REMINDER_FROM}: operators are to be told how to add it. */
  remind: boolean;
}

/** Next year's schedule status at `now` in `timeZone`. Pure. */
export function nextYearSchedule(calendar: Pick<WorkingCalendar, 'isCovered'>, now: Date, timeZone: string): NextYearSchedule {
  const today = formatLocalDate(now, timeZone);
  const year = Number(today.slice(0, 4)) + 1;
  const missing = !calendar.isCovered(year);
  return { year, today, missing, remind: missing && today.slice(5) >= NEXT_YEAR_REMINDER_FROM };
}
