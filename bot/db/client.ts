// Prisma client factory: one typed client for the rest of the code, whichever database the
// DATABASE_URL scheme selects (STYLE C4). Differences between the two databases live in
// `DbCapabilities`, not in scattered provider checks.
//
// How instants reach the databases (checked on Prisma 6.19.3 with both driver adapters):
//
// - SQLite (@prisma/adapter-better-sqlite3, default `timestampFormat: 'iso8601'`): DateTime
//   columns hold TEXT such as `2026-11-23T10:00:00.000+00:00` (always milliseconds, always
//   `+00:00`). A `Date` passed as a parameter of `$queryRaw`/`$executeRaw`/`$queryRawUnsafe`
//   is bound in exactly that form, so `"dueAt" <= ${now}` compares correctly (same-format ISO
//   text sorts chronologically). Pass `Date` objects, never strings: `toISOString()` gives
//   `…Z`, which sorts after `…+00:00` for the same instant, so `>=`/`=` go wrong at equality.
//   The migrations' `DEFAULT CURRENT_TIMESTAMP` writes `2026-11-23 10:00:00` (space, no
//   zone), which does not compare with the ISO form: a raw INSERT must set every DateTime
//   column explicitly (Prisma's own creates always do). Raw results read DATETIME-declared
//   columns back as `Date`; computed expressions come back as text.
// - PostgreSQL (@prisma/adapter-pg): DateTime columns are `timestamp(3)` without zone holding
//   UTC wall-clock time. A `Date` parameter is sent as untyped text `2026-11-23 10:00:00.5`
//   (its UTC fields) and takes the column's type, so comparisons are exact and do not depend
//   on the session TimeZone. Untyped means a bare `${date}` with no column to compare against
//   needs a cast (`${date}::timestamp(3)`). Sessions are still pinned to UTC below so that
//   `DEFAULT CURRENT_TIMESTAMP` (raw inserts) stores UTC too.
// - Placeholders differ (`?` on SQLite, `$1` on PostgreSQL): write raw SQL with the tagged
//   template `prisma.$queryRaw\`…${value}…\`` (fragments from `sqlFragments`), which renders the right one;
//   `$queryRawUnsafe` needs the provider's own placeholder syntax.
// - `UPDATE … WHERE id IN (SELECT … ORDER BY … LIMIT n) RETURNING …` works on both through
//   `$queryRaw`. Append `FOR UPDATE SKIP LOCKED` inside the sub-select only when
//   `capabilities.skipLocked`, and repeat the status condition in the outer WHERE: on
//   PostgreSQL without SKIP LOCKED a concurrent claimer re-checks only the outer WHERE.
//   `@updatedAt` is not maintained by raw SQL: set `"updatedAt" = ${now}` yourself.
// - Each generated client carries its own runtime. A fragment nested in `$queryRaw` must come
//   from the same runtime as the client (PostgreSQL's `Prisma.empty` inside a SQLite query is
//   bound as a `?` parameter, a syntax error): take `sql`, `empty`, `join`, `raw` from
//   `sqlFragments(capabilities.provider)`. Likewise `instanceof
//   Prisma.PrismaClientKnownRequestError` is false for errors thrown by the other provider's
//   client: use `isPrismaErrorCode(error, 'P2002')`. Both adapters report unique violations as
//   P2002 and foreign-key violations as P2003 (better-sqlite3 enables `foreign_keys` by default).
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import type { PrismaPg } from '@prisma/adapter-pg';
import type {
  Prisma as PostgresqlPrisma,
  PrismaClient as PostgresqlPrismaClient,
} from '../../prisma/generated/postgresql/index.js';
import { registerAdapter, type AdapterQueryable, type AdapterRegistration } from './adapter-registry.js';
import { stopCheckpointerOf } from './sqlite-checkpointer.js';

// Each database's generated client and driver adapter (with its driver, `pg` or better-sqlite3) is
// loaded when first used, not when this module is: a process loads one database's, not both — about
// 25 MB resident less (README, "Memory"). Both generated clients and both adapters are CommonJS
// packages, so `require` loads them synchronously and `createPrismaClient` stays synchronous.
const requireHere = createRequire(import.meta.url);

/** The generated client of `provider`; the SQLite one is typed as the PostgreSQL one (identical API, see {@link PrismaClient}). */
function generatedClient(provider: DbProvider): { Prisma: typeof PostgresqlPrisma; PrismaClient: typeof PostgresqlPrismaClient } {
  return provider === 'postgresql'
    ? (requireHere('../../prisma/generated/postgresql/index.js') as typeof import('../../prisma/generated/postgresql/index.js'))
    : (requireHere('../../prisma/generated/sqlite/index.js') as typeof import('../../prisma/generated/postgresql/index.js'));
}

