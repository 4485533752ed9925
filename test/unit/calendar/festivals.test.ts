/**
 * Festival dates from the chinese-days lunar tables through our converter, checked against the reference
 * table (docs/protocols/holiday-calendar.md §4) and, where the process TZ allows, against the
 * package's own getLunarFestivals.
 */
import chineseDays from 'chinese-days';
import { describe, expect, it } from 'vitest';
import { createChineseDaysLunarConverter } from '../../../bot/loaders/chinese-days-source.js';
import { listTraditionalFestivals } from '../../../bot/core/calendar/traditional-festivals.js';

const lunar = createChineseDaysLunarConverter();

// docs/protocols/holiday-calendar.md §4, by Gregorian year (腊八 listed under the year its date falls in).
const REFERENCE: Record<number, Record<string, string>> = {
  2025: { 元旦: '01-01', 除夕: '01-28', 春节: '01-29', 元宵节: '02-12', 清明节: '04-04', 劳动节: '05-01', 端午节: '05-31', 七夕节: '08-29', 中秋节: '10-06', 国庆节: '10-01', 重阳节: '10-29', 冬至: '12-21' },
  2026: { 元旦: '01-01', 腊八节: '01-26', 除夕: '02-16', 春节: '02-17', 元宵节: '03-03', 清明节: '04-05', 劳动节: '05-01', 端午节: '06-19', 七夕节: '08-19', 中秋节: '09-25', 国庆节: '10-01', 重阳节: '10-18', 冬至: '12-22' },
  2027: { 元旦: '01-01', 腊八节: '01-15', 除夕: '02-05', 春节: '02-06', 元宵节: '02-20', 清明节: '04-05', 劳动节: '05-01', 端午节: '06-09', 七夕节: '08-08', 中秋节: '09-15', 国庆节: '10-01', 重阳节: '10-08', 冬至: '12-22' },
  2028: { 元旦: '01-01', 腊八节: '01-04', 除夕: '01-25', 春节: '01-26', 元宵节: '02-09', 清明节: '04-04', 劳动节: '05-01', 端午节: '05-28', 七夕节: '08-26', 中秋节: '10-03', 国庆节: '10-01', 重阳节: '10-26', 冬至: '12-21' },
};

describe('traditional festivals from the chinese-days tables', () => {
  it.each(Object.keys(REFERENCE).map(Number))('%i matches the reference table', (year) => {
    const got = listTraditionalFestivals(year, lunar);
    const byName = Object.fromEntries(got.map((f) => [f.name, f.date.slice(5)]));
    const expected = REFERENCE[year]!;
    for (const [name, date] of Object.entries(expected)) expect(`${name} ${byName[name]}`).toBe(`${name} ${date}`);
    expect(got.map((f) => f.date)).toEqual([...got.map((f) => f.date)].sort());
  });

  it('puts 2028 端午 in the regular fifth month, not the leap one', () => {
    expect(lunar.solarDateOfLunar(2028, 5, 5)).toBe('2028-05-28');
    expect(chineseDays.getYearLeapMonth(2028).leapMonth).toBe(5);
  });

  it('finds 腊八 twice in 2022 and not at all in 2023', () => {
    expect(listTraditionalFestivals(2022, lunar).filter((f) => f.key === 'laba').map((f) => f.date)).toEqual(['2022-01-10', '2022-12-30']);
    expect(listTraditionalFestivals(2023, lunar).filter((f) => f.key === 'laba')).toEqual([]);
  });

  it('refuses a lunar day the month does not have, and years outside the tables', () => {
    expect(() => lunar.solarDateOfLunar(2025, 12, 30)).toThrow(/has 29 days/); // 除夕 2026 is 腊月廿九
    expect(() => lunar.solarDateOfLunar(2101, 1, 1)).toThrow(/outside/);
    expect(() => listTraditionalFestivals(2100, lunar)).toThrow(/1901–2099/);
  });

  // The package's own functions answer the previous day when the process runs west of UTC, so compare
  // with them only where they are right (the CLI test proves our answers do not depend on TZ).
  const processEastOfUtc = new Date(Date.UTC(2026, 0, 1)).getDate() === 1;
  it.runIf(processEastOfUtc)('agrees with chinese-days getLunarFestivals for 2022–2029 (its function is slow: ~0.5 s a year)', () => {
    const names: Record<string, string> = { laba: '腊八节', chuxi: '除夕', spring_festival: '春节', lantern: '元宵节', dragon_boat: '端午节', qixi: '乞巧节', mid_autumn: '中秋节', double_ninth: '重阳节' };
    for (let year = 2022; year <= 2029; year++) {
      const theirs = chineseDays.getLunarFestivals(`${year}-01-01`, `${year}-12-31`);
      for (const f of listTraditionalFestivals(year, lunar)) {
        const name = names[f.key];
        if (!name) continue;
        const day = theirs.find((t) => t.date === f.date);
        expect(day?.name ?? [], `${year} ${f.name} ${f.date}`).toContain(name);
      }
      const ours = lunar.solarTermDate(year, 'qingming');
      expect(chineseDays.getSolarTermDate(year, 4, 'pure_brightness')).toBe(ours);
    }
  });
});
