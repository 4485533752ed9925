import { describe, expect, it } from 'vitest';
import { createChineseDaysLunarConverter } from '../../../../bot/loaders/chinese-days-source.js';
import { DomainError } from '../../../../bot/core/errors.js';
import type { GreetingCampaign, OccasionDefinition } from '../../../../bot/core/greetings/campaign.js';
import { birthdayMonthDaysOn, findFestival, isBirthdayOn, occasionDateFor, storedBirthdaysOn, occasionsInYear, occasionsOn, sendDateFor } from '../../../../bot/core/greetings/occasions.js';

const lunar = createChineseDaysLunarConverter();

function festivals(...names: string[]): Pick<GreetingCampaign, 'occasions'> {
  return {
    occasions: names.map((n): OccasionDefinition => {
      const f = findFestival(n)!;
      return { key: f.key, name: f.name, kind: 'festival', festival: f };
    }),
  };
}

describe('greeting occasion dates', () => {
  it('computes the 2026 lunar festivals from the chinese-days lunar tables (State Council dates)', () => {
    const dates = Object.fromEntries(occasionsInYear(festivals('春节', '元宵', '端午', '中秋', '重阳', '除夕'), 2026, lunar).map((o) => [o.occasion.name, o.date]));
    expect(dates).toEqual({ 除夕: '2026-02-16', 春节: '2026-02-17', 元宵节: '2026-03-03', 端午节: '2026-06-19', 中秋节: '2026-09-25', 重阳节: '2026-10-18' });
  });

  it('agrees with the reference table for 2025, 2027 and 2028 (a leap 5th month in 2028: 端午 in the first)', () => {
    const campaign = festivals('spring_festival', 'dragon_boat', 'mid_autumn', 'double_ninth');
    const year = (y: number) => occasionsInYear(campaign, y, lunar).map((o) => o.date);
    expect(year(2025)).toEqual(['2025-01-29', '2025-05-31', '2025-10-06', '2025-10-29']);
    expect(year(2027)).toEqual(['2027-02-06', '2027-06-09', '2027-09-15', '2027-10-08']);
    expect(year(2028)).toEqual(['2028-01-26', '2028-05-28', '2028-10-03', '2028-10-26']);
  });

  it('knows the solar days organisations greet on, by Chinese name or key', () => {
    const list = occasionsInYear(festivals('元旦', '妇女节', '教师节', 'national_day'), 2026, lunar);
    expect(list.map((o) => [o.occasion.name, o.date, o.occasionKey])).toEqual([
      ['元旦', '2026-01-01', 'new_year:2026'],
      ['妇女节', '2026-03-08', 'womens_day:2026'],
      ['教师节', '2026-09-10', 'teachers_day:2026'],
      ['国庆节', '2026-10-01', 'national_day:2026'],
    ]);
  });

  it('finds the occasions of a day, and the day before for day_before campaigns', () => {
    const campaign = festivals('春节', '中秋');
    expect(occasionsOn(campaign, '2026-02-17', lunar).map((o) => o.occasionKey)).toEqual(['spring_festival:2026']);
    expect(occasionsOn(campaign, '2026-02-16', lunar)).toEqual([]);
    expect(occasionDateFor('2026-02-16', 'day_before')).toBe('2026-02-17');
    expect(sendDateFor('2027-01-01', 'day_before')).toBe('2026-12-31');
  });

  it('refuses years beyond the lunar tables with a clear error', () => {
    const campaign = festivals('春节');
    let error: unknown;
    try {
      occasionsOn(campaign, '2100-01-01', lunar);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('GREETING_DATES_NOT_COVERED');
    expect((error as DomainError).message).toMatch(/2100.*1901–2099/);
    expect(() => occasionsInYear(campaign, 1900, lunar)).toThrow(/1901–2099/);
  });

  it('celebrates birthdays stored as YYYY-MM-DD or MM-DD, and 29 February on the 28th in common years', () => {
    expect(isBirthdayOn('1958-03-21', '2026-03-21')).toBe(true);
    expect(isBirthdayOn('03-21', '2026-03-21')).toBe(true);
    expect(isBirthdayOn('03-21', '2026-03-22')).toBe(false);
    expect(isBirthdayOn('1960-02-29', '2026-02-28')).toBe(true);
    expect(isBirthdayOn('1960-02-29', '2028-02-28')).toBe(false);
    expect(isBirthdayOn('1960-02-29', '2028-02-29')).toBe(true);
    expect(isBirthdayOn(null, '2026-03-21')).toBe(false);
  });

  it('lists the stored birthdays a day greets, every one that isBirthdayOn accepts among imported forms', () => {
    expect(birthdayMonthDaysOn('2026-03-21')).toEqual(['03-21']);
    expect(birthdayMonthDaysOn('2027-02-28')).toEqual(['02-28', '02-29']);
    expect(birthdayMonthDaysOn('2028-02-28')).toEqual(['02-28']);
    for (const day of ['2027-02-28', '2028-02-29', '2026-12-31']) {
      const stored = new Set(storedBirthdaysOn(birthdayMonthDaysOn(day)));
      for (const birthday of ['1880-02-28', '1960-02-29', '02-29', '2200-12-31', '12-31', '1958-03-21', '1960-02-28']) {
        expect(stored.has(birthday), `${birthday} on ${day}`).toBe(isBirthdayOn(birthday, day));
      }
    }
  });
});
