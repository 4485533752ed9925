/**
 * `huifang jobs run` as an operator runs it: a real child process of bin/huifang.mjs on a throwaway
 * SQLite file. Text by default, JSON lines with --json, and stderr never opens with a JSON log line.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../../..');
const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'huifang-jobs-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function huifang(args: string[], database: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: Record<string, string | undefined> = { ...process.env, DATABASE_URL: `file:${join(dir, database)}`, LOG_LEVEL: 'info' };
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

const lines = (text: string) => text.split('\n').filter((l) => l !== '');

describe('huifang jobs run', () => {
  // Each run starts the whole CLI and migrates a fresh database: run both side by side, once.
  let text: { code: number; stdout: string; stderr: string };
  let json: { code: number; stdout: string; stderr: string };
  beforeAll(async () => {
    [text, json] = await Promise.all([huifang(['jobs', 'run', 'all'], 'text.db'), huifang(['jobs', 'run', 'all', '--json'], 'json.db')]);
  }, 240_000);

  it('prints one readable line per job, in tick order', () => {
    expect(text.code).toBe(0);
    const out = lines(text.stdout);
    expect(out[0]).toMatch(/^pull-sms-reports\s+statuses 0, replies 0, duplicates 0, skipped 0$/);
    expect(out.at(-1)).toMatch(/^dispatch-outbox\s+claimed 0, sent 0,/);
    expect(out).toHaveLength(11);
    expect(text.stdout).not.toContain('{');
  });

  it('prints one JSON object per job with --json', () => {
    expect(json.code).toBe(0);
    const out = lines(json.stdout).map((l) => JSON.parse(l) as { job: string });
    expect(out.map((o) => o.job)).toEqual([
      'pull-sms-reports',
      'process-inbox',
      'mark-overdue',
      'send-reminders',
      'climb-escalations',
      'activate-due-follow-ups',
      'send-weekly-digests',
      'send-monthly-reports',
      'survey-fallback',
      'plan-greetings',
      'dispatch-outbox',
    ]);
    expect(out[2]).toEqual({ job: 'mark-overdue', overdue: 0, escalated: 0, skipped: 0, expiredSurveys: 0 });
  });

  it('writes no JSON log lines, and at most one calendar warning', () => {
    for (const { stderr } of [text, json]) {
      expect(lines(stderr).filter((l) => l.startsWith('{'))).toEqual([]);
      expect(lines(stderr).filter((l) => l.startsWith('警告: 节假日日历尚未包含')).length).toBeLessThanOrEqual(1);
    }
  });

  it('refuses an unknown job with the list of jobs', async () => {
    const { code, stderr } = await huifang(['jobs', 'run', 'no-such-job'], 'text.db');
    expect(code).toBe(2);
    expect(stderr).toContain('Usage: huifang jobs run NAME|all [--json]');
    expect(stderr).toContain('dispatch-outbox');
  });
});
