/**
 * The festival rules with a stub lunar table (the real tables are checked in test/unit/calendar/festivals.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../../../bot/core/errors.js';
import { FESTIVALS, listTraditionalFestivals, type LunarConverter } from '../../../../bot/core/calendar/traditional-festivals.js';

// Real dates: 腊八 2022-01-10 (lunar 2021) and 2022-12-30 (lunar 2022); 春节 2022-02-01, 2023-01-22, 2024-02-10.
const TABLE: Record<string, string> = {
  '2021-12-8': '2022-01-10',
  '2022-12-8': '2022-12-30',
  '2023-12-8': '2024-01-18',
  '2022-1-1': '2022-02-01',
  '2023-1-1': '2023-01-22',
  '2024-1-1': '2024-02-10',
};
const stub: LunarConverter = {
  supportedYears: { from: 2021, to: 2024 },
  solarDateOfLunar(y, m, d) {
    const date = TABLE[`${y}-${m}-${d}`];
    if (!date) throw new Error(`stub has no lunar ${y}-${m}-${d}`);
    return date;
  },
  solarTermDate() {
    throw new Error('not used');
  },
};
const LABA_AND_CHUXI = FESTIVALS.filter((f) => f.key === 'laba' || f.key === 'chuxi');

describe('listTraditionalFestivals', () => {
  it('lists a lunar festival twice when two lunar years put it in one Gregorian year (腊八 2022)', () => {
    expect(listTraditionalFestivals(2022, stub, LABA_AND_CHUXI)).toEqual([
      { key: 'laba', name: '腊八节', nameEn: 'Laba Festival', date: '2022-01-10', rule: '农历腊月初八' },
      { key: 'chuxi', name: '除夕', nameEn: "Chinese New Year's Eve", date: '2022-01-31', rule: '农历腊月最后一天' },
      { key: 'laba', name: '腊八节', nameEn: 'Laba Festival', date: '2022-12-30', rule: '农历腊月初八' },
    ]);
  });

  it('omits it when neither falls in the year (no 腊八 in 2023), and puts 除夕 the day before 春节', () => {
    expect(listTraditionalFestivals(2023, stub, LABA_AND_CHUXI).map((f) => [f.key, f.date])).toEqual([['chuxi', '2023-01-21']]);
  });

  it('refuses a year the lunar tables cannot answer for both neighbouring lunar years', () => {
    for (const year of [2021, 2024]) {
      const err = (() => {
        try {
          listTraditionalFestivals(year, stub);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(DomainError);
      expect((err as DomainError).code).toBe('FESTIVALS_NOT_COVERED');
    }
  });

  it('names every festival the greetings need', () => {
    expect(FESTIVALS.map((f) => f.name)).toEqual(['元旦', '腊八节', '除夕', '春节', '元宵节', '清明节', '劳动节', '端午节', '七夕节', '中秋节', '国庆节', '重阳节', '冬至']);
  });
});
