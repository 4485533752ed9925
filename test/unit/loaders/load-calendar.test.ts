/**
 * Loading the calendar: the chinese-days package data checked against the official schedules as typed in
 * from the reference, and the administrator files' format and validation errors (file, line, reason).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadCalendar, parseCalendarFile, summariseSources } from '../../../bot/loaders/load-calendar.js';
import { DataLoadError } from '../../../bot/loaders/data-load-error.js';
import { readChineseDaysSchedules } from '../../../bot/loaders/chinese-days-source.js';
import { DomainError } from '../../../bot/core/errors.js';
import type { YearSchedule } from '../../../bot/core/calendar/working-calendar.js';
import { OFFICIAL_2025, OFFICIAL_2026 } from '../core/calendar/official-schedules.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A temp folder holding the given files. */
function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'huifang-calendar-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function loadProblems(dir: string): string[] {
  try {
    loadCalendar({ dir });
  } catch (err) {
    if (err instanceof DataLoadError) return err.problems;
    throw err;
  }
  throw new Error('expected a DataLoadError');
}

function parseProblems(text: string): string[] {
  try {
    parseCalendarFile(text, 'cal.yaml');
  } catch (err) {
    if (err instanceof DataLoadError) return err.problems;
    throw err;
  }
  throw new Error('expected a DataLoadError');
}

/** A made-up 2027 schedule in the admin format — NOT the real one, which the package does not ship yet. */
const FICTIONAL_2027 = `# format example only
years:
  - year: 2027
    source: test fixture (not the real 2027 notice)
    holidays:
      - name: 元旦
        from: 2027-01-01
        to: 2027-01-03
      - name: 春节
        nameEn: Spring Festival
        from: 2027-02-05
        to: 2027-02-12
    makeupWorkdays:
      - date: 2027-02-13
        holiday: 春节
`;

function comparable(s: YearSchedule) {
  return {
    holidays: s.holidays.map((h) => `${h.date} ${h.name}`),
    makeupWorkdays: s.makeupWorkdays.map((m) => `${m.date} ${m.holiday}`),
  };
}

describe('chinese-days package data', () => {
  const { calendar, sources, packageVersion } = loadCalendar({ dir: folder({}) });

  it.each([
    [2025, OFFICIAL_2025],
    [2026, OFFICIAL_2026],
  ])('matches the official %i schedule in the reference (holidays, names, make-up days)', (year, official) => {
    expect(comparable(calendar.yearSchedule(year)!)).toEqual(comparable(official));
    expect(sources.find((s) => s.year === year)).toEqual({ year, source: `chinese-days@${packageVersion}`, origin: 'package' });
  });

  it('has National Day + Mid-Autumn 2025 as Oct 1–8 with make-up days Sun Sep 28 and Sat Oct 11', () => {
    const days = ['2025-09-27', '2025-09-28', '2025-09-30', '2025-10-01', '2025-10-06', '2025-10-08', '2025-10-09', '2025-10-11', '2025-10-12'];
    expect(days.map((d) => `${d} ${calendar.dayInfo(d).kind}`)).toEqual([
      '2025-09-27 weekend',
      '2025-09-28 makeup_workday',
      '2025-09-30 workday',
      '2025-10-01 holiday',
      '2025-10-06 holiday',
      '2025-10-08 holiday',
      '2025-10-09 workday',
      '2025-10-11 makeup_workday',
      '2025-10-12 weekend',
    ]);
    expect(calendar.dayInfo('2025-10-06').name).toBe('中秋节');
  });

  it('has Spring Festival 2026 as Feb 15–23 with make-up Saturdays Feb 14 and Feb 28, and the 调休 weekdays marked', () => {
    const s = calendar.yearSchedule(2026)!;
    expect(s.holidays.filter((h) => h.name === '春节').map((h) => h.date)).toEqual([
      '2026-02-15', '2026-02-16', '2026-02-17', '2026-02-18', '2026-02-19', '2026-02-20', '2026-02-21', '2026-02-22', '2026-02-23',
    ]);
    expect(s.makeupWorkdays.filter((m) => m.holiday === '春节').map((m) => m.date)).toEqual(['2026-02-14', '2026-02-28']);
    expect(s.holidays.filter((h) => h.inLieu).map((h) => h.date)).toEqual(['2026-01-02', '2026-02-20', '2026-02-23', '2026-05-05', '2026-10-06', '2026-10-07']);
  });

  it('covers a contiguous run of years from 2004, and every covered year has 元旦', () => {
    const years = calendar.coveredYears();
    expect(years[0]).toBe(2004);
    expect(years).toEqual(Array.from({ length: years.length }, (_, i) => 2004 + i));
    expect(years).toContain(2026);
    for (const y of years) expect(calendar.yearSchedule(y)!.holidays.some((h) => h.name === '元旦')).toBe(true);
    expect(summariseSources(sources)).toEqual([{ years: `2004–${years[years.length - 1]}`, source: `chinese-days@${packageVersion}` }]);
  });

  it('refuses the first year the package lacks, saying how to add it', () => {
    const next = calendar.coveredYears().at(-1)! + 1;
    try {
      calendar.isWorkingDay(`${next}-01-04`);
      throw new Error('expected CALENDAR_NOT_COVERED');
    } catch (err) {
      expect(err).toBeInstanceOf(DomainError);
      expect((err as DomainError).code).toBe('CALENDAR_NOT_COVERED');
      expect((err as DomainError).message).toContain(`国务院办公厅关于${next}年部分节假日安排的通知`);
      expect((err as DomainError).message).toContain('templates/calendar/README.md');
      expect((err as DomainError).message).toContain(`upgrade chinese-days (installed ${packageVersion})`);
    }
  });

  it('reads the package once per process', () => {
    expect(readChineseDaysSchedules()).toBe(readChineseDaysSchedules());
  });
});

