import { parseArgs } from 'node:util';
import { jobs, TICK_ORDER } from '../../jobs/index.js';
import { consoleOutput, type CommandOutput } from './command-output.js';
import { withApp as defaultWithApp, type WithApp } from './with-app.js';

/** `Usage: huifang jobs run NAME|all [--json]` with the job names. */
export const JOBS_USAGE = `Usage: huifang jobs run NAME|all [--json]\nJobs: ${Object.keys(jobs).join(', ')}`;

/**
 * `huifang jobs run NAME|all [--json]`: runs one job, or one round of all of them in tick order, once
 * against the configured database, and prints one line per job: its counts as text, or with `--json`
 * one JSON object per line (`{"job":"mark-overdue","overdue":0,…}`). Jobs are idempotent, so running
 * one by hand next to the cron schedule is harmless. Exit codes: 0 ran, 2 bad arguments.
 */
export async function runJobsCommand(
  args: string[],
  withApp: WithApp = (fn) => defaultWithApp(fn, { infoLogs: true }),
  output: CommandOutput = consoleOutput,
): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean', default: false } } });
  } catch (err) {
    output.err(`${(err as Error).message}\n${JOBS_USAGE}`);
    return 2;
  }
  const [sub, name, ...extra] = parsed.positionals;
  if (sub !== 'run' || !name || extra.length > 0 || (name !== 'all' && !jobs[name])) {
    output.err(JOBS_USAGE);
    return 2;
  }
  const names = name === 'all' ? TICK_ORDER : [name];
  const width = Math.max(...names.map((n) => n.length));
  return withApp(async (app) => {
    for (const job of names) {
      const summary = await jobs[job]!.run(app);
      output.out(parsed.values.json ? JSON.stringify({ job, ...summary }) : `${job.padEnd(width)}  ${describeSummary(summary)}`);
    }
    return 0;
  });
}

/** `overdue 0, escalated 0, week 2026-W49`: a job's summary fields in order. */
function describeSummary(summary: object): string {
  const parts = Object.entries(summary).map(([key, value]) => `${key} ${value === null ? '—' : typeof value === 'object' ? JSON.stringify(value) : String(value)}`);
  return parts.join(', ') || 'done';
}
