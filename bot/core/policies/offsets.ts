import { DomainError } from '../errors.js';
import { addLocalDays, atLocalTime, fromLocal, toLocal } from '../time.js';
import type { WorkingCalendar } from '../calendar/working-calendar.js';
import type { Offset } from './types.js';

/** What offset arithmetic needs besides the instant: the business timezone and, for working days, the calendar. */
export interface TimeContext {
  timeZone: string;
  calendar?: WorkingCalendar;
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
 * Adds an offset to an instant. Day, month and year offsets keep the local wall-clock time unless
 * `atLocal` (HH:MM) is given; working days need the calendar and throw `CALENDAR_NOT_COVERED` (from
 * the calendar) beyond its data rather than guess.
 */
export function applyOffset(from: Date, offset: Offset, ctx: TimeContext | string, atLocal?: string): Date {
  const { timeZone, calendar } = typeof ctx === 'string' ? { timeZone: ctx, calendar: undefined } : ctx;
  let result: Date;
  switch (offset.unit) {
    case 'hours':
      return new Date(from.getTime() + offset.amount * 3_600_000);
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
  return atLocal ? atLocalTime(result, atLocal, timeZone) : result;
}

/** Offsets of the same family (months+years, or days, or hours, or working days) expressed in one unit. */
export function offsetInBaseUnit(offset: Offset): { family: 'months' | 'days' | 'hours' | 'working_days'; amount: number } {
  switch (offset.unit) {
    case 'years':
      return { family: 'months', amount: offset.amount * 12 };
    case 'months':
      return { family: 'months', amount: offset.amount };
    default:
      return { family: offset.unit, amount: offset.amount };
  }
}