// Types only (model types, inputs, `Prisma.Sql`): the runtime helpers of one generated client do
// not work with the other client (see `sqlFragments`), so they are not exported as values.
export type { PostgresqlPrisma as Prisma };

/** The database family a URL selects: `postgres://`/`postgresql://` → PostgreSQL, `file:` → SQLite. */
export type DbProvider = 'sqlite' | 'postgresql';

/**
 * The one Prisma client type used by the rest of the code. Both generated clients come from the
 * same datamodel and expose identical model APIs, so the SQLite client is typed as this one.
 */
export type PrismaClient = PostgresqlPrismaClient;

/** What the selected database can do; code branches on these flags, never on the provider. */
export interface DbCapabilities {
  provider: DbProvider;
  /** `SELECT … FOR UPDATE SKIP LOCKED` is available (PostgreSQL). Without it, claim by compare-and-set. */
  skipLocked: boolean;
  /**
   * Only one writer at a time (SQLite): write statements and interactive transactions (which
   * take the write lock at BEGIN) from several processes queue on the file lock, each waiting
   * up to 5 s; better-sqlite3 waits synchronously, blocking the event loop meanwhile. Keep
   * write transactions short; prefer single-statement claims (`UPDATE … RETURNING`).
   */
  singleWriter: boolean;
  /** Prisma's `mode: 'insensitive'` string filter is supported (PostgreSQL only). */
  insensitiveFilter: boolean;
}

export interface CreatePrismaClientOptions {
  /** Prisma client log levels/definitions (`emit: 'event'` listeners need a cast to reach `$on`). */
  log?: PostgresqlPrisma.LogLevel[] | PostgresqlPrisma.LogDefinition[];
  /**
   * A throwaway SQLite database (the demo's): writes are not synced to disk, which is faster and loses
   * the file on a power cut. Ignored for PostgreSQL.
   */
  throwaway?: boolean;
}

export interface DbClient {
  prisma: PrismaClient;
  provider: DbProvider;
  capabilities: DbCapabilities;
  /** Disconnects the client and closes its pool or file handle. */
  close(): Promise<void>;
}

/** How long a SQLite connection waits for another connection's write lock before failing. */
const SQLITE_BUSY_TIMEOUT_MS = 5_000;
/** Connections per process in the PostgreSQL pool. */
const POSTGRES_POOL_MAX = 10;

/** True for `postgres://` and `postgresql://` URLs. */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(?:ql)?:\/\//i.test(url);
}

/** The provider a database URL selects; throws for anything that is neither PostgreSQL nor `file:`. */
export function providerOfUrl(url: string): DbProvider {
  if (isPostgresUrl(url)) return 'postgresql';
  if (url.startsWith('file:')) return 'sqlite';
  throw new Error('DATABASE_URL must start with postgresql://, postgres:// or file: (SQLite)');
}

/**
 * The file a `file:` URL names, made absolute against the current working directory
 * (`:memory:` is returned as is). Query parameters (`?connection_limit=…`) are ignored: the
 * better-sqlite3 adapter would otherwise take them as part of the file name.
 */
export function sqliteFilePath(url: string): string {
  if (!url.startsWith('file:')) throw new Error('a SQLite database URL must start with file:');
  if (url.startsWith('file://')) return fileURLToPath(url.replace(/\?.*$/, ''));
  const path = decodeURIComponent(url.slice('file:'.length).replace(/\?.*$/, ''));
  if (path === '') throw new Error('the SQLite database URL names no file');
  if (path === ':memory:') return path;
  return isAbsolute(path) ? path : resolve(process.cwd(), path);
}

/** The capabilities of each provider. */
export function capabilitiesOf(provider: DbProvider): DbCapabilities {
  return provider === 'postgresql'
    ? { provider, skipLocked: true, singleWriter: false, insensitiveFilter: true }
    : { provider, skipLocked: false, singleWriter: true, insensitiveFilter: false };
}

/** Builders for raw SQL fragments that nest inside `prisma.$queryRaw\`…\`` of the given provider's client. */
export interface SqlFragments {
  /** Tagged template for a fragment; interpolated values become bound parameters. */
  sql: typeof PostgresqlPrisma.sql;
  /** The empty fragment, for optional clauses. */
  empty: typeof PostgresqlPrisma.empty;
  /** Joins values or fragments with a separator (default `,`). */
  join: typeof PostgresqlPrisma.join;
  /** Inlines trusted SQL text verbatim (never user input). */
  raw: typeof PostgresqlPrisma.raw;
}

