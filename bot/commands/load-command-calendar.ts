import type { Config } from '../config.js';
import type { BeyondCoverage, WorkingCalendar } from '../core/calendar/working-calendar.js';
import { formatLocalDate } from '../core/time.js';
import { describeMissingYear, loadCalendar } from '../loaders/load-calendar.js';
import type { CommandOutput } from './command-output.js';

/** Years a missing-schedule warning was printed for: once per process, however many commands or answers ask. */
const warnedYears = new Set<number>();

/**
 * The working-day calendar for a command. When next year (in the business timezone) has no holiday
 * schedule yet, or an answer had to assume weekends for a year, `output.err` gets one readable line
 * per year and process ({@link describeMissingYear}), not a log line per answer.
 */
export function loadCommandCalendar(
  config: Config,
  output: CommandOutput,
  options: { now: Date; beyondCoverage?: BeyondCoverage; onAssumption?: (year: number) => void },
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
  const nextYear = Number(formatLocalDate(options.now, config.timezone).slice(0, 4)) + 1;
  if (!calendar.isCovered(nextYear)) warn(nextYear);
  return calendar;
}
