// (k) Memory of the real service: `huifang start` (bin/huifang.mjs, as `npm start` runs it, with the
// Node flags of package.json's start script) in a child process on a fresh database, its resident set
// (RSS, from /proc) sampled every 250 ms:
//   idle — after start-up and a first round of the cron jobs with nothing to do;
//   loaded — while the jobs tick with `--history` rows in every history table (DONE follow-ups, SENT
//            outbox messages, …), history/10 SCHEDULED follow-ups not yet due, and a few thousand due
//            follow-ups to activate and dispatch to the sandbox;
//   report — `huifang report monthly` (a separate process, same flags) for the last full month of the history,
//            the whole organisation, its files written: the report counts the month's follow-ups and
//            its 12-month trend, which hold most of the history (the jobs phase sends a report only
//            when the real date makes one due);
// beside a bare `node -e` process's RSS measured in the same run, as figures and ratios. The service runs
// on the real clock (cron), so each phase waits for the next minute's tick: about three minutes per database.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock, UlidGenerator } from '../bot/clocks.js';
import { ROOT_DIR } from '../bot/huifang.js';
import type { DbProvider } from '../bot/db/client.js';
import { addMonths, monthOf } from '../bot/core/reports/report-schedule.js';
import { countHistory, historyBase, historyEnd, insertBacklog, insertHistory } from './history.js';
import type { BenchOptions } from './options.js';
import { BENCH_START, createBenchDb, insertDueFollowUps, seedPopulation } from './setup.js';

export interface RssPhase {
  /** RSS a few seconds after the last tick of the phase finished, bytes. */
  rss: number;
  /** Largest RSS sampled during the phase (start-up and ticks included), bytes. */
  peakRss: number;
  /** Rounds of the jobs (runs of activate-due-follow-ups) finished during the phase. */
  ticks: number;
  /** What the jobs reported doing (`job finished` lines, summed per job and field). */
  work: Record<string, Record<string, number>>;
}

export interface ServiceMemoryResult {
  /** Node flags the service ran with (those of package.json's start script). */
  nodeFlags: string[];
  /** A bare `node -e` process, same run, bytes. */
  referenceRss: number;
  idle: RssPhase;
  loaded: RssPhase & { history: number; backlog: number; due: number; tableRows: Record<string, number> };
  /** `huifang report monthly --month <month>` over the loaded database: its peak RSS, and what it counted. */
  report: { month: string; peakRss: number; due: number; exitCode: number | null };
}

const log = (text: string) => console.error(`[bench] ${text}`);

/** The Node flags of package.json's `start` script (`node FLAGS… bin/huifang.mjs start`). */
export function startScriptNodeFlags(): string[] {
  const scripts = (JSON.parse(readFileSync(join(ROOT_DIR, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const words = (scripts.start ?? '').split(/\s+/);
  const bin = words.indexOf('bin/huifang.mjs');
  return words[0] === 'node' && bin > 0 ? words.slice(1, bin) : [];
}

/** The RSS of process `pid` in bytes (Linux /proc; `ps` elsewhere). */
function rssOf(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
    if (kb) return Number(kb) * 1024;
  } catch {
    // Not Linux, or the process is gone.
  }
  return 0;
}

/** A bare Node process's RSS: `node -e` with a timer, measured after a second. */
async function referenceRss(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const rss = rssOf(child.pid!);
  child.kill();
  return rss;
}

interface RunningService {
  child: ChildProcess;
  /** Resolves once `n` runs of activate-due-follow-ups have finished since start. */
  ticks(n: number): Promise<void>;
  tickCount(): number;
  work: Record<string, Record<string, number>>;
  stop(): Promise<void>;
}

function startService(url: string, port: number, nodeFlags: string[]): Promise<RunningService> {
  const child = spawn(process.execPath, [...nodeFlags, 'bin/huifang.mjs', 'start'], {
    cwd: ROOT_DIR,
    // Only what the service needs: credentials in the environment must not switch channels away from the sandbox.
    env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: url, PORT: String(port), LOG_FORMAT: 'json', LOG_LEVEL: 'debug' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const work: Record<string, Record<string, number>> = {};
  let ticks = 0;
  const waiters: { n: number; resolve: () => void }[] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve, reject) => {
    let buffered = '';
    let listening = false;
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const text = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (!text.startsWith('{')) continue;
        const line = JSON.parse(text) as { msg: string; job?: string; level: number; [k: string]: unknown };
        if (line.msg === 'Huifang listening' && !listening) {
          listening = true;
          resolve(service);
        }
        if (line.level >= 50) log(`service: ${text.slice(0, 300)}`);
        if (line.job && line.msg.startsWith('job finished')) {
          const summary = (work[line.job] ??= {});
          for (const [k, v] of Object.entries(line)) if (typeof v === 'number' && !['level', 'time', 'pid', 'ms'].includes(k)) summary[k] = (summary[k] ?? 0) + v;
          if (line.job === 'activate-due-follow-ups') {
            ticks += 1;
            for (const w of waiters.filter((w) => ticks >= w.n)) {
              waiters.splice(waiters.indexOf(w), 1);
              w.resolve();
            }
          }
        }
      }
    });
    child.once('exit', (code) => {
      if (!listening) reject(new Error(`huifang start exited (${code}) before listening: ${stderr.slice(0, 2000)}`));
    });
    const service: RunningService = {
      child,
      ticks: (n) => (ticks >= n ? Promise.resolve() : new Promise((r) => waiters.push({ n, resolve: r }))),
      tickCount: () => ticks,
      work,
      stop: async () => {
        if (child.exitCode !== null) return;
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      },
    };
  });
}

