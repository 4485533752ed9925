// vitest globalSetup: migrates one template database per provider per test run, through
// `migrateDatabase` exactly as production does; test/support/db.ts then copies a template for
// each test file (a file copy for SQLite, `CREATE DATABASE … TEMPLATE` for PostgreSQL), which
// takes milliseconds instead of the CLI's ~2 s. Runs once in the main vitest process, before
// any worker starts, so parallel forks never race on the migration.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migrateDatabase } from '../../bot/db/migrate.js';

/** Where the migrated templates of this run are; absent providers are migrated per file instead. */
export interface DbTemplates {
  /** Absolute path of the migrated SQLite file. */
  sqliteFile?: string;
  /** Name of the migrated PostgreSQL database on the TEST_POSTGRES_URL server. */
  postgresDatabase?: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    huifangDbTemplates: DbTemplates;
  }
}

/** Template databases left by runs that died before their teardown are dropped after this long. */
const STALE_TEMPLATE_MS = 6 * 3_600_000;
const TEMPLATE_PREFIX = 'huifang_tmpl_';

export const POSTGRES_SKIP_NOTICE =
  'PostgreSQL integration tests are SKIPPED: TEST_POSTGRES_URL is not set ' +
  '(e.g. TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/postgres); only SQLite ran.';

/** `url` with its database name replaced. */
export function postgresUrlFor(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const postgresUrl = process.env.TEST_POSTGRES_URL;
  if (!postgresUrl) console.warn(`\n⚠ ${POSTGRES_SKIP_NOTICE}\n`);

  const sqliteDir = mkdtempSync(join(tmpdir(), 'huifang-tmpl-'));
  const sqliteFile = join(sqliteDir, 'template.db');
  let postgresDatabase: string | undefined;
  try {
    [, postgresDatabase] = await Promise.all([
      migrateDatabase(`file:${sqliteFile}`),
      postgresUrl ? createPostgresTemplate(postgresUrl) : Promise.resolve(undefined),
    ]);
  } catch (error) {
    rmSync(sqliteDir, { recursive: true, force: true });
    throw error;
  }
  const templates: DbTemplates = { sqliteFile };
  if (postgresDatabase) templates.postgresDatabase = postgresDatabase;
  project.provide('huifangDbTemplates', templates);

  return async () => {
    rmSync(sqliteDir, { recursive: true, force: true });
    if (postgresUrl && postgresDatabase) await dropPostgresTemplate(postgresUrl, postgresDatabase);
  };
}

async function createPostgresTemplate(serverUrl: string): Promise<string> {
  const name = `${TEMPLATE_PREFIX}${Date.now()}_${randomBytes(4).toString('hex')}`;
  await withAdminClient(serverUrl, async (client) => {
    await dropStaleTemplates(client);
    await client.query(`CREATE DATABASE "${name}"`);
  });
  await migrateDatabase(postgresUrlFor(serverUrl, name));
  // No one may connect to a template while it is being copied; refuse connections outright.
  await withAdminClient(serverUrl, (client) =>
    client.query(`ALTER DATABASE "${name}" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`),
  );
  return name;
}

async function dropPostgresTemplate(serverUrl: string, name: string): Promise<void> {
  await withAdminClient(serverUrl, async (client) => {
    await client.query(`ALTER DATABASE "${name}" WITH IS_TEMPLATE false`);
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  });
}

async function dropStaleTemplates(client: pg.Client): Promise<void> {
  const { rows } = await client.query<{ datname: string }>(
    // `_` is a LIKE wildcard: escape it so only this prefix matches.
    `SELECT datname FROM pg_database WHERE datname LIKE '${TEMPLATE_PREFIX.replaceAll('_', '\\_')}%'`,
  );
  for (const { datname } of rows) {
    const createdAt = Number(datname.slice(TEMPLATE_PREFIX.length).split('_')[0]);
    if (!Number.isFinite(createdAt) || Date.now() - createdAt < STALE_TEMPLATE_MS) continue;
    await client.query(`ALTER DATABASE "${datname}" WITH IS_TEMPLATE false`);
    await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  }
}

/** Runs `fn` with a short-lived connection to the server's maintenance database. */
export async function withAdminClient<T>(serverUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
