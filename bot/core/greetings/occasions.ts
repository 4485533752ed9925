/**
 * Greeting occasions and their dates. Festivals reuse the calendar's rules (traditional-festivals.ts:
 * lunar dates through the `LunarConverter` over the chinese-days tables, solar terms, fixed solar dates)
 * plus the solar days organisations greet on (妇女节, 教师节 …); birthdays come from `Customer.birthday`
 * (`YYYY-MM-DD` or `MM-DD`, as imports store it); custom occasions are fixed dates. Pure.
 */
import { DomainError } from '../errors.js';
import { addDays, isLocalDate, yearOf, type LocalDate } from '../calendar/local-date.js';
import { FESTIVALS, listTraditionalFestivals, type FestivalDefinition, type LunarConverter } from '../calendar/traditional-festivals.js';
import type { GreetingCampaign, OccasionDefinition } from './campaign.js';

/** Solar days greeted besides the traditional festivals. */
export const EXTRA_SOLAR_FESTIVALS: readonly FestivalDefinition[] = [
  { key: 'womens_day', name: '妇女节', nameEn: "International Women's Day", rule: { kind: 'solar', month: 3, day: 8 } },
  { key: 'youth_day', name: '青年节', nameEn: 'Youth Day', rule: { kind: 'solar', month: 5, day: 4 } },
  { key: 'childrens_day', name: '儿童节', nameEn: "Children's Day", rule: { kind: 'solar', month: 6, day: 1 } },
  { key: 'army_day', name: '建军节', nameEn: 'Army Day', rule: { kind: 'solar', month: 8, day: 1 } },
  { key: 'teachers_day', name: '教师节', nameEn: "Teachers' Day", rule: { kind: 'solar', month: 9, day: 10 } },
];

/** Every festival a campaign may name, by key. */
export const GREETING_FESTIVALS: readonly FestivalDefinition[] = [...FESTIVALS, ...EXTRA_SOLAR_FESTIVALS];

/**
 * The festival a campaign file names, by key (`mid_autumn`) or Chinese name with or without 节
 * (`中秋`, `中秋节`); undefined when unknown.
 */
export function findFestival(name: string): FestivalDefinition | undefined {
  const n = name.trim();
  return GREETING_FESTIVALS.find((f) => f.key === n || f.name === n || f.name.replace(/节$/, '') === n.replace(/节$/, ''));
}

/** An occasion falling on a given date. */
export interface DatedOccasion {
  occasion: OccasionDefinition;
  /** The occasion's day (for `day_before` campaigns the greeting goes out the day before). */
  date: LocalDate;
  /** `GreetingDelivery.occasionKey`: `<occasion>:<year of the date>` (`spring_festival:2026`, `birthday:2026`). */
  occasionKey: string;
}

/** Years whose festival dates can be computed: those the lunar tables cover with a year to spare on each side. */
export function greetingYearsCovered(lunar: LunarConverter): { from: number; to: number } {
  return { from: lunar.supportedYears.from + 1, to: lunar.supportedYears.to - 1 };
}

/**
 * Refuses a year the lunar tables do not cover (chinese-days: lunar years 1900–2100), so a greeting is
 * never planned on a guessed date.
 */
export function assertGreetingYearCovered(year: number, lunar: LunarConverter): void {
  const { from, to } = greetingYearsCovered(lunar);
  if (!Number.isInteger(year) || year < from || year > to) {
    throw new DomainError(
      'GREETING_DATES_NOT_COVERED',
      `Greeting dates for ${year} cannot be computed: the lunar calendar tables (chinese-days) cover ${from}–${to}. Upgrade chinese-days for later years.`,
      { year, from, to },
    );
  }
}

/**
 * The occasions of `campaign` (other than birthdays, which depend on the customer) falling on `date`.
 * Throws `GREETING_DATES_NOT_COVERED` beyond the lunar tables.
 */
