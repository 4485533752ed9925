import { addLocalDays, fromLocal, isoWeekKey, startOfLocalDay, toLocal } from '../time.js';

/**
 * When the weekly digest goes out. Pure: every function takes the instant it reasons about.
 *
 * A digest reports on one ISO week (Monday 00:00 to the next Monday 00:00 in the business timezone) and
 * is sent in the following week, from the configured weekday and time on. Sending is a reconciliation,
 * not a one-shot event: any tick from the send time until the end of that week (Sunday 24:00) finds the
 * digest due, so a service that was down at 09:00 Monday sends it at its next tick that week; the outbox
 * key `digest:<staffId>:<reported ISO week>` keeps it to one per manager.
 */

/** A weekday (ISO: 1 = Monday … 7 = Sunday) and a local time of day. */
export interface WeeklySchedule {
  weekday: number;
  hour: number;
  minute: number;
}

/** The default send time: Monday 09:00. */
export const DEFAULT_DIGEST_SCHEDULE = 'MON 09:00';

const WEEKDAYS = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'] as const;

/**
 * Parses `MON 09:00` (weekday MON…SUN, case-insensitive, and a 24-hour `HH:MM`). Returns the schedule,
 * or an error message saying what is expected.
 */
export function parseWeeklySchedule(text: string): WeeklySchedule | { error: string } {
  const m = /^\s*([A-Za-z]{3})\s+([01]\d|2[0-3]):([0-5]\d)\s*$/.exec(text);
  const weekday = m ? WEEKDAYS.indexOf(m[1]!.toUpperCase() as (typeof WEEKDAYS)[number]) + 1 : 0;
  if (!m || weekday === 0) return { error: 'must be a weekday and a 24-hour time, such as "MON 09:00" (MON, TUE, WED, THU, FRI, SAT or SUN)' };
  return { weekday, hour: Number(m[2]), minute: Number(m[3]) };
}

/** `MON 09:00`. */
export function formatWeeklySchedule(s: WeeklySchedule): string {
  return `${WEEKDAYS[s.weekday - 1]} ${String(s.hour).padStart(2, '0')}:${String(s.minute).padStart(2, '0')}`;
}

/** The week a digest reports on, and when it is sent. */
export interface DigestWeek {
  /** ISO week of the reported period, e.g. `2026-W48`; part of the outbox key. */
  week: string;
  /** Monday 00:00 of the reported week (inclusive). */
  from: Date;
  /** Monday 00:00 of the following week (exclusive). */
  to: Date;
  /** When this digest is due to be sent (in the week after `to`). */
  sendAt: Date;
}

/** Monday 00:00 (local) of the ISO week containing `instant`. */
export function startOfIsoWeek(instant: Date, timeZone: string): Date {
  const l = toLocal(instant, timeZone);
  const dow = new Date(Date.UTC(l.year, l.month - 1, l.day)).getUTCDay() || 7;
  return startOfLocalDay(addLocalDays(instant, 1 - dow, timeZone), timeZone);
}

/** The reported ISO week `[from, to)` that ends at the start of the week containing `instant`. */
export function previousIsoWeek(instant: Date, timeZone: string): { week: string; from: Date; to: Date } {
  const to = startOfIsoWeek(instant, timeZone);
  const from = addLocalDays(to, -7, timeZone);
  return { week: isoWeekKey(from, timeZone), from, to };
}

/** The reported ISO week given its key (`2026-W48`), or null when the key is not a valid week. */
export function isoWeekRange(week: string, timeZone: string): { week: string; from: Date; to: Date } | null {
  const m = /^(\d{4})-W(\d{2})$/.exec(week);
  if (!m) return null;
  const year = Number(m[1]);
  const n = Number(m[2]);
  if (n < 1 || n > 53) return null;
  // 4 January is always in week 1.
  const jan4 = new Date(Date.UTC(year, 0, 4));
  const monday = new Date(jan4.getTime() - ((jan4.getUTCDay() || 7) - 1) * 86_400_000 + (n - 1) * 7 * 86_400_000);
  const from = fromLocal({ year: monday.getUTCFullYear(), month: monday.getUTCMonth() + 1, day: monday.getUTCDate(), hour: 0, minute: 0, second: 0 }, timeZone);
  if (isoWeekKey(from, timeZone) !== week) return null; // W53 of a 52-week year
  return { week, from, to: addLocalDays(from, 7, timeZone) };
}

/**
 * The digest due at `now`: the previous ISO week's, once `now` has reached this week's send time; null
 * before it (early in the week, the previous digest's catch-up window has closed and the next one has not
 * opened). A clock that goes backwards simply finds an earlier week or nothing; the outbox key absorbs
 * any repeat.
 */
export function dueDigestWeek(now: Date, schedule: WeeklySchedule, timeZone: string): DigestWeek | null {
  const weekStart = startOfIsoWeek(now, timeZone);
  const sendDay = toLocal(addLocalDays(weekStart, schedule.weekday - 1, timeZone), timeZone);
  const sendAt = fromLocal({ ...sendDay, hour: schedule.hour, minute: schedule.minute, second: 0 }, timeZone);
  if (now.getTime() < sendAt.getTime()) return null;
  return { ...previousIsoWeek(now, timeZone), sendAt };
}
