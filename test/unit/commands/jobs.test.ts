/**
 * `huifang jobs run` in-process: `runJobsCommand` with the service over memory stores (an empty
 * organisation, as a fresh database) and a collecting output. Text by default, JSON lines with --json.
 * The binary's stderr and exit codes end to end: test/integration/cli.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { JOBS_USAGE, runJobsCommand } from '../../../bot/commands/jobs.js';
import type { WithApp } from '../../../bot/commands/with-app.js';
import { createMemoryService, type MemoryService } from '../../support/memory-service.js';
import { collectOutput } from '../../support/command-output.js';

describe('huifang jobs run', () => {
  let app: MemoryService;
  const withApp: WithApp = (fn) => fn(app);

  beforeAll(async () => {
    app = await createMemoryService({ seed: false });
  });

  it('prints one readable line per job, in tick order', async () => {
    const output = collectOutput();
    expect(await runJobsCommand(['run', 'all'], withApp, output)).toBe(0);
    // Calendar days entered in the console are read before any job asks the calendar.
    expect(output.outLines[0]).toMatch(/^reload-calendar\s+done$/);
    expect(output.outLines[1]).toMatch(/^pull-sms-reports\s+statuses 0, replies 0, duplicates 0, skipped 0$/);
    expect(output.outLines.at(-1)).toMatch(/^dispatch-outbox\s+claimed 0, sent 0,/);
    expect(output.outLines).toHaveLength(14);
    expect(output.stdout).not.toContain('{');
    expect(output.errLines).toEqual([]);
  });

  it('prints one JSON object per job with --json', async () => {
    const output = collectOutput();
    expect(await runJobsCommand(['run', 'all', '--json'], withApp, output)).toBe(0);
    const out = output.outLines.map((l) => JSON.parse(l) as { job: string });
    expect(out.map((o) => o.job)).toEqual([
      'reload-calendar',
      'pull-sms-reports',
      'process-inbox',
      'mark-overdue',
      'send-reminders',
      'climb-escalations',
      'top-up-quotas',
      'activate-due-follow-ups',
      'send-weekly-digests',
      'send-monthly-reports',
      'survey-fallback',
      'collect-wecom-contact-results',
      'plan-greetings',
      'dispatch-outbox',
    ]);
    expect(out[3]).toEqual({ job: 'mark-overdue', overdue: 0, escalated: 0, skipped: 0, expiredSurveys: 0 });
  });

  it('runs one job by name', async () => {
    const output = collectOutput();
    expect(await runJobsCommand(['run', 'mark-overdue'], withApp, output)).toBe(0);
    expect(output.outLines).toEqual(['mark-overdue  overdue 0, escalated 0, skipped 0, expiredSurveys 0']);
  });

  it('refuses an unknown job, a missing name and unknown options with the list of jobs, opening nothing', async () => {
    const refused: WithApp = () => {
      throw new Error('the service must not be assembled for a usage error');
    };
    for (const args of [['run', 'no-such-job'], ['run'], ['start', 'all'], ['run', 'all', '--colour']]) {
      const output = collectOutput();
      expect(await runJobsCommand(args, refused, output)).toBe(2);
      expect(output.stderr).toContain('Usage: huifang jobs run NAME|all [--json]');
      expect(output.stderr).toContain('dispatch-outbox');
    }
    expect(JOBS_USAGE).toContain('plan-greetings');
  });
});
