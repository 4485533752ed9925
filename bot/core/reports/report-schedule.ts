import type { WorkingCalendar } from '../calendar/working-calendar.js';
import { makeLocalDate } from '../calendar/local-date.js';
import { fromLocal, toLocal } from '../time.js';

/**
 * When the monthly report goes out, and by when it is due. Pure: every function takes its instant.
 *
 * The power-supply policies (seeds 000 第二篇 第十一条, 001 第二十条) want the month's statistics "by the
 * 7th / 5th at 16:00, 节假日不顺延" (holidays do not postpone the deadline). The report of month M−1 is
 * sent in month M at the configured send time — by default 09:00 on the first working day (mainland
 * calendar with 调休) — unless that falls at or after the deadline (for example in October, when the
 * National Day holiday pushes the first working day past the 5th): then it goes out at the send time on
 * the 1st, holiday or not, because the deadline does not move. A service that was down at the send time
 * catches up at its next tick in month M; the outbox key `report:<staffId>:<YYYY-MM>` keeps it to one
 * per manager and month.
 */

/** Send time: the N-th working day (`WORKDAY`) or calendar day (`DAY`) of the month, at HH:MM. */
export interface MonthlySendSchedule {
  kind: 'WORKDAY' | 'DAY';
  n: number;
  hour: number;
  minute: number;
}

/** Deadline: day of the month at HH:MM. */
export interface MonthlyDeadline {
  day: number;
  hour: number;
  minute: number;
}

export const DEFAULT_REPORT_SCHEDULE = 'WORKDAY 1 09:00';
export const DEFAULT_REPORT_DEADLINE = '5 16:00';

/** Parses `WORKDAY 1 09:00` or `DAY 3 09:00` (N from 1 to 28). */
export function parseMonthlySendSchedule(text: string): MonthlySendSchedule | { error: string } {
  const m = /^\s*(WORKDAY|DAY)\s+(\d{1,2})\s+([01]\d|2[0-3]):([0-5]\d)\s*$/i.exec(text);
  const n = m ? Number(m[2]) : 0;
  if (!m || n < 1 || n > (m[1]!.toUpperCase() === 'DAY' ? 28 : 20)) {
    return { error: 'must be "WORKDAY N HH:MM" (the N-th working day, N 1–20) or "DAY N HH:MM" (calendar day N, 1–28), such as "WORKDAY 1 09:00"' };
  }
  return { kind: m[1]!.toUpperCase() as 'WORKDAY' | 'DAY', n, hour: Number(m[3]), minute: Number(m[4]) };
}

/** Parses `5 16:00` (day 1–28 of the month and a 24-hour time). */
export function parseMonthlyDeadline(text: string): MonthlyDeadline | { error: string } {
  const m = /^\s*(\d{1,2})\s+([01]\d|2[0-3]):([0-5]\d)\s*$/.exec(text);
  const day = m ? Number(m[1]) : 0;
  if (!m || day < 1 || day > 28) return { error: 'must be a day of the month (1–28) and a 24-hour time, such as "5 16:00"' };
  return { day, hour: Number(m[2]), minute: Number(m[3]) };
}

/** `2026-10`. */
export type ReportMonth = string;

/** `[from, to)`: the first local midnight of the month and of the next one. */
export function monthRange(month: ReportMonth, timeZone: string): { from: Date; to: Date } {
  const { year, monthNumber } = splitMonth(month);
  const next = monthNumber === 12 ? { year: year + 1, monthNumber: 1 } : { year, monthNumber: monthNumber + 1 };
  return {
    from: fromLocal({ year, month: monthNumber, day: 1, hour: 0, minute: 0, second: 0 }, timeZone),
    to: fromLocal({ year: next.year, month: next.monthNumber, day: 1, hour: 0, minute: 0, second: 0 }, timeZone),
  };
}

/** True for `YYYY-MM` with a month 01–12. */
export function isReportMonth(text: string): boolean {
  return /^\d{4}-(0[1-9]|1[0-2])$/.test(text);
}

/** The month `delta` months from `month` (`addMonths('2026-01', -1)` = `2025-12`). */
export function addMonths(month: ReportMonth, delta: number): ReportMonth {
  const { year, monthNumber } = splitMonth(month);
  const index = year * 12 + (monthNumber - 1) + delta;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
}

/** The local month containing `instant`. */
export function monthOf(instant: Date, timeZone: string): ReportMonth {
  const l = toLocal(instant, timeZone);
  return `${l.year}-${String(l.month).padStart(2, '0')}`;
}

/** The report due at `now`, if any. */
export interface DueReport {
  /** The reported month (the one before `now`'s month). */
  month: ReportMonth;
  /** When it is sent this month. */
  sendAt: Date;
  /** The policy deadline this month. */
  deadlineAt: Date;
  /** True when the working-day send time fell at or after the deadline and the 1st was used instead. */
  movedBeforeDeadline: boolean;
}

/** When the report of the month before `sendMonth` is sent, in `sendMonth`. */
export function reportSendTime(
  sendMonth: ReportMonth,
  schedule: MonthlySendSchedule,
  deadline: MonthlyDeadline,
  calendar: Pick<WorkingCalendar, 'isWorkingDay'>,
  timeZone: string,
): Omit<DueReport, 'month'> {
  const { year, monthNumber } = splitMonth(sendMonth);
  let day = schedule.n;
  if (schedule.kind === 'WORKDAY') {
    let seen = 0;
    day = 0;
    const daysInMonth = new Date(Date.UTC(year, monthNumber, 0)).getUTCDate();
    for (let d = 1; d <= daysInMonth && seen < schedule.n; d++) {
      if (calendar.isWorkingDay(makeLocalDate(year, monthNumber, d))) {
        seen++;
        day = d;
      }
    }
    if (seen < schedule.n) day = 1;
  }
  const at = (d: number, hour: number, minute: number) => fromLocal({ year, month: monthNumber, day: d, hour, minute, second: 0 }, timeZone);
  const deadlineAt = at(deadline.day, deadline.hour, deadline.minute);
  const planned = at(day, schedule.hour, schedule.minute);
  if (planned.getTime() < deadlineAt.getTime()) return { sendAt: planned, deadlineAt, movedBeforeDeadline: false };
  // 节假日不顺延: the deadline holds through holidays, so the report goes out on the 1st.
  return { sendAt: at(1, schedule.hour, schedule.minute), deadlineAt, movedBeforeDeadline: true };
}

/**
 * The previous month's report, once this month's send time has come (and until the month ends: a late
 * report still goes out); null before the send time.
 */
export function dueReportMonth(
  now: Date,
  schedule: MonthlySendSchedule,
  deadline: MonthlyDeadline,
  calendar: Pick<WorkingCalendar, 'isWorkingDay'>,
  timeZone: string,
): DueReport | null {
  const current = monthOf(now, timeZone);
  const times = reportSendTime(current, schedule, deadline, calendar, timeZone);
  if (now.getTime() < times.sendAt.getTime()) return null;
  return { month: addMonths(current, -1), ...times };
}

function splitMonth(month: ReportMonth): { year: number; monthNumber: number } {
  if (!isReportMonth(month)) throw new Error(`Invalid month "${month}", expected YYYY-MM`);
  return { year: Number(month.slice(0, 4)), monthNumber: Number(month.slice(5, 7)) };
}
