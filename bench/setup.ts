// Benchmark fixtures: a fresh migrated database, the assembled service on a fake clock with a silent
// logger and the default (sandbox) channels, and a population of customers and cases shaped like
// the ones the service creates.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHuifang, ROOT_DIR, type Huifang } from '../bot/huifang.js';
import { loadConfig } from '../bot/config.js';
import { createLogger } from '../bot/logger.js';
import { FakeClock, UlidGenerator } from '../bot/clocks.js';
import { createPrismaClient, type DbClient, type DbProvider, type PrismaClient } from '../bot/db/client.js';
import { seedExampleOrganisation } from '../bot/example/example-organisation.js';
import { PrismaStaffDirectory } from '../bot/db/staff-directory-store.js';
import { PrismaCustomerImportStore } from '../bot/db/customer-import-store.js';
import { adapterRegistrationOf, type AdapterQuery, type AdapterQueryable, type AdapterTransaction } from '../bot/db/adapter-registry.js';
import type { AdHocTestDb } from '../test/support/db.js';
import { statementKey } from './explain.js';

/** The instant every benchmark starts at (a Monday, 09:30 in Asia/Shanghai). */
export const BENCH_START = '2027-01-04T01:30:00.000Z';

/** Staff of the example organisation who are given staff tasks. */
const ASSIGNEES = ['hushi.li', 'hushi.zhou', 'hushizhang.chen', 'kezhuren.wang', 'zhuli.wu', 'zhuli.zheng'] as const;

const SAMPLING = JSON.stringify({ kept: true, reason: 'policy follows up every case (100 %)' });

export const pad = (n: number, width: number): string => String(n).padStart(width, '0');
/** Deterministic ids, so that raw SQL (history rows) can reference customers and cases. */
export const customerId = (i: number): string => `BENCHCUS${pad(i, 18)}`;
export const caseId = (i: number): string => `BENCHCASE${pad(i, 17)}`;
export const customerPhone = (i: number): string => `+86137${pad(i, 8)}`;

const openDbs = new Set<AdHocTestDb>();

// While a PostgreSQL benchmark database exists, Ctrl-C drops it before exiting. Only then: a handler
// runs on the event loop, which the synchronous SQLite driver can block for minutes, whereas the
// default action ends the process at once (a SQLite database is only a directory under the OS temp dir).
const onSignal = (signal: NodeJS.Signals) => {
  console.error(`\n${signal}: dropping the benchmark PostgreSQL database…`);
  void destroyOpenDbs().finally(() => process.exit(130));
};
function updateSignalHandlers(): void {
  const wanted = [...openDbs].some((db) => db.provider === 'postgresql');
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.off(signal, onSignal);
    if (wanted) process.on(signal, onSignal);
  }
}

/**
 * Creates a fresh migrated database; PostgreSQL takes its server from TEST_POSTGRES_URL. Its
 * `destroy()` also forgets it; `destroyOpenDbs()` removes whatever is still open (interrupted run).
 */
export async function createBenchDb(provider: DbProvider): Promise<AdHocTestDb> {
  // test/support/db.ts reads TEST_POSTGRES_URL when it is first imported: run.ts sets it beforehand.
  const { createTestDb } = await import('../test/support/db.js');
  const db = await createTestDb(provider);
  const destroy = db.destroy;
  const tracked: AdHocTestDb = {
    ...db,
    destroy: async () => {
      openDbs.delete(tracked);
      updateSignalHandlers();
      await destroy();
    },
  };
  openDbs.add(tracked);
  updateSignalHandlers();
  return tracked;
}

/** Destroys every benchmark database not destroyed yet. */
export async function destroyOpenDbs(): Promise<void> {
  await Promise.allSettled([...openDbs].map((db) => db.destroy()));
}

let templatesCopy: string | null = null;

/**
 * The policy packs and message templates as they were when the run started (copied once), so that
 * a long run measures one consistent version while the repository is being edited.
 */
