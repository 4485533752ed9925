import type { Huifang } from '../bot/huifang.js';
import { jobs } from './index.js';
import type { JobCutoffSignal } from '../bot/core/cutoff.js';

/**
 * Runs one job by name, as the scheduler does, and emits `job:finished` with its duration (logs and
 * `/metrics` subscribe) whether it succeeded or threw; a failure is rethrown to the caller.
 */
export async function runJob(app: Huifang, name: string, cutoff?: JobCutoffSignal): Promise<object> {
  const job = jobs[name];
  if (!job) throw new Error(`unknown job ${name}`);
  const started = performance.now();
  let ok = false;
  try {
    const summary = await job.run(app, cutoff);
    ok = true;
    return summary;
  } finally {
    app.events.emit('job:finished', { job: name, ms: performance.now() - started, ok, at: app.clock.now() });
  }
}
