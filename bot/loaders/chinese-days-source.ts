/**
 * Adapter over the `chinese-days` npm package (MIT): the State Council holiday schedules it ships as data,
 * and its lunar tables for festival dates.
 *
 * The package's own date functions parse `YYYY-MM-DD` as UTC midnight and format with the process's local
 * getters, so under a TZ west of UTC they answer the previous day (docs/protocols/holiday-calendar.md §3.2). This adapter therefore reads the shipped JSON for schedules, converts lunar dates with plain
 * arithmetic over the package's month-length table, and corrects the one formatted value it uses
 * (solar-term dates), so every answer is the same whatever `TZ` the process runs with.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import chineseDays from 'chinese-days';
import type { MakeupWorkday, PublicHoliday, YearSchedule } from '../core/calendar/working-calendar.js';
import type { FestivalSolarTerm, LunarConverter } from '../core/calendar/traditional-festivals.js';
import { addDays, isLocalDate, makeLocalDate, yearOf, type LocalDate } from '../core/calendar/local-date.js';
import { DataLoadError } from './data-load-error.js';

const require = createRequire(import.meta.url);

/** The package's schedules, grouped by the Gregorian year of each date, as the package's `dist/years/` does. */
export interface ChineseDaysSchedules {
  /** Installed package version, e.g. `1.5.7`. */
  version: string;
  /** `chinese-days@1.5.7` — the `source` of every year it provides. */
  source: string;
  years: YearSchedule[];
}

/** The package spells some names short; use the names of the State Council notice. */
const NOTICE_NAMES: Record<string, string> = { 清明: '清明节', 端午: '端午节', 中秋: '中秋节' };

let cached: ChineseDaysSchedules | undefined;

/**
 * Reads `chinese-days/dist/chinese-days.json` once per process (maps `"YYYY-MM-DD" → "English,中文,N"`
 * for `holidays`, `workdays` = make-up working days, `inLieuDays` = 调休 days off) and returns it as
 * year schedules. Throws a `DataLoadError` when the file is not in that shape (a package upgrade changed it).
 */
export function readChineseDaysSchedules(): ChineseDaysSchedules {
  if (cached) return cached;
  const pkg = JSON.parse(readFileSync(require.resolve('chinese-days/package.json'), 'utf8')) as { version?: string };
  const file = require.resolve('chinese-days/dist/chinese-days.json');
  const raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const version = String(pkg.version ?? 'unknown');
  const source = `chinese-days@${version}`;
  const holidays = dateMap(raw, 'holidays', file);
  const workdays = dateMap(raw, 'workdays', file);
  const inLieu = dateMap(raw, 'inLieuDays', file);

  const byYear = new Map<number, YearSchedule>();
  const yearFor = (date: LocalDate): YearSchedule => {
    const year = yearOf(date);
    let y = byYear.get(year);
    if (!y) byYear.set(year, (y = { year, source, holidays: [], makeupWorkdays: [] }));
    return y;
  };
  for (const [date, value] of holidays) {
    const { nameEn, name } = splitName(value);
    const h: PublicHoliday = { date, name, nameEn };
    if (inLieu.has(date)) h.inLieu = true;
    yearFor(date).holidays.push(h);
  }
  for (const [date, value] of workdays) {
    const m: MakeupWorkday = { date, holiday: splitName(value).name };
    yearFor(date).makeupWorkdays.push(m);
  }
  // A year counts as covered only when the package has its holidays (every year has 元旦 at least);
  // a lone make-up day such as 2011-12-31 does not make a year.
  const years = [...byYear.values()].filter((y) => y.holidays.length > 0).sort((a, b) => a.year - b.year);
  cached = { version, source, years };
  return cached;
}

function dateMap(raw: Record<string, unknown>, key: string, file: string): Map<LocalDate, string> {
  const value = raw[key];
  const problem = (path: string, reason: string) => new DataLoadError('chinese-days holiday data', [{ file, line: null, path, reason }]);
  if (!value || typeof value !== 'object') throw problem(key, 'expected an object (has the chinese-days data format changed?)');
  const out = new Map<LocalDate, string>();
  for (const [date, v] of Object.entries(value as Record<string, unknown>)) {
    if (!isLocalDate(date) || typeof v !== 'string') throw problem(`${key}["${date}"]`, 'is not a "YYYY-MM-DD": "English,中文,N" entry');
    out.set(date, v);
  }
  return out;
}

function splitName(value: string): { nameEn: string; name: string } {
  const [nameEn = '', name = ''] = value.split(',');
  return { nameEn, name: NOTICE_NAMES[name] ?? name };
}

