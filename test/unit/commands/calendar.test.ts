/**
 * `huifang calendar` in-process: `runCalendarCommand` with a collecting output, as the CLI calls it.
 * The binary's exit codes, and the same answers under TZ=America/New_York as under Asia/Shanghai
 * (chinese-days' own date functions would be a day off), end to end: test/integration/cli.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCalendarCommand } from '../../../bot/commands/calendar.js';
import { collectOutput } from '../../support/command-output.js';
import type { CalendarEntryRecord } from '../../../bot/core/ports/console-admin.js';

interface CalendarJson {
  year: number;
  covered: boolean;
  source: string;
  origin: string;
  coveredYears: number[];
  sources: { years: string; source: string }[];
  packageVersion: string;
  holidays: { name: string; from: string; to: string; days: number; dates: { date: string; inLieu: boolean }[] }[];
  makeupWorkdays: { date: string; weekday: string; holiday: string }[];
  closures: { date: string; reason: string }[];
  festivals: { date: string; name: string; dayKind: string }[];
  message?: string;
}

/** Runs the command with `entries` as the days kept in the database (none unless given). */
async function calendar(args: string[], entries: readonly CalendarEntryRecord[] = []) {
  const output = collectOutput();
  const code = await runCalendarCommand(args, output, { readEntries: async () => entries });
  return { code, stdout: output.stdout, stderr: output.stderr };
}

const tmp: string[] = [];
afterAll(() => {
  for (const d of tmp) rmSync(d, { recursive: true, force: true });
});

function calendarDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'huifang-calendar-cmd-'));
  tmp.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('huifang calendar', () => {
  it('prints 2026 as JSON: holidays with names, make-up days with their holiday, festivals, sources', async () => {
    const { code, stdout } = await calendar(['--year', '2026', '--json']);
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as CalendarJson;
    expect(out).toMatchObject({ year: 2026, covered: true, origin: 'package', source: `chinese-days@${out.packageVersion}` });
    expect(out.coveredYears).toContain(2026);
    expect(out.sources).toEqual([{ years: expect.stringMatching(/^2004–20\d\d$/), source: `chinese-days@${out.packageVersion}` }]);
    expect(out.holidays.map((h) => `${h.name} ${h.from}..${h.to} ${h.days}`)).toEqual([
      '元旦 2026-01-01..2026-01-03 3',
      '春节 2026-02-15..2026-02-23 9',
      '清明节 2026-04-04..2026-04-06 3',
      '劳动节 2026-05-01..2026-05-05 5',
      '端午节 2026-06-19..2026-06-21 3',
      '中秋节 2026-09-25..2026-09-27 3',
      '国庆节 2026-10-01..2026-10-07 7',
    ]);
    expect(out.makeupWorkdays).toEqual([
      { date: '2026-01-04', weekday: '周日', holiday: '元旦' },
      { date: '2026-02-14', weekday: '周六', holiday: '春节' },
      { date: '2026-02-28', weekday: '周六', holiday: '春节' },
      { date: '2026-05-09', weekday: '周六', holiday: '劳动节' },
      { date: '2026-09-20', weekday: '周日', holiday: '国庆节' },
      { date: '2026-10-10', weekday: '周六', holiday: '国庆节' },
    ]);
    expect(out.closures).toEqual([]);
    expect(out.festivals.map((f) => `${f.date} ${f.name} ${f.dayKind}`)).toEqual([
      '2026-01-01 元旦 holiday',
      '2026-01-26 腊八节 workday',
      '2026-02-16 除夕 holiday',
      '2026-02-17 春节 holiday',
      '2026-03-03 元宵节 workday',
      '2026-04-05 清明节 holiday',
      '2026-05-01 劳动节 holiday',
      '2026-06-19 端午节 holiday',
      '2026-08-19 七夕节 workday',
      '2026-09-25 中秋节 holiday',
      '2026-10-01 国庆节 holiday',
      '2026-10-18 重阳节 weekend',
      '2026-12-22 冬至 workday',
    ]);
  });

  it('groups 2025 National Day and Mid-Autumn into one block', async () => {
    const { code, stdout } = await calendar(['--year', '2025', '--json']);
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as CalendarJson;
    expect(out.holidays.at(-1)).toMatchObject({ name: '国庆节、中秋节', from: '2025-10-01', to: '2025-10-08', days: 8 });
    expect(out.makeupWorkdays.filter((m) => m.holiday === '国庆节').map((m) => m.date)).toEqual(['2025-09-28', '2025-10-11']);
  });

  it('prints a readable table', async () => {
    const { code, stdout } = await calendar(['--year', '2026']);
    expect(code).toBe(0);
    expect(stdout).toContain('2026 data: chinese-days@');
    expect(stdout).toMatch(/春节\s+2026-02-15 周日 – 2026-02-23 周一\s+9 天/);
    expect(stdout).toContain('2026-02-14 周六  春节');
    expect(stdout).toMatch(/2026-09-25 周五\s+中秋节\s+农历八月十五\s+holiday/);
  });

  it('lists a year without a schedule — weekends, lunar festivals, closures — with its working days unconfirmed (exit 0)', async () => {
    const dir = calendarDir({ 'closures.yaml': 'closures:\n  - { date: 2099-06-01, reason: 院庆 }\n' });
    const { code, stderr, stdout } = await calendar(['--year', '2099', '--json', '--dir', dir]);
    expect(code).toBe(0);
    expect(stderr).toContain('2099 has no State Council holiday schedule yet');
    const out = JSON.parse(stdout) as CalendarJson & { confirmed: boolean; assumption: string; workingDays: number; months: { month: number; workingDays: number; weekendDays: number; closures: number }[] };
    expect(out).toMatchObject({ year: 2099, covered: false, confirmed: false, assumption: 'weekends_only', holidays: [], makeupWorkdays: [] });
    // 2099: 365 days, 104 Saturdays and Sundays (it starts and ends on a Thursday: 105 Thursdays), one closure on a Monday.
    expect(out.workingDays).toBe(365 - 104 - 1);
    expect(out.months[5]).toMatchObject({ month: 6, workingDays: 21, weekendDays: 8, closures: 1 });
    expect(out.closures).toMatchObject([{ date: '2099-06-01', reason: '院庆' }]);
    // Lunar festivals are computed for the year (春节 2099: 正月初一 = 2099-01-21; its 腊八 falls in 2098), days off are not known.
    expect(out.festivals.find((f) => f.name === '春节')).toMatchObject({ date: '2099-01-21', dayKind: 'workday', confirmed: false });
    expect(out.festivals.map((f) => f.name)).toEqual(['元旦', '除夕', '春节', '元宵节', '清明节', '劳动节', '端午节', '七夕节', '中秋节', '国庆节', '重阳节', '冬至']);
    const text = await calendar(['--year', '2099', '--dir', dir]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('2099 工作日历 / working-day calendar (mainland China) — 未确认 / UNCONFIRMED');
    expect(text.stdout).toContain('法定节假日 / public holidays:      未确认 / unconfirmed');
    expect(text.stdout).toMatch(/2099-10-01 周四\s+国庆节\s+公历10月1日\s+workday \(未确认\)/);
  });

  it('shows a year added by an administrator file, with the file as its source, and its closures', async () => {
    const dir = calendarDir({
      '2099.yaml':
        'years:\n  - year: 2099\n    source: test fixture\n    holidays:\n      - { name: 元旦, from: 2099-01-01, to: 2099-01-03 }\n    makeupWorkdays:\n      - { date: 2099-01-04, holiday: 元旦 }\nclosures:\n  - { date: 2099-06-01, reason: 院庆 }\n',
    });
    const { code, stdout } = await calendar(['--year', '2099', '--json', '--dir', dir]);
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as CalendarJson;
    expect(out).toMatchObject({ covered: true, origin: 'admin_file', source: join(dir, '2099.yaml') });
    expect(out.sources.at(-1)).toEqual({ years: '2099', source: join(dir, '2099.yaml') });
    expect(out.makeupWorkdays).toEqual([{ date: '2099-01-04', weekday: '周日', holiday: '元旦' }]);
    expect(out.closures).toMatchObject([{ date: '2099-06-01', reason: '院庆' }]);
  });

  it('returns 78 naming file, line and reason for an invalid file, and 2 for bad arguments', async () => {
    const dir = calendarDir({ 'bad.yaml': 'years:\n  - year: 2099\n    source: t\n    holidays:\n      - { name: 元旦, dates: [2099-01-01] }\n    makeupWorkdays:\n      - { date: 2099-01-05, holiday: 元旦 }\n' });
    const bad = await calendar(['--year', '2099', '--dir', dir]);
    expect(bad.code).toBe(78);
    expect(bad.stderr).toContain(`${join(dir, 'bad.yaml')}:7: years[0].makeupWorkdays[0].date: 2099-01-05 (周一, Mon) is not a Saturday or Sunday`);
    const missing = await calendar([]);
    const malformed = await calendar(['--year', 'next']);
    const unknown = await calendar(['--year', '2026', '--colour']);
    expect([missing.code, malformed.code, unknown.code]).toEqual([2, 2, 2]);
    expect(malformed.stderr).toContain('--year must be a year from 1901 to 2099');
    expect(unknown.stderr).toContain('Usage: huifang calendar --year YYYY [--json] [--dir DIR]');
  });

  it('lays the days kept in the database (console 日历, calendar import) over the shipped data: their year is confirmed', async () => {
    const at = new Date('2098-12-01T00:00:00Z');
    const entries: CalendarEntryRecord[] = [
      ...['2099-10-01', '2099-10-02', '2099-10-03'].map((date) => ({ date, kind: 'holiday' as const, name: '国庆节', createdAt: at, createdBy: null })),
      { date: '2099-10-10', kind: 'workday', name: '国庆节', createdAt: at, createdBy: null },
      { date: '2099-06-01', kind: 'closure', name: '院庆', createdAt: at, createdBy: null },
    ];
    const { code, stdout, stderr } = await calendar(['--year', '2099', '--json'], entries);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    const out = JSON.parse(stdout) as CalendarJson & { confirmed: boolean };
    expect(out).toMatchObject({ covered: true, confirmed: true, origin: 'database', source: 'database (console 日历 / huifang calendar import)' });
    expect(out.holidays).toMatchObject([{ name: '国庆节', from: '2099-10-01', to: '2099-10-03', days: 3 }]);
    expect(out.makeupWorkdays).toEqual([{ date: '2099-10-10', weekday: '周六', holiday: '国庆节' }]);
    expect(out.closures).toMatchObject([{ date: '2099-06-01', reason: '院庆' }]);
    expect(out.sources.at(-1)).toEqual({ years: '2099', source: 'database (console 日历 / huifang calendar import)' });
  });
});