/** `huifang report monthly --month <month> --json` in a child process, its RSS sampled every 100 ms until it exits. */
async function runReport(url: string, month: string, nodeFlags: string[]): Promise<ServiceMemoryResult['report']> {
  const out = mkdtempSync(join(tmpdir(), 'huifang-bench-report-'));
  try {
    const child = spawn(process.execPath, [...nodeFlags, 'bin/huifang.mjs', 'report', 'monthly', '--month', month, '--out', out, '--json'], {
      cwd: ROOT_DIR,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: url, LOG_FORMAT: 'json' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    let peak = 0;
    const timer = setInterval(() => (peak = Math.max(peak, rssOf(child.pid!))), 100);
    const exitCode = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    clearInterval(timer);
    if (exitCode !== 0) log(`report exited ${exitCode}: ${stderr.slice(0, 1000)}`);
    const due = exitCode === 0 ? ((JSON.parse(stdout) as { totals: { due: number } }).totals.due ?? 0) : 0;
    return { month, peakRss: peak, due, exitCode };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** Runs `phase` while sampling the service's RSS every 250 ms; the phase's RSS is taken 3 s after it ends. */
async function measure(service: RunningService, phase: () => Promise<void>, since: number): Promise<Omit<RssPhase, 'work' | 'ticks'>> {
  let peak = since;
  const pid = service.child.pid!;
  const timer = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 250);
  try {
    await phase();
    await new Promise((r) => setTimeout(r, 3_000));
  } finally {
    clearInterval(timer);
  }
  const rss = rssOf(pid);
  return { rss, peakRss: Math.max(peak, rss) };
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

export async function runServiceMemory(provider: DbProvider, options: BenchOptions): Promise<ServiceMemoryResult> {
  const nodeFlags = startScriptNodeFlags();
  const db = await createBenchDb(provider);
  try {
    const ids = new UlidGenerator(new FakeClock(BENCH_START));
    const population = await seedPopulation(db, ids, new Date(BENCH_START));
    await db.close();
    const reference = await referenceRss();

    // Idle: start-up, then one round of the jobs with nothing due.
    log(`${provider}: starting the service (node ${[...nodeFlags, 'bin/huifang.mjs start'].join(' ')}); idle until the jobs have run once`);
    let service = await startService(db.url, await freePort(), nodeFlags);
    let idle: RssPhase;
    try {
      const m = await measure(service, () => service.ticks(1), rssOf(service.child.pid!));
      idle = { ...m, ticks: service.tickCount(), work: structuredClone(service.work) };
    } finally {
      await service.stop();
    }

    // Loaded: history in every table, a backlog not yet due, and due follow-ups for the jobs.
    const due = Math.min(options.rows, 5_000);
    log(`${provider}: inserting ${options.history.toLocaleString('en-US')} history rows per table, ${options.backlog.toLocaleString('en-US')} not yet due, ${due} due`);
    await insertHistory(db.prisma, provider, population, 0, options.history, options.history);
    if (options.backlog > 0) await insertBacklog(db.prisma, provider, population, options.backlog);
    await insertDueFollowUps(db.prisma, ids, population, { count: due, stepPrefix: 'memdue.', now: new Date() });
    const tableRows = await countHistory(db.prisma);
    await db.close();
    log(`${provider}: starting the service again; measuring two rounds of the jobs`);
    service = await startService(db.url, await freePort(), nodeFlags);
    let loaded: RssPhase;
    try {
      const m = await measure(service, () => service.ticks(2), rssOf(service.child.pid!));
      loaded = { ...m, ticks: service.tickCount(), work: structuredClone(service.work) };
    } finally {
      await service.stop();
    }
    // The last full month of the history (Asia/Shanghai, the service's default time zone).
    const month = addMonths(monthOf(historyEnd(options.history), 'Asia/Shanghai'), -1);
    log(`${provider}: huifang report monthly --month ${month}`);
    const report = await runReport(db.url, month, nodeFlags);
    const mb = (bytes: number) => `${(bytes / 1048576).toFixed(0)} MiB`;
    log(`${provider}: node -e ${mb(reference)}; idle ${mb(idle.rss)} (peak ${mb(idle.peakRss)}); jobs ticking ${mb(loaded.rss)} (peak ${mb(loaded.peakRss)}); report ${month} peak ${mb(report.peakRss)}`);
    return { nodeFlags, referenceRss: reference, idle, loaded: { ...loaded, history: options.history, backlog: options.backlog, due, tableRows }, report };
  } finally {
    await db.destroy();
  }
}
