// `npm run bench -- [--rows N] [--history N] [--only sqlite|postgresql] …`
//
// For SQLite, and for PostgreSQL when TEST_POSTGRES_URL or BENCH_POSTGRES_URL is set:
//   (a) activation throughput — N due follow-ups through the real activateDueFollowUps;
//   (b) dispatch throughput — the outbox they produced through the real dispatchOutbox and the
//       sandbox channels (createHuifang's default without credentials);
//   (c) peak memory of each phase;
//   (d) tick cost (one run of each job in TICK_ORDER with a handful of new work) with a small and a
//       large history in every table, the ratio, per-statement attribution and EXPLAIN plans.
//   (e) scheduling throughput — cases through the real submitCase;
//   (f) the HTTP edge — signed WeCom callbacks, Tencent SMS replies and case posts from a load
//       generator on loopback, beside GET /healthz and a bare Koa handler in the same run (ratios);
//   (g) on PostgreSQL, sandbox dispatch beside graphile-worker completing no-op jobs on the same server;
//   (h) set-based scheduling — cases through POST /api/v1/cases/batch and the CSV import, beside submitCase one by one;
//   (i) the weekly digest of 1,000 managers through the job, beside reading and building them one manager after another;
//   (j) greeting planning on a send day at 10,000 and 100,000 customers, beside the full read every run made before;
//   (k) the real service's memory (`huifang start` in a child process): RSS idle, and while its jobs tick with
//       `--history` rows per table, beside a bare `node -e` process's RSS in the same run (ratios).
// `--only http` (or another part, or a database) runs just that. Prints a table and writes
// bench/results/latest.json. Figures only: nothing here asserts on timing.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, resolve } from 'node:path';
import type { DbProvider } from '../bot/db/client.js';
import { mib } from './memory.js';
import { parseBenchOptions, USAGE, type BenchOptions, type BenchPart } from './options.js';
import { runThroughput, runTicks, type ThroughputResult, type TickResult } from './phases.js';
import { snapshotTemplates } from './setup.js';
import { runScheduling, type SchedulingResult } from './scheduling.js';
import { DISPATCHING_MESSAGES, HTTP_TARGETS, runHttp, type HttpResult, type HttpTarget } from './http.js';
import { runQueue, type QueueResult } from './queue.js';
import { runBatch, type BatchResult } from './batch.js';
import { runDigests, type DigestBenchResult } from './digests.js';
import { runGreetingPlanning, type GreetingBenchResult } from './greetings.js';
import { runServiceMemory, type ServiceMemoryResult } from './service-memory.js';
import { runServiceActivation, type ServiceActivationResult } from './service-activation.js';

// test/support/db.ts reads TEST_POSTGRES_URL when first imported (dynamically, later).
if (!process.env.TEST_POSTGRES_URL && process.env.BENCH_POSTGRES_URL) process.env.TEST_POSTGRES_URL = process.env.BENCH_POSTGRES_URL;

