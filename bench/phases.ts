// The measured phases: (a) activation throughput, (b) dispatch throughput, (c) their peak memory,
// (d) tick cost against the size of the history tables, with per-statement attribution and plans.
import { createHash } from 'node:crypto';
import { cpus } from 'node:os';
import type { DbProvider } from '../bot/db/client.js';
import type { ChannelName } from '../bot/core/model.js';
import type { MessageChannel } from '../bot/core/messages.js';
import type { CoreDeps } from '../bot/core/deps.js';
import { FakeClock } from '../bot/clocks.js';
import { activateDueFollowUps, type ActivationSummary } from '../bot/core/follow-ups/activate-due-follow-ups.js';
import { dispatchOutbox, type DispatchSummary } from '../bot/core/outbox/dispatch-outbox.js';
import { jobs, TICK_ORDER } from '../jobs/index.js';
import type { AdHocTestDb } from '../test/support/db.js';
import { explainStatement, StatementRecorder, type Plan, type StatementStat } from './explain.js';
import { countHistory, insertBacklog, insertHistory, type HistoryTiming } from './history.js';
import { sampleHeapNow, withMemory, type MemoryPeak } from './memory.js';
import type { BenchOptions } from './options.js';
import {
  BENCH_START,
  createBenchApp,
  createBenchDb,
  createTracedClient,
  customerPhone,
  dbClientOf,
  insertActivationBacklog,
  insertDueFollowUps,
  seedPopulation,
  sqliteEngineTimer,
  type BenchApp,
  type Population,
  type SqliteEngineTime,
} from './setup.js';

/** Time spent inside one store or channel method during a phase (concurrent calls overlap). */
export interface CallTime {
  calls: number;
  ms: number;
}

export interface PhaseStatement {
  key: string;
  label: string | null;
  calls: number;
  totalMs: number;
}

export interface ThroughputResult {
  rows: number;
  setupMs: number;
  activation: {
    ms: number;
    perSecond: number;
    /** CPU time of the bench process (user + system) meanwhile: on a busy machine, what the wall time cannot show. */
    cpuMs: number;
    /**
     * CPU time the whole machine spent meanwhile, every process (on PostgreSQL, the server's too), and how much it
     * had (wall time × cores): a machine whose cores were busy all along cannot go faster without less work.
     */
    machine: { busyMs: number; availableMs: number };
    summary: ActivationSummary;
    outboxCreated: number;
    outboxPerSecond: number;
    stillScheduled: number;
    memory: MemoryPeak;
    calls: Record<string, CallTime>;
    /** Statements by total time (Prisma query log durations). */
    statements: PhaseStatement[];
    /** Plan of the claim statement with every row still due (after the first batch). */
    claimPlan: ExplainedStatement | null;
    /** SQLite only: the time SQLite itself ran statements on the process's thread (bench/setup.ts). */
    engine: SqliteEngineTime | null;
    /** {@link machineReferenceMs} just before and just after: the machine's speed during this run. */
    reference: { beforeMs: number; afterMs: number };
  };
  /** Null when activation ran alone (`--only activation`). */
  dispatch: {
    ms: number;
    perSecond: number;
    summary: DispatchSummary;
    outboxByStatus: Record<string, number>;
    sandboxDeliveries: number;
    memory: MemoryPeak;
    calls: Record<string, CallTime>;
    statements: PhaseStatement[];
    claimPlan: ExplainedStatement | null;
  } | null;
}

/**
 * Wraps `target` so that calls of the named async methods are timed into `times`; `after` runs after
 * the first call of a method, outside the measured time (its own duration is returned to subtract).
 * Other members are passed through bound to the target (private fields keep working).
 */
