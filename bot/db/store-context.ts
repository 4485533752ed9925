import type { IdGenerator } from '../core/clock.js';
import type { DbCapabilities, PrismaClient } from './client.js';

/** What every store over Prisma is built from: the client, what the database can do, and the id source. */
export interface StoreContext {
  prisma: PrismaClient;
  capabilities: DbCapabilities;
  ids: IdGenerator;
}

/** Limits of an interactive transaction: wait up to 30 s for a connection or SQLite's write lock, run up to 120 s. */
export const TX_OPTIONS = { maxWait: 30_000, timeout: 120_000 } as const;
