import { addLocalDays, atLocalTime, formatLocalDate, toLocal } from '../time.js';
import type { ContactRules, PolicyDefinition } from './types.js';
import { findStep } from './find-step.js';
import type { TimeContext } from './offsets.js';

/** When a day is skipped without windows, contact resumes at this local time. */
export const DEFAULT_DAY_START = '09:00';

/**
 * The first moment at or after `instant` when the policy allows contacting a customer: inside one of
 * the season's windows (e.g. summer 14:30–16:30 and 19:00–20:00), not on a public holiday when the
 * policy says so, on a working day when required, on the days of the month allowed (the 1st–30th). Pure; searches at most 400 days ahead.
 */
export function nextContactMoment(instant: Date, rules: ContactRules | undefined, ctx: TimeContext): Date {
  if (!rules || (!rules.windows?.length && !rules.avoidPublicHolidays && !rules.workingDaysOnly && !rules.daysOfMonth)) return instant;
  const tz = ctx.timeZone;
  let candidate = instant;
  for (let i = 0; i < 400; i++) {
    const date = formatLocalDate(candidate, tz);
    const dayOk =
      (!rules.workingDaysOnly || (ctx.calendar?.isWorkingDay(date) ?? isWeekday(candidate, tz))) &&
      (!rules.avoidPublicHolidays || !(ctx.calendar?.isPublicHoliday(date) ?? false)) &&
      (!rules.daysOfMonth || inDaysOfMonth(toLocal(candidate, tz).day, rules.daysOfMonth));
    if (dayOk) {
      const local = toLocal(candidate, tz);
      const minutes = local.hour * 60 + local.minute;
      const season = rules.windows?.find((w) => w.months.includes(local.month));
      if (!season) return candidate;
      for (const window of sortedTimes(season.times)) {
        if (minutes < window.fromMinutes) return atLocalTime(candidate, window.from, tz);
        if (minutes < window.toMinutes) return candidate;
      }
    }
    // Next day, at the first window of its season (or the default day start).
    const next = addLocalDays(atLocalTime(candidate, '00:00', tz), 1, tz);
    const season = rules.windows?.find((w) => w.months.includes(toLocal(next, tz).month));
    const first = season ? sortedTimes(season.times)[0]?.from : undefined;
    candidate = atLocalTime(next, first ?? DEFAULT_DAY_START, tz);
  }
  return candidate;
}

/**
 * When a follow-up becomes due: its earliest time moved into the contact rules, unless no allowed
 * moment is left before its deadline — then the deadline wins and it is due at `earliest`, outside
 * the preferred hours (P8: a caller logged at 20:00 is called back the same day, not the next morning
 * after the same-day deadline). A due time is never after its own deadline when `earliest` is not.
 */
export function dueWithinDeadline(earliest: Date, deadline: Date, rules: ContactRules | undefined, ctx: TimeContext): Date {
  const moment = nextContactMoment(earliest, rules, ctx);
  return moment.getTime() > deadline.getTime() && earliest.getTime() <= deadline.getTime() ? earliest : moment;
}

/**
 * Mandatory contact rules (002 制度21「節假日不進行回訪」): the follow-up is due at the next allowed
 * moment even past its deadline, and the deadline then moves to the same local time of day on the day
 * it is due (the next day when that time has passed), so a due time is never after its deadline. The
 * days of the month (制度21's 1st–25th calling cycle) give way to the deadline: a call due on the 27th
 * is made on the 27th, in the hours and off the holidays.
 */
