// (g) Dispatch beside a reference job queue: on the same PostgreSQL server and in the same run, our
// sandbox dispatch rate (phase b with --queue-jobs due follow-ups) and graphile-worker completing
// as many no-op jobs, with the same concurrency. graphile-worker is a dev dependency used here only.
import { Logger, run } from 'graphile-worker';
import pg from 'pg';
import type { BenchOptions } from './options.js';
import { runThroughput } from './phases.js';
import { createBenchDb } from './setup.js';

/** How many jobs (messages) each side runs at once: the dispatcher's concurrency in phase (b). */
export const QUEUE_CONCURRENCY = 16;

/** graphile-worker's own default pool size (`maxPoolSize`), for the pool given to it. */
const GRAPHILE_POOL_SIZE = 10;

export interface QueueResult {
  jobs: number;
  concurrency: number;
  /** Outbox messages sent per second by dispatchOutbox to the sandbox channels. */
  dispatchPerSecond: number;
  dispatchSent: number;
  /** No-op jobs completed per second by graphile-worker. */
  graphilePerSecond: number;
  graphileCompleted: number;
  graphileMs: number;
  /** dispatchPerSecond / graphilePerSecond. */
  ratio: number;
}

const log = (text: string) => process.stderr.write(`  … ${text}\n`);
const silent = new Logger(() => () => {});

/** graphile-worker: `jobs` no-op jobs added in one statement, then timed from the runner's start to the last completion. */
async function runGraphileWorker(jobs: number, timeLimitMs: number): Promise<{ completed: number; ms: number }> {
  const db = await createBenchDb('postgresql');
  try {
    const { runMigrations } = await import('graphile-worker');
    await runMigrations({ connectionString: db.url, logger: silent });
    await db.prisma.$executeRawUnsafe(`SELECT graphile_worker.add_job('noop', json_build_object('i', i)) FROM generate_series(1, ${jobs}) AS i`);
    let completed = 0;
    let finished: () => void = () => {};
    const done = new Promise<void>((resolve) => (finished = resolve));
    const started = performance.now();
    // The pool graphile-worker would make itself from the connection string (10 connections), made here so
    // that it has ended, and keeps an error listener, before the database is dropped: the runner's stop
    // ends its own pool without waiting and removes its listener, so dropping the database could end the
    // bench with an unhandled "terminating connection due to administrator command".
    const pgPool = new pg.Pool({ connectionString: db.url, max: GRAPHILE_POOL_SIZE });
    pgPool.on('error', () => {});
    const runner = await run({
      pgPool,
      concurrency: QUEUE_CONCURRENCY,
      noHandleSignals: true,
      pollInterval: 1000,
      logger: silent,
      taskList: { noop: async () => {} },
    });
    runner.events.on('job:complete', () => {
      completed++;
      if (completed >= jobs) finished();
    });
    const limit = setTimeout(finished, timeLimitMs);
    await done;
    const ms = performance.now() - started;
    clearTimeout(limit);
    await runner.stop();
    await pgPool.end();
    return { completed, ms };
  } finally {
    await db.destroy();
  }
}

/** (g): our dispatch, then graphile-worker, on the PostgreSQL server of TEST_POSTGRES_URL. */
export async function runQueue(options: BenchOptions): Promise<QueueResult> {
  const jobs = options.queueJobs;
  log(`postgresql: dispatch of ${jobs} messages (activation first, not counted)`);
  const ours = await runThroughput('postgresql', { ...options, rows: jobs });
  if (!ours.dispatch) throw new Error('the throughput run dispatched nothing');
  log(`postgresql: graphile-worker, ${jobs} no-op jobs, concurrency ${QUEUE_CONCURRENCY}`);
  const graphile = await runGraphileWorker(jobs, 600_000);
  const graphilePerSecond = graphile.completed / (graphile.ms / 1000);
  return {
    jobs,
    concurrency: QUEUE_CONCURRENCY,
    dispatchPerSecond: ours.dispatch.perSecond,
    dispatchSent: ours.dispatch.summary.sent,
    graphilePerSecond,
    graphileCompleted: graphile.completed,
    graphileMs: graphile.ms,
    ratio: ours.dispatch.perSecond / graphilePerSecond,
  };
}
