/**
 * Which driver adapter each Prisma client connected: `createPrismaClient` (bot/db/client.ts) records it here,
 * and the fixed-SQL runner (bot/db/fixed-sql.ts) reads it. Kept apart from both so that neither imports the other.
 */
/** What the driver adapters take (`SqlQuery` of @prisma/driver-adapter-utils), reduced to what is used here. */
export interface AdapterQuery {
  sql: string;
  args: unknown[];
  argTypes: { scalarType: 'string' | 'int' | 'float' | 'boolean' | 'datetime' | 'unknown'; arity: 'scalar' }[];
}

/** The connected adapter's query methods (`SqlQueryable`). */
export interface AdapterQueryable {
  queryRaw(query: AdapterQuery): Promise<{ columnNames: string[]; rows: unknown[][] }>;
  executeRaw(query: AdapterQuery): Promise<number>;
  /**
   * Opens a transaction (`SqlDriverAdapter.startTransaction`: BEGIN sent, connection or lock held). The
   * caller sends COMMIT or ROLLBACK itself, then calls `commit()`/`rollback()`, which only release.
   */
  startTransaction?(): Promise<AdapterTransaction>;
}

/** A transaction of the connected adapter (`Transaction` of @prisma/driver-adapter-utils), reduced to what is used here. */
export interface AdapterTransaction extends Omit<AdapterQueryable, 'startTransaction'> {
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

/** What `createPrismaClient` records for its client. */
export interface AdapterRegistration {
  /** The adapter the client connected, or null before its first query and after `$disconnect`. */
  connected: AdapterQueryable | null;
  /** Makes the provider's `PrismaClientKnownRequestError`. */
  knownError(message: string, code: string, meta: Record<string, unknown>): Error;
}

const registrations = new WeakMap<object, AdapterRegistration>();

/** The registration of `prisma`, if `createPrismaClient` made it. */
export function adapterRegistrationOf(prisma: object): AdapterRegistration | undefined {
  return registrations.get(prisma);
}

/** Records the adapter registration of a client (bot/db/client.ts). */
export function registerAdapter(prisma: object, registration: AdapterRegistration): void {
  registrations.set(prisma, registration);
}
