// Builds the real service (createHuifang) over a test database, on a FakeClock, with the example
// organisation. Nothing of ours is mocked: only the clock and, where a test needs a failure, a channel.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeClock, UlidGenerator } from '../../bot/clocks.js';
import { loadConfig } from '../../bot/config.js';
import { createLogger } from '../../bot/logger.js';
import { createHuifang, type Huifang } from '../../bot/huifang.js';
import { createHttpApp } from '../../bot/http/app.js';
import { createPrismaClient, type DbClient } from '../../bot/db/client.js';
import { seedExampleOrganisation } from '../../bot/example/example-organisation.js';
import type { MessageChannel } from '../../bot/core/messages.js';
import type { ChannelName } from '../../bot/core/model.js';
import type { TestDb } from './db.js';
import type { WecomSignIn } from '../../bot/core/ports/console-auth.js';
import type { StoreContext } from '../../bot/db/store-context.js';
import { PrismaStaffDirectory } from '../../bot/db/staff-directory-store.js';
import { PrismaCustomerImportStore } from '../../bot/db/customer-import-store.js';

export const TEST_API_KEY = '0123456789abcdef0123';
export const TIME_ZONE = 'Asia/Shanghai';

export interface TestServiceOptions {
  channels?: Partial<Record<ChannelName, MessageChannel>>;
  /** Fixed backoff jitter (default 0.5) so retry times are exact. */
  jitter?: () => number;
  /** A policy packs folder other than templates/policies (a pack varied for a test). */
  policiesDir?: string;
  /** More environment for `loadConfig` (console limits, PUBLIC_BASE_URL, WeCom credentials …). */
  env?: Record<string, string>;
  /** WeCom sign-in for the console, when a test wires it itself. */
  wecomSignIn?: WecomSignIn | null;
  /** false: no inbox drain, as in a `--role web` process. */
  inboxDrain?: boolean;
}

/** A DbClient over the suite's database; closing it is left to the suite (describeEachDatabase). */
export function sharedDbClient(db: TestDb): DbClient {
  return { prisma: db.prisma, provider: db.provider, capabilities: db.capabilities, close: async () => {} };
}

/** The service as production wires it, on `clock`, over `dbClient`. */
export function createTestService(url: string, dbClient: DbClient, clock: FakeClock, options: TestServiceOptions = {}): Huifang {
  return createHuifang({
    config: loadConfig({ DATABASE_URL: url, HUIFANG_TIMEZONE: TIME_ZONE, API_KEYS: `test:${TEST_API_KEY}`, ...options.env }),
    logger: createLogger({ level: 'silent' }),
    db: dbClient,
    clock,
    jitter: options.jitter ?? (() => 0.5),
    ...(options.channels ? { channels: options.channels } : {}),
    ...(options.policiesDir ? { policiesDir: options.policiesDir } : {}),
    ...(options.wecomSignIn !== undefined ? { wecomSignIn: options.wecomSignIn } : {}),
    ...(options.inboxDrain !== undefined ? { inboxDrain: options.inboxDrain } : {}),
  });
}

/** Seeds the example organisation (idempotent); returns staff ids by WeCom user id. */
export async function seedOrganisation(db: TestDb): Promise<Map<string, string>> {
  const ids = new UlidGenerator();
  const context = storeContext(db);
  return seedExampleOrganisation({ staff: new PrismaStaffDirectory(context), customers: new PrismaCustomerImportStore(context) }, () => ids.next());
}

/**
 * A second, independent service instance on the same database: its own Prisma client (own
 * connection pool or SQLite connection), as another replica would have. Close it after use.
 */
export function createReplica(db: TestDb, clock: FakeClock, options: TestServiceOptions = {}): Huifang & { closeReplica(): Promise<void> } {
  const client = createPrismaClient(db.url);
  const app = createTestService(db.url, client, clock, options);
  return Object.assign(app, { closeReplica: () => client.close() });
}

/** The koa app on an ephemeral port of 127.0.0.1. */
export async function listen(app: Huifang): Promise<{ baseUrl: string; close(): Promise<void> }> {
  const koa = createHttpApp(app);
  const server = await new Promise<Server>((resolve, reject) => {
    const s = koa.listen(0, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** What a store over the suite's database is built from (for tests of one store or one import). */
export function storeContext(db: TestDb): StoreContext {
  return { prisma: db.prisma, capabilities: db.capabilities, ids: new UlidGenerator() };
}
