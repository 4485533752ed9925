import cron, { type ScheduledTask } from 'node-cron';
import type { Huifang } from '../bot/huifang.js';
import { coerceError } from '../bot/core/errors.js';
import { jobs } from './index.js';
import { runJob } from './run-job.js';
import { formatLocalDate } from '../bot/core/time.js';
import { JobCutoff, type CutoffResult } from '../bot/core/cutoff.js';

/** The registered jobs of one process. */
export interface ScheduledJobs {
  /** No further ticks start; resolves when the runs in progress have finished (successfully or not). */
  stop(): Promise<void>;
  /** Names of the jobs running now. */
  running(): string[];
  /**
   * The shutdown deadline passed: running jobs take no further work and hand back the claims they
   * have not started on (core/cutoff.ts). Resolves once handed back, with what was.
   */
  cutOff(): Promise<CutoffResult>;
}

/**
 * Registers every job with node-cron in the business timezone, without overlap. Jobs are idempotent
 * reconciliations, so a missed or doubled tick (restart, several replicas) is harmless.
 */
export function scheduleJobs(app: Huifang): ScheduledJobs {
  const tasks: ScheduledTask[] = [];
  const running = new Map<Promise<unknown>, string>();
  let stopped = false;
  const cutoff = new JobCutoff();
  let cutting: Promise<CutoffResult> | null = null;
  for (const [name, job] of Object.entries(jobs)) {
    const log = app.logger.child({ job: name });
    const task = cron.schedule(
      job.schedule,
      async () => {
        // node-cron may still fire a tick that was already due as stop() began.
        if (stopped) return;
        const started = performance.now();
        const startedAt = app.clock.now();
        // The run is recorded for the console's settings page (last run, failures today), from any replica.
        const record = (outcome: Parameters<Huifang['console']['admin']['recordJobRun']>[2]) =>
          app.console.admin.recordJobRun(name, { startedAt, finishedAt: app.clock.now() }, outcome).catch((err: unknown) => log.warn({ err: coerceError(err) }, 'job run not recorded'));
        const run = runJob(app, name, cutoff)
          .then(async (summary) => {
            const ms = Math.round(performance.now() - started);
            if (Object.values(summary).some((v) => typeof v === 'number' && v > 0)) log.info({ ...summary, ms }, 'job finished');
            else log.debug({ ms }, 'job finished: nothing to do');
            await record({ ok: true, summary: JSON.stringify(summary) });
          })
          .catch(async (thrown: unknown) => {
            const err = coerceError(thrown);
            log.error({ err }, 'job failed');
            await record({ ok: false, error: err.message, day: formatLocalDate(app.clock.now(), app.config.timezone) });
          });
        running.set(run, name);
        await run.finally(() => running.delete(run));
      },
      { timezone: app.config.timezone, noOverlap: true, name },
    );
    tasks.push(task);
  }
  return {
    async stop() {
      stopped = true;
      for (const t of tasks) await t.destroy();
      await Promise.allSettled([...running.keys()]);
      // A cut-off's releases use the database: they finish before it closes.
      await cutting;
    },
    running: () => [...running.values()],
    cutOff: () => {
      stopped = true;
      return (cutting ??= cutoff.cutOff());
    },
  };
}