describe('the shipped templates/calendar folder', () => {
  it('loads without problems or notices', () => {
    const loaded = loadCalendar();
    expect(loaded.files).toContain('templates/calendar/closures.yaml');
    expect(loaded.notices).toEqual([]);
  });
});

describe('administrator files', () => {
  it('add a year the package does not ship, with the file as its source', () => {
    const { calendar, sources } = loadCalendar({ dir: folder({ '2027.yaml': FICTIONAL_2027 }) });
    expect(calendar.isCovered(2027)).toBe(true);
    expect(sources.at(-1)).toMatchObject({ year: 2027, origin: 'admin_file' });
    expect(sources.at(-1)!.source).toMatch(/2027\.yaml$/);
    expect(calendar.dayInfo('2027-02-13')).toMatchObject({ kind: 'makeup_workday', name: '春节' });
    expect(calendar.addWorkingDaysToDate('2026-12-31', 1)).toBe('2027-01-04');
    expect(calendar.addWorkingDaysToDate('2027-02-04', 1)).toBe('2027-02-13');
  });

  it('add closures, single days and ranges, merging reasons for the same day', () => {
    const dir = folder({
      'a.yaml': 'closures:\n  - date: 2026-12-31\n    reason: 年终盘点\n  - from: 2026-06-16\n    to: 2026-06-18\n    reason: 系统升级\n',
      'b.yaml': 'closures:\n  - date: 2026-12-31\n    reason: 消防检查\n',
    });
    const { calendar } = loadCalendar({ dir });
    expect(calendar.closuresInYear(2026).map((c) => `${c.date} ${c.reason}`)).toEqual([
      '2026-06-16 系统升级',
      '2026-06-17 系统升级',
      '2026-06-18 系统升级',
      '2026-12-31 年终盘点; 消防检查',
    ]);
    expect(calendar.addWorkingDaysToDate('2026-06-15', 1)).toBe('2026-06-22'); // 19–21 is 端午
  });

  it('report every problem of a file with its line and reason', () => {
    const text = [
      'years:', //                                    1
      '  - year: 2027', //                            2
      '    source: test', //                          3
      '    holidays:', //                             4
      '      - name: 元旦', //                        5
      '        from: 2027-01-01', //                  6
      '        to: 2027-02-30', //                    7  bad date
      '      - name: 春节', //                        8
      '        dates: [2027-02-06, 2027-02-06]', //   9  listed twice
      '      - name: 清明节', //                      10
      '        from: 2027-04-06', //                  11
      '        to: 2027-04-04', //                    12 to before from
      '    makeupWorkdays:', //                       13
      '      - date: 2027-02-03', //                  14 a Wednesday
      '        holiday: 春节', //                     15
      '      - date: 2027-02-20', //                  16 Saturday, fine
      '        holiday: 国庆', //                     17 not a holiday of the year
      '      - date: 2028-02-19', //                  18 another year
      '        holiday: 春节', //                     19
      'closures:', //                                 20
      '  - date: 2027-05-06', //                      21
      '  - from: 2027-05-07', //                      22 no "to", no reason
      '    colour: red', //                           23 unknown key
    ].join('\n');
    expect(parseProblems(text)).toEqual([
      'cal.yaml:7: years[0].holidays[0].to: "2027-02-30" is not a valid date (expected YYYY-MM-DD, e.g. 2027-01-01)',
      'cal.yaml:12: years[0].holidays[2].to: 2027-04-04 is before "from" 2027-04-06',
      'cal.yaml:9: years[0].holidays[1].dates[1]: 2027-02-06 is listed twice: as a 春节 holiday and as a 春节 holiday',
      'cal.yaml:14: years[0].makeupWorkdays[0].date: 2027-02-03 (周三, Wed) is not a Saturday or Sunday: a make-up working day (调休上班) is always a weekend day',
      'cal.yaml:17: years[0].makeupWorkdays[1].holiday: "国庆" is not one of this year\'s holidays (元旦, 春节, 清明节)',
      'cal.yaml:18: years[0].makeupWorkdays[2].date: 2028-02-19 is not in 2027 (only the adjacent December/January may appear)',
      'cal.yaml:21: closures[0].reason: Required',
      'cal.yaml:22: closures[1].reason: Required',
      'cal.yaml:22: closures[1]: Unrecognized key(s) in object: \'colour\'',
    ]);
  });

  it('report a YAML syntax error with its line', () => {
    expect(parseProblems('years:\n  - year: 2027\n    source: [unclosed\n')).toEqual([expect.stringMatching(/^cal\.yaml:\d+: /)]);
    expect(parseProblems('closures:\n  - date: 2026-12-31\n    date: 2026-12-30\n    reason: x\n')).toEqual([expect.stringMatching(/^cal\.yaml:3: Map keys must be unique/)]);
  });

  it('reject a year with no holidays or no source, and an unknown top-level key', () => {
    expect(parseProblems('years:\n  - year: 2027\n    holidays: []\nholiday: x\n')).toEqual([
      'cal.yaml:2: years[0].source: Required',
      'cal.yaml:3: years[0].holidays: a year has holidays',
      "cal.yaml:1: (file): Unrecognized key(s) in object: 'holiday'",
    ]);
  });

  it('accept a file with only comments', () => {
    expect(parseCalendarFile('# nothing yet\n', 'empty.yaml')).toEqual({ file: 'empty.yaml', years: [], closures: [], dateLines: new Map() });
  });

  it('reject a year defined twice with conflicting data, naming both places', () => {
    const other = FICTIONAL_2027.replace('to: 2027-02-12', 'to: 2027-02-11');
    const problems = loadProblems(folder({ 'a.yaml': FICTIONAL_2027, 'b.yaml': other }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/b\.yaml:3: years: 2027 is defined twice with conflicting data \(also .*a\.yaml:3\): holidays only in .*a\.yaml:3: 2027-02-12$/);
  });

  it('accept a year defined twice identically, with a notice', () => {
    const { notices, calendar } = loadCalendar({ dir: folder({ 'a.yaml': FICTIONAL_2027, 'b.yaml': FICTIONAL_2027 }) });
    expect(calendar.isCovered(2027)).toBe(true);
    expect(notices).toEqual([expect.stringMatching(/2027 is defined identically in .*a\.yaml:3 and .*b\.yaml:3; one can be deleted/)]);
  });

  const official2026Yaml = (extra = '', change: (s: string) => string = (s) => s) =>
    change(`years:
  - year: 2026
    source: 国务院办公厅关于2026年部分节假日安排的通知
${extra}    holidays:
      - { name: 元旦, from: 2026-01-01, to: 2026-01-03 }
      - { name: 春节, from: 2026-02-15, to: 2026-02-23 }
      - { name: 清明节, from: 2026-04-04, to: 2026-04-06 }
      - { name: 劳动节, from: 2026-05-01, to: 2026-05-05 }
      - { name: 端午节, from: 2026-06-19, to: 2026-06-21 }
      - { name: 中秋节, from: 2026-09-25, to: 2026-09-27 }
      - { name: 国庆节, from: 2026-10-01, to: 2026-10-07 }
    makeupWorkdays:
      - { date: 2026-01-04, holiday: 元旦 }
      - { date: 2026-02-14, holiday: 春节 }
      - { date: 2026-02-28, holiday: 春节 }
      - { date: 2026-05-09, holiday: 劳动节 }
      - { date: 2026-09-20, holiday: 国庆节 }
      - { date: 2026-10-10, holiday: 国庆节 }
`);

  it('may repeat a year the package ships (the package stays the source, with a notice)', () => {
    const { notices, sources } = loadCalendar({ dir: folder({ '2026.yaml': official2026Yaml() }) });
    expect(notices).toEqual([expect.stringMatching(/2026\.yaml:2: 2026 is identical to the data shipped in chinese-days@.*; the file's 2026 entry can be deleted/)]);
    expect(sources.find((s) => s.year === 2026)!.origin).toBe('package');
  });

  it('must not silently contradict the package', () => {
    const changed = official2026Yaml('', (s) => s.replace('2026-10-10, holiday: 国庆节', '2026-10-11, holiday: 国庆节'));
    const [problem, ...rest] = loadProblems(folder({ '2026.yaml': changed }));
    expect(rest).toEqual([]);
    expect(problem).toMatch(/2026\.yaml:2: years: 2026 differs from the data shipped in chinese-days@[\d.]+: make-up working days only in chinese-days@[\d.]+: 2026-10-10; make-up working days only in .*2026\.yaml: 2026-10-11\. If the file is right \(an amended notice\), set "replacesPackageData: true"/);
  });

  it('replaces the package year when told to, and says so', () => {
    const changed = official2026Yaml('    replacesPackageData: true\n', (s) => s.replace('2026-10-10, holiday: 国庆节', '2026-10-11, holiday: 国庆节'));
    const { calendar, sources, notices } = loadCalendar({ dir: folder({ '2026.yaml': changed }) });
    expect(calendar.isWorkingDay('2026-10-10')).toBe(false);
    expect(calendar.dayInfo('2026-10-11')).toMatchObject({ kind: 'makeup_workday' });
    expect(sources.find((s) => s.year === 2026)).toMatchObject({ origin: 'admin_file_replacing_package' });
    expect(sources.find((s) => s.year === 2026)!.source).toMatch(/2026\.yaml \(replaces chinese-days@[\d.]+\)$/);
    expect(notices).toEqual([expect.stringContaining('2026 replaces the data shipped in chinese-days@')]);
  });

  it('reject a date claimed by two different years', () => {
    const a = FICTIONAL_2027.replace('      - date: 2027-02-13\n', '      - date: 2027-12-26\n        holiday: 元旦\n      - date: 2027-02-13\n');
    const b = 'years:\n  - year: 2028\n    source: t\n    holidays:\n      - { name: 元旦, dates: [2027-12-31, 2028-01-01] }\n    makeupWorkdays:\n      - { date: 2027-01-03, holiday: 元旦 }\n';
    expect(loadProblems(folder({ 'b.yaml': b }))).toEqual([
      expect.stringContaining('years[0].makeupWorkdays[0].date: 2027-01-03 is not in 2028'),
    ]);
    const c = 'years:\n  - year: 2028\n    source: t\n    holidays:\n      - { name: 元旦, dates: [2027-12-26, 2028-01-01] }\n';
    const problems = loadProblems(folder({ 'a.yaml': a, 'c.yaml': c }));
    expect(problems).toEqual([expect.stringContaining('2027-12-26 is both a make-up working day of 2027 and a holiday')]);
  });

  it('can answer beyond coverage by weekends, reporting each assumption', () => {
    const assumed: number[] = [];
    const { calendar } = loadCalendar({ dir: folder({}), beyondCoverage: 'assume_weekends', onAssumption: (y) => assumed.push(y) });
    const next = calendar.coveredYears().at(-1)! + 1;
    expect(calendar.dayInfo(`${next}-03-01`)).toMatchObject({ assumed: true });
    expect(assumed).toEqual([next]);
  });
});