function timed<T extends object>(
  target: T,
  methods: readonly string[],
  times: Record<string, CallTime>,
  after?: (method: string) => Promise<void>,
): T {
  const seen = new Set<string>();
  return new Proxy(target, {
    get(obj, prop) {
      const value: unknown = Reflect.get(obj, prop, obj);
      if (typeof value !== 'function') return value;
      const fn = (value as (...args: unknown[]) => unknown).bind(obj);
      if (typeof prop !== 'string' || !methods.includes(prop)) return fn;
      return async (...args: unknown[]) => {
        const started = performance.now();
        try {
          return await fn(...args);
        } finally {
          const t = (times[prop] ??= { calls: 0, ms: 0 });
          t.calls++;
          t.ms += performance.now() - started;
          sampleHeapNow();
          if (after && !seen.has(prop)) {
            seen.add(prop);
            await after(prop);
          }
        }
      };
    },
  });
}

/** Adds the numeric fields of job summaries (whatever fields the use case reports). */
function addSummaries<T extends object>(total: T | null, next: T): T {
  if (!total) return { ...next };
  const sum = { ...total } as Record<string, unknown>;
  for (const [key, value] of Object.entries(next)) {
    if (typeof value === 'number') sum[key] = (typeof sum[key] === 'number' ? (sum[key] as number) : 0) + value;
  }
  return sum as T;
}

function phaseStatements(stats: StatementStat[]): PhaseStatement[] {
  return stats
    .map((s) => ({ key: s.key, label: labelStatement(s.key), calls: s.calls, totalMs: s.totalMs }))
    .sort((a, b) => b.totalMs - a.totalMs);
}

const log = (text: string) => process.stderr.write(`  … ${text}\n`);

