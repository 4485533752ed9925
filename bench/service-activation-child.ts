// The activation of (a), in a process of its own started with the Node flags of `npm start` (bench/service-activation.ts):
// the service as `createHuifang` assembles it on a plain client (no statement tracing), every due follow-up of the
// database at argv[2] activated by the job's own `activateDueFollowUps`, batch after batch, on a fake clock at argv[3]
// (ms). Prints one JSON line: wall time, this process's CPU, garbage collection, the machine reference before and after.
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { FakeClock } from '../bot/clocks.js';
import { createPrismaClient } from '../bot/db/client.js';
import { activateDueFollowUps } from '../bot/core/follow-ups/activate-due-follow-ups.js';
import { createBenchApp } from './setup.js';
import { machineReferenceMs } from './phases.js';

const [url, nowMs] = process.argv.slice(2);
if (!url || !nowMs) throw new Error('usage: service-activation-child.ts DATABASE_URL NOW_MS');
const db = createPrismaClient(url);
const { app } = createBenchApp(db, url, new FakeClock(new Date(Number(nowMs))), {}, { inboxDrain: false });
const referenceBeforeMs = machineReferenceMs();
let gcMs = 0;
let collections = 0;
const gc = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gcMs += entry.duration;
    collections++;
  }
});
gc.observe({ entryTypes: ['gc'] });
const started = performance.now();
const cpuBefore = process.cpuUsage();
let claimed = 0;
let activated = 0;
for (;;) {
  const s = await activateDueFollowUps(app.deps);
  claimed += s.claimed;
  activated += s.activated;
  if (s.claimed === 0) break;
}
const ms = performance.now() - started;
const cpu = process.cpuUsage(cpuBefore);
// The observer hears of the last collections after a turn of the event loop.
await new Promise((resolve) => setTimeout(resolve, 20));
gc.disconnect();
const referenceAfterMs = machineReferenceMs();
const line = JSON.stringify({ claimed, activated, ms, cpuMs: (cpu.user + cpu.system) / 1000, gcMs, collections, rss: process.memoryUsage().rss, reference: { beforeMs: referenceBeforeMs, afterMs: referenceAfterMs } });
await new Promise((resolve) => process.stdout.write(`${line}\n`, resolve));
await db.close();
// The assembled service keeps timers of its own (it is never started, only its jobs' code is run): end here.
process.exit(0);
