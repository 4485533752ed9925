import { describe, expect, it } from 'vitest';
import {
  addMonths,
  dueReportMonth,
  monthRange,
  parseMonthlyDeadline,
  parseMonthlySendSchedule,
  reportSendTime,
  type MonthlyDeadline,
  type MonthlySendSchedule,
} from '../../../../bot/core/reports/report-schedule.js';
import { isWeekend } from '../../../../bot/core/calendar/local-date.js';

const TZ = 'Asia/Shanghai';
const at = (local: string) => new Date(`${local}:00+08:00`);
// Weekends plus the National Day week of 2026 (1–7 October) and New Year's Day.
const HOLIDAYS = new Set(['2026-10-01', '2026-10-02', '2026-10-05', '2026-10-06', '2026-10-07', '2027-01-01']);
const calendar = { isWorkingDay: (d: string) => !isWeekend(d) && !HOLIDAYS.has(d) };
const SCHEDULE = parseMonthlySendSchedule('WORKDAY 1 09:00') as MonthlySendSchedule;
const DEADLINE = parseMonthlyDeadline('5 16:00') as MonthlyDeadline;

describe('monthly report schedule', () => {
  it('parses and rejects schedule texts', () => {
    expect(SCHEDULE).toEqual({ kind: 'WORKDAY', n: 1, hour: 9, minute: 0 });
    expect(parseMonthlySendSchedule('day 3 07:30')).toEqual({ kind: 'DAY', n: 3, hour: 7, minute: 30 });
    for (const bad of ['WORKDAY 0 09:00', 'DAY 29 09:00', 'WORKDAY 1 9:00', 'MON 09:00', '']) expect(parseMonthlySendSchedule(bad)).toHaveProperty('error');
    expect(DEADLINE).toEqual({ day: 5, hour: 16, minute: 0 });
    for (const bad of ['0 16:00', '31 16:00', '5 24:00', '5th 16:00']) expect(parseMonthlyDeadline(bad)).toHaveProperty('error');
  });

  it('sends on the first working day at 09:00', () => {
    // 1 November 2026 is a Sunday.
    expect(reportSendTime('2026-11', SCHEDULE, DEADLINE, calendar, TZ)).toEqual({ sendAt: at('2026-11-02T09:00'), deadlineAt: at('2026-11-05T16:00'), movedBeforeDeadline: false });
    expect(reportSendTime('2027-01', SCHEDULE, DEADLINE, calendar, TZ).sendAt).toEqual(at('2027-01-04T09:00'));
  });

  it('sends on the 1st when the first working day would miss the deadline (holidays do not postpone it)', () => {
    // National Day: the first working day is Thursday 8 October, after the 5th at 16:00.
    expect(reportSendTime('2026-10', SCHEDULE, DEADLINE, calendar, TZ)).toEqual({ sendAt: at('2026-10-01T09:00'), deadlineAt: at('2026-10-05T16:00'), movedBeforeDeadline: true });
  });

  it('is due from the send time until the month ends, for the previous month', () => {
    expect(dueReportMonth(at('2026-11-02T08:59'), SCHEDULE, DEADLINE, calendar, TZ)).toBeNull();
    expect(dueReportMonth(at('2026-11-02T09:00'), SCHEDULE, DEADLINE, calendar, TZ)?.month).toBe('2026-10');
    expect(dueReportMonth(at('2026-11-30T23:59'), SCHEDULE, DEADLINE, calendar, TZ)?.month).toBe('2026-10');
    expect(dueReportMonth(at('2027-01-01T10:00'), SCHEDULE, DEADLINE, calendar, TZ)).toBeNull();
    expect(dueReportMonth(at('2027-01-04T09:00'), SCHEDULE, DEADLINE, calendar, TZ)?.month).toBe('2026-12');
  });

  it('computes month ranges in the business timezone', () => {
    expect(monthRange('2026-12', TZ)).toEqual({ from: at('2026-12-01T00:00'), to: at('2027-01-01T00:00') });
    expect(addMonths('2026-01', -1)).toBe('2025-12');
    expect(addMonths('2025-11', 11)).toBe('2026-10');
  });
});
