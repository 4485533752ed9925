/**
 * Traditional festivals for greetings (节日问候), with their solar dates in a given Gregorian year.
 *
 * The rules (which lunar day, which solar term) live here; the astronomy comes through the
 * `LunarConverter` port (the adapter implements it with the `chinese-days` tables). Lunar festivals use
 * the regular, non-leap month (2028 has a leap 5th month: 端午 is in the first one). Pure.
 */
import { DomainError } from '../errors.js';
import { addDays, makeLocalDate, yearOf, type LocalDate } from './local-date.js';

/** Solar terms a festival can be pinned to. */
export type FestivalSolarTerm = 'qingming' | 'dongzhi';

/** Lunar ↔ solar conversion, answered in local dates (China), independent of the process's TZ. */
export interface LunarConverter {
  /** The solar date of day `day` of the regular (non-leap) lunar month `month` of lunar year `lunarYear`. */
  solarDateOfLunar(lunarYear: number, month: number, day: number): LocalDate;
  /** The day the solar term begins in Gregorian `year` (清明 = qingming, 冬至 = dongzhi). */
  solarTermDate(year: number, term: FestivalSolarTerm): LocalDate;
  /** Gregorian/lunar years the tables cover, both included. */
  readonly supportedYears: { from: number; to: number };
}

export type FestivalRule =
  | { kind: 'solar'; month: number; day: number }
  | { kind: 'lunar'; month: number; day: number }
  /** The last day of the lunar year (腊月廿九 or 三十): the day before the next 正月初一. */
  | { kind: 'lunar_year_end' }
  | { kind: 'solar_term'; term: FestivalSolarTerm };

export interface FestivalDefinition {
  key: string;
  name: string;
  nameEn: string;
  rule: FestivalRule;
}

export interface TraditionalFestival {
  key: string;
  /** Chinese name for greetings: 春节, 中秋节 … */
  name: string;
  nameEn: string;
  date: LocalDate;
  /** How the date is determined, for display: `农历八月十五`, `公历1月1日`, `节气 清明`. */
  rule: string;
}

/** The festivals greeted, in calendar order of their rules. */
export const FESTIVALS: readonly FestivalDefinition[] = [
  { key: 'new_year', name: '元旦', nameEn: "New Year's Day", rule: { kind: 'solar', month: 1, day: 1 } },
  { key: 'laba', name: '腊八节', nameEn: 'Laba Festival', rule: { kind: 'lunar', month: 12, day: 8 } },
  { key: 'chuxi', name: '除夕', nameEn: "Chinese New Year's Eve", rule: { kind: 'lunar_year_end' } },
  { key: 'spring_festival', name: '春节', nameEn: 'Spring Festival', rule: { kind: 'lunar', month: 1, day: 1 } },
  { key: 'lantern', name: '元宵节', nameEn: 'Lantern Festival', rule: { kind: 'lunar', month: 1, day: 15 } },
  { key: 'qingming', name: '清明节', nameEn: 'Tomb-sweeping Day', rule: { kind: 'solar_term', term: 'qingming' } },
  { key: 'labour_day', name: '劳动节', nameEn: 'Labour Day', rule: { kind: 'solar', month: 5, day: 1 } },
  { key: 'dragon_boat', name: '端午节', nameEn: 'Dragon Boat Festival', rule: { kind: 'lunar', month: 5, day: 5 } },
  { key: 'qixi', name: '七夕节', nameEn: 'Qixi Festival', rule: { kind: 'lunar', month: 7, day: 7 } },
  { key: 'mid_autumn', name: '中秋节', nameEn: 'Mid-Autumn Festival', rule: { kind: 'lunar', month: 8, day: 15 } },
  { key: 'national_day', name: '国庆节', nameEn: 'National Day', rule: { kind: 'solar', month: 10, day: 1 } },
  { key: 'double_ninth', name: '重阳节', nameEn: 'Double Ninth Festival (敬老节)', rule: { kind: 'lunar', month: 9, day: 9 } },
  { key: 'winter_solstice', name: '冬至', nameEn: 'Winter Solstice', rule: { kind: 'solar_term', term: 'dongzhi' } },
];

const LUNAR_MONTHS = ['正', '二', '三', '四', '五', '六', '七', '八', '九', '十', '冬', '腊'];
const LUNAR_DAYS_TENS = ['初', '十', '廿', '三'];
const DIGITS = ['', '一', '二', '三', '四', '五', '六', '七', '八', '九', '十'];

/**
 * Every festival whose solar date falls in Gregorian `year`, sorted by date. A lunar festival can occur
 * twice in one Gregorian year or not at all (腊八 of two lunar years may both fall in one January–December),
 * so each lunar rule is evaluated for the lunar years starting in `year - 1` and `year`.
 */
export function listTraditionalFestivals(year: number, lunar: LunarConverter, festivals: readonly FestivalDefinition[] = FESTIVALS): TraditionalFestival[] {
  const { from, to } = lunar.supportedYears;
  if (!Number.isInteger(year) || year - 1 < from || year + 1 > to) {
    throw new DomainError('FESTIVALS_NOT_COVERED', `Festival dates are available for ${from + 1}–${to - 1}, not ${year}`, { year });
  }
  const out: TraditionalFestival[] = [];
  for (const f of festivals) {
    const candidates: LocalDate[] = [];
    const r = f.rule;
    if (r.kind === 'solar') candidates.push(makeLocalDate(year, r.month, r.day));
    else if (r.kind === 'solar_term') candidates.push(lunar.solarTermDate(year, r.term));
    else if (r.kind === 'lunar') for (const ly of [year - 1, year]) candidates.push(lunar.solarDateOfLunar(ly, r.month, r.day));
    else for (const ly of [year - 1, year]) candidates.push(addDays(lunar.solarDateOfLunar(ly + 1, 1, 1), -1));
    for (const date of candidates) {
      if (yearOf(date) === year) out.push({ key: f.key, name: f.name, nameEn: f.nameEn, date, rule: describeRule(r) });
    }
  }
  return out.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
}

function describeRule(rule: FestivalRule): string {
  switch (rule.kind) {
    case 'solar':
      return `公历${rule.month}月${rule.day}日`;
    case 'solar_term':
      return `节气 ${rule.term === 'qingming' ? '清明' : '冬至'}`;
    case 'lunar_year_end':
      return '农历腊月最后一天';
    case 'lunar':
      return `农历${LUNAR_MONTHS[rule.month - 1]}月${lunarDayName(rule.day)}`;
  }
}

function lunarDayName(day: number): string {
  if (day === 10) return '初十';
  if (day === 20) return '二十';
  if (day === 30) return '三十';
  return `${LUNAR_DAYS_TENS[Math.floor(day / 10)]}${DIGITS[day % 10]}`;
}
