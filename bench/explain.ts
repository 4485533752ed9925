// Per-statement attribution: a Prisma query-log listener groups the statements a tick runs by their
// shape (IN lists and parameter numbers folded), sums their durations, and keeps one sample of each
// so that it can be EXPLAINed: EXPLAIN QUERY PLAN on SQLite, EXPLAIN (ANALYZE, BUFFERS) on
// PostgreSQL inside a transaction that is rolled back (an UPDATE is really executed by ANALYZE).
import type { DbProvider, PrismaClient } from '../bot/db/client.js';
import type { QueryEvent } from './setup.js';

export interface StatementSample {
  query: string;
  params: unknown[];
}

export interface StatementStat {
  /** The statement with IN lists folded, parameters as `?` and schema prefixes removed. */
  key: string;
  calls: number;
  totalMs: number;
  sample: StatementSample;
}

/** Folds a statement to its shape: `$3` → `?`, `(?,?,?)` → `(?…)`, a run of such tuples → `(?…)…`, no `"public".`/`` `main`. `` prefixes. */
export function statementKey(query: string): string {
  return query
    .replace(/"public"\./g, '')
    .replace(/`main`\./g, '')
    .replace(/\$\d+/g, '?')
    .replace(/\(\s*\?(?:\s*,\s*\?)+\s*\)/g, '(?…)')
    .replace(/\(\?…\)(?:\s*,\s*\(\?…\))+/g, '(?…)…')
    .replace(/\s+/g, ' ')
    .trim();
}

const ISO_INSTANT = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)$/;

/** Log parameters back to values: ISO instants become Dates (bound the way Prisma binds them). */
function parseParams(params: string): unknown[] {
  try {
    const values = JSON.parse(params) as unknown[];
    return values.map((v) => (typeof v === 'string' && ISO_INSTANT.test(v) ? new Date(v) : v));
  } catch {
    return [];
  }
}

/** Collects statement statistics while `recording` is on. */
export class StatementRecorder {
  recording = false;
  readonly #stats = new Map<string, StatementStat>();

  readonly onQuery = (event: QueryEvent): void => {
    if (!this.recording) return;
    const key = statementKey(event.query);
    // Fixed SQL's own COMMIT is kept: on PostgreSQL it is where a transaction waits for its WAL flush.
    if (/^(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b/i.test(key) && !(event.values && /^COMMIT\b/i.test(key))) return;
    const stat = this.#stats.get(key);
    const sample = { query: event.query, params: event.values ?? parseParams(event.params) };
    if (stat) {
      stat.calls++;
      stat.totalMs += event.duration;
      stat.sample = sample;
    } else {
      this.#stats.set(key, { key, calls: 1, totalMs: event.duration, sample });
    }
  };

  /** The most recent sample of a statement whose key matches (statistics kept). */
  find(match: (key: string) => boolean): StatementStat | undefined {
    let found: StatementStat | undefined;
    for (const stat of this.#stats.values()) if (match(stat.key)) found = stat;
    return found;
  }

  /** The statistics so far, and a fresh start. */
  take(): StatementStat[] {
    const stats = [...this.#stats.values()];
    this.#stats.clear();
    return stats;
  }
}

class Rollback extends Error {
  constructor(readonly rows: unknown[]) {
    super('rollback');
  }
}

export interface Plan {
  lines: string[];
  /** Full scans found in the plan (a statement whose cost grows with the table). */
  scans: string[];
  error?: string;
}

/** Tables that grow with history; a full scan of one of them is a finding. */
// (Case and Customer stay at a few thousand rows in the benchmark: PostgreSQL rightly seq-scans them.)
const GROWING_TABLES = ['FollowUp', 'OutboxMessage', 'OutboxAttempt', 'SurveyInstance', 'SurveyResponse', 'InboundEvent', 'AuditLog', 'SandboxDelivery', 'Escalation'];

/** EXPLAINs one statement sample on the given database. */
export async function explainStatement(prisma: PrismaClient, provider: DbProvider, sample: StatementSample): Promise<Plan> {
  try {
    if (provider === 'sqlite') {
      const rows = await prisma.$queryRawUnsafe<{ id: bigint | number; parent: bigint | number; detail: string }[]>(`EXPLAIN QUERY PLAN ${sample.query}`, ...sample.params);
      const depth = new Map<number, number>();
      const lines = rows.map((r) => {
        const level = (depth.get(Number(r.parent)) ?? -1) + 1;
        depth.set(Number(r.id), level);
        return `${'  '.repeat(level)}${r.detail}`;
      });
      // `SCAN t` reads every row; `SCAN t USING [COVERING] INDEX i` reads the whole index (no range);
      // `SEARCH t USING INDEX i (status=?)` reads every row of one status (a backlog-sized set).
      const scans = lines
        .map((l) => l.trim())
        .filter((l) => {
          const scan = /^SCAN (?:main\.)?(\w+)/.exec(l);
          if (scan) return GROWING_TABLES.includes(scan[1]!);
          const search = /^SEARCH (?:main\.)?(\w+) USING (?:COVERING )?INDEX \w+ \(status=\?\)$/.exec(l);
          return search !== null && GROWING_TABLES.includes(search[1]!);
        });
      return { lines, scans };
    }
    let rows: unknown[] = [];
    try {
      await prisma.$transaction(async (tx) => {
        const result = await tx.$queryRawUnsafe<unknown[]>(`EXPLAIN (ANALYZE, BUFFERS) ${sample.query}`, ...sample.params);
        throw new Rollback(result);
      });
    } catch (err) {
      if (!(err instanceof Rollback)) throw err;
      rows = err.rows;
    }
    const lines = rows.map((r) => String((r as Record<string, unknown>)['QUERY PLAN']));
    // A sequential scan of a growing table, or any scan node that read ≥ 1,000 rows (the statements of
    // a tick touch ~50), or a filter that threw ≥ 1,000 rows away.
    const scans: string[] = [];
    for (const line of lines) {
      const seq = /Seq Scan on "?(\w+)"?/.exec(line);
      const node = /(?:Index Only Scan|Index Scan|Bitmap Heap Scan|Bitmap Index Scan)(?: using)? (?:on )?"?(\w+)"?.*\(actual time=\S+ rows=(\d+) loops=(\d+)\)/.exec(line);
      const removed = /Rows Removed by (?:Filter|Index Recheck): (\d+)/.exec(line);
      if (seq && GROWING_TABLES.includes(seq[1]!)) scans.push(line.trim());
      else if (node && GROWING_TABLES.includes(node[1]!.split('_')[0]!) && Number(node[2]) * Number(node[3]) >= 1_000) scans.push(line.trim());
      else if (removed && Number(removed[1]) >= 1_000) scans.push(line.trim());
    }
    return { lines, scans };
  } catch (err) {
    return { lines: [], scans: [], error: err instanceof Error ? err.message.split('\n').slice(-3).join(' ') : String(err) };
  }
}
