/**
 * Fixed SQL on the driver adapter, for the few statements on a hot request path (the webhook edge's inbox
 * insert and nonce memory). Every call of Prisma's query API, `$queryRawUnsafe` included, is turned into a
 * query plan by the WASM query compiler before it runs; for a statement whose text never changes that is
 * pure overhead (a quarter of the CPU of a WeCom callback). Here the text goes straight to the adapter that
 * the client connected (`createPrismaClient` registers it), so it shares the client's pool or SQLite
 * connection, and on SQLite the isolation from open transactions (bot/db/client.ts).
 *
 * Write the text with `?` placeholders; they become `$1…` on PostgreSQL ({@link numbered}). Bind `Date`s
 * as `Date` (the adapters format them exactly as Prisma does) and set every DateTime column of an INSERT.
 * Errors are Prisma's: a unique violation is `P2002`, a foreign-key violation `P2003`, as from the query API.
 * A client that was not made by `createPrismaClient` (or a transaction's `tx`) runs the same text through
 * `$queryRawUnsafe`, with its errors translated alike.
 */
import type { StoreContext } from './store-context.js';
import { TX_OPTIONS } from './store-context.js';
import { numbered } from './raw-sql.js';
import { adapterRegistrationOf, type AdapterQuery, type AdapterQueryable, type AdapterRegistration } from './adapter-registry.js';

export { registerAdapter, type AdapterQuery, type AdapterQueryable, type AdapterRegistration } from './adapter-registry.js';

/** Runs fixed statements, on the client or inside one transaction. */
export interface FixedSqlQueries {
  /** Rows of a statement that returns some (`SELECT`, `… RETURNING`), as objects keyed by column name. */
  query<T extends Record<string, unknown>>(text: string, params: unknown[]): Promise<T[]>;
  /**
   * Rows of a statement as arrays of values in the order of its select list, with the column names once: for
   * reads of thousands of rows, which would otherwise build an object with every column's name for each row.
   */
  queryRows(text: string, params: unknown[]): Promise<{ columnNames: string[]; rows: unknown[][] }>;
  /** The number of rows a statement changed. */
  execute(text: string, params: unknown[]): Promise<number>;
}

/** Runs fixed statements for the stores of one context. */
export interface FixedSql extends FixedSqlQueries {
  /** The query API's error with `code` (`P2025` where a `…OrThrow` read would have found nothing). */
  knownError(message: string, code: string): Error;
  /**
   * Runs `fn` in one transaction of the adapter (BEGIN, then COMMIT, or ROLLBACK when `fn` throws), past the
   * query compiler like single statements. On SQLite it is a `BEGIN IMMEDIATE` transaction and other queries of
   * the client wait for it, as for the client's own `$transaction` (bot/db/client.ts). Inside `fn`, use only
   * the runner it is given.
   */
  transaction<T>(fn: (sql: FixedSqlQueries) => Promise<T>): Promise<T>;
}

/** The fixed-SQL runner of `db`'s client. */
export function fixedSql(db: Pick<StoreContext, 'prisma' | 'capabilities'>): FixedSql {
  const registration = adapterRegistrationOf(db.prisma);
  const provider = db.capabilities.provider;
  const toQuery = (text: string, params: unknown[]): AdapterQuery => ({
    sql: provider === 'postgresql' ? numberedText(db.capabilities, text) : text,
    args: params,
    argTypes: params.map(argType),
  });
  if (!registration) {
    const make: AdapterRegistration['knownError'] = (message, code, meta) => Object.assign(new Error(message), { name: 'PrismaClientKnownRequestError', code, meta });
    const translate = (error: unknown): never => {
      const cause = (error as { meta?: { driverAdapterError?: unknown } } | null)?.meta?.driverAdapterError;
      throw knownErrorOf(cause, make) ?? error;
    };
    const viaClient = (client: Pick<StoreContext['prisma'], '$queryRawUnsafe' | '$executeRawUnsafe'>): FixedSqlQueries => ({
      query: (text, params) => client.$queryRawUnsafe<never[]>(...numbered(db.capabilities, text, params)).catch(translate),
      async queryRows(text, params) {
        const records = await client.$queryRawUnsafe<Record<string, unknown>[]>(...numbered(db.capabilities, text, params)).catch(translate);
        const columnNames = records[0] ? Object.keys(records[0]) : [];
        return { columnNames, rows: records.map((record) => columnNames.map((name) => record[name])) };
      },
      execute: (text, params) => client.$executeRawUnsafe(...numbered(db.capabilities, text, params)).catch(translate),
    });
    return {
      knownError: (message, code) => make(message, code, {}),
      ...viaClient(db.prisma),
      transaction: (fn) => db.prisma.$transaction((tx) => fn(viaClient(tx)), TX_OPTIONS),
    };
  }
  const adapter = async (): Promise<AdapterQueryable> => {
    if (!registration.connected) await db.prisma.$connect();
    if (!registration.connected) throw new Error('the Prisma client connected no driver adapter (bot/db/fixed-sql.ts)');
    return registration.connected;
  };
  const translate = (error: unknown): never => {
    throw knownErrorOf(error, registration.knownError) ?? error;
  };
  const on = (queryable: () => Promise<Omit<AdapterQueryable, 'startTransaction'>>): FixedSqlQueries => ({
    async query<T extends Record<string, unknown>>(text: string, params: unknown[]): Promise<T[]> {
      const result = await (await queryable()).queryRaw(toQuery(text, params)).catch(translate);
      // A claimed batch reads thousands of rows of some seventy columns: plain loops, no per-row arrays of pairs.
      const names = result.columnNames;
      const out: T[] = new Array(result.rows.length);
      for (let r = 0; r < result.rows.length; r++) {
        const row = result.rows[r]!;
        const record: Record<string, unknown> = {};
        for (let i = 0; i < names.length; i++) record[names[i]!] = row[i];
        out[r] = record as T;
      }
      return out;
    },
    async queryRows(text: string, params: unknown[]): Promise<{ columnNames: string[]; rows: unknown[][] }> {
      const result = await (await queryable()).queryRaw(toQuery(text, params)).catch(translate);
      return { columnNames: result.columnNames, rows: result.rows as unknown[][] };
    },
    async execute(text: string, params: unknown[]): Promise<number> {
      return (await queryable()).executeRaw(toQuery(text, params)).catch(translate);
    },
  });
  return {
    knownError: (message, code) => registration.knownError(message, code, {}),
    ...on(adapter),
    async transaction<T>(fn: (sql: FixedSqlQueries) => Promise<T>): Promise<T> {
      const connected = await adapter();
      if (!connected.startTransaction) throw new Error('the driver adapter opens no transactions (bot/db/fixed-sql.ts)');
      const tx = await connected.startTransaction().catch(translate);
      const control = (sql: string) => tx.executeRaw({ sql, args: [], argTypes: [] });
      let result: T;
      try {
        result = await fn(on(async () => tx));
      } catch (error) {
        // ROLLBACK, then release the connection (or the SQLite lock) whatever ROLLBACK said.
        await control('ROLLBACK').catch(() => undefined);
        await tx.rollback();
        throw error;
      }
      try {
        await control('COMMIT');
      } catch (error) {
        await control('ROLLBACK').catch(() => undefined);
        await tx.rollback();
        translate(error);
      }
      await tx.commit();
      return result;
    },
  };
}