function templatesSnapshot(): { policiesDir: string; messagesDir: string } {
  if (!templatesCopy) {
    const dir = mkdtempSync(join(tmpdir(), 'huifang-bench-templates-'));
    cpSync(join(ROOT_DIR, 'templates/policies'), join(dir, 'policies'), { recursive: true });
    cpSync(join(ROOT_DIR, 'templates/messages'), join(dir, 'messages'), { recursive: true });
    templatesCopy = dir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return { policiesDir: join(templatesCopy, 'policies'), messagesDir: join(templatesCopy, 'messages') };
}

/** Takes the templates snapshot now (call at start). */
export function snapshotTemplates(): void {
  templatesSnapshot();
}

export interface BenchApp {
  app: Huifang;
  clock: FakeClock;
  ids: UlidGenerator;
}

/**
 * The service as `createHuifang` assembles it: no provider credentials, so every channel is the
 * sandbox channel (`env` may add variables, with HUIFANG_SANDBOX=1 when it adds credentials); silent
 * logger; fake clock; retry jitter fixed at 0.5.
 */
export function createBenchApp(db: DbClient, url: string, clock = new FakeClock(BENCH_START), env: Record<string, string> = {}, options: { inboxDrain?: false } = {}): BenchApp {
  // Only the variables given here: real credentials in the environment must not switch channels.
  const config = loadConfig({ DATABASE_URL: url, LOG_LEVEL: 'silent', ...env });
  const logger = createLogger({ level: 'silent' });
  const ids = new UlidGenerator(clock);
  const app = createHuifang({ config, logger, db, clock, ids, jitter: () => 0.5, ...options, ...templatesSnapshot() });
  return { app, clock, ids };
}

/** A DbClient over the test database's own Prisma client. */
export function dbClientOf(db: AdHocTestDb): DbClient {
  return { prisma: db.prisma, provider: db.provider, capabilities: db.capabilities, close: () => db.close() };
}

/**
 * A second client on the same database that emits every statement with its duration: those of the query API
 * from Prisma's query log, and the fixed SQL run on its driver adapter (bot/db/fixed-sql.ts), which that log
 * never sees, timed around the adapter's call (waiting for a connection included).
 */
export function createTracedClient(db: AdHocTestDb, onQuery: (event: QueryEvent) => void): DbClient {
  const client = createPrismaClient(db.url, { log: [{ emit: 'event', level: 'query' }] });
  (client.prisma as unknown as { $on(event: 'query', cb: (e: QueryEvent) => void): void }).$on('query', onQuery);
  traceFixedSql(client, onQuery);
  return client;
}

/**
 * Hands the fixed-SQL runner a traced view of the adapter the client connects; the query API keeps using the
 * adapter itself, so no statement is counted twice.
 */
function traceFixedSql(client: DbClient, onQuery: (event: QueryEvent) => void): void {
  const registration = adapterRegistrationOf(client.prisma);
  if (!registration) return;
  const timed = <T>(query: AdapterQuery, run: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const report = () => onQuery({ query: query.sql, params: '[]', values: query.args, duration: performance.now() - started });
    return run().finally(report);
  };
  const traced = <Q extends Omit<AdapterQueryable, 'startTransaction'>>(q: Q): Omit<AdapterQueryable, 'startTransaction'> => ({
    queryRaw: (query) => timed(query, () => q.queryRaw(query)),
    executeRaw: (query) => timed(query, () => q.executeRaw(query)),
  });
  const initial = registration.connected;
  let view: AdapterQueryable | null = null;
  Object.defineProperty(registration, 'connected', {
    get: () => view,
    set: (adapter: AdapterQueryable | null) => {
      view = adapter && {
        ...traced(adapter),
        ...(adapter.startTransaction
          ? {
              startTransaction: async (): Promise<AdapterTransaction> => {
                const tx = await adapter.startTransaction!();
                return { ...traced(tx), commit: () => tx.commit(), rollback: () => tx.rollback() };
              },
            }
          : {}),
      };
    },
  });
  registration.connected = initial;
  // The client's dispose compares the adapter it connected with `connected`: let it forget the view too.
  const close = client.close;
  client.close = async () => {
    await close();
    registration.connected = null;
  };
}

/**
 * Prisma's query log event. `params` is a JSON array (dates as ISO `…Z` strings); a fixed-SQL statement gives
 * its bound values as they are in `values` instead.
 */
export interface QueryEvent {
  query: string;
  params: string;
  values?: unknown[];
  duration: number;
}

export interface Population {
  customers: number;
  cases: number;
  /** Staff ids (example organisation) that staff tasks are assigned to. */
  assigneeIds: string[];
  /** Every example staff id, by WeCom user id. */
  staffIds: Map<string, string>;
}

/**
 * Seeds the example organisation, `customers` customers (survey consent, unique phones) and `cases`
 * open discharge cases (policy P4) of the cardiology ward, each case belonging to customer `i % customers`.
 */
export async function seedPopulation(db: Pick<DbClient, 'prisma' | 'capabilities'>, ids: UlidGenerator, now: Date, customers = 3_000, cases = 5_000): Promise<Population> {
  const { prisma } = db;
  const context = { prisma, capabilities: db.capabilities, ids };
  const staffIds = await seedExampleOrganisation({ staff: new PrismaStaffDirectory(context), customers: new PrismaCustomerImportStore(context) }, () => ids.next());
  const ward = await prisma.department.findUniqueOrThrow({ where: { code: 'cardiology' } });
  const assigneeIds = ASSIGNEES.map((u) => staffIds.get(u)!);
  const surnames = '王李张刘陈杨黄赵吴周';
  for (let from = 0; from < customers; from += 1_000) {
    const data = [];
    for (let i = from; i < Math.min(customers, from + 1_000); i++) {
      const surname = surnames[i % surnames.length]!;
      const phone = customerPhone(i);
      data.push({
        id: customerId(i),
        externalId: `BENCH-P-${pad(i, 6)}`,
        name: `${surname}客户${i}`,
        salutation: `${surname}${i % 2 === 0 ? '女士' : '先生'}`,
        phoneE164: phone,
        phoneMasked: `${phone.slice(3, 6)}****${phone.slice(-4)}`,
        consentSurvey: true,
      });
    }
    await prisma.customer.createMany({ data });
  }
  const occurredAt = new Date(now.getTime() - 10 * 86_400_000);
  for (let from = 0; from < cases; from += 1_000) {
    const data = [];
    for (let i = from; i < Math.min(cases, from + 1_000); i++) {
      data.push({
        id: caseId(i),
        type: 'discharge',
        externalId: `BENCH-ZY-${pad(i, 7)}`,
        policyId: 'P4',
        customerId: customerId(i % customers),
        departmentId: ward.id,
        responsibleStaffId: assigneeIds[i % 2]!,
        attributes: JSON.stringify({ severity: 'normal', diagnosis: '冠心病' }),
        milestones: '{}',
        status: 'OPEN',
        occurredAt,
      });
    }
    await prisma.case.createMany({ data });
  }
  return { customers, cases, assigneeIds, staffIds };
}

export interface DueRowsOptions {
  count: number;
  /** Row k goes to case `(offset + k) % cases` [0]. */
  offset?: number;
  /** Steps are `${stepPrefix}${k / cases}`: (caseId, step) is unique. */
  stepPrefix: string;
  now: Date;
  batchSize?: number;
}

/**
 * Inserts `count` SCHEDULED follow-ups due at or before `now` with createMany, shaped like the rows
 * `PrismaStore.createCase` writes: ~70 % STAFF_TASK (WeCom, assigned to example staff), ~30 %
 * CUSTOMER_SURVEY (SMS). Returns the customer index of each survey row.
 */
export async function insertDueFollowUps(prisma: PrismaClient, ids: UlidGenerator, population: Population, options: DueRowsOptions): Promise<number[]> {
  // 1,000 rows a call, as the other seeding here: Prisma splits a createMany past PostgreSQL's 32,767 bound
  // values into statements it sends at once on one connection, which pg warns of (and pg 9 will refuse).
  const batchSize = options.batchSize ?? 1_000;
  const surveyCustomers: number[] = [];
  const deadlineAt = new Date(options.now.getTime() + 7 * 86_400_000);
  for (let from = 0; from < options.count; from += batchSize) {
    const data = [];
    for (let k = from; k < Math.min(options.count, from + batchSize); k++) {
      const caseIndex = ((options.offset ?? 0) + k) % population.cases;
      const customerIndex = caseIndex % population.customers;
      const staffTask = k % 10 < 7;
      // Spread over the last day; never after now.
      const dueAt = new Date(options.now.getTime() - (k % 86_400) * 1_000);
      if (!staffTask) surveyCustomers.push(customerIndex);
      data.push({
        id: ids.next(),
        caseId: caseId(caseIndex),
        customerId: customerId(customerIndex),
        policyId: 'P4',
        step: `${options.stepPrefix}${Math.floor(k / population.cases)}`,
        sequence: Math.floor(k / population.cases),
        action: staffTask ? 'STAFF_TASK' : 'CUSTOMER_SURVEY',
        channel: staffTask ? 'wecom' : 'sms',
        status: 'SCHEDULED',
        assigneeId: staffTask ? population.assigneeIds[k % population.assigneeIds.length]! : null,
        assigneeRule: staffTask ? 'responsible' : null,
        earliestAt: dueAt,
        dueAt,
        deadlineAt,
        maxAttempts: staffTask ? 3 : 1,
        sampling: SAMPLING,
      });
    }
    await prisma.followUp.createMany({ data });
  }
  return surveyCustomers;
}

/** Time SQLite itself spent in statements of this process's thread, by statement text. */
export interface SqliteEngineTime {
  totalMs: number;
  byStatement: { key: string; calls: number; ms: number }[];
}

/**
 * Measures the time better-sqlite3 spends inside SQLite on this thread: the driver is synchronous, so a statement's
 * time there is time the process's one thread does nothing else. Unlike the query log it leaves out the waits for
 * another statement's transaction (bot/db/client.ts). Counts every statement of this thread's connections from
 * `start()` to `stop()`; the checkpointing thread (bot/db/sqlite-checkpointer.ts) loads its own driver and is not
 * counted.
 */
export function sqliteEngineTimer(): { start(): void; stop(): SqliteEngineTime } {
  const Database = createRequire(import.meta.url)('better-sqlite3') as new (file: string) => { prepare(sql: string): object; close(): void };
  const probe = new Database(':memory:');
  const proto = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<'run' | 'all' | 'get', (this: { source: string }, ...args: unknown[]) => unknown>;
  probe.close();
  const originals = { run: proto.run, all: proto.all, get: proto.get };
  const stats = new Map<string, { calls: number; ms: number }>();
  const tally = (into: Map<string, { calls: number; ms: number }>, key: string, calls: number, ms: number) => {
    const stat = into.get(key) ?? { calls: 0, ms: 0 };
    stat.calls += calls;
    stat.ms += ms;
    into.set(key, stat);
  };
  let totalMs = 0;
  return {
    start() {
      for (const name of ['run', 'all', 'get'] as const) {
        const original = originals[name];
        proto[name] = function (this: { source: string }, ...args: unknown[]) {
          const started = performance.now();
          try {
            return original.apply(this, args);
          } finally {
            const ms = performance.now() - started;
            totalMs += ms;
            tally(stats, this.source, 1, ms);
          }
        };
      }
    },
    stop() {
      Object.assign(proto, originals);
      // Texts that differ only in their number of rows count as one statement.
      const byKey = new Map<string, { calls: number; ms: number }>();
      for (const [source, stat] of stats) tally(byKey, statementKey(source), stat.calls, stat.ms);
      return { totalMs, byStatement: [...byKey].map(([key, stat]) => ({ key, ...stat })).sort((a, b) => b.ms - a.ms) };
    },
  };
}

/**
 * The backlog of (a) and (a'): the population, then `rows` SCHEDULED follow-ups due at or before `now` (steps
 * `bulk.<n>`), analysed on PostgreSQL as production autovacuum would have done for a table this size (the test server
 * runs without it): without statistics PostgreSQL plans each claim as "sort every due row", whose cost grows with the
 * backlog.
 */
export async function insertActivationBacklog(db: AdHocTestDb, ids: UlidGenerator, now: Date, rows: number): Promise<void> {
  const population = await seedPopulation(db, ids, now);
  await insertDueFollowUps(db.prisma, ids, population, { count: rows, stepPrefix: 'bulk.', now });
  if (db.provider === 'postgresql') await db.prisma.$executeRawUnsafe('VACUUM ANALYZE');
}
