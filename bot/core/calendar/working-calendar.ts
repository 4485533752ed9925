/**
 * The mainland-China working-day calendar that policies count "working days" (工作日) with.
 *
 * Built from data only: for each covered year the State Council schedule (public holidays and the 调休
 * make-up working days on weekends), plus the organisation's own closures. It never guesses a year it
 * has no schedule for — the schedule is published each autumn and cannot be derived — unless built with
 * `beyondCoverage: 'assume_weekends'`, in which case every such answer is reported through `onAssumption`.
 *
 * Dates are local `YYYY-MM-DD` strings in the organisation's timezone; instants are UTC `Date`s plus an
 * explicit IANA timezone, so the process's `TZ` never matters. Pure: no clock, no I/O.
 */
import { DomainError } from '../errors.js';
import { addLocalDays, formatLocalDate, fromLocal, toLocal } from '../time.js';
import { addDays, daysBetween, isLocalDate, isWeekend, yearOf, type LocalDate } from './local-date.js';

/** One day off in a State Council schedule (国务院办公厅关于 YYYY 年部分节假日安排的通知). */
export interface PublicHoliday {
  date: LocalDate;
  /** Chinese name as in the notice: 元旦, 春节, 清明节, 劳动节, 端午节, 中秋节, 国庆节. */
  name: string;
  nameEn?: string;
  /** A weekday given off in exchange for a make-up working day (调休), rather than a statutory day. */
  inLieu?: boolean;
}

/** A Saturday or Sunday that is a working day (调休上班 / 补班). */
export interface MakeupWorkday {
  date: LocalDate;
  /** Name of the holiday this make-up day belongs to, e.g. 国庆节. */
  holiday: string;
}

/** One year's announced schedule and where it came from. */
export interface YearSchedule {
  year: number;
  /** Human-readable origin, e.g. `chinese-days@1.5.7` or `templates/calendar/2027.yaml`. */
  source: string;
  holidays: PublicHoliday[];
  makeupWorkdays: MakeupWorkday[];
}

/** An organisation-specific non-working day (年终盘点, 院庆 …). Applies whatever the year. */
export interface Closure {
  date: LocalDate;
  reason: string;
  source?: string;
}

export interface WorkingCalendarData {
  years: readonly YearSchedule[];
  closures?: readonly Closure[];
}

/**
 * What to do with a date in a year that has no schedule:
 * - `throw` (default): `DomainError('CALENDAR_NOT_COVERED')`;
 * - `assume_weekends`: Saturday/Sunday off, Monday–Friday working (closures still apply), and
 *   `onAssumption(year)` is called so the caller can log that the answer is an assumption.
 */
export type BeyondCoverage = 'throw' | 'assume_weekends';

export interface WorkingCalendarOptions {
  beyondCoverage?: BeyondCoverage;
  /**
   * Called when an answer relied on the weekends-only assumption, once per uncovered year per public
   * method call (an `addWorkingDays` crossing into 2027 reports 2027 once, not once per day).
   */
  onAssumption?: (year: number) => void;
  /** Appended to the CALENDAR_NOT_COVERED message: how an operator adds a year (the loader names its files). */
  notCoveredHint?: string;
}

export type DayKind = 'workday' | 'weekend' | 'holiday' | 'makeup_workday' | 'closure';

export interface DayInfo {
  date: LocalDate;
  /** Precedence: holiday > closure > makeup_workday > weekend > workday. */
  kind: DayKind;
  /** Holiday name (holiday), the holiday it belongs to (makeup_workday), or the reason (closure). */
  name?: string;
  isWorkingDay: boolean;
  /** True when the year has no schedule and the answer assumed weekends only. */
  assumed: boolean;
}

interface HolidayEntry extends PublicHoliday {
  year: number;
}
interface MakeupEntry extends MakeupWorkday {
  year: number;
}

/** Upper bound on `n` in the working-day arithmetic: far beyond any policy, small enough to stop a runaway. */
const MAX_WORKING_DAYS = 3660;

export class WorkingCalendar {
  private schedules = new Map<number, YearSchedule>();
  private holidays = new Map<LocalDate, HolidayEntry>();
  private makeups = new Map<LocalDate, MakeupEntry>();
  private closures = new Map<LocalDate, Closure>();
  private readonly base: WorkingCalendarData;
  private readonly beyondCoverage: BeyondCoverage;
  private readonly onAssumption: ((year: number) => void) | undefined;
  private readonly notCoveredHint: string | undefined;

