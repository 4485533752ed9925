import type { Config } from '../config.js';
import { calendarOverlay } from '../core/calendar/calendar-overlay.js';
import { DomainError } from '../core/errors.js';
import type { BeyondCoverage, WorkingCalendar } from '../core/calendar/working-calendar.js';
import type { CalendarEntryRecord } from '../core/ports/console-admin.js';
import { formatLocalDate } from '../core/time.js';
import { describeMissingYear, loadCalendar } from '../loaders/load-calendar.js';
import type { CommandOutput } from './command-output.js';

/** Years a missing-schedule warning was printed for: once per process, however many commands or answers ask. */
const warnedYears = new Set<number>();

/**
 * The working-day calendar for a command: the shipped data with `entries`, the days kept in the
 * database (console 日历, `huifang calendar import`), laid over it. When next year (in the business
 * timezone) has no holiday schedule in either, or an answer had to assume weekends for a year,
 * `output.err` gets one readable line per year and process ({@link describeMissingYear}), not a log
 * line per answer. Database days that contradict the shipped data are left out, with one line saying so.
 */
export function loadCommandCalendar(
  config: Config,
  output: CommandOutput,
  options: { now: Date; beyondCoverage?: BeyondCoverage; onAssumption?: (year: number) => void; entries?: readonly CalendarEntryRecord[] },
): WorkingCalendar {
  const beyondCoverage = options.beyondCoverage ?? (config.calendarBeyondData === 'error' ? 'throw' : 'assume_weekends');
  const warn = (year: number) => {
    if (warnedYears.has(year)) return;
    warnedYears.add(year);
    output.err(describeMissingYear(year, { beyondCoverage }));
  };
  const { calendar } = loadCalendar({
    beyondCoverage,
    onAssumption: (year) => {
      options.onAssumption?.(year);
      warn(year);
    },
  });
  if (options.entries && options.entries.length > 0) {
    try {
      const { ignoredYears } = calendar.replaceOverlay(calendarOverlay(options.entries));
      if (ignoredYears.length > 0) output.err(`notice: the database's calendar days for ${ignoredYears.join(', ')} are ignored: the shipped calendar now has those years (remove them in the console's 日历 page)`);
    } catch (err) {
      if (!(err instanceof DomainError && err.code === 'CALENDAR_DATA_INVALID')) throw err;
      output.err(`警告: the calendar days kept in the database contradict the shipped calendar and are left out: ${err.message}`);
    }
  }
  const nextYear = Number(formatLocalDate(options.now, config.timezone).slice(0, 4)) + 1;
  if (!calendar.isCovered(nextYear)) warn(nextYear);
  return calendar;
}
