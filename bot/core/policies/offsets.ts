import { DomainError } from '../errors.js';
import { addLocalDays, atLocalTime, formatLocalDate, fromLocal, toLocal } from '../time.js';
import type { WorkingCalendar } from '../calendar/working-calendar.js';
import type { Offset } from './types.js';

/** What offset arithmetic needs besides the instant: the business timezone and, for working days, the calendar. */
export interface TimeContext {
  timeZone: string;
  calendar?: WorkingCalendar;
  /** Office hours that `working_hours` offsets count in [{@link DEFAULT_OFFICE_HOURS}]. */
  officeHours?: OfficeHours;
}

/** Local office hours on a working day, `HH:MM` each; `working_hours` offsets are counted inside them. */
export interface OfficeHours {
  from: string;
  to: string;
}

/** 08:30–17:30: a working day of nine office hours. */
export const DEFAULT_OFFICE_HOURS: OfficeHours = { from: '08:30', to: '17:30' };

/** The time of day `end of month` deadlines fall at unless the step gives one. */
export const END_OF_DAY = '23:59';

/** The same local time on the last day of the instant's local month. */
export function lastDayOfMonth(instant: Date, timeZone: string): Date {
  const l = toLocal(instant, timeZone);
  return fromLocal({ ...l, day: new Date(Date.UTC(l.year, l.month, 0)).getUTCDate() }, timeZone);
}

/** Adds calendar months in the local timezone; the day is clamped to the target month (31 Jan + 1 month = 28/29 Feb). */
export function addLocalMonths(instant: Date, months: number, timeZone: string): Date {
  const l = toLocal(instant, timeZone);
  const index = l.year * 12 + (l.month - 1) + months;
  const year = Math.floor(index / 12);
  const month = (index % 12) + 1;
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return fromLocal({ ...l, year, month, day: Math.min(l.day, lastDay) }, timeZone);
}

/**
 * Adds an offset (negative: subtracts; compound: part after part; `endOfMonth`: then to the month's
 * last day) to an instant. Day, month and year offsets keep the local wall-clock time unless `atLocal`
 * (HH:MM) is given (hour offsets ignore it); working days need the calendar and throw
 * `CALENDAR_NOT_COVERED` (from the calendar) beyond its data rather than guess.
 */
export function applyOffset(from: Date, offset: Offset, ctx: TimeContext | string, atLocal?: string): Date {
  const { timeZone } = typeof ctx === 'string' ? { timeZone: ctx } : ctx;
  // A compound offset ("1 months + 7 days") applies its parts in order; the time of day comes last.
  let result = applySimpleOffset(from, offset, ctx);
  if (offset.endOfMonth) result = atLocalTime(lastDayOfMonth(result, timeZone), END_OF_DAY, timeZone);
  for (const part of offset.plus ?? []) result = applyOffset(result, part, ctx);
  // A time of day belongs to day-based offsets: an offset ending in (working) hours is exact.
  const last = offset.plus?.[offset.plus.length - 1] ?? offset;
  const exact = (last.unit === 'hours' || last.unit === 'working_hours') && !last.endOfMonth;
  return atLocal && !exact ? atLocalTime(result, atLocal, timeZone) : result;
}

function applySimpleOffset(from: Date, offset: Offset, ctx: TimeContext | string): Date {
  const { timeZone, calendar } = typeof ctx === 'string' ? { timeZone: ctx, calendar: undefined } : ctx;
  let result: Date;
  switch (offset.unit) {
    case 'hours':
      return new Date(from.getTime() + offset.amount * 3_600_000);
    case 'working_hours':
      if (!calendar) throw new DomainError('CALENDAR_REQUIRED', 'Working-hour offsets need the working-day calendar', {});
      if (offset.amount < 0) throw new DomainError('INVALID_OFFSET', 'Working-hour offsets cannot be negative', {});
      return addWorkingHours(from, offset.amount, { timeZone, calendar, officeHours: typeof ctx === 'string' ? undefined : ctx.officeHours });
    case 'days':
      result = addLocalDays(from, offset.amount, timeZone);
      break;
    case 'working_days':
      if (!calendar) throw new DomainError('CALENDAR_REQUIRED', 'Working-day offsets need the working-day calendar', {});
      if (offset.amount < 0) throw new DomainError('INVALID_OFFSET', 'Working-day offsets cannot be negative', {});
      result = calendar.addWorkingDays(from, offset.amount, timeZone);
      break;
    case 'months':
      result = addLocalMonths(from, offset.amount, timeZone);
      break;
    case 'years':
      result = addLocalMonths(from, offset.amount * 12, timeZone);
      break;
  }
  return result;
}

/**
 * Adds `hours` of office time: only the office hours of working days count (weekends, public holidays
 * and organisation closures do not; 调休 make-up Saturdays do). Starting outside office hours, the
 * count begins at the next opening. Exactly at closing time, the deadline stays at closing time.
 */
export function addWorkingHours(from: Date, hours: number, ctx: { timeZone: string; calendar: WorkingCalendar; officeHours?: OfficeHours | undefined }): Date {
  const { timeZone, calendar } = ctx;
  const office = ctx.officeHours ?? DEFAULT_OFFICE_HOURS;
  let remainingMs = Math.round(hours * 3_600_000);
  let cursor = from;
  // A working day is at most 24 h, so the loop runs once per calendar day crossed (bounded by the
  // calendar's coverage, which throws beyond its data).
  for (let guard = 0; guard < 3660; guard++) {
    const day = formatLocalDate(cursor, timeZone);
    const opens = atLocalTime(cursor, office.from, timeZone);
    const closes = atLocalTime(cursor, office.to, timeZone);
    if (calendar.isWorkingDay(day) && cursor.getTime() < closes.getTime()) {
      const start = cursor.getTime() < opens.getTime() ? opens : cursor;
      const available = closes.getTime() - start.getTime();
      if (remainingMs <= available) return new Date(start.getTime() + remainingMs);
      remainingMs -= available;
    }
    cursor = atLocalTime(addLocalDays(cursor, 1, timeZone), '00:00', timeZone);
  }
  throw new DomainError('INVALID_OFFSET', 'Working-hour offset too long', { hours });
}

/** Offsets of the same family (months+years, or days, or hours, or working days) expressed in one unit. */
export function offsetInBaseUnit(offset: Offset): { family: 'months' | 'days' | 'hours' | 'working_days' | 'working_hours'; amount: number } {
  switch (offset.unit) {
    case 'years':
      return { family: 'months', amount: offset.amount * 12 };
    case 'months':
      return { family: 'months', amount: offset.amount };
    default:
      return { family: offset.unit, amount: offset.amount };
  }
}