/** (a)–(c): activate `rows` due follow-ups, then (unless `activationOnly`) dispatch every outbox message they produced. */
export async function runThroughput(provider: DbProvider, options: BenchOptions, activationOnly = false): Promise<ThroughputResult> {
  const db = await createBenchDb(provider);
  const recorder = new StatementRecorder();
  // The service runs on a client that logs each statement's duration (attribution; a few µs each).
  const traced = createTracedClient(db, recorder.onQuery);
  try {
    const { app, clock, ids } = createBenchApp(traced, db.url);
    const setupStarted = performance.now();
    await insertActivationBacklog(db, ids, clock.now(), options.rows);
    const setupMs = performance.now() - setupStarted;
    log(`${provider}: ${options.rows} due follow-ups inserted in ${(setupMs / 1000).toFixed(1)} s; activating`);
    clock.advance(1_000);

    // After the first claim (all but one batch still due), EXPLAIN the claim statement; not timed.
    let excludedMs = 0;
    let activationClaimPlan: ExplainedStatement | null = null;
    const activationCalls: Record<string, CallTime> = {};
    const followUps = timed(app.deps.followUps, ['claimDueFollowUps', 'commitActivations'], activationCalls, async (method) => {
      if (method !== 'claimDueFollowUps') return;
      const started = performance.now();
      const stat = recorder.find((k) => labelStatement(k) === 'claimDueFollowUps: claim UPDATE');
      if (stat) activationClaimPlan = { key: stat.key, label: labelStatement(stat.key), plan: await explainStatement(db.prisma, provider, stat.sample) };
      excludedMs += performance.now() - started;
    });
    const org = timed(app.deps.org, ['loadOrgSnapshot'], activationCalls);
    const activationDeps: CoreDeps = { ...app.deps, followUps, org };
    const referenceBeforeMs = machineReferenceMs();
    recorder.recording = true;
    const engineTimer = provider === 'sqlite' ? sqliteEngineTimer() : null;
    engineTimer?.start();
    const activation = await withMemory(async () => {
      const started = performance.now();
      const cpuBefore = process.cpuUsage();
      const machineBefore = machineBusyMs();
      let total: ActivationSummary | null = null;
      for (;;) {
        // The job's own claim sizes (adaptive, from ACTIVATION_BATCH_SIZE up), as the cron tick runs it.
        const s = await activateDueFollowUps(activationDeps);
        total = addSummaries(total, s);
        if (s.claimed === 0) break;
      }
      const cpu = process.cpuUsage(cpuBefore);
      const wallMs = performance.now() - started;
      const machine = { busyMs: machineBusyMs() - machineBefore, availableMs: wallMs * cpus().length };
      return { total, ms: wallMs - excludedMs, cpuMs: (cpu.user + cpu.system) / 1000, machine };
    });
    const engine = engineTimer?.stop() ?? null;
    recorder.recording = false;
    const referenceAfterMs = machineReferenceMs();
    const activationStatements = phaseStatements(recorder.take());
    const outboxCreated = await db.prisma.outboxMessage.count();
    const stillScheduled = await db.prisma.followUp.count({ where: { status: 'SCHEDULED' } });
    log(`${provider}: activation ${(activation.result.ms / 1000).toFixed(1)} s${activationOnly ? '' : '; dispatching'}`);
    const activationResult = {
      ms: activation.result.ms,
      perSecond: activation.result.total.claimed / (activation.result.ms / 1000),
      cpuMs: activation.result.cpuMs,
      machine: activation.result.machine,
      summary: activation.result.total,
      outboxCreated,
      outboxPerSecond: outboxCreated / (activation.result.ms / 1000),
      stillScheduled,
      memory: activation.memory,
      calls: activationCalls,
      statements: activationStatements,
      claimPlan: activationClaimPlan,
      engine,
      reference: { beforeMs: referenceBeforeMs, afterMs: referenceAfterMs },
    };
    if (activationOnly) return { rows: options.rows, setupMs, activation: activationResult, dispatch: null };
    clock.advance(1_000);

    excludedMs = 0;
    let dispatchClaimPlan: ExplainedStatement | null = null;
    const dispatchCalls: Record<string, CallTime> = {};
    const outbox = timed(app.deps.outbox, ['claimOutbox', 'completeOutbox'], dispatchCalls, async (method) => {
      if (method !== 'claimOutbox') return;
      const started = performance.now();
      const stat = recorder.find((k) => labelStatement(k) === 'claimOutbox: claim UPDATE');
      if (stat) dispatchClaimPlan = { key: stat.key, label: labelStatement(stat.key), plan: await explainStatement(db.prisma, provider, stat.sample) };
      excludedMs += performance.now() - started;
    });
    const channels = Object.fromEntries(
      Object.entries(app.channels).map(([name, channel]) => [name, timed(channel, ['send'], dispatchCalls)]),
    ) as Record<ChannelName, MessageChannel>;
    recorder.recording = true;
    const dispatch = await withMemory(async () => {
      const started = performance.now();
      let total: DispatchSummary | null = null;
      for (;;) {
        // Every message is sent whatever the hour the bench runs at: contact hours would hold customer messages back.
        const s = await dispatchOutbox({ ...app.deps, outbox }, { channels, jitter: () => 0.5, batchSize: 500, maxBatches: 1000, concurrency: 16, contact: { quietHours: null, surveyMinGapMs: 0 } });
        total = addSummaries(total, s);
        if (s.claimed === 0) break;
      }
      return { total, ms: performance.now() - started - excludedMs };
    });
    recorder.recording = false;
    const dispatchStatements = phaseStatements(recorder.take());
    const groups = await db.prisma.outboxMessage.groupBy({ by: ['status'], _count: { _all: true } });
    const sandboxDeliveries = await db.prisma.sandboxDelivery.count();
    log(`${provider}: dispatch ${(dispatch.result.ms / 1000).toFixed(1)} s`);

    return {
      rows: options.rows,
      setupMs,
      activation: activationResult,
      dispatch: {
        ms: dispatch.result.ms,
        perSecond: dispatch.result.total.sent / (dispatch.result.ms / 1000),
        summary: dispatch.result.total,
        outboxByStatus: Object.fromEntries(groups.map((g) => [g.status, g._count._all])),
        sandboxDeliveries,
        memory: dispatch.memory,
        calls: dispatchCalls,
        statements: dispatchStatements,
        claimPlan: dispatchClaimPlan,
      },
    };
  } finally {
    await traced.close();
    await db.destroy();
  }
}

