// Real databases for integration tests (STYLE T2): a fresh, migrated database per test file and
// provider. SQLite always runs; PostgreSQL runs when TEST_POSTGRES_URL is set and is otherwise
// registered as a visibly skipped suite. A database is removed after its suite only if every test
// passed; otherwise it is kept and its location printed, for debugging.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { RunnerTask } from 'vitest';
import { createPrismaClient, type DbCapabilities, type DbProvider, type PrismaClient } from '../../bot/db/client.js';
import { maskDatabaseUrls, migrateDatabase } from '../../bot/db/migrate.js';
import { POSTGRES_SKIP_NOTICE, postgresUrlFor, withAdminClient, type DbTemplates } from './global-setup.js';

/** A migrated database owned by one test file (or one ad-hoc user). */
export interface TestDb {
  url: string;
  provider: DbProvider;
  prisma: PrismaClient;
  capabilities: DbCapabilities;
}

/** A database from `createTestDb`: the caller closes or destroys it. */
export interface AdHocTestDb extends TestDb {
  /** Human-readable location (file path or database name) for messages. */
  location: string;
  /** Disconnects the client; the data stays. */
  close(): Promise<void>;
  /** Disconnects and deletes the database (the SQLite directory, or DROP DATABASE). */
  destroy(): Promise<void>;
}

const postgresServerUrl = process.env.TEST_POSTGRES_URL;

// Loaded dynamically so that `createTestDb` also works outside vitest (benchmarks and child
// processes run with tsx): importing 'vitest' outside its runner throws.
const vitest: typeof import('vitest') | undefined = await import('vitest').catch(() => undefined);

/** The providers integration tests run against; PostgreSQL only with TEST_POSTGRES_URL. */
export const testDatabases: { name: DbProvider; enabled: boolean }[] = [
  { name: 'sqlite', enabled: true },
  { name: 'postgresql', enabled: Boolean(postgresServerUrl) },
];

let skipNoticeShown = false;

/**
 * Registers `describe(`${title} [provider]`, …)` once per enabled provider. `fn` registers the
 * tests and receives `db()`, usable inside tests and hooks (not at collection time), returning
 * that suite's database, created and migrated in `beforeAll` and closed in `afterAll`.
 */
export function describeEachDatabase(title: string, fn: (db: () => TestDb) => void): void {
  if (!vitest) throw new Error('describeEachDatabase must be called from a vitest test file');
  const { afterAll, beforeAll, describe } = vitest;
  for (const { name, enabled } of testDatabases) {
    if (!enabled) {
      if (!skipNoticeShown && !globalSetupRan()) {
        skipNoticeShown = true;
        console.warn(`⚠ ${POSTGRES_SKIP_NOTICE}`);
      }
      describe.skip(`${title} [${name}: skipped — TEST_POSTGRES_URL not set]`, () => {
        fn(() => {
          throw new Error(`${name} tests are skipped`);
        });
      });
      continue;
    }
    describe(`${title} [${name}]`, () => {
      let current: AdHocTestDb | undefined;
      beforeAll(async () => {
        current = await createTestDb(name);
      });
      afterAll(async (suite) => {
        if (!current) return;
        if (suite.result?.state !== 'fail' && !hasFailure(suite.tasks)) {
          await current.destroy();
        } else {
          await current.close();
          console.warn(`[test-db] a test failed: kept ${name} database ${current.location} (${maskDatabaseUrls(current.url)}) for debugging`);
        }
      });
      fn(() => {
        if (!current) throw new Error('the test database exists only inside tests and hooks (created in beforeAll)');
        return current;
      });
    });
  }
}

/**
 * Creates a fresh, fully migrated database for `provider` outside the describe machinery
 * (benchmarks, multi-process tests). Uses the run's template when vitest's globalSetup made one,
 * otherwise migrates with `migrateDatabase` (~2 s). PostgreSQL needs TEST_POSTGRES_URL.
 */
export async function createTestDb(provider: DbProvider): Promise<AdHocTestDb> {
  return provider === 'sqlite' ? createSqliteTestDb() : createPostgresTestDb();
}

async function createSqliteTestDb(): Promise<AdHocTestDb> {
  const dir = mkdtempSync(join(tmpdir(), 'huifang-test-'));
  const file = join(dir, 'test.db');
  const url = `file:${file}`;
  const template = templates()?.sqliteFile;
  try {
    if (template) copyFileSync(template, file);
    else await migrateDatabase(url);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const client = createPrismaClient(url);
  return {
    url,
    provider: 'sqlite',
    prisma: client.prisma,
    capabilities: client.capabilities,
    location: file,
    close: () => client.close(),
    destroy: async () => {
      await client.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function createPostgresTestDb(): Promise<AdHocTestDb> {
  const serverUrl = postgresServerUrl;
  if (!serverUrl) throw new Error('PostgreSQL test databases need TEST_POSTGRES_URL');
  const name = `huifang_t_${randomBytes(6).toString('hex')}`;
  const url = postgresUrlFor(serverUrl, name);
  const template = templates()?.postgresDatabase;
  await withAdminClient(serverUrl, (admin) => createDatabase(admin, name, template));
  try {
    if (!template) await migrateDatabase(url);
  } catch (error) {
    await dropPostgresDatabase(serverUrl, name);
    throw error;
  }
  const client = createPrismaClient(url);
  return {
    url,
    provider: 'postgresql',
    prisma: client.prisma,
    capabilities: client.capabilities,
    location: name,
    close: () => client.close(),
    destroy: async () => {
      await client.close();
      await dropPostgresDatabase(serverUrl, name);
    },
  };
}

async function createDatabase(admin: pg.Client, name: string, template: string | undefined): Promise<void> {
  const sql = template ? `CREATE DATABASE "${name}" TEMPLATE "${template}"` : `CREATE DATABASE "${name}"`;
  // Copying a template fails with 55006 while any session is connected to it (for example the
  // migrating CLI's backends, which end a moment after it exits): retry a few times.
  for (let attempt = 1; ; attempt++) {
    try {
      await admin.query(sql);
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== '55006' || attempt >= 10) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

async function dropPostgresDatabase(serverUrl: string, name: string): Promise<void> {
  await withAdminClient(serverUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}

function hasFailure(tasks: readonly RunnerTask[]): boolean {
  return tasks.some((task) => task.result?.state === 'fail' || ('tasks' in task && hasFailure(task.tasks)));
}

/** The templates provided by test/support/global-setup.ts, or undefined outside a vitest run. */
function templates(): DbTemplates | undefined {
  return vitest?.inject('huifangDbTemplates');
}

function globalSetupRan(): boolean {
  return templates() !== undefined;
}