/** Statement texts with `$1…` placeholders, by their `?` text: the fixed texts are few and run again and again. */
const NUMBERED_TEXTS = new Map<string, string>();
const NUMBERED_TEXTS_MAX = 500;
/** Texts longer than this (lists whose length varies) are numbered each time, not kept. */
const NUMBERED_TEXT_MAX_CHARS = 4_000;

/** `text` with its `?` placeholders numbered for PostgreSQL ({@link numbered}), kept for the next call. */
function numberedText(capabilities: StoreContext['capabilities'], text: string): string {
  let out = NUMBERED_TEXTS.get(text);
  if (out !== undefined) return out;
  out = numbered(capabilities, text, [])[0];
  if (text.length <= NUMBERED_TEXT_MAX_CHARS) {
    if (NUMBERED_TEXTS.size >= NUMBERED_TEXTS_MAX) NUMBERED_TEXTS.clear();
    NUMBERED_TEXTS.set(text, out);
  }
  return out;
}

/** One shared object per scalar type: a batch binds tens of thousands of parameters per statement. */
const ARG_TYPES = Object.fromEntries(
  (['string', 'int', 'float', 'boolean', 'datetime', 'unknown'] as const).map((scalarType) => [scalarType, Object.freeze({ scalarType, arity: 'scalar' as const })]),
) as Record<'string' | 'int' | 'float' | 'boolean' | 'datetime' | 'unknown', AdapterQuery['argTypes'][number]>;

function argType(value: unknown): AdapterQuery['argTypes'][number] {
  switch (typeof value) {
    case 'string':
      return ARG_TYPES.string;
    case 'number':
      return Number.isInteger(value) ? ARG_TYPES.int : ARG_TYPES.float;
    case 'boolean':
      return ARG_TYPES.boolean;
    default:
      return value instanceof Date ? ARG_TYPES.datetime : ARG_TYPES.unknown;
  }
}

/** The codes the query API gives the adapters' error kinds (those a fixed statement can meet). */
const CODE_OF_KIND: Readonly<Record<string, string>> = {
  LengthMismatch: 'P2000',
  UniqueConstraintViolation: 'P2002',
  ForeignKeyConstraintViolation: 'P2003',
  NullConstraintViolation: 'P2011',
  ValueOutOfRange: 'P2020',
  TableDoesNotExist: 'P2021',
  ColumnNotFound: 'P2022',
  TransactionWriteConflict: 'P2034',
  SocketTimeout: 'P1008',
  DatabaseNotReachable: 'P1001',
  ConnectionClosed: 'P1017',
};

/** A `DriverAdapterError` of a known kind as the query API reports it, or null. */
function knownErrorOf(error: unknown, make: AdapterRegistration['knownError']): Error | null {
  if (!(error instanceof Error) || error.name !== 'DriverAdapterError') return null;
  const cause = (error as { cause?: { kind?: string; constraint?: { fields?: string[]; index?: string } } }).cause;
  const code = cause?.kind ? CODE_OF_KIND[cause.kind] : undefined;
  if (!code) return null;
  const constraint = cause?.constraint;
  const on = constraint?.fields ? `fields: (${constraint.fields.map((f) => `\`${f}\``).join(',')})` : constraint?.index ? `constraint: \`${constraint.index}\`` : '(not available)';
  const message =
    cause?.kind === 'UniqueConstraintViolation'
      ? `Unique constraint failed on the ${on}`
      : cause?.kind === 'ForeignKeyConstraintViolation'
        ? `Foreign key constraint violated on the ${on}`
        : error.message || String(cause?.kind);
  return make(message, code, { driverAdapterError: error });
}