  /** Validates the data; throws `DomainError('CALENDAR_DATA_INVALID')` listing every problem. */
  constructor(data: WorkingCalendarData, options: WorkingCalendarOptions = {}) {
    this.beyondCoverage = options.beyondCoverage ?? 'throw';
    this.onAssumption = options.onAssumption;
    this.notCoveredHint = options.notCoveredHint;
    this.base = data;
    this.load(data);
  }

  /**
   * Adds data kept outside the shipped files (years and closures entered in the console) on top of
   * the data the calendar was built with, replacing what an earlier call added. A year of the overlay
   * that the base already has is ignored (the shipped schedule wins) and returned; invalid data is
   * refused (`CALENDAR_DATA_INVALID`) and the calendar is left as it was.
   */
  replaceOverlay(overlay: WorkingCalendarData): { ignoredYears: number[] } {
    const { merged, ignoredYears, problems } = this.mergeOverlay(overlay);
    if (problems.length > 0) throw new DomainError('CALENDAR_DATA_INVALID', `Invalid working-day calendar data:\n  ${problems.join('\n  ')}`, { problems });
    this.load(merged);
    return { ignoredYears };
  }

  /** What {@link replaceOverlay} would refuse in `overlay` (empty when it is valid); changes nothing. */
  overlayProblems(overlay: WorkingCalendarData): string[] {
    return this.mergeOverlay(overlay).problems;
  }

  private mergeOverlay(overlay: WorkingCalendarData): { merged: WorkingCalendarData; ignoredYears: number[]; problems: string[] } {
    const shipped = new Set(this.base.years.map((y) => y.year));
    const ignoredYears = overlay.years.filter((y) => shipped.has(y.year)).map((y) => y.year);
    const merged = { years: [...this.base.years, ...overlay.years.filter((y) => !shipped.has(y.year))], closures: [...(this.base.closures ?? []), ...(overlay.closures ?? [])] };
    return { merged, ignoredYears, problems: validateCalendarData(merged) };
  }

  /** Whether `year`'s schedule comes with the calendar's own data (shipped files), not the overlay. */
  isShippedYear(year: number): boolean {
    return this.base.years.some((y) => y.year === year);
  }

  private load(data: WorkingCalendarData): void {
    const problems = validateCalendarData(data);
    if (problems.length > 0) {
      throw new DomainError('CALENDAR_DATA_INVALID', `Invalid working-day calendar data:\n  ${problems.join('\n  ')}`, { problems });
    }
    this.schedules = new Map();
    this.holidays = new Map();
    this.makeups = new Map();
    this.closures = new Map();
    for (const y of data.years) {
      this.schedules.set(y.year, {
        ...y,
        holidays: [...y.holidays].sort(byDate),
        makeupWorkdays: [...y.makeupWorkdays].sort(byDate),
      });
      for (const h of y.holidays) this.holidays.set(h.date, { ...h, year: y.year });
      for (const m of y.makeupWorkdays) this.makeups.set(m.date, { ...m, year: y.year });
    }
    for (const c of data.closures ?? []) {
      const existing = this.closures.get(c.date);
      // Two files closing the same day is harmless; keep both reasons rather than pick one.
      this.closures.set(c.date, existing ? { ...existing, reason: `${existing.reason}; ${c.reason}` } : { ...c });
    }
  }

  /** Years with an announced schedule, ascending. */
  coveredYears(): number[] {
    return [...this.schedules.keys()].sort((a, b) => a - b);
  }

  isCovered(year: number): boolean {
    return this.schedules.has(year);
  }

  /** The schedule of `year` (holidays and make-up days sorted by date), or undefined when not covered. */
  yearSchedule(year: number): YearSchedule | undefined {
    const s = this.schedules.get(year);
    return s && { ...s, holidays: [...s.holidays], makeupWorkdays: [...s.makeupWorkdays] };
  }

  /** The organisation's closures falling in `year`, sorted by date. */
  closuresInYear(year: number): Closure[] {
    return [...this.closures.values()].filter((c) => yearOf(c.date) === year).sort(byDate);
  }

  /** What kind of day `date` is. Throws CALENDAR_NOT_COVERED outside the covered years (see BeyondCoverage). */
  dayInfo(date: LocalDate): DayInfo {
    return this.lookup(date, new Set());
  }

  /** Whether staff work on `date` (make-up Saturdays included; holidays and closures excluded). */
  isWorkingDay(date: LocalDate): boolean {
    return this.lookup(date, new Set()).isWorkingDay;
  }

  /**
   * Whether `date` is inside an announced public-holiday period (the whole 放假 block, weekends and
   * 调休 days included — the P4 clinic rule "no follow-ups on public holidays" means all of it).
   */
  isPublicHoliday(date: LocalDate): boolean {
    return this.lookup(date, new Set()).kind === 'holiday';
  }