/**
 * The fragment builders of the client that `createPrismaClient` makes for `provider`, so that
 * conditional clauses compose on both databases:
 * `const { sql, empty } = sqlFragments(capabilities.provider);`
 * `` prisma.$queryRaw`… LIMIT ${n} ${capabilities.skipLocked ? sql`FOR UPDATE SKIP LOCKED` : empty}` ``.
 */
export function sqlFragments(provider: DbProvider): SqlFragments {
  // Same cast rationale as for the client: identical API, distinct generated declarations.
  const prisma = generatedClient(provider).Prisma as unknown as SqlFragments;
  return { sql: prisma.sql, empty: prisma.empty, join: prisma.join, raw: prisma.raw };
}

/**
 * True when `error` is a Prisma known request error with the given code (for example `P2002`,
 * unique violation). Compares codes rather than classes because each generated client has
 * its own error classes.
 */
export function isPrismaErrorCode(error: unknown, code: string): boolean {
  return (
    error instanceof Error &&
    error.name === 'PrismaClientKnownRequestError' &&
    (error as { code?: unknown }).code === code
  );
}

/**
 * Creates a Prisma client for `url`: PostgreSQL through `pg` (pool of 10, session TimeZone UTC),
 * SQLite through better-sqlite3 (5 s busy timeout, WAL journal for files; the file's directory is
 * created if missing). The connection opens lazily on the first query. The schema must already be
 * migrated (`migrateDatabase`).
 */
export function createPrismaClient(url: string, options: CreatePrismaClientOptions = {}): DbClient {
  const provider = providerOfUrl(url);
  const capabilities = capabilitiesOf(provider);
  const log = options.log ?? [];
  let prisma: PrismaClient;
  const generated = generatedClient(provider);
  const KnownError = generated.Prisma.PrismaClientKnownRequestError;
  const clientVersion = generated.Prisma.prismaVersion.client;
  // The adapter the client connects, for fixed SQL on hot paths (bot/db/fixed-sql.ts).
  const registration: AdapterRegistration = {
    connected: null,
    knownError: (message, code, meta) => new KnownError(message, { code, clientVersion, meta }),
  };
  if (provider === 'postgresql') {
    // `options` only applies when the URL does not set its own (pg lets URL parameters win).
    const { PrismaPg } = requireHere('@prisma/adapter-pg') as typeof import('@prisma/adapter-pg');
    const adapter = withCapturedAdapter(
      new PrismaPg({ connectionString: url, max: POSTGRES_POOL_MAX, options: '-c TimeZone=UTC', Client: preparingPgClient(requireHere('pg') as typeof import('pg')) }),
      registration,
    );
    prisma = new generated.PrismaClient({ adapter, log });
  } else {
    const file = sqliteFilePath(url);
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    const { PrismaBetterSQLite3 } = requireHere('@prisma/adapter-better-sqlite3') as typeof import('@prisma/adapter-better-sqlite3');
    const adapter = withCapturedAdapter(
      withSqliteConnectionSetup(
        new PrismaBetterSQLite3({ url: file, timeout: SQLITE_BUSY_TIMEOUT_MS }),
        [...(file === ':memory:' ? [] : ['journal_mode = WAL']), ...(options.throwaway ? ['synchronous = OFF'] : [])],
      ),
      registration,
    );
    // The SQLite client is generated from the same datamodel as the PostgreSQL one (only the
    // datasource differs), so its model API is identical; only the two generated declaration
    // files are distinct types. Casting lets the rest of the code depend on one client type.
    prisma = new generated.PrismaClient({ adapter, log });
  }
  registerAdapter(prisma, registration);
  return {
    prisma,
    provider,
    capabilities,
    // The checkpointing thread of SQLite's bulk writes first (bot/db/sqlite-checkpointer.ts): the client's own
    // connection is then the file's last, and nothing touches the file once the client is closed.
    close: async () => {
      await stopCheckpointerOf(prisma);
      await prisma.$disconnect();
    },
  };
}

/**
 * Wraps an adapter factory so that `registration.connected` is the adapter the client connected (with
 * the SQLite patches below applied), until the client disposes of it.
 */
function withCapturedAdapter<F extends PrismaPg | PrismaBetterSQLite3>(factory: F, registration: AdapterRegistration): F {
  const wrapped = Object.create(factory) as F;
  wrapped.connect = async () => {
    const adapter = await factory.connect();
    const dispose = adapter.dispose.bind(adapter);
    adapter.dispose = () => {
      if (registration.connected === (adapter as unknown as AdapterQueryable)) registration.connected = null;
      return dispose();
    };
    registration.connected = adapter as unknown as AdapterQueryable;
    return adapter;
  };
  return wrapped;
}

