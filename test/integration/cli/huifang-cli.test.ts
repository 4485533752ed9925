/**
 * The real `huifang` binary (bin/huifang.mjs) as an operator runs it, in child processes: what only a
 * process shows — exit codes, what goes to stdout and to stderr, argument parsing end to end, the
 * process's own timezone. What the commands print is tested in-process in test/unit/commands and
 * test/unit/policies/simulate.test.ts.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type AdHocTestDb } from '../../support/db.js';

const ROOT = join(import.meta.dirname, '../../..');
const run = promisify(execFile);

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

async function huifang(args: string[], env: Record<string, string | undefined> = {}): Promise<Ran> {
  const merged: Record<string, string | undefined> = { ...process.env, LOG_LEVEL: 'info', ...env };
  delete merged.LOG_FORMAT;
  try {
    const { stdout, stderr } = await run(process.execPath, ['bin/huifang.mjs', ...args], { cwd: ROOT, env: merged, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const lines = (text: string) => text.split('\n').filter((l) => l !== '');

const dir = mkdtempSync(join(tmpdir(), 'huifang-cli-'));
let db: AdHocTestDb;
// Each run starts the whole CLI (seconds on a busy machine): start them all at once, assert after.
let results: Record<string, Ran>;

beforeAll(async () => {
  db = await createTestDb('sqlite');
  const caseFile = join(dir, 'case.json');
  writeFileSync(
    caseFile,
    JSON.stringify({
      type: 'discharge',
      externalId: 'ZY-CLI-1',
      occurredAt: '2026-11-03T15:30:00+08:00',
      department: 'cardiology',
      responsibleStaff: 'hushi.li',
      attributes: { severity: 'normal' },
      customer: { name: '王秀英', phone: '13800000001' },
    }),
  );
  writeFileSync(join(dir, 'bad.yaml'), 'years:\n  - year: 2099\n    source: t\n    holidays:\n      - { name: 元旦, dates: [2099-01-01] }\n    makeupWorkdays:\n      - { date: 2099-01-05, holiday: 元旦 }\n');
  const runs: Record<string, Promise<Ran>> = {
    calendarShanghai: huifang(['calendar', '--year', '2026', '--json'], { TZ: 'Asia/Shanghai' }),
    calendarNewYork: huifang(['calendar', '--year', '2026', '--json'], { TZ: 'America/New_York' }),
    calendarBadYear: huifang(['calendar', '--year', 'next']),
    calendarBadFile: huifang(['calendar', '--year', '2099', '--dir', dir]),
    jobsAll: huifang(['jobs', 'run', 'all'], { DATABASE_URL: db.url }),
    jobsUnknown: huifang(['jobs', 'run', 'no-such-job'], { DATABASE_URL: db.url }),
    simulate: huifang(['simulate', '--policy', 'P4', '--case', caseFile, '--json'], { TZ: 'America/New_York', LOG_LEVEL: 'silent' }),
    simulateUnknownPolicy: huifang(['simulate', '--policy', 'P99', '--case', caseFile], { LOG_LEVEL: 'silent' }),
    unknownCommand: huifang(['no-such-command']),
    webhooksHelp: huifang(['webhooks', '--help']),
    webhooksFtp: huifang(['webhooks', 'add', 'ftp://files.example.com/in', '--events', 'case.created']),
  };
  const settled = await Promise.all(Object.entries(runs).map(async ([name, p]) => [name, await p] as const));
  results = Object.fromEntries(settled);
}, 300_000);

afterAll(async () => {
  await db?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describe('huifang (the binary)', () => {
  it('calendar: exit 0 with JSON on stdout, the same answers under TZ=America/New_York as under Asia/Shanghai', () => {
    const { code, stdout } = results.calendarNewYork!;
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as { year: number; holidays: { name: string; from: string; to: string }[] };
    expect(out.year).toBe(2026);
    expect(out.holidays[0]).toMatchObject({ name: '元旦', from: '2026-01-01', to: '2026-01-03' });
    expect(out.holidays.at(-1)).toMatchObject({ name: '国庆节', from: '2026-10-01', to: '2026-10-07' });
    expect(results.calendarShanghai!.code).toBe(0);
    expect(out).toEqual(JSON.parse(results.calendarShanghai!.stdout));
  });

  it('calendar: exit 2 for bad arguments, 78 naming file and line for an invalid calendar file', () => {
    expect(results.calendarBadYear).toMatchObject({ code: 2, stdout: '' });
    expect(results.calendarBadYear!.stderr).toContain('--year must be a year from 1901 to 2099');
    expect(results.calendarBadFile!.code).toBe(78);
    expect(results.calendarBadFile!.stderr).toContain(`${join(dir, 'bad.yaml')}:7: years[0].makeupWorkdays[0].date`);
  });

  it('jobs run all: exit 0, one line per job on stdout, no JSON log lines and at most one calendar warning on stderr', () => {
    const { code, stdout, stderr } = results.jobsAll!;
    expect(code).toBe(0);
    expect(lines(stdout)).toHaveLength(14);
    expect(lines(stdout)[0]).toMatch(/^reload-calendar\s+done$/);
    expect(lines(stdout)[1]).toMatch(/^pull-sms-reports\s+statuses 0/);
    expect(lines(stderr).filter((l) => l.startsWith('{'))).toEqual([]);
    expect(lines(stderr).filter((l) => l.startsWith('警告: 节假日日历尚未包含')).length).toBeLessThanOrEqual(1);
  });

  it('jobs run: exit 2 with the usage and the job names on stderr for an unknown job', () => {
    const { code, stdout, stderr } = results.jobsUnknown!;
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('Usage: huifang jobs run NAME|all [--json]');
    expect(stderr).toContain('dispatch-outbox');
  });

  it('simulate: exit 0 with the organisation’s times under TZ=America/New_York, 2 for an unknown policy', () => {
    expect(results.simulate!.code).toBe(0);
    expect(JSON.parse(results.simulate!.stdout).followUps[1]).toMatchObject({ step: 'phone', earliestAt: '2026-11-10T09:00:00+08:00' });
    expect(results.simulateUnknownPolicy!.code).toBe(2);
    expect(results.simulateUnknownPolicy!.stderr).toContain('No policy pack with id "P99"');
  });

  it('exit 2 with the help text for an unknown command', () => {
    const { code, stderr } = results.unknownCommand!;
    expect(code).toBe(2);
    expect(stderr).toContain('Unknown command "no-such-command"');
    expect(stderr).toContain('huifang calendar --year YYYY');
  });

  it('webhooks: --help lists the events; a URL that is not http(s) exits 1 saying so, before any database is opened', () => {
    expect(results.webhooksHelp).toMatchObject({ code: 0 });
    expect(results.webhooksHelp!.stdout).toContain('followup.completed');
    expect(results.webhooksFtp).toMatchObject({ code: 1, stdout: '' });
    expect(results.webhooksFtp!.stderr).toContain('Only http:// and https:// URLs');
  });
});