  /**
   * The `n`-th working day after `date` (n ≥ 0). `date` itself never counts, working or not: counting
   * starts the next day. `n = 0` returns `date` unchanged.
   */
  addWorkingDaysToDate(date: LocalDate, n: number): LocalDate {
    return this.stepWorkingDays(date, n, new Set());
  }

  /**
   * `instant` moved to the `n`-th working day after its local date in `timeZone`, keeping the local
   * time of day (10:30 on Friday 2025-09-26 + 1 → 10:30 on Sunday 2025-09-28, a make-up day).
   * `n = 0` returns `instant` unchanged, even on a non-working day (use `nextWorkingMoment` for that).
   */
  addWorkingDays(instant: Date, n: number, timeZone: string): Date {
    const from = formatLocalDate(instant, timeZone);
    const to = this.stepWorkingDays(from, n, new Set());
    return addLocalDays(instant, daysBetween(from, to), timeZone);
  }

  /**
   * The deadline of "within `n` working days after `instant`" (…后 n 个工作日内): the end of the `n`-th
   * working day after the local date of `instant`, i.e. that date at `endOfDay` (`HH:MM` or `HH:MM:SS`,
   * default `23:59`, meaning 23:59:00.000 local). The day of `instant` itself is not counted, so
   * archiving on a Friday afternoon and on a Friday morning give the same deadline. `n = 0` gives the
   * end of `instant`'s own local day.
   */
  workingDayDeadline(instant: Date, n: number, timeZone: string, endOfDay = '23:59'): Date {
    const time = parseTimeOfDay(endOfDay);
    const from = formatLocalDate(instant, timeZone);
    return atLocalDate(this.stepWorkingDays(from, n, new Set()), time, timeZone);
  }

  /**
   * `instant` itself when its local date is a working day (whatever the hour: this checks days, not
   * working hours), else the first following working day at `startOfDay` (`HH:MM`, default 09:00) local.
   */
  nextWorkingMoment(instant: Date, timeZone: string, startOfDay = '09:00'): Date {
    const time = parseTimeOfDay(startOfDay);
    const reported = new Set<number>();
    let date = formatLocalDate(instant, timeZone);
    if (this.lookup(date, reported).isWorkingDay) return instant;
    for (let i = 0; i < MAX_WORKING_DAYS; i++) {
      date = addDays(date, 1);
      if (this.lookup(date, reported).isWorkingDay) return atLocalDate(date, time, timeZone);
    }
    throw new DomainError('CALENDAR_NO_WORKING_DAY', `No working day within ${MAX_WORKING_DAYS} days after ${date}`);
  }

  private stepWorkingDays(date: LocalDate, n: number, reported: Set<number>): LocalDate {
    if (!Number.isInteger(n) || n < 0 || n > MAX_WORKING_DAYS) {
      throw new DomainError('CALENDAR_INVALID_ARGUMENT', `Working days must be an integer from 0 to ${MAX_WORKING_DAYS}, got ${n}`);
    }
    if (!isLocalDate(date)) throw new DomainError('CALENDAR_INVALID_ARGUMENT', `Invalid date "${date}", expected YYYY-MM-DD`);
    let d = date;
    for (let left = n; left > 0; ) {
      d = addDays(d, 1);
      if (this.lookup(d, reported).isWorkingDay) left--;
    }
    return d;
  }

  private lookup(date: LocalDate, reported: Set<number>): DayInfo {
    if (!isLocalDate(date)) throw new DomainError('CALENDAR_INVALID_ARGUMENT', `Invalid date "${date}", expected YYYY-MM-DD`);
    const year = yearOf(date);
    const assumed = !this.schedules.has(year);
    if (assumed) {
      if (this.beyondCoverage === 'throw') throw this.notCovered(year);
      if (!reported.has(year)) {
        reported.add(year);
        this.onAssumption?.(year);
      }
    }
    const holiday = this.holidays.get(date);
    if (holiday) return { date, kind: 'holiday', name: holiday.name, isWorkingDay: false, assumed };
    const closure = this.closures.get(date);
    if (closure) return { date, kind: 'closure', name: closure.reason, isWorkingDay: false, assumed };
    const makeup = this.makeups.get(date);
    if (makeup) return { date, kind: 'makeup_workday', name: makeup.holiday, isWorkingDay: true, assumed };
    if (isWeekend(date)) return { date, kind: 'weekend', isWorkingDay: false, assumed };
    return { date, kind: 'workday', isWorkingDay: true, assumed };
  }

