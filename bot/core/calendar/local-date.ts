/**
 * Calendar dates as `YYYY-MM-DD` strings (a local date in the organisation's timezone, no time, no zone).
 * Pure arithmetic on the proleptic Gregorian calendar through `Date.UTC`, so the process's `TZ` never matters.
 */

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

/** A local calendar date, `YYYY-MM-DD`. */
export type LocalDate = string;

/** True when `value` is a real calendar date written `YYYY-MM-DD` (rejects `2026-02-30`, `2026-2-3`). */
export function isLocalDate(value: unknown): value is LocalDate {
  if (typeof value !== 'string') return false;
  const m = DATE_PATTERN.exec(value);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  // Date.UTC treats 0-99 as 1900-1999; keep years to four digits ≥ 1000 so that cannot bite.
  return y >= 1000 && t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}

/** Milliseconds of UTC midnight of `date` (a day number in disguise, for arithmetic only). */
function dayStart(date: LocalDate): number {
  const m = DATE_PATTERN.exec(date);
  if (!m) throw new RangeError(`Invalid local date "${date}", expected YYYY-MM-DD`);
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
}

/** Formats year, month (1-12) and day (may overflow: day 0 is the month's previous day) as `YYYY-MM-DD`. */
export function makeLocalDate(year: number, month: number, day: number): LocalDate {
  const t = new Date(Date.UTC(year, month - 1, day));
  return `${String(t.getUTCFullYear()).padStart(4, '0')}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
}

/** `date` plus `days` calendar days (negative goes back). */
export function addDays(date: LocalDate, days: number): LocalDate {
  const t = new Date(dayStart(date) + days * DAY_MS);
  return makeLocalDate(t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate());
}

/** Day of the week: 0 = Sunday … 6 = Saturday. */
export function weekdayOf(date: LocalDate): number {
  return new Date(dayStart(date)).getUTCDay();
}

/** Saturday or Sunday. */
export function isWeekend(date: LocalDate): boolean {
  const w = weekdayOf(date);
  return w === 0 || w === 6;
}

/** The Gregorian year of `date`. */
export function yearOf(date: LocalDate): number {
  return Number(date.slice(0, 4));
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: LocalDate, to: LocalDate): number {
  return Math.round((dayStart(to) - dayStart(from)) / DAY_MS);
}

/** Every date from `from` to `to`, both included; empty when `to` is before `from`. */
export function dateRange(from: LocalDate, to: LocalDate): LocalDate[] {
  const out: LocalDate[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(d);
  return out;
}

const WEEKDAY_CN = ['周日', '周一', '周二', '周三', '周四', '周五', '周六'];
const WEEKDAY_EN = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** `周六` / `Sat` for display. */
export function weekdayName(date: LocalDate, language: 'zh' | 'en' = 'zh'): string {
  return (language === 'zh' ? WEEKDAY_CN : WEEKDAY_EN)[weekdayOf(date)]!;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