export function occasionsOn(campaign: Pick<GreetingCampaign, 'occasions'>, date: LocalDate, lunar: LunarConverter): DatedOccasion[] {
  const year = yearOf(date);
  assertGreetingYearCovered(year, lunar);
  const out: DatedOccasion[] = [];
  for (const occasion of campaign.occasions) {
    if (occasion.kind === 'festival' && occasion.festival) {
      const dates = listTraditionalFestivals(year, lunar, [occasion.festival]).map((f) => f.date);
      // A lunar festival can fall twice in one Gregorian year (腊八): the second keeps its own key.
      dates.forEach((d, i) => {
        if (d === date) out.push({ occasion, date, occasionKey: i === 0 ? `${occasion.key}:${year}` : `${occasion.key}:${d}` });
      });
    } else if (occasion.kind === 'custom' && occasion.custom) {
      const hit = 'monthDay' in occasion.custom ? date.slice(5) === occasion.custom.monthDay : occasion.custom.dates.includes(date);
      if (hit) out.push({ occasion, date, occasionKey: `${occasion.key}:${year}` });
    } else if (occasion.kind === 'birthday') {
      out.push({ occasion, date, occasionKey: `${occasion.key}:${year}` });
    }
  }
  return out;
}

/** Every dated occasion of `campaign` in Gregorian `year` (birthdays excluded), by date: for `campaign list`. */
export function occasionsInYear(campaign: Pick<GreetingCampaign, 'occasions'>, year: number, lunar: LunarConverter): DatedOccasion[] {
  assertGreetingYearCovered(year, lunar);
  const out: DatedOccasion[] = [];
  for (const occasion of campaign.occasions) {
    if (occasion.kind === 'festival' && occasion.festival) {
      listTraditionalFestivals(year, lunar, [occasion.festival]).forEach((f, i) =>
        out.push({ occasion, date: f.date, occasionKey: i === 0 ? `${occasion.key}:${year}` : `${occasion.key}:${f.date}` }),
      );
    } else if (occasion.kind === 'custom' && occasion.custom) {
      const dates = 'monthDay' in occasion.custom ? [`${year}-${occasion.custom.monthDay}`] : occasion.custom.dates.filter((d) => yearOf(d) === year);
      for (const d of dates) if (isLocalDate(d)) out.push({ occasion, date: d, occasionKey: `${occasion.key}:${year}` });
    }
  }
  return out.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
}

/**
 * Whether a customer's birthday (`YYYY-MM-DD` or `MM-DD`) is celebrated on `date`. A 29 February
 * birthday is greeted on 28 February in common years.
 */
export function isBirthdayOn(birthday: string | null | undefined, date: LocalDate): boolean {
  if (!birthday) return false;
  const m = /^(?:\d{4}-)?(\d{2})-(\d{2})$/.exec(birthday.trim());
  if (!m) return false;
  const monthDay = `${m[1]}-${m[2]}`;
  if (date.slice(5) === monthDay) return true;
  return monthDay === '02-29' && date.slice(5) === '02-28' && addDays(date, 1).slice(5) === '03-01';
}

/**
 * The birthday month-days (`MM-DD`) celebrated on `date`: its own, plus `02-29` on 28 February of a
 * common year (see {@link isBirthdayOn}).
 */
export function birthdayMonthDaysOn(date: LocalDate): string[] {
  const own = date.slice(5);
  return own === '02-28' && addDays(date, 1).slice(5) === '03-01' ? [own, '02-29'] : [own];
}

/**
 * Every stored form of birthdays on these month-days: `MM-DD` and `YYYY-MM-DD` over the years the import
 * accepts (`parseBirthday` of the customer import, which stores nothing else), so an index on
 * `birthday` serves the lookup on both databases.
 */
export function storedBirthdaysOn(monthDays: readonly string[]): string[] {
  const out: string[] = [];
  for (const md of monthDays) {
    out.push(md);
    for (let y = BIRTH_YEARS.from; y <= BIRTH_YEARS.to; y++) out.push(`${y}-${md}`);
  }
  return out;
}
const BIRTH_YEARS = { from: 1880, to: 2200 };

/** The occasion's day for a greeting sent on `sendDate`. */
export function occasionDateFor(sendDate: LocalDate, sendDay: GreetingCampaign['sendDay']): LocalDate {
  return sendDay === 'day_before' ? addDays(sendDate, 1) : sendDate;
}

/** The day a greeting for an occasion on `occasionDate` is sent. */
export function sendDateFor(occasionDate: LocalDate, sendDay: GreetingCampaign['sendDay']): LocalDate {
  return sendDay === 'day_before' ? addDays(occasionDate, -1) : occasionDate;
}
