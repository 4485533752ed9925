import { jobs, TICK_ORDER } from '../../jobs/index.js';
import { consoleOutput, type CommandOutput } from './command-output.js';
import { withApp as defaultWithApp, type WithApp } from './with-app.js';

/** `Usage: huifang jobs run NAME|all` with the job names. */
export const JOBS_USAGE = `Usage: huifang jobs run NAME|all\nJobs: ${Object.keys(jobs).join(', ')}`;

/**
 * `huifang jobs run NAME|all`: runs one job, or one round of all of them in tick order, once against
 * the configured database, and prints each job's summary. Jobs are idempotent, so running one by hand
 * next to the cron schedule is harmless. Exit codes: 0 ran, 2 bad arguments.
 */
export async function runJobsCommand(
  args: string[],
  withApp: WithApp = (fn) => defaultWithApp(fn, { infoLogs: true }),
  output: CommandOutput = consoleOutput,
): Promise<number> {
  const [sub, name] = args;
  if (sub !== 'run' || !name || (name !== 'all' && !jobs[name])) {
    output.err(JOBS_USAGE);
    return 2;
  }
  return withApp(async (app) => {
    for (const job of name === 'all' ? TICK_ORDER : [name]) {
      const summary = await jobs[job]!.run(app);
      output.out(JSON.stringify({ job, ...summary }));
    }
    return 0;
  });
}