export function keepMandatoryRules(earliestAt: Date, deadlineAt: Date, rules: ContactRules, ctx: TimeContext): { dueAt: Date; deadlineAt: Date } {
  const withDays = nextContactMoment(earliestAt, rules, ctx);
  if (withDays <= deadlineAt) return { dueAt: withDays, deadlineAt };
  const { daysOfMonth: _daysOfMonth, ...withoutDays } = rules;
  const dueAt = nextContactMoment(earliestAt, withoutDays, ctx);
  if (dueAt <= deadlineAt) return { dueAt, deadlineAt };
  const l = toLocal(deadlineAt, ctx.timeZone);
  const hhmm = `${String(l.hour).padStart(2, '0')}:${String(l.minute).padStart(2, '0')}`;
  let moved = atLocalTime(dueAt, hhmm, ctx.timeZone);
  if (moved < dueAt) moved = addLocalDays(moved, 1, ctx.timeZone);
  return { dueAt, deadlineAt: moved };
}

/**
 * When a further attempt after an unanswered call (made at `now`) is due, and its deadline: at `next`
 * (the retry delay after the call) moved into the rules. Preference rules give way to the deadline: the
 * retry is due at `next` when no allowed moment is left before the deadline, and when the delay itself
 * would pass the deadline, halfway between the call and the deadline (in a window if one is left) — the
 * deadline wins, the last attempt is made in time. Mandatory rules never give way — 002 制度21「节假日不进行
 * 回访」: the retry moves to the next allowed moment, off the holidays, and the deadline with it, as when
 * the follow-up was planned ({@link keepMandatoryRules}). A due time is never after the deadline returned.
 */
export function retryMoment(now: Date, next: Date, deadline: Date, rules: ContactRules | undefined, ctx: TimeContext): { dueAt: Date; deadlineAt: Date } {
  if (rules?.mandatory) {
    const kept = keepMandatoryRules(next, deadline, rules, ctx);
    return { dueAt: kept.dueAt, deadlineAt: kept.deadlineAt.getTime() < deadline.getTime() ? deadline : kept.deadlineAt };
  }
  if (next.getTime() > deadline.getTime() && now.getTime() < deadline.getTime()) {
    const halfway = new Date(now.getTime() + Math.floor((deadline.getTime() - now.getTime()) / 2));
    return { dueAt: dueWithinDeadline(halfway, deadline, rules, ctx), deadlineAt: deadline };
  }
  return { dueAt: dueWithinDeadline(next, deadline, rules, ctx), deadlineAt: deadline };
}

/** The contact rules of a follow-up's step: the step's own, else the policy's (a step's rules replace the policy's). */
export function contactRulesFor(policy: PolicyDefinition | undefined, followUpStep: string): ContactRules | undefined {
  return findStep(policy, followUpStep)?.contact ?? policy?.contact;
}

/** The rules for a further attempt after an unanswered call: `retryDaysOfMonth` in place of `daysOfMonth`. */
export function retryContactRules(rules: ContactRules | undefined): ContactRules | undefined {
  return rules?.retryDaysOfMonth ? { ...rules, daysOfMonth: rules.retryDaysOfMonth } : rules;
}

function inDaysOfMonth(day: number, days: { from: number; to: number }): boolean {
  return day >= days.from && day <= days.to;
}

type SeasonTimes = NonNullable<ContactRules['windows']>[number]['times'];

/** A season's windows by opening time, with their bounds in minutes: worked out once per season, not on every step planned. */
const sortedSeasons = new WeakMap<SeasonTimes, readonly { from: string; fromMinutes: number; toMinutes: number }[]>();

function sortedTimes(times: SeasonTimes): readonly { from: string; fromMinutes: number; toMinutes: number }[] {
  let sorted = sortedSeasons.get(times);
  if (sorted === undefined) {
    sorted = [...times].sort((a, b) => a.from.localeCompare(b.from)).map((w) => ({ from: w.from, fromMinutes: toMinutes(w.from), toMinutes: toMinutes(w.to) }));
    sortedSeasons.set(times, sorted);
  }
  return sorted;
}

function toMinutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h! * 60 + m!;
}

function isWeekday(instant: Date, tz: string): boolean {
  const l = toLocal(instant, tz);
  const day = new Date(Date.UTC(l.year, l.month - 1, l.day)).getUTCDay();
  return day !== 0 && day !== 6;
}