type SqliteAdapterFactory = PrismaBetterSQLite3;
type SqliteAdapter = Awaited<ReturnType<SqliteAdapterFactory['connect']>>;

/** The slice of better-sqlite3's Database the transaction patch touches. */
interface SqliteStatementSource {
  prepare(source: string): { run(...params: unknown[]): unknown };
}

/**
 * Wraps the better-sqlite3 adapter factory so that each new connection
 * - runs `pragmas` first. WAL lets readers proceed while one connection writes, which matters
 *   when the web process, the job runner and CLI commands share one file; it is persistent in
 *   the file, so setting it on every connect is idempotent.
 * - opens interactive transactions with `BEGIN IMMEDIATE` instead of the adapter's deferred
 *   `BEGIN`. A deferred transaction that reads and then writes cannot wait for another
 *   process's write lock: SQLite fails it at once (SQLITE_BUSY_SNAPSHOT, reported as P1008),
 *   busy timeout or not. Taking the write lock at BEGIN lets the busy timeout queue such
 *   transactions instead (https://www.sqlite.org/lang_transaction.html#deferred_immediate_and_exclusive_transactions).
 */
function withSqliteConnectionSetup(factory: SqliteAdapterFactory, pragmas: string[]): SqliteAdapterFactory {
  const script = pragmas.map((pragma) => `PRAGMA ${pragma};`).join('\n');
  const wrapped = Object.create(factory) as SqliteAdapterFactory;
  wrapped.connect = async () => {
    const adapter = await factory.connect();
    if (script) await adapter.executeScript(script);
    useImmediateTransactions(adapter);
    cacheStatements(adapter);
    isolateTransactions(adapter);
    return adapter;
  };
  return wrapped;
}

/**
 * The adapter has ONE better-sqlite3 connection per client, and queries made outside an
 * interactive transaction run on it too: while a transaction is open they would see its
 * uncommitted rows and be undone by its rollback (an outbox claim made meanwhile would be lost
 * after the message was sent). So queries outside transactions wait, asynchronously, until the
 * open transaction ends, and transactions wait for each other; this gives each client the
 * isolation PostgreSQL gives through separate pool connections. Consequence: inside a
 * `$transaction` callback use its `tx`, never the outer client, or the call waits for the
 * transaction that is waiting for it (until the transaction times out). Exported for its test.
 */
export function isolateTransactions(adapter: Pick<SqliteAdapter, 'queryRaw' | 'executeRaw' | 'startTransaction'>): void {
  let tail: Promise<void> = Promise.resolve();
  const acquire = (): Promise<() => void> => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const previous = tail;
    tail = previous.then(() => released);
    return previous.then(() => release);
  };
  const exclusive =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const release = await acquire();
      try {
        return await fn(...args);
      } finally {
        release();
      }
    };
  adapter.queryRaw = exclusive(adapter.queryRaw.bind(adapter));
  adapter.executeRaw = exclusive(adapter.executeRaw.bind(adapter));
  const startTransaction = adapter.startTransaction.bind(adapter);
  adapter.startTransaction = async (isolationLevel) => {
    const release = await acquire();
    try {
      const transaction = await startTransaction(isolationLevel);
      // The engine has already sent COMMIT/ROLLBACK when it calls these.
      const commit = transaction.commit.bind(transaction);
      const rollback = transaction.rollback.bind(transaction);
      transaction.commit = () => commit().finally(release);
      transaction.rollback = () => rollback().finally(release);
      return transaction;
    } catch (error) {
      release();
      throw error;
    }
  };
}

/** The adapter's better-sqlite3 handle, whose `prepare` the patches below wrap. */
function sqliteHandleOf<T extends { prepare: unknown }>(adapter: SqliteAdapter): T {
  const db = (adapter as unknown as { client?: T }).client;
  if (!db || typeof db.prepare !== 'function') {
    throw new Error('@prisma/adapter-better-sqlite3 changed: no better-sqlite3 handle to patch (bot/db/client.ts)');
  }
  return db;
}

/**
 * The 6.19 adapter starts transactions with `client.prepare("BEGIN").run()` on its
 * better-sqlite3 handle, after taking a per-connection mutex it releases only on commit or
 * rollback. So `BEGIN IMMEDIATE` must not throw: if the lock is still busy after the timeout,
 * fall back to a deferred BEGIN, which behaves exactly like the stock adapter.
 */