// The package's tables start at lunar 1900-01-01 = 1900-01-31 and end with lunar year 2100.
const LUNAR_EPOCH: LocalDate = '1900-01-31';
const FIRST_LUNAR_YEAR = 1900;
const LAST_LUNAR_YEAR = 2100;
const SOLAR_TERM_KEYS: Record<FestivalSolarTerm, { month: number; key: 'pure_brightness' | 'the_winter_solstice' }> = {
  qingming: { month: 4, key: 'pure_brightness' },
  dongzhi: { month: 12, key: 'the_winter_solstice' },
};

/**
 * A `LunarConverter` over the package's lunar tables (1900–2100). Answers are process-TZ independent:
 * lunar → solar is counted in whole days from the epoch; the solar-term date, which the package formats
 * with local getters, is corrected back to the date it computed.
 */
export function createChineseDaysLunarConverter(): LunarConverter {
  const yearStartOffset = new Map<number, number>();
  const leapOf = (y: number) => {
    const info = chineseDays.getYearLeapMonth(y);
    return { month: info.leapMonth ?? 0, days: info.days };
  };
  const lunarYearDays = (y: number): number => {
    let sum = leapOf(y).days;
    for (let m = 1; m <= 12; m++) sum += chineseDays.monthDays(y, m);
    return sum;
  };
  // Days from the epoch to 正月初一 of lunar year y, memoised (each year builds on the previous one).
  const offsetOfYear = (y: number): number => {
    let known = FIRST_LUNAR_YEAR;
    let offset = 0;
    for (const [year, o] of yearStartOffset) if (year <= y && year > known) [known, offset] = [year, o];
    for (let year = known; year < y; year++) {
      offset += lunarYearDays(year);
      yearStartOffset.set(year + 1, offset);
    }
    return offset;
  };

  return {
    supportedYears: { from: FIRST_LUNAR_YEAR, to: LAST_LUNAR_YEAR },
    solarDateOfLunar(lunarYear, month, day) {
      if (!Number.isInteger(lunarYear) || lunarYear < FIRST_LUNAR_YEAR || lunarYear > LAST_LUNAR_YEAR) {
        throw new RangeError(`Lunar year ${lunarYear} is outside the chinese-days tables (${FIRST_LUNAR_YEAR}–${LAST_LUNAR_YEAR})`);
      }
      if (!Number.isInteger(month) || month < 1 || month > 12) throw new RangeError(`Lunar month ${month} must be 1–12`);
      const length = chineseDays.monthDays(lunarYear, month);
      if (!Number.isInteger(day) || day < 1 || day > length) {
        throw new RangeError(`Lunar ${lunarYear}-${month} has ${length} days, so day ${day} does not exist`);
      }
      const leap = leapOf(lunarYear);
      let offset = offsetOfYear(lunarYear);
      for (let m = 1; m < month; m++) {
        offset += chineseDays.monthDays(lunarYear, m);
        // The leap month follows the regular month of the same number (闰五月 comes after 五月).
        if (m === leap.month) offset += leap.days;
      }
      return addDays(LUNAR_EPOCH, offset + day - 1);
    },
    solarTermDate(year, term) {
      if (!Number.isInteger(year) || year < FIRST_LUNAR_YEAR || year > LAST_LUNAR_YEAR) {
        throw new RangeError(`Solar terms are computed for ${FIRST_LUNAR_YEAR}–${LAST_LUNAR_YEAR}, not ${year}`);
      }
      const { month, key } = SOLAR_TERM_KEYS[term];
      const formatted = chineseDays.getSolarTermDate(year, month, key);
      return correctPackageFormattedDate(formatted, year, month);
    },
  };
}

/**
 * The package computes day D and formats `Date.UTC(y, m-1, D)` with local getters. Undo that: the true
 * date is the candidate whose UTC midnight the local getters show as `formatted` (itself east of UTC,
 * the next day west of it).
 */
function correctPackageFormattedDate(formatted: string, year: number, month: number): LocalDate {
  if (!isLocalDate(formatted)) throw new Error(`chinese-days returned "${formatted}" for a solar term of ${year}-${month}`);
  for (const candidate of [formatted, addDays(formatted, 1)]) {
    const [y, m, d] = candidate.split('-').map(Number) as [number, number, number];
    const shown = new Date(Date.UTC(y, m - 1, d));
    if (makeLocalDate(shown.getFullYear(), shown.getMonth() + 1, shown.getDate()) === formatted) {
      if (y !== year || m !== month) break;
      return candidate;
    }
  }
  throw new Error(`chinese-days returned an unexpected solar-term date "${formatted}" for ${year}-${month}`);
}