interface ProviderResult {
  provider: DbProvider;
  skipped?: string;
  throughput?: ThroughputResult;
  /** (a') The activation alone in a process with `npm start`'s Node flags (with the activation part). */
  serviceActivation?: ServiceActivationResult;
  ticks?: TickResult;
  scheduling?: SchedulingResult;
  http?: HttpResult;
  /** PostgreSQL only. */
  queue?: QueueResult;
  batch?: BatchResult;
  digests?: DigestBenchResult;
  greetings?: GreetingBenchResult;
  memory?: ServiceMemoryResult;
  error?: string;
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const sec = (n: number) => (n / 1000).toFixed(1);
/** `claimed 500, activated 480, …` from a job summary. */
const fields = (summary: object) =>
  Object.entries(summary)
    .map(([k, v]) => `${k} ${typeof v === 'number' ? int(v) : JSON.stringify(v)}`)
    .join(', ');

/** Renders rows as a left/right-aligned text table. */
function table(header: string[], rows: string[][], rightAligned: boolean[] = header.map((_, i) => i > 0)): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (rightAligned[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function printThroughput(results: ProviderResult[], options: BenchOptions): void {
  const rows: string[][] = [];
  for (const r of results) {
    const t = r.throughput;
    if (!t) {
      rows.push([r.provider, r.skipped ? `skipped — ${r.skipped}` : `failed — ${r.error ?? '?'}`]);
      continue;
    }
    const a = t.activation;
    const d = t.dispatch;
    rows.push([r.provider, 'activation', int(a.summary.claimed), sec(a.ms), `${int(a.perSecond)}/s`, mib(a.memory.rssMax), mib(a.memory.heapUsedMax), sec(a.memory.eventLoopMaxStallMs)]);
    if (d) rows.push(['', 'dispatch', int(d.summary.sent), sec(d.ms), `${int(d.perSecond)}/s`, mib(d.memory.rssMax), mib(d.memory.heapUsedMax), sec(d.memory.eventLoopMaxStallMs)]);
  }
  console.log(`\n(a–c) Throughput with ${int(options.rows)} due follow-ups (activate: the job's adaptive claim size; dispatch: batchSize 500, concurrency 16, sandbox channels)`);
  console.log(table(['database', 'phase', 'items', 'seconds', 'rate', 'peak RSS', 'peak heapUsed', 'loop blocked s'], rows, [false, false, true, true, true, true, true, true]));
  console.log('  (rate: follow-ups claimed and turned into outbox messages / messages sent, per second; RSS sampled every 100 ms by a worker thread;');
  console.log('   loop blocked: longest time the main event loop could not run a 100 ms timer — no HTTP request or webhook is served meanwhile)');
  for (const r of results) {
    const t = r.throughput;
    if (!t) continue;
    const a = t.activation;
    const d = t.dispatch;
    console.log(
      `  ${r.provider}: activation ${fields(a.summary)}; ` +
        `${int(a.outboxCreated)} outbox messages created (${int(a.outboxPerSecond)}/s); still SCHEDULED ${int(a.stillScheduled)}; ` +
        `CPU of this process ${sec(a.cpuMs)} s (${int(a.summary.claimed / (a.cpuMs / 1000))} per CPU-second); ` +
        `of the machine, every process: ${sec(a.machine.busyMs)} s busy of ${sec(a.machine.availableMs)} s (${Math.round((a.machine.busyMs / a.machine.availableMs) * 100)} %); ` +
        `machine reference (fixed JavaScript work, bench/phases.ts) ${int(a.reference.beforeMs)} ms before, ${int(a.reference.afterMs)} ms after`,
    );
    if (d) console.log(
      `  ${r.provider}: dispatch ${fields(d.summary)}; ` +
        `outbox now ${Object.entries(d.outboxByStatus).map(([s, n]) => `${s} ${int(n)}`).join(', ')}; sandbox deliveries ${int(d.sandboxDeliveries)}`,
    );
    const calls = (c: Record<string, { calls: number; ms: number }>) =>
      Object.entries(c)
        .map(([name, t]) => `${name} ${sec(t.ms)} s/${int(t.calls)} calls (${ms(t.ms / t.calls)} ms each)`)
        .join('; ');
    console.log(`  ${r.provider}: activation time inside: ${calls(a.calls)}; the rest is planning in JS`);
    if (a.engine) {
      // SQLite runs on the process's thread: its statements and the JavaScript take turns, they never overlap.
      const top = a.engine.byStatement.slice(0, 7).map((s) => `${int(s.calls)}× ${s.key.slice(0, 60)} = ${sec(s.ms)} s`);
      console.log(
        `  ${r.provider}: activation inside SQLite itself, on the process's one thread: ${sec(a.engine.totalMs)} s of ${sec(a.ms)} s ` +
          `(${Math.round((a.engine.totalMs / a.ms) * 100)} %); the rest of the thread's time is JavaScript (planning, encoding, garbage collection): ${top.join(' | ')}`,
      );
    }
    if (d) console.log(`  ${r.provider}: dispatch time inside (16 concurrent, so sums overlap): ${calls(d.calls)}`);
    for (const [phase, statements] of [['activation', a.statements], ...(d ? [['dispatch', d.statements] as const] : [])] as const) {
      const top = statements.slice(0, 6).map((s) => `${int(s.calls)}× ${(s.label ?? s.key).slice(0, 70)} = ${sec(s.totalMs)} s`);
      console.log(`  ${r.provider}: ${phase} top statements (query-log time): ${top.join(' | ')}`);
    }
    for (const plan of [a.claimPlan, d?.claimPlan]) if (plan) printPlan(r.provider, plan, '  ');
  }
}

function printServiceActivation(results: readonly ProviderResult[]): void {
  console.log(`\n(a') Activation as the service runs it: a process of its own with npm start's Node flags, no statement tracing`);
  for (const r of results) {
    const a = r.serviceActivation;
    if (!a) continue;
    console.log(
      `  ${r.provider}: ${int(a.claimed)} claimed, ${int(a.activated)} activated in ${sec(a.ms)} s (${int(a.claimed / (a.ms / 1000))}/s; flags ${a.nodeFlags.join(' ')}); ` +
        `CPU of that process ${sec(a.cpuMs)} s; garbage collection ${sec(a.gcMs)} s in ${int(a.collections)} collections; RSS at the end ${mib(a.rss)}; ` +
        `machine reference ${int(a.reference.beforeMs)} ms before, ${int(a.reference.afterMs)} ms after`,
    );
  }
}

function printPlan(provider: DbProvider, e: { key: string; label: string | null; plan: { lines: string[]; scans: string[]; error?: string } }, indent: string): void {
  const flag = e.plan.scans.length > 0 ? '  ⚠ SCANS' : '';
  console.log(`${indent} • ${provider}: ${e.label ?? 'statement'}${flag}`);
  console.log(`${indent}     ${e.key.length > 400 ? `${e.key.slice(0, 400)}…` : e.key}`);
  if (e.plan.error) console.log(`${indent}     (EXPLAIN failed: ${e.plan.error})`);
  const lines = provider === 'sqlite' ? e.plan.lines : e.plan.lines.filter((l) => !/^\s*(Buffers|Planning|I\/O Timings)/.test(l));
  for (const line of lines) console.log(`${indent}     | ${line.length > 300 ? `${line.slice(0, 300)}…` : line}`);
}

function printTicks(results: ProviderResult[], options: BenchOptions): void {
  console.log(
    `\n(d) Tick cost: one run of each job in TICK_ORDER with ${options.tickRows} newly due follow-ups (+ up to 5 SMS replies), ` +
      `median of ${options.ticks} ticks, by history rows per table`,
  );
  const rows: string[][] = [];
  for (const r of results) {
    const t = r.ticks;
    if (!t) {
      rows.push([r.provider, r.skipped ? `skipped — ${r.skipped}` : `failed — ${r.error ?? '?'}`]);
      continue;
    }
    t.sizes.forEach((s, i) => {
      rows.push([
        i === 0 ? r.provider : '',
        s.backlog > 0 ? `${int(s.historyPerTable)} + ${int(s.backlog)} not due` : int(s.historyPerTable),
        ms(s.medianMs),
        ms(s.p90Ms),
        ms(s.jobMedianMs['process-inbox'] ?? NaN),
        ms(s.jobMedianMs['mark-overdue'] ?? NaN),
        ms(s.jobMedianMs['activate-due-follow-ups'] ?? NaN),
        ms(s.jobMedianMs['dispatch-outbox'] ?? NaN),
        ms(s.metricsMs),
        mib(s.memory.rssMax),
        ms(s.memory.eventLoopMaxStallMs),
        sec(s.buildMs),
      ]);
    });
    rows.push(['', 'ratio large/small', t.ratio === null ? '—' : `×${t.ratio.toFixed(2)}`]);
    if (t.backlogRatio !== null) rows.push(['', 'ratio +backlog/small', `×${t.backlogRatio.toFixed(2)}`]);
  }
  console.log(
    table(
      ['database', 'history/table', 'median ms', 'p90 ms', 'inbox ms', 'overdue ms', 'activate ms', 'dispatch ms', '/metrics ms', 'peak RSS', 'blocked ms', 'build s'],
      rows,
      [false, true, true, true, true, true, true, true, true, true, true, true],
    ),
  );
  console.log(
    '  (history/table: DONE follow-ups, SENT outbox messages, PROCESSED inbound events, audit entries, and 30 % as many ANSWERED/EXPIRED surveys;\n' +
      '   "not due": SCHEDULED follow-ups due 1–30 days later, as cases create them ahead; job columns: median per job;\n' +
      '   /metrics: the backlog queries of GET /metrics, not part of a tick; blocked: longest event-loop stall while ticking, inserts between ticks included; build: insert time)',
  );

  for (const r of results) {
    const t = r.ticks;
    if (!t || t.sizes.length < 2) continue;
    const small = t.sizes[0]!;
    const large = t.sizes[t.sizes.length - 1]!;
    const sizeName = (x: typeof small) => (x.backlog > 0 ? `${int(x.historyPerTable)}+${int(x.backlog)}` : int(x.historyPerTable));
    const l = large.lastSummaries;
    console.log(`\n  ${r.provider}: last tick did ${Object.entries(l).map(([k, v]) => `${k} ${JSON.stringify(v)}`).join('; ')}`);
    console.log(`  ${r.provider}: tables at the large size: ${Object.entries(large.tableRows).map(([k, v]) => `${k} ${int(v)}`).join(', ')}`);
    const byKey = t.sizes.map((x) => new Map(x.statements.map((s) => [s.key, s])));
    const rowsOut = large.statements.slice(0, 14).map((s) => {
      const before = byKey[0]!.get(s.key);
      return [
        (s.label ?? s.key).slice(0, 80),
        s.callsPerTick.toFixed(1),
        ...byKey.map((m) => {
          const x = m.get(s.key);
          return x ? ms(x.msPerTick) : '—';
        }),
        before && before.msPerTick > 0 ? `×${(s.msPerTick / before.msPerTick).toFixed(1)}` : '—',
      ];
    });
    console.log(`  ${r.provider}: statements by time per tick (Prisma query log), largest first`);
    console.log(
      table(['statement', 'calls/tick', ...t.sizes.map((x) => `ms @${sizeName(x)}`), 'growth'], rowsOut, [false, true, ...t.sizes.map(() => true), true])
        .split('\n')
        .map((x) => `    ${x}`)
        .join('\n'),
    );
  }

  for (const r of results) {
    const t = r.ticks;
    if (!t) continue;
    const shown = t.explained.filter((e) => e.label !== null || e.plan.scans.length > 0);
    const last = t.sizes[t.sizes.length - 1]!;
    console.log(
      `\n  ${r.provider}: plans with ${int(last.historyPerTable)} history rows per table${last.backlog > 0 ? ` + ${int(last.backlog)} not-due follow-ups` : ''} ` +
        `(${r.provider === 'sqlite' ? 'EXPLAIN QUERY PLAN' : 'EXPLAIN (ANALYZE, BUFFERS), rolled back'}; parameters of the last tick)`,
    );
    for (const e of shown) printPlan(r.provider, e, ' ');
    const others = t.explained.filter((e) => e.label === null && e.plan.scans.length === 0).length;
    if (others > 0) console.log(`   (${others} other statements use index lookups only; all plans are in the JSON results)`);
  }
}

function printScheduling(results: ProviderResult[], options: BenchOptions): void {
  const rows: string[][] = [];
  for (const r of results) {
    const s = r.scheduling;
    if (!s) {
      rows.push([r.provider, r.skipped ? `skipped — ${r.skipped}` : `failed — ${r.error ?? '?'}`]);
      continue;
    }
    rows.push([r.provider, int(s.cases), int(s.followUps), sec(s.ms), `${int(s.perSecond)}/s`, mib(s.memory.rssMax), mib(s.memory.heapUsedMax)]);
  }
  console.log(`\n(e) Scheduling ${int(options.rows)} cases through submitCase (the example cases of every pack, 8 at a time)`);
  console.log(table(['database', 'cases', 'follow-ups', 'seconds', 'rate', 'peak RSS', 'peak heapUsed'], rows));
  for (const r of results) if (r.scheduling) console.log(`  ${r.provider}: cases by policy ${Object.entries(r.scheduling.byPolicy).sort().map(([k, v]) => `${k} ${int(v)}`).join(', ')}`);
}

const TARGET_NAMES: Record<HttpTarget, string> = {
  'bare-koa': 'bare Koa handler',
  healthz: 'GET /healthz',
  'wecom-callback': 'WeCom callback',
  'wecom-callback-web': 'WeCom callback, --role web',
  'sms-reply': 'Tencent SMS reply',
  'api-cases': 'POST /api/v1/cases',
  'wecom-callback-dispatching': 'WeCom callback, dispatcher draining',
};

function printHttp(results: ProviderResult[], options: BenchOptions): void {
  const rows: string[][] = [];
  const ratio = (a: number, b: number) => (b > 0 ? `${((a / b) * 100).toFixed(a / b < 0.1 ? 1 : 0)} %` : '—');
  for (const r of results) {
    const h = r.http;
    if (!h) {
      rows.push([r.provider, r.skipped ? `skipped — ${r.skipped}` : `failed — ${(r.error ?? '?').split('\n')[0]}`]);
      continue;
    }
    const healthz = h.targets.healthz.perSecond;
    const bare = h.targets['bare-koa'].perSecond;
    HTTP_TARGETS.forEach((target, i) => {
      const t = h.targets[target];
      rows.push([
        i === 0 ? r.provider : '',
        TARGET_NAMES[target],
        int(t.perSecond),
        ratio(t.perSecond, healthz),
        ratio(t.perSecond, bare),
        String(t.latency.p50),
        String(t.latency.p99),
        int(t.requests),
        int(t.non2xx + t.errors + t.timeouts),
      ]);
    });
  }
  console.log(
    `\n(f) HTTP edge: ${int(options.httpRequests)} distinct requests per target (after a warm-up), ${options.connections} connections, ` +
      `autocannon in a worker thread on loopback; service on the same process as in production (one process; no job runs, but for the last target: the dispatcher draining ${int(DISPATCHING_MESSAGES)} messages with the dispatch-outbox job's settings, run after run). ` +
      '"--role web": the same service without the inbox drain in its process, as `huifang start --role web` runs it; its events are handled after the load',
  );
  console.log(
    table(['database', 'target', 'req/s', 'of /healthz', 'of bare Koa', 'p50 ms', 'p99 ms', 'requests', 'failed'], rows, [false, false, true, true, true, true, true, true, true]),
  );
  console.log('  (ratios: req/s of the target over req/s of GET /healthz and of a bare Koa handler measured in the same run;');
  console.log('   p50/p99: autocannon latency in whole milliseconds; failed: non-2xx answers, socket errors and timeouts)');
  for (const r of results) {
    const h = r.http;
    if (!h) continue;
    const drain = Object.entries(h.drainMs).map(([t, ms]) => `${TARGET_NAMES[t as HttpTarget]} ${sec(ms)} s`).join(', ');
    console.log(`  ${r.provider}: inbound events recorded ${int(h.recorded.inboundEvents)}, cases created ${int(h.recorded.cases)}; processing left after the load: ${drain}`);
    const d = h.dispatching;
    if (d)
      console.log(
        `  ${r.provider}: beside the last target, the dispatcher (same process) sent ${int(d.sentDuringLoad)} of ${int(d.queued)} queued messages during the load ` +
          `(${int(d.perSecondDuringLoad)}/s; ${int(d.sentInAll)} in all); event loop delay during the load: p99 ${d.loopDelayP99Ms.toFixed(0)} ms, max ${d.loopDelayMaxMs.toFixed(0)} ms`,
      );
  }
}

function printQueue(results: ProviderResult[], options: BenchOptions): void {
  const r = results.find((x) => x.provider === 'postgresql');
  console.log(`\n(g) Dispatch beside graphile-worker on the same PostgreSQL server, ${int(options.queueJobs)} messages / no-op jobs each`);
  const q = r?.queue;
  if (!q) {
    console.log(`  skipped — ${r?.skipped ?? (r?.error ? `failed: ${r.error.split('\n')[0]}` : 'PostgreSQL not run (--only)')}`);
    return;
  }
  console.log(
    table(
      ['queue', 'items', 'rate', 'ratio'],
      [
        ['graphile-worker (no-op task)', int(q.graphileCompleted), `${int(q.graphilePerSecond)}/s`, '100 %'],
        ['dispatchOutbox (sandbox channels)', int(q.dispatchSent), `${int(q.dispatchPerSecond)}/s`, `${(q.ratio * 100).toFixed(0)} %`],
      ],
      [false, true, true, true],
    ),
  );
  console.log(`  (both with concurrency ${q.concurrency}; graphile-worker timed from its runner's start to the last job:complete, jobs added beforehand in one statement;`);
  console.log('   dispatch: phase (b), batches of 500 claimed with SKIP LOCKED, each message recorded SENT with its attempt and sandbox delivery)');
}

function printBatch(results: ProviderResult[], options: BenchOptions): void {
  const rows: string[][] = [];
  for (const r of results) {
    const b = r.batch;
    if (!b) {
      rows.push([r.provider, r.skipped ? `skipped — ${r.skipped}` : `failed — ${(r.error ?? '?').split('\n')[0]}`]);
      continue;
    }
    const line = (name: string, x: { cases: number; followUps: number; ms: number; perSecond: number; cpuMs: number; memory: { rssMax: number } }, first: boolean) => [
      first ? r.provider : '',
      name,
      int(x.cases),
      int(x.followUps),
      sec(x.ms),
      `${int(x.perSecond)}/s`,
      `×${(x.perSecond / b.single.perSecond).toFixed(1)}`,
      `${sec(x.cpuMs)} (${int(x.cases / (x.cpuMs / 1000))}/CPU-s)`,
      mib(x.memory.rssMax),
    ];
    rows.push(line('submitCase one by one (reference)', b.single, true));
    rows.push(line('POST /api/v1/cases/batch', b.http, false));
    rows.push(line('import cases (CSV)', b.csv, false));
  }
  console.log(`\n(h) Set-based scheduling: ${int(options.rows)} cases (the example cases of every pack) through the batch endpoint (1,000 per request, 2 at a time) and the CSV import, each on a fresh database`);
  console.log(table(['database', 'path', 'cases', 'follow-ups', 'seconds', 'rate', 'of one by one', 'CPU s (cases per CPU-second)', 'peak RSS'], rows, [false, false, true, true, true, true, true, true, true]));
  console.log('  (reference: submitCase one by one, 8 at a time, on min(rows, 2,000) cases in the same run; ratio: rate over the reference rate;');
  console.log('   CPU: user + system time of the bench process, which runs the service too — the PostgreSQL server\'s work not counted)');
}

function printGreetings(results: ProviderResult[]): void {
  const rows: string[][] = [];
  for (const r of results) {
    const g = r.greetings;
    if (!g) {
      rows.push([r.provider, r.skipped ? `skipped — ${r.skipped}` : `failed — ${(r.error ?? '?').split('\n')[0]}`]);
      continue;
    }
    g.sizes.forEach((s, i) => {
      rows.push([i === 0 ? r.provider : '', int(s.customers), int(s.due), ms(s.fullMs), `${ms(s.firstMs)} (${int(s.firstRead)} read)`, `${ms(s.replanMs)} (${int(s.replanRead)} read)`, `×${(s.fullMs / s.replanMs).toFixed(0)}`]);
    });
  }
  console.log('\n(j) Greeting planning on a birthday-only send day (a festival-and-birthday campaign, birthdays spread over the year)');
  console.log(table(['database', 'customers', 'due', 'every run before ms', 'first run now ms', 'later run now ms', 'before / later'], rows));
  console.log('  (before: every customer and the day\'s rows read, then planned — what each run did, once per 15 minutes, measured in the same run;');
  console.log('   first run now: customers born on the day, rows inserted; later run now: claim + customers changed since the last complete run; means of 5)');
}

function printDigests(results: ProviderResult[]): void {
  const rows: string[][] = [];
  for (const r of results) {
    const d = r.digests;
    if (!d) {
      rows.push([r.provider, r.skipped ? `skipped — ${r.skipped}` : `failed — ${(r.error ?? '?').split('\n')[0]}`]);
      continue;
    }
    rows.push([r.provider, 'one manager after another (read + build; reference)', int(d.managers), sec(d.oneByOne.ms), '×1.0', mib(d.oneByOne.memory.rssMax)]);
    rows.push(['', `send-weekly-digests job (read together + build + enqueue ${int(d.job.enqueued)})`, int(d.managers), sec(d.job.ms), `×${(d.oneByOne.ms / d.job.ms).toFixed(1)}`, mib(d.job.memory.rssMax)]);
  }
  const first = results.find((r) => r.digests)?.digests;
  console.log(`\n(i) Weekly digests: ${first ? int(first.managers) : '?'} managers (a department each), ${first ? int(first.followUps) : '?'} follow-ups due in the reported week`);
  console.log(table(['database', 'path', 'managers', 'seconds', 'speed-up', 'peak RSS'], rows, [false, false, true, true, true, true]));
  console.log('  (speed-up: reference seconds over job seconds, measured in the same run on the same rows)');
}

function printServiceMemory(results: ProviderResult[], options: BenchOptions): void {
  const rows: string[][] = [];
  let flags: string[] | null = null;
  for (const r of results) {
    const m = r.memory;
    if (!m) {
      rows.push([r.provider, r.skipped ? `skipped — ${r.skipped}` : `failed — ${(r.error ?? '?').split('\n')[0]}`]);
      continue;
    }
    flags = m.nodeFlags;
    const ratio = (bytes: number) => `×${(bytes / m.referenceRss).toFixed(1)}`;
    rows.push([r.provider, 'bare node -e (reference)', mib(m.referenceRss), '×1.0', '', '']);
    rows.push(['', `idle (${m.idle.ticks} round of jobs)`, mib(m.idle.rss), ratio(m.idle.rss), mib(m.idle.peakRss), ratio(m.idle.peakRss)]);
    rows.push(['', `jobs ticking, ${int(m.loaded.tableRows.FollowUp ?? 0)} follow-ups (${m.loaded.ticks} rounds)`, mib(m.loaded.rss), ratio(m.loaded.rss), mib(m.loaded.peakRss), ratio(m.loaded.peakRss)]);
    const report = m.report.exitCode === 0 ? `report monthly ${m.report.month} (${int(m.report.due)} due; separate process)` : `report monthly ${m.report.month} FAILED (exit ${m.report.exitCode})`;
    rows.push(['', report, '', '', mib(m.report.peakRss), ratio(m.report.peakRss)]);
  }
  console.log(`\n(k) The service's memory: huifang start (node ${[...(flags ?? []), 'bin/huifang.mjs start'].join(' ')}, as npm start runs it), RSS`);
  console.log(table(['database', 'phase', 'RSS after', 'of node -e', 'peak RSS', 'of node -e'], rows, [false, false, true, true, true, true]));
  console.log(
    `  (RSS sampled every 250 ms from /proc; "after": 3 s after the phase's last round of jobs finished; ticking: ${int(options.history)} DONE follow-ups and as many\n` +
      `   rows in the other history tables, ${int(options.backlog)} follow-ups not yet due and up to 5,000 due, activated and dispatched to the sandbox)`,
  );
  for (const r of results) {
    const m = r.memory;
    if (!m) continue;
    const did = Object.entries(m.loaded.work)
      .map(([job, summary]) => [job, Object.entries(summary).filter(([, v]) => v > 0)] as const)
      .filter(([, fields]) => fields.length > 0)
      .map(([job, fields]) => `${job} ${fields.map(([k, v]) => `${k} ${int(v)}`).join(', ')}`);
    console.log(`  ${r.provider}: the jobs did ${did.join('; ') || 'nothing'}`);
  }
}

async function main(): Promise<void> {
  let options: BenchOptions | 'help';
  try {
    options = parseBenchOptions(process.argv.slice(2));
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    process.exit(2);
  }
  if (options === 'help') {
    console.log(USAGE);
    return;
  }
  const started = performance.now();
  snapshotTemplates();
  console.log(
    `Huifang benchmark — ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), ${mib(totalmem())} RAM, Node ${process.version}; ` +
      `parts ${options.parts.join(", ")}; rows ${int(options.rows)}, history ${int(options.historyBase)} vs ${int(options.history)} per table`,
  );
  const results: ProviderResult[] = [];
  for (const provider of options.only) {
    if (provider === 'postgresql' && !process.env.TEST_POSTGRES_URL) {
      const reason = 'TEST_POSTGRES_URL / BENCH_POSTGRES_URL not set (e.g. postgresql://postgres@127.0.0.1:5432/postgres)';
      console.log(`\n⚠ PostgreSQL skipped: ${reason}`);
      results.push({ provider, skipped: reason });
      continue;
    }
    const result: ProviderResult = { provider };
    results.push(result);
    const part = (name: BenchPart) => options.parts.includes(name);
    try {
      if (part('throughput')) result.throughput = await runThroughput(provider, options);
      else if (part('activation')) result.throughput = await runThroughput(provider, options, true);
      if (part('activation')) result.serviceActivation = await runServiceActivation(provider, options);
      if (part('ticks')) result.ticks = await runTicks(provider, options);
      if (part('throughput')) {
        process.stderr.write(`  … ${provider}: scheduling ${options.rows} cases through submitCase across the policy packs\n`);
        result.scheduling = await runScheduling(provider, options.rows);
      }
      if (part('http')) result.http = await runHttp(provider, options);
      if (part('queue') && provider === 'postgresql') result.queue = await runQueue(options);
      if (part('batch')) result.batch = await runBatch(provider, options.rows);
      if (part('digests')) result.digests = await runDigests(provider);
      if (part('greetings')) result.greetings = await runGreetingPlanning(provider);
      if (part('memory')) result.memory = await runServiceMemory(provider, options);
    } catch (err) {
      result.error = err instanceof Error ? (err.stack ?? err.message) : String(err);
      console.error(`\n✖ ${provider} failed: ${result.error}`);
      process.exitCode = 1;
    }
  }
  if (options.parts.includes('throughput') || options.parts.includes('activation')) printThroughput(results, options);
  if (options.parts.includes('activation')) printServiceActivation(results);
  if (options.parts.includes('ticks')) printTicks(results, options);
  if (options.parts.includes('throughput')) printScheduling(results, options);
  if (options.parts.includes('http')) printHttp(results, options);
  if (options.parts.includes('queue')) printQueue(results, options);
  if (options.parts.includes('batch')) printBatch(results, options);
  if (options.parts.includes('digests')) printDigests(results);
  if (options.parts.includes('greetings')) printGreetings(results);
  if (options.parts.includes('memory')) printServiceMemory(results, options);

  const out = resolve(options.out);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    `${JSON.stringify(
      {
        finishedAt: new Date().toISOString(),
        durationMs: performance.now() - started,
        machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? null, totalMemory: totalmem(), node: process.version, platform: process.platform },
        options,
        results,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`\nTotal ${sec(performance.now() - started)} s. Results written to ${out}`);
}

await main();
