/**
 * Checking and planning changes to the calendar days kept in the database (the overlay): one day added
 * in the console's 日历 page, or a whole year's State Council schedule imported with
 * `huifang calendar import`. Both go through {@link checkCalendarEntryChange}, so the console and the
 * command accept and refuse the same things (docs/calendar.md). Pure.
 */
import type { CalendarEntryRecord } from '../ports/console-admin.js';
import { calendarOverlay } from './calendar-overlay.js';
import { yearOf, type LocalDate } from './local-date.js';
import type { Closure, WorkingCalendar, YearSchedule } from './working-calendar.js';

/** Days to write (each replacing the entry of its date, if any) and dates whose entry is removed. */
export interface CalendarEntryChange {
  put: readonly CalendarEntryRecord[];
  remove: readonly LocalDate[];
}

export interface CalendarEntryProblem {
  /**
   * `CALENDAR_YEAR_SHIPPED`: a holiday or make-up day for a year the shipped calendar (package or
   * templates/calendar files) already has; `CALENDAR_DATA_INVALID`: the entries would make the calendar
   * contradictory (a make-up working day on a weekday, a date both a holiday and a make-up day …).
   */
  code: 'CALENDAR_YEAR_SHIPPED' | 'CALENDAR_DATA_INVALID';
  message: string;
}

/** The entries after `change`: those of other dates kept, the removed dropped, the put ones added. */
export function applyCalendarEntryChange(current: readonly CalendarEntryRecord[], change: CalendarEntryChange): CalendarEntryRecord[] {
  const touched = new Set<string>([...change.remove, ...change.put.map((e) => e.date)]);
  return [...current.filter((e) => !touched.has(e.date)), ...change.put].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
}

/**
 * What refuses `change` to the database entries `current`, laid over `calendar`'s shipped data (empty:
 * the change may be written). Changes nothing.
 */
export function checkCalendarEntryChange(calendar: WorkingCalendar, current: readonly CalendarEntryRecord[], change: CalendarEntryChange): CalendarEntryProblem[] {
  const shipped = [...new Set(change.put.filter((e) => e.kind !== 'closure').map((e) => yearOf(e.date)))].filter((y) => calendar.isShippedYear(y));
  if (shipped.length > 0) {
    return shipped.map((year) => ({ code: 'CALENDAR_YEAR_SHIPPED', message: `${year} comes with the shipped calendar (chinese-days or templates/calendar/): its holidays cannot be changed in the database` }));
  }
  return calendar.overlayProblems(calendarOverlay(applyCalendarEntryChange(current, change))).map((message) => ({ code: 'CALENDAR_DATA_INVALID', message }));
}

/** A year's schedule to import, as read from a file in the templates/calendar format. */
export interface CalendarYearImport {
  year: number;
  schedule: YearSchedule;
  /** Closures listed in the same file; each must fall in `year`. */
  closures: readonly Closure[];
}

export interface CalendarYearImportPlan {
  change: CalendarEntryChange;
  /** Entries of the year the import replaces with a different kind or name. */
  replaced: { before: CalendarEntryRecord; after: CalendarEntryRecord }[];
  /** Holiday and make-up entries of the year that the file no longer lists (removed). */
  removed: CalendarEntryRecord[];
  /** Entries the file lists exactly as they are already (left as they are). */
  unchanged: number;
  /** Everything that refuses the import; when non-empty nothing may be written. */
  problems: CalendarEntryProblem[];
}

/**
 * Plans installing `input` as the year's schedule in the database: every holiday and make-up day of
 * the file becomes an entry, the year's holiday and make-up entries the file does not list are removed
 * (the file is the whole notice), the year's closures are kept unless the file lists one for the same
 * date. Days outside the year are refused (the database keeps each day under its own year; a notice's
 * day in the adjacent December or January belongs in a templates/calendar file). Checked with
 * {@link checkCalendarEntryChange}.
 */
export function planCalendarYearImport(
  calendar: WorkingCalendar,
  current: readonly CalendarEntryRecord[],
  input: CalendarYearImport,
  meta: { at: Date; by: string | null },
): CalendarYearImportPlan {
  const { year } = input;
  const problems: CalendarEntryProblem[] = [];
  const outside = [...input.schedule.holidays.map((h) => h.date), ...input.schedule.makeupWorkdays.map((m) => m.date), ...input.closures.map((c) => c.date)].filter(
    (d) => yearOf(d) !== year,
  );
  for (const date of outside) {
    problems.push({
      code: 'CALENDAR_DATA_INVALID',
      message: `${date} is not in ${year}: the database keeps each day under its own year, so a notice's day in the adjacent year goes into a file under templates/calendar/ instead`,
    });
  }
  const entry = (date: LocalDate, kind: CalendarEntryRecord['kind'], name: string): CalendarEntryRecord => ({ date, kind, name, createdAt: meta.at, createdBy: meta.by });
  const wanted = [
    ...input.schedule.holidays.map((h) => entry(h.date, 'holiday', h.name)),
    ...input.schedule.makeupWorkdays.map((m) => entry(m.date, 'workday', m.holiday)),
    ...input.closures.map((c) => entry(c.date, 'closure', c.reason)),
  ];
  const byDate = new Map(current.map((e) => [e.date, e]));
  const wantedDates = new Set(wanted.map((e) => e.date));
  const put: CalendarEntryRecord[] = [];
  const replaced: CalendarYearImportPlan['replaced'] = [];
  let unchanged = 0;
  for (const w of wanted) {
    const before = byDate.get(w.date);
    if (before && before.kind === w.kind && before.name === w.name) {
      unchanged++;
      continue;
    }
    if (before) replaced.push({ before, after: w });
    put.push(w);
  }
  const removed = current.filter((e) => yearOf(e.date) === year && e.kind !== 'closure' && !wantedDates.has(e.date));
  const change: CalendarEntryChange = { put, remove: removed.map((e) => e.date) };
  // Checked even when nothing changes: the year might have been entered against data shipped since.
  const checked = checkCalendarEntryChange(calendar, current, { put: wanted, remove: change.remove });
  problems.push(...(outside.length > 0 ? checked.filter((p) => p.code === 'CALENDAR_YEAR_SHIPPED') : checked));
  return { change, replaced, removed, unchanged, problems };
}
