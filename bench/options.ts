import { parseArgs } from 'node:util';
import type { DbProvider } from '../bot/db/client.js';

/** What `npm run bench -- …` asked for. */
export interface BenchOptions {
  /** Due follow-ups for the activation and dispatch phases [100,000]. */
  rows: number;
  /** History rows per table for the "large" tick measurement [1,000,000]. */
  history: number;
  /** History rows per table for the "small" tick measurement [10,000]. */
  historyBase: number;
  /** SCHEDULED follow-ups not yet due, added for a third tick measurement [history / 10; 0 skips it]. */
  backlog: number;
  /** Measured ticks per table size [10]. */
  ticks: number;
  /** Newly due follow-ups inserted before each tick [50]. */
  tickRows: number;
  /** Providers to run; PostgreSQL still needs TEST_POSTGRES_URL or BENCH_POSTGRES_URL. */
  only: DbProvider[];
  /** Parts to run [all but activation]: throughput (a–c, e), activation ((a) alone, then (a') in a process with npm start's Node flags), ticks (d), http (f), queue (g, PostgreSQL only), batch (h), digests (i), greetings (j), memory (k). */
  parts: BenchPart[];
  /** Measured requests per HTTP target (f) [2,000], after a warm-up of a tenth of that (at most 200). */
  httpRequests: number;
  /** Concurrent connections of the load generator (f) [32]. */
  connections: number;
  /** Longest a single HTTP target may run, in seconds (f) [60]. */
  httpSeconds: number;
  /** Outbox messages dispatched, and no-op graphile-worker jobs completed, in the queue part (g) [min(rows, 10,000)]. */
  queueJobs: number;
  /** Where the JSON results go [bench/results/latest.json]. */
  out: string;
}

/** The parts of a run: (a–c, e) throughput, (a) activation alone and (a') as the service runs it (only when asked for), (d) tick cost, (f) the HTTP edge, (g) dispatch beside graphile-worker, (h) set-based scheduling, (i) weekly digests, (j) greeting planning, (k) the service's memory. */
export const BENCH_PARTS = ['throughput', 'activation', 'ticks', 'http', 'queue', 'batch', 'digests', 'greetings', 'memory'] as const;
export type BenchPart = (typeof BENCH_PARTS)[number];

export const USAGE = `usage: npm run bench -- [--rows N] [--history N] [--history-base N] [--backlog N] [--ticks N] [--tick-rows N]
                        [--only LIST] [--skip-throughput] [--skip-ticks] [--requests N] [--connections N]
                        [--http-seconds N] [--queue-jobs N] [--out FILE]
  --rows N          due follow-ups activated and dispatched, cases scheduled in batches (default 100000)
  --history N       history rows per table for the large tick measurement and the service's memory (default 1000000)
  --history-base N  history rows per table for the small tick measurement (default 10000)
  --backlog N       then add N SCHEDULED follow-ups not yet due and tick again (default history/10; 0 skips)
  --ticks N         measured ticks per table size (default 10)
  --tick-rows N     follow-ups newly due before each tick (default 50)
  --only LIST       comma-separated databases (sqlite, postgresql) and/or parts (throughput, activation, ticks, http,
                    queue, batch, digests, greetings, memory)
                    to run; e.g. --only http runs the HTTP part on both databases (default: everything but activation,
                    which is (a) alone: --only activation --rows 100000 activates without dispatching, then again
                    in a process of its own with npm start's Node flags)
  --requests N      measured requests per HTTP target (default 2000)
  --connections N   load generator connections (default 32)
  --http-seconds N  time limit of one HTTP target (default 60)
  --queue-jobs N    messages dispatched and graphile-worker no-op jobs run (default min(rows, 10000))
PostgreSQL runs when TEST_POSTGRES_URL or BENCH_POSTGRES_URL is set (e.g. postgresql://postgres@127.0.0.1:5432/postgres).`;

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got "${value}"`);
  return n;
}

/** Parses the command line; throws with a readable message on bad input. */
export function parseBenchOptions(argv: string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      rows: { type: 'string' },
      history: { type: 'string' },
      'history-base': { type: 'string' },
      backlog: { type: 'string' },
      ticks: { type: 'string' },
      'tick-rows': { type: 'string' },
      only: { type: 'string' },
      requests: { type: 'string' },
      connections: { type: 'string' },
      'http-seconds': { type: 'string' },
      'queue-jobs': { type: 'string' },
      'skip-throughput': { type: 'boolean', default: false },
      'skip-ticks': { type: 'boolean', default: false },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return 'help';
  let only: DbProvider[] = ['sqlite', 'postgresql'];
  let parts: BenchPart[] = BENCH_PARTS.filter((p) => p !== 'activation');
  if (values.only !== undefined) {
    const items = values.only.split(',').map((x) => x.trim());
    const unknown = items.filter((x) => x !== 'sqlite' && x !== 'postgresql' && !(BENCH_PARTS as readonly string[]).includes(x));
    if (unknown.length > 0 || items.length === 0) throw new Error(`--only takes sqlite, postgresql, ${BENCH_PARTS.join(', ')}; got "${values.only}"`);
    const providers = items.filter((x): x is DbProvider => x === 'sqlite' || x === 'postgresql');
    const chosen = items.filter((x): x is BenchPart => (BENCH_PARTS as readonly string[]).includes(x));
    if (providers.length > 0) only = providers;
    if (chosen.length > 0) parts = chosen;
  }
  if (values['skip-throughput']) parts = parts.filter((p) => p !== 'throughput');
  if (values['skip-ticks']) parts = parts.filter((p) => p !== 'ticks');
  const history = positiveInt('history', values.history, 1_000_000);
  const historyBase = Math.min(positiveInt('history-base', values['history-base'], 10_000), history);
  const backlog = values.backlog === '0' ? 0 : positiveInt('backlog', values.backlog, Math.floor(history / 10));
  const rows = positiveInt('rows', values.rows, 100_000);
  return {
    rows,
    history,
    historyBase,
    backlog,
    ticks: positiveInt('ticks', values.ticks, 10),
    tickRows: positiveInt('tick-rows', values['tick-rows'], 50),
    only,
    parts,
    httpRequests: positiveInt('requests', values.requests, 2_000),
    connections: positiveInt('connections', values.connections, 32),
    httpSeconds: positiveInt('http-seconds', values['http-seconds'], 60),
    queueJobs: positiveInt('queue-jobs', values['queue-jobs'], Math.min(rows, 10_000)),
    out: values.out ?? 'bench/results/latest.json',
  };
}