/* ------------------------------------------------------------------------------------------ ticks */

export interface StatementRow {
  key: string;
  label: string | null;
  callsPerTick: number;
  msPerTick: number;
}

export interface TickSizeResult {
  historyPerTable: number;
  /** SCHEDULED follow-ups not yet due, on top of the history. */
  backlog: number;
  tableRows: Record<string, number>;
  build: HistoryTiming[];
  buildMs: number;
  ticks: number;
  tickMs: number[];
  medianMs: number;
  p90Ms: number;
  minMs: number;
  maxMs: number;
  /** Median per job, in TICK_ORDER. */
  jobMedianMs: Record<string, number>;
  /** What the last measured tick did (sanity check). */
  lastSummaries: Record<string, object>;
  statements: StatementRow[];
  /** The backlog queries of GET /metrics, median of 3. */
  metricsMs: number;
  memory: MemoryPeak;
}

export interface ExplainedStatement {
  key: string;
  label: string | null;
  plan: Plan;
}

export interface TickResult {
  sizes: TickSizeResult[];
  /** median(large history) / median(small history). */
  ratio: number | null;
  /** median(large history + backlog) / median(small history). */
  backlogRatio: number | null;
  explained: ExplainedStatement[];
}

const median = (values: number[]) => quantile(values, 0.5);
function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** A readable name for the statements the brief singles out (claims, overdue, inbox, metrics). */
export function labelStatement(key: string): string | null {
  const k = key.replace(/[`"]/g, '');
  if (/^(WITH picked AS MATERIALIZED \(SELECT id FROM FollowUp .*\) )?UPDATE FollowUp (AS f )?SET leaseExpiresAt/.test(k)) return 'claimDueFollowUps: claim UPDATE';
  if (/^WITH picked AS MATERIALIZED \(SELECT id FROM FollowUp .*\), f AS \(UPDATE FollowUp AS t SET leaseExpiresAt/.test(k)) return 'claimDueFollowUps: claim UPDATE';
  if (/^SELECT .* FROM FollowUp .*WHERE FollowUp\.id IN/.test(k)) return 'claimDueFollowUps: load claimed rows';
  if (/^(WITH picked AS MATERIALIZED \(SELECT id FROM OutboxMessage .*\) )?UPDATE OutboxMessage (AS m )?SET status = 'SENDING'/.test(k)) return 'claimOutbox: claim UPDATE';
  if (/^UPDATE FollowUp SET status = \?, overdueAt/.test(k)) return 'markOverdue: staff tasks → OVERDUE';
  if (/^UPDATE FollowUp SET status = \?, outcome = \?, completedAt/.test(k) && /deadlineAt <=/.test(k)) return 'markOverdue: surveys → UNREACHABLE';
  if (/^UPDATE SurveyInstance SET status = \? WHERE .*expiresAt <=/.test(k)) return 'markOverdue: surveys → EXPIRED';
  if (/^SELECT .* FROM InboundEvent WHERE .*ORDER BY InboundEvent\.receivedAt/.test(k)) return 'listPendingInbound';
  if (/^UPDATE InboundEvent SET leaseExpiresAt/.test(k)) return 'claimInbound';
  if (/^SELECT .* FROM SurveyInstance WHERE .*ORDER BY SurveyInstance\.sentAt DESC/.test(k)) return 'findLatestOpenSurvey';
  if (/GROUP BY (\w+)\.status/.test(k)) return `metrics: ${/FROM (\w+)/.exec(k)?.[1] ?? '?'} by status`;
  return null;
}

interface TickState {
  tick: number;
  lastSurveyCustomers: number[];
}

const WARMUP_TICKS = 2;

async function measureTicks(
  db: AdHocTestDb,
  bench: BenchApp,
  population: Population,
  recorder: StatementRecorder,
  state: TickState,
  options: BenchOptions,
): Promise<Pick<TickSizeResult, 'tickMs' | 'jobMedianMs' | 'lastSummaries'>> {
  const { app, clock, ids } = bench;
  const tickMs: number[] = [];
  const jobMs: Record<string, number[]> = Object.fromEntries(TICK_ORDER.map((n) => [n, []]));
  let lastSummaries: Record<string, object> = {};
  for (let i = 0; i < WARMUP_TICKS + options.ticks; i++) {
    clock.advance(60_000);
    const now = clock.now();
    // Fresh work for this tick (not timed): newly due follow-ups, and SMS replies ("5") from a few
    // customers whose survey went out in the previous tick, left RECEIVED for the inbox job.
    const surveyCustomers = await insertDueFollowUps(db.prisma, ids, population, {
      count: options.tickRows,
      offset: state.tick * options.tickRows,
      stepPrefix: `tick${state.tick}.`,
      now,
    });
    const replies = state.lastSurveyCustomers.slice(0, 5);
    if (replies.length > 0) {
      await db.prisma.inboundEvent.createMany({
        data: replies.map((c) => ({
          id: ids.next(),
          source: 'sms',
          dedupeKey: `${customerPhone(c)}:${Math.floor(now.getTime() / 1000)}:5`,
          kind: 'sms_reply',
          payload: JSON.stringify({ phoneE164: customerPhone(c), text: '5', receivedAt: now.toISOString() }),
          receivedAt: now,
        })),
      });
    }
    state.lastSurveyCustomers = surveyCustomers;
    state.tick++;

    const measured = i >= WARMUP_TICKS;
    recorder.recording = measured;
    const summaries: Record<string, object> = {};
    const started = performance.now();
    for (const name of TICK_ORDER) {
      const jobStarted = performance.now();
      summaries[name] = await jobs[name]!.run(app);
      if (measured) jobMs[name]!.push(performance.now() - jobStarted);
      sampleHeapNow();
    }
    const ms = performance.now() - started;
    recorder.recording = false;
    if (measured) {
      tickMs.push(ms);
      lastSummaries = summaries;
    }
  }
  return { tickMs, jobMedianMs: Object.fromEntries(TICK_ORDER.map((n) => [n, median(jobMs[n]!)])), lastSummaries };
}

/** (d): tick cost with `historyBase` and then `history` rows in each history table. */
export async function runTicks(provider: DbProvider, options: BenchOptions): Promise<TickResult> {
  const db = await createBenchDb(provider);
  const recorder = new StatementRecorder();
  // The jobs run on a second client that logs every statement with its duration (attribution).
  const traced = createTracedClient(db, recorder.onQuery);
  try {
    const clock = new FakeClock(BENCH_START);
    const bench = createBenchApp(traced, db.url, clock);
    const population = await seedPopulation(db, bench.ids, clock.now());
    const state: TickState = { tick: 0, lastSurveyCustomers: [] };
    const sizes: { history: number; backlog: number }[] = [{ history: options.historyBase, backlog: 0 }];
    if (options.history > options.historyBase) sizes.push({ history: options.history, backlog: 0 });
    if (options.backlog > 0) sizes.push({ history: options.history, backlog: options.backlog });
    const results: TickSizeResult[] = [];
    let inserted = 0;
    let lastStats: StatementStat[] = [];
    for (const { history: size, backlog } of sizes) {
      const buildStarted = performance.now();
      let build: HistoryTiming[];
      if (backlog > 0) {
        log(`${provider}: adding ${backlog} SCHEDULED follow-ups not yet due`);
        build = [await insertBacklog(db.prisma, provider, population, backlog)];
      } else {
        log(`${provider}: building history ${inserted} → ${size} rows per table`);
        build = await insertHistory(db.prisma, provider, population, inserted, size, options.history);
        inserted = size;
      }
      const buildMs = performance.now() - buildStarted;
      const tableRows = await countHistory(db.prisma);
      log(`${provider}: built in ${(buildMs / 1000).toFixed(1)} s; ticking`);

      const { result: ticks, memory } = await withMemory(() => measureTicks(db, bench, population, recorder, state, options));
      const stats = recorder.take();
      lastStats = stats;

      // GET /metrics reads the backlog at every scrape; not part of a tick, measured for comparison.
      recorder.recording = true;
      const metricsRuns: number[] = [];
      for (let r = 0; r < 3; r++) {
        const started = performance.now();
        await bench.app.views.health.backlog(clock.now());
        metricsRuns.push(performance.now() - started);
      }
      recorder.recording = false;
      lastStats = [...lastStats, ...recorder.take().map((s) => ({ ...s, calls: 0, totalMs: 0 }))];

      results.push({
        historyPerTable: size,
        backlog,
        tableRows,
        build,
        buildMs,
        ticks: ticks.tickMs.length,
        tickMs: ticks.tickMs,
        medianMs: median(ticks.tickMs),
        p90Ms: quantile(ticks.tickMs, 0.9),
        minMs: Math.min(...ticks.tickMs),
        maxMs: Math.max(...ticks.tickMs),
        jobMedianMs: ticks.jobMedianMs,
        lastSummaries: ticks.lastSummaries,
        statements: stats
          .map((s) => ({ key: s.key, label: labelStatement(s.key), callsPerTick: s.calls / ticks.tickMs.length, msPerTick: s.totalMs / ticks.tickMs.length }))
          .sort((a, b) => b.msPerTick - a.msPerTick),
        metricsMs: median(metricsRuns),
        memory,
      });
    }

    // Plans of every reading/updating statement a tick ran (and the metrics queries), at the largest size.
    log(`${provider}: explaining ${lastStats.length} statements`);
    const explained: ExplainedStatement[] = [];
    for (const s of lastStats) {
      if (!/^(SELECT|UPDATE|DELETE|WITH)\b/i.test(s.key)) continue;
      explained.push({ key: s.key, label: labelStatement(s.key), plan: await explainStatement(db.prisma, provider, s.sample) });
    }
    const small = results[0]!;
    const large = results.find((r) => r.backlog === 0 && r.historyPerTable > small.historyPerTable);
    const withBacklog = results.find((r) => r.backlog > 0);
    return {
      sizes: results,
      ratio: large ? large.medianMs / small.medianMs : null,
      backlogRatio: withBacklog ? withBacklog.medianMs / small.medianMs : null,
      explained,
    };
  } finally {
    await traced.close();
    await db.destroy();
  }
}

/**
 * The machine's speed at this moment: a fixed piece of single-threaded JavaScript work of the kind activation does
 * (build a message with Chinese text, encode it as JSON, parse it back, hash it), timed. The same work takes the same
 * time on the same machine when it is quiet, so runs on different days (or beside a busy neighbour) compare through
 * it: a run whose reference took 30 % longer ran on a machine 30 % slower.
 */
export function machineReferenceMs(): number {
  // The faster of two rounds: the first may still be compiling the loop.
  return Math.min(referenceRoundMs(), referenceRoundMs());
}

function referenceRoundMs(): number {
  const started = performance.now();
  let check = 0;
  for (let i = 0; i < 40_000; i++) {
    const message = {
      kind: 'task_card',
      to: { staffId: `staff-${i % 7}`, wecomUserId: 'hushi.li' },
      card: { title: `出院回访：第${i % 3}次`, description: '请在截止时间前完成回访，询问恢复情况、用药情况与满意度。', fields: [{ label: '客户', value: `张先生${i}` }, { label: '电话', value: '137****0001' }] },
    };
    const text = JSON.stringify(message);
    check += (JSON.parse(text) as typeof message).card.fields.length + createHash('sha256').update(text).digest()[0]!;
  }
  // Used, so that the work cannot be left out.
  if (check < 0) throw new Error('unreachable');
  return performance.now() - started;
}

/** CPU time all cores of the machine have spent busy since boot (user, nice, system, interrupts), in ms. */
function machineBusyMs(): number {
  let busy = 0;
  for (const cpu of cpus()) busy += cpu.times.user + cpu.times.nice + cpu.times.sys + cpu.times.irq;
  return busy;
}