function useImmediateTransactions(adapter: SqliteAdapter): void {
  const db = sqliteHandleOf<SqliteStatementSource>(adapter);
  const prepare = db.prepare.bind(db);
  db.prepare = (source) => {
    if (source !== 'BEGIN') return prepare(source);
    return {
      run: () => {
        try {
          return prepare('BEGIN IMMEDIATE').run();
        } catch (error) {
          if (!String((error as { code?: unknown }).code).startsWith('SQLITE_BUSY')) throw error;
          return prepare('BEGIN').run();
        }
      },
    };
  };
}

/** Prepared statements kept per SQLite connection (least recently used dropped first). */
export const SQLITE_STATEMENT_CACHE_SIZE = 500;

/**
 * Statements longer than this (multi-row inserts of a batch, whose text varies with the row count) are
 * neither cached on SQLite nor named on PostgreSQL: each would hold memory for one or two uses.
 */
export const PREPARED_TEXT_MAX_CHARS = 4_000;

/** The slice of a better-sqlite3 statement the adapter uses. */
interface SqliteStatement {
  readonly reader: boolean;
  columns(): unknown[];
  raw(toggle?: boolean): SqliteStatement;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): unknown;
}

/**
 * The 6.19 adapter compiles every statement again on every call (`client.prepare(sql).bind(args)`),
 * which was 8 % of the service's CPU under callback load on SQLite. Each connection keeps its last
 * {@link SQLITE_STATEMENT_CACHE_SIZE} prepared statements instead, by SQL text, and runs them with the
 * call's arguments. better-sqlite3 is synchronous, so a statement never runs twice at once; SQLite
 * prepares it again by itself if the schema changed (sqlite3_prepare_v2). Texts longer than
 * {@link PREPARED_TEXT_MAX_CHARS} are compiled each time, as before. Only the calls the adapter
 * makes on a bound statement are offered (`reader`, `columns`, `raw().all`, `run`). Exported for its test.
 */
export function cacheStatements(adapter: SqliteAdapter): void {
  const db = sqliteHandleOf<{ prepare(source: string): unknown }>(adapter);
  const prepare = db.prepare.bind(db) as (source: string) => SqliteStatement;
  const cache = new Map<string, SqliteStatement>();
  db.prepare = (source: string) => {
    // BEGIN goes through the transaction patch above, which has its own fallback.
    if (source === 'BEGIN' || source.length > PREPARED_TEXT_MAX_CHARS) return prepare(source);
    let statement = cache.get(source);
    if (statement) cache.delete(source);
    else {
      statement = prepare(source);
      if (cache.size >= SQLITE_STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
    }
    cache.set(source, statement);
    const cached = statement;
    return {
      bind: (args: unknown[]) => ({
        reader: cached.reader,
        columns: () => cached.columns(),
        raw: () => ({ all: () => cached.raw(true).all(args) }),
        run: () => cached.run(args),
      }),
    };
  };
}

/** Named prepared statements kept per PostgreSQL connection; statements past it run unnamed, as before. */
export const POSTGRES_PREPARED_STATEMENTS_MAX = 500;

/**
 * A `pg` client class that runs each statement the adapter sends as a named prepared statement of its
 * connection: the server parses and plans a text once per connection instead of on every call (and may
 * keep a generic plan), for the first {@link POSTGRES_PREPARED_STATEMENTS_MAX} distinct texts of each
 * connection — a bound, since texts with lists of varying length are distinct statements and each one
 * holds server memory for the connection's life — and only texts up to {@link PREPARED_TEXT_MAX_CHARS}.
 * `pg` itself sends Parse only the first time a name is used on the connection. Only the adapter's statements with parameters objects are named; its
 * transaction control (plain strings) is not. Not for a pooler in transaction mode that does not track
 * prepared statements (PgBouncer before 1.21): point `DATABASE_URL` at PostgreSQL or at a session-mode pool.
 * Exported for its test.
 */
export function preparingPgClient(pg: { Client: typeof import('pg').Client }): typeof import('pg').Client {
  return class PreparingClient extends pg.Client {
    readonly #names = new Map<string, string>();
    override query(...args: unknown[]): never {
      const config = args[0] as { text?: unknown; name?: unknown } | null;
      if (config && typeof config === 'object' && typeof config.text === 'string' && config.name === undefined && config.text.length <= PREPARED_TEXT_MAX_CHARS) {
        let name = this.#names.get(config.text);
        if (name === undefined && this.#names.size < POSTGRES_PREPARED_STATEMENTS_MAX) {
          name = `huifang_${this.#names.size}`;
          this.#names.set(config.text, name);
        }
        if (name !== undefined) args[0] = { ...config, name };
      }
      return (super.query as (...a: unknown[]) => never)(...args);
    }
  };
}
