// `huifang calendar import YEAR FILE`: a year's State Council schedule from a file in the
// templates/calendar format into the database overlay the console's 日历 page uses, over a real
// database; another replica picks it up with its reload-calendar job.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FakeClock } from '../../../bot/clocks.js';
import type { Huifang } from '../../../bot/huifang.js';
import type { WithApp } from '../../../bot/commands/with-app.js';
import { runCalendarImportCommand } from '../../../bot/commands/calendar-import.js';
import { run as reloadCalendar } from '../../../jobs/reload-calendar.js';
import { describeEachDatabase } from '../../support/db.js';
import { createReplica, createTestService, sharedDbClient } from '../../support/service.js';
import { collectOutput } from '../../support/command-output.js';

// Made-up dates for 2099 (no real notice exists): 元旦 Thu 1 – Sat 3 January with Sunday 4 January worked,
// 国庆节 Thu 1 – Wed 7 October with Saturday 10 October worked; a closure on Monday 1 June.
const VALID = `years:
  - year: 2099
    source: 国务院办公厅关于2099年部分节假日安排的通知（测试用）
    holidays:
      - name: 元旦
        from: 2099-01-01
        to: 2099-01-03
      - name: 国庆节
        from: 2099-10-01
        to: 2099-10-07
    makeupWorkdays:
      - date: 2099-01-04
        holiday: 元旦
      - date: 2099-10-10
        holiday: 国庆节
closures:
  - date: 2099-06-01
    reason: 院庆
`;

const dir = mkdtempSync(join(tmpdir(), 'huifang-calendar-import-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeEachDatabase('huifang calendar import', (db) => {
  const clock = new FakeClock('2098-12-06T09:00:00+08:00');
  let app: Huifang;
  const withApp: WithApp = (fn) => fn(app);
  const importYear = async (args: string[]) => {
    const output = collectOutput();
    const code = await runCalendarImportCommand(args, output, withApp);
    return { code, ...output };
  };

  beforeAll(() => {
    app = createTestService(db().url, sharedDbClient(db()), clock);
  });

  it('with --dry-run checks the file and writes nothing', async () => {
    const r = await importYear(['2099', file('2099.yaml', VALID), '--dry-run', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ year: 2099, dryRun: true, source: '国务院办公厅关于2099年部分节假日安排的通知（测试用）', holidays: 10, makeupWorkdays: 2, closures: 1, added: 13, unchanged: 0 });
    expect(await db().prisma.calendarEntry.count()).toBe(0);
    expect(app.deps.calendar.isCovered(2099)).toBe(false);
  });

  it('installs the year in the database, audited; this service uses it at once and another replica after its reload job', async () => {
    const replica = createReplica(db(), clock);
    try {
      expect(replica.deps.calendar.isWorkingDay('2099-10-10')).toBe(false);
      const r = await importYear(['2099', join(dir, '2099.yaml')]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Installed 2099 from');
      expect(r.stdout).toContain('13 added, 0 replaced, 0 removed, 0 unchanged');
      expect(r.stdout).toContain('running services pick it up within five minutes');
      const rows = await db().prisma.calendarEntry.findMany({ orderBy: { date: 'asc' } });
      expect(rows.map((e) => `${e.date} ${e.kind} ${e.name}`)).toEqual([
        '2099-01-01 holiday 元旦',
        '2099-01-02 holiday 元旦',
        '2099-01-03 holiday 元旦',
        '2099-01-04 workday 元旦',
        '2099-06-01 closure 院庆',
        ...['01', '02', '03', '04', '05', '06', '07'].map((d) => `2099-10-${d} holiday 国庆节`),
        '2099-10-10 workday 国庆节',
      ]);
      const audit = await db().prisma.auditLog.findMany({ where: { action: 'calendar.year_imported' } });
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({ entityType: 'CalendarEntry', entityId: '2099', actorType: 'SYSTEM' });
      expect(app.deps.calendar.isCovered(2099)).toBe(true);
      expect(app.deps.calendar.isWorkingDay('2099-10-10')).toBe(true);
      await reloadCalendar(replica);
      expect(replica.deps.calendar.isWorkingDay('2099-10-10')).toBe(true);
      expect(replica.deps.calendar.isWorkingDay('2099-10-08')).toBe(true);
      expect(replica.deps.calendar.isWorkingDay('2099-06-01')).toBe(false);
    } finally {
      await replica.closeReplica();
    }
  });

  it('imports the same file again as unchanged, and a corrected notice replaces the year', async () => {
    const again = await importYear(['2099', join(dir, '2099.yaml'), '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ added: 0, unchanged: 13, removed: [], replaced: [] });
    // The amended notice: 国庆节 ends on the 6th, and the 8th (a Thursday) becomes a closure.
    const amended = VALID.replace('to: 2099-10-07', 'to: 2099-10-06').replace('closures:\n', 'closures:\n  - date: 2099-10-07\n    reason: 盘点\n');
    const r = await importYear(['2099', file('2099-amended.yaml', amended), '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { replaced: { date: string; before: string; after: string }[]; removed: unknown[] };
    expect(out.replaced).toEqual([{ date: '2099-10-07', before: 'holiday 国庆节', after: 'closure 盘点' }]);
    expect(out.removed).toEqual([]);
    expect(app.deps.calendar.dayInfo('2099-10-07')).toMatchObject({ kind: 'closure', name: '盘点' });
  });

  it('refuses an invalid file naming file and line, and a day the calendar refuses naming its line; nothing is written', async () => {
    const before = await db().prisma.calendarEntry.count();
    const weekday = file('weekday.yaml', VALID.replace('date: 2099-10-10', 'date: 2099-10-09'));
    const bad = await importYear(['2099', weekday]);
    expect(bad.code).toBe(78);
    expect(bad.stderr).toContain(`${weekday}:14: years[0].makeupWorkdays[1].date: 2099-10-09 (周五, Fri) is not a Saturday or Sunday`);
    const wrongYear = await importYear(['2098', join(dir, '2099.yaml')]);
    expect(wrongYear.code).toBe(78);
    expect(wrongYear.stderr).toContain('defines no year 2098');
    const outside = file('outside.yaml', VALID.replace('  - date: 2099-06-01\n', '  - date: 2100-01-02\n'));
    const outsideRun = await importYear(['2099', outside]);
    expect(outsideRun.code).toBe(78);
    expect(outsideRun.stderr).toContain(`${outside}:17: 2100-01-02 is not in 2099`);
    expect(await db().prisma.calendarEntry.count()).toBe(before);
  });

  it('refuses a year that comes with the shipped calendar (exit 1), and bad arguments (exit 2)', async () => {
    const shipped = await importYear(['2026', file('2026.yaml', VALID.replaceAll('2099', '2026'))]);
    expect(shipped.code).toBe(1);
    expect(shipped.stderr).toContain('Cannot import 2026');
    expect((await importYear(['2099'])).code).toBe(2);
    expect((await importYear(['next', join(dir, '2099.yaml')])).code).toBe(2);
    expect((await importYear(['2099', join(dir, 'missing.yaml')])).code).toBe(2);
  });
});