  private notCovered(year: number): DomainError {
    const covered = formatYearRanges(this.coveredYears());
    const hint = this.notCoveredHint ?? `Add the State Council's ${year} holiday schedule to the calendar data.`;
    return new DomainError(
      'CALENDAR_NOT_COVERED',
      `The working-day calendar has no ${year} schedule (covered: ${covered || 'none'}), so working days in ${year} are unknown. ${hint.replaceAll('{year}', String(year))}`,
      { year, coveredYears: this.coveredYears() },
    );
  }
}

/**
 * Every problem with the data, as text naming the year and date. Checked: valid dates; each entry within
 * its year (or the adjacent December/January, as 2012's 元旦 make-up day 2011-12-31); make-up days on a
 * Saturday or Sunday; a date defined twice (within or across years); a year given twice; empty names.
 */
export function validateCalendarData(data: WorkingCalendarData): string[] {
  const problems: string[] = [];
  const seenYears = new Set<number>();
  const seenDates = new Map<LocalDate, string>();
  for (const y of data.years) {
    const where = `${y.year} (${y.source})`;
    if (!Number.isInteger(y.year) || y.year < 1000 || y.year > 9999) {
      problems.push(`year ${String(y.year)} (${y.source}): not a four-digit year`);
      continue;
    }
    if (seenYears.has(y.year)) problems.push(`${where}: year defined twice`);
    seenYears.add(y.year);
    const check = (date: LocalDate, what: string): boolean => {
      if (!isLocalDate(date)) {
        problems.push(`${where}: ${what} "${String(date)}" is not a valid YYYY-MM-DD date`);
        return false;
      }
      if (!isInYearWindow(date, y.year)) {
        problems.push(`${where}: ${what} ${date} is outside ${y.year} (only the adjacent December/January may appear)`);
      }
      const other = seenDates.get(date);
      if (other) problems.push(`${where}: ${date} is both ${other} and ${what}`);
      else seenDates.set(date, `${what} of ${y.year}`);
      return true;
    };
    for (const h of y.holidays) {
      check(h.date, 'a holiday');
      if (!h.name?.trim()) problems.push(`${where}: holiday ${h.date} has no name`);
    }
    for (const m of y.makeupWorkdays) {
      if (check(m.date, 'a make-up working day') && !isWeekend(m.date)) {
        problems.push(`${where}: make-up working day ${m.date} is not a Saturday or Sunday (a weekday is a working day anyway)`);
      }
      if (!m.holiday?.trim()) problems.push(`${where}: make-up working day ${m.date} does not name its holiday`);
    }
  }
  for (const c of data.closures ?? []) {
    const where = `closure${c.source ? ` (${c.source})` : ''}`;
    if (!isLocalDate(c.date)) problems.push(`${where}: "${String(c.date)}" is not a valid YYYY-MM-DD date`);
    if (!c.reason?.trim()) problems.push(`${where} ${c.date}: no reason given`);
  }
  return problems;
}

/** `[2004, 2005, 2006, 2027]` → `2004–2006, 2027`. */
export function formatYearRanges(years: readonly number[]): string {
  const sorted = [...years].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}–${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(', ');
}

/** Within `year`, or in the December before / January after it (cross-year holiday blocks and make-up days). */
export function isInYearWindow(date: LocalDate, year: number): boolean {
  return yearOf(date) === year || (date >= `${year - 1}-12-01` && date <= `${year + 1}-01-31`);
}

interface TimeOfDay {
  hour: number;
  minute: number;
  second: number;
}

function parseTimeOfDay(hhmm: string): TimeOfDay {
  const m = /^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$/.exec(hhmm);
  if (!m) throw new DomainError('CALENDAR_INVALID_ARGUMENT', `Invalid local time "${hhmm}", expected HH:MM or HH:MM:SS`);
  return { hour: Number(m[1]), minute: Number(m[2]), second: Number(m[3] ?? 0) };
}

function atLocalDate(date: LocalDate, time: TimeOfDay, timeZone: string): Date {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const instant = fromLocal({ year, month, day, ...time }, timeZone);
  // fromLocal picks the first match; in a zone with a DST gap at that hour, say so rather than drift.
  const back = toLocal(instant, timeZone);
  if (back.day !== day || back.hour !== time.hour || back.minute !== time.minute) {
    throw new DomainError('CALENDAR_INVALID_ARGUMENT', `${date} ${pad(time.hour)}:${pad(time.minute)} does not exist in ${timeZone}`);
  }
  return instant;
}

function byDate<T extends { date: LocalDate }>(a: T, b: T): number {
  return a.date < b.date ? -1 : a.date > b.date ? 1 : 0;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
