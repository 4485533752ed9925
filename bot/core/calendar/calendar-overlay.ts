import type { CalendarEntryRecord } from '../ports/console-admin.js';
import type { WorkingCalendarData, YearSchedule } from './working-calendar.js';

/**
 * The calendar data of the days entered in the console: holidays and 调休 make-up working days make
 * up the schedule of their year (a year the shipped data does not have, e.g. next year's State Council
 * notice); closures are the organisation's own days off, in any year.
 */
export function calendarOverlay(entries: readonly CalendarEntryRecord[]): WorkingCalendarData {
  const years = new Map<number, YearSchedule>();
  const closures: { date: string; reason: string; source: string }[] = [];
  for (const e of entries) {
    if (e.kind === 'closure') {
      closures.push({ date: e.date, reason: e.name, source: 'console' });
      continue;
    }
    const year = Number(e.date.slice(0, 4));
    const schedule = years.get(year) ?? { year, source: 'console', holidays: [], makeupWorkdays: [] };
    if (e.kind === 'holiday') schedule.holidays.push({ date: e.date, name: e.name });
    else schedule.makeupWorkdays.push({ date: e.date, holiday: e.name });
    years.set(year, schedule);
  }
  return { years: [...years.values()], closures };
}
