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
  /** Skip the throughput phases (a–c) or the tick phase (d). */
  skipThroughput: boolean;
  skipTicks: boolean;
  /** Where the JSON results go [bench/results/latest.json]. */
  out: string;
}

export const USAGE = `usage: npm run bench -- [--rows N] [--history N] [--history-base N] [--backlog N] [--ticks N] [--tick-rows N]
                        [--only sqlite|postgresql] [--skip-throughput] [--skip-ticks] [--out FILE]
  --rows N          due follow-ups activated and dispatched (default 100000)
  --history N       history rows per table for the large tick measurement (default 1000000)
  --history-base N  history rows per table for the small tick measurement (default 10000)
  --backlog N       then add N SCHEDULED follow-ups not yet due and tick again (default history/10; 0 skips)
  --ticks N         measured ticks per table size (default 10)
  --tick-rows N     follow-ups newly due before each tick (default 50)
  --only P          run one database only
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
  if (values.only !== undefined) {
    if (values.only !== 'sqlite' && values.only !== 'postgresql') throw new Error(`--only must be sqlite or postgresql, got "${values.only}"`);
    only = [values.only];
  }
  const history = positiveInt('history', values.history, 1_000_000);
  const historyBase = Math.min(positiveInt('history-base', values['history-base'], 10_000), history);
  const backlog = values.backlog === '0' ? 0 : positiveInt('backlog', values.backlog, Math.floor(history / 10));
  return {
    rows: positiveInt('rows', values.rows, 100_000),
    history,
    historyBase,
    backlog,
    ticks: positiveInt('ticks', values.ticks, 10),
    tickRows: positiveInt('tick-rows', values['tick-rows'], 50),
    only,
    skipThroughput: values['skip-throughput'] ?? false,
    skipTicks: values['skip-ticks'] ?? false,
    out: values.out ?? 'bench/results/latest.json',
  };
}
