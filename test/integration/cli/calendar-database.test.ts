/**
 * The real `huifang` binary reads the calendar days kept in the database — installed by
 * `huifang calendar import` or entered in the console's 日历 page — in `calendar` and `simulate`, and
 * stops warning that next year is missing once it is there. Child processes, run one after the other
 * (each step depends on the one before), on a SQLite database of their own.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type AdHocTestDb } from '../../support/db.js';
import { loadCalendar } from '../../../bot/loaders/load-calendar.js';
import { makeLocalDate, weekdayOf } from '../../../bot/core/calendar/local-date.js';

const ROOT = join(import.meta.dirname, '../../..');
const run = promisify(execFile);

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

let db: AdHocTestDb;
const dir = mkdtempSync(join(tmpdir(), 'huifang-cli-calendar-'));

async function huifang(args: string[]): Promise<Ran> {
  const env: Record<string, string | undefined> = { ...process.env, DATABASE_URL: db.url, LOG_LEVEL: 'warn' };
  delete env.LOG_FORMAT;
  try {
    const { stdout, stderr } = await run(process.execPath, ['bin/huifang.mjs', ...args], { cwd: ROOT, env, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

// Made-up 2099 schedule (no real notice exists): 国庆节 Thu 1 – Wed 7 October, Saturday 10 October worked.
const SCHEDULE_2099 = `years:
  - year: 2099
    source: 国务院办公厅关于2099年部分节假日安排的通知（测试用）
    holidays:
      - { name: 元旦, dates: [2099-01-01] }
      - { name: 国庆节, from: 2099-10-01, to: 2099-10-07 }
    makeupWorkdays:
      - { date: 2099-10-10, holiday: 国庆节 }
`;

// P2 业扩报装: "within 7 working days after the meter installation is archived" — archived Monday 2099-09-28.
const P2_CASE = {
  type: 'power_service',
  externalId: 'GD-2099-1',
  occurredAt: '2099-09-28T15:30:00+08:00',
  department: 'kefu-center',
  attributes: { business: 'new_install' },
  milestones: { meter_archived: '2099-09-28T15:30:00+08:00' },
  customer: { name: '王秀英', phone: '13800000001' },
};

/** Next year as the binary sees it (system clock, Asia/Shanghai). */
const nextYear = Number(new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric' }).format(new Date())) + 1;
const nextYearShipped = loadCalendar().calendar.isCovered(nextYear);

beforeAll(async () => {
  db = await createTestDb('sqlite');
  writeFileSync(join(dir, '2099.yaml'), SCHEDULE_2099);
  writeFileSync(join(dir, 'case.json'), JSON.stringify(P2_CASE));
  // A made-up schedule for next year: 1 January off, and the first Saturday of January worked.
  const saturday = [1, 2, 3, 4, 5, 6, 7].map((d) => makeLocalDate(nextYear, 1, d)).find((d) => weekdayOf(d) === 6)!;
  writeFileSync(
    join(dir, 'next.yaml'),
    `years:\n  - year: ${nextYear}\n    source: test\n    holidays:\n      - { name: 元旦, dates: [${nextYear}-01-01] }\n    makeupWorkdays:\n      - { date: ${saturday}, holiday: 元旦 }\n`,
  );
}, 120_000);

afterAll(async () => {
  await db?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describe('huifang calendar and simulate read the database', () => {
  it('simulate and calendar answer 2099 by weekends only (unconfirmed) until it is imported, then by the imported schedule', async () => {
    const simulate = () => huifang(['simulate', '--policy', 'P2', '--case', join(dir, 'case.json'), '--json']);
    const before = await simulate();
    expect(before.code).toBe(0);
    const planned = JSON.parse(before.stdout) as { calendarAssumptions: number[]; followUps: { deadlineAt: string }[] };
    expect(planned.calendarAssumptions).toEqual([2099]);
    expect(planned.followUps[0]!.deadlineAt).toBe('2099-10-07T23:59:00+08:00');
    expect(JSON.parse((await huifang(['calendar', '--year', '2099', '--json'])).stdout)).toMatchObject({ confirmed: false });

    const dryRun = await huifang(['calendar', 'import', '2099', join(dir, '2099.yaml'), '--dry-run']);
    expect(dryRun.code).toBe(0);
    expect(dryRun.stdout).toContain('Dry run — nothing written');
    expect(JSON.parse((await huifang(['calendar', '--year', '2099', '--json'])).stdout)).toMatchObject({ confirmed: false });

    const imported = await huifang(['calendar', 'import', '2099', join(dir, '2099.yaml')]);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toContain('Installed 2099');

    const listed = await huifang(['calendar', '--year', '2099', '--json']);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toMatchObject({ confirmed: true, origin: 'database', makeupWorkdays: [{ date: '2099-10-10', holiday: '国庆节' }] });

    const after = await simulate();
    const replanned = JSON.parse(after.stdout) as typeof planned;
    expect(replanned.calendarAssumptions).toEqual([]);
    // 9-29, 9-30, then after the holiday 10-8, 10-9, the make-up Saturday 10-10, 10-12, 10-13.
    expect(replanned.followUps[0]!.deadlineAt).toBe('2099-10-13T23:59:00+08:00');
    expect(after.stderr).not.toContain('尚未包含 2099 年');
  }, 300_000);

  it.skipIf(nextYearShipped)('stops warning that next year is missing once it is in the database', async () => {
    const warning = `节假日日历尚未包含 ${nextYear} 年`;
    const before = await huifang(['jobs', 'run', 'reload-calendar']);
    expect(before.code).toBe(0);
    expect(before.stderr).toContain(warning);
    expect((await huifang(['calendar', 'import', String(nextYear), join(dir, 'next.yaml')])).code).toBe(0);
    const after = await huifang(['jobs', 'run', 'reload-calendar']);
    expect(after.code).toBe(0);
    expect(after.stderr).not.toContain(warning);
    const simulate = await huifang(['simulate', '--policy', 'P2', '--case', join(dir, 'case.json')]);
    expect(simulate.stderr).not.toContain(warning);
  }, 300_000);
});
