#!/usr/bin/env node
// CI drift check for the two migration histories (`npm run db:check` runs it after the schema
// derivation check). Fails when
//   (a) prisma/migrations and prisma/sqlite/migrations do not hold the same migration names, or
//   (b) for a provider, applying its migrations does not produce exactly its schema.
// For (b) each provider's migrations are first deployed to a scratch database with
// `migrateDatabase` (the production path), then `prisma migrate diff --from-migrations …
// --to-schema-datamodel … --script` must come out empty. PostgreSQL is checked when
// TEST_POSTGRES_URL (or DATABASE_URL) is a postgres URL, and visibly skipped otherwise.
//
// Why a generated Prisma config for the diff: with driver adapters Prisma 6.19 refuses
// `--from-url`, so the only source is `--from-migrations`, which replays the migrations into a
// shadow database through the config's adapter. Two adapter gaps break that: the SQLite
// adapter runs each migration file as one statement (better-sqlite3 prepares one statement at
// a time), and the PostgreSQL adapter cannot read the catalog's internal "char" columns
// (OID 18) and builds its shadow pool with the main connection string, so the "shadow" would be
// the main database. The config below wraps both adapters to close these gaps; it is used only
// by these dev scripts, never by the application.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import pg from 'pg';
import { register } from 'tsx/esm/api';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const prismaCli = createRequire(import.meta.url).resolve('prisma/build/index.js');

/** Per provider: the schema and the migration folder, as prisma.config.ts pairs them. */
export const providers = {
  postgresql: { schema: join(repoRoot, 'prisma/schema.prisma'), migrations: join(repoRoot, 'prisma/migrations') },
  sqlite: { schema: join(repoRoot, 'prisma/sqlite/schema.prisma'), migrations: join(repoRoot, 'prisma/sqlite/migrations') },
};

const isPostgresUrl = (url) => /^postgres(?:ql)?:\/\//i.test(url ?? '');

/** The PostgreSQL server to use for scratch databases, or undefined. */
export function postgresServerUrl(env = process.env) {
  if (isPostgresUrl(env.TEST_POSTGRES_URL)) return env.TEST_POSTGRES_URL;
  if (isPostgresUrl(env.DATABASE_URL)) return env.DATABASE_URL;
  return undefined;
}

/** `scheme://user:password@` → `scheme://user:***@`. */
export function maskUrls(text) {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+):[^\s@/]*@/gi, '$1:***@');
}

/** Migration directory names in a migrations folder, sorted. */
export function migrationNames(folder) {
  return readdirSync(folder)
    .filter((entry) => statSync(join(folder, entry)).isDirectory())
    .sort();
}

/** Throws unless both migration folders list the same migration names. */
export function assertSameMigrationNames() {
  const pgNames = migrationNames(providers.postgresql.migrations);
  const sqliteNames = migrationNames(providers.sqlite.migrations);
  const onlyPg = pgNames.filter((name) => !sqliteNames.includes(name));
  const onlySqlite = sqliteNames.filter((name) => !pgNames.includes(name));
  if (onlyPg.length || onlySqlite.length) {
    throw new Error(
      'the migration histories differ:\n' +
        (onlyPg.length ? `  only in prisma/migrations: ${onlyPg.join(', ')}\n` : '') +
        (onlySqlite.length ? `  only in prisma/sqlite/migrations: ${onlySqlite.join(', ')}\n` : '') +
        'Every migration must exist for both providers (create them with `npm run db:migration NAME`).',
    );
  }
  return pgNames;
}

/** Runs `fn(url)` against a new, empty scratch SQLite file, removed afterwards. */
export async function withScratchSqlite(fn) {
  const dir = mkdtempSync(join(tmpdir(), 'huifang-scratch-'));
  try {
    return await fn(`file:${join(dir, 'scratch.db')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `fn(url)` against a new, empty scratch database on `serverUrl`'s server, dropped afterwards. */
export async function withScratchPostgres(serverUrl, fn) {
  const name = `huifang_scratch_${randomBytes(5).toString('hex')}`;
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  await adminQuery(serverUrl, `CREATE DATABASE "${name}"`);
  try {
    return await fn(url.toString());
  } finally {
    await adminQuery(serverUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    // Shadow databases of the diff config are named after the scratch database; drop any left behind.
    const pattern = `${name}_shadow_`.replaceAll('_', '\\_');
    const { rows } = await adminQuery(serverUrl, `SELECT datname FROM pg_database WHERE datname LIKE '${pattern}%'`);
    for (const { datname } of rows) await adminQuery(serverUrl, `DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  }
}

async function adminQuery(serverUrl, sql) {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Applies the migrations with the application's own `migrateDatabase` (bot/db/migrate.ts). */
export async function deployMigrations(url) {
  register();
  const { migrateDatabase } = await import(pathToFileURL(join(repoRoot, 'bot/db/migrate.ts')).href);
  return migrateDatabase(url);
}

/**
 * The SQL that would bring a database holding `provider`'s migrations to its schema: empty
 * (only comments) when they agree. `url` is an empty scratch database the CLI may connect to.
 */
export async function diffMigrationsToSchema(provider, url) {
  const { schema, migrations } = providers[provider];
  const dir = mkdtempSync(join(tmpdir(), 'huifang-diff-'));
  try {
    const config = join(dir, 'prisma.config.mjs');
    const output = join(dir, 'diff.sql');
    writeFileSync(config, diffConfigSource());
    const run = await runPrisma(
      ['migrate', 'diff', '--config', config, '--from-migrations', migrations, '--to-schema-datamodel', schema, '--script', '--output', output],
      { DATABASE_URL: url },
    );
    if (run.code !== 0) {
      throw new Error(`prisma migrate diff failed for ${provider} (exit code ${run.code}):\n${maskUrls(run.output).trim()}`);
    }
    return readFileSync(output, 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** True when a diff script holds no statement (Prisma writes "-- This is an empty migration."). */
export function isEmptyScript(sql) {
  return sql.split('\n').every((line) => line.trim() === '' || line.trim().startsWith('--'));
}

/** Runs the local Prisma CLI from the repository root; resolves with its exit code and output. */
export function runPrisma(args, env) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [prismaCli, ...args], {
      cwd: repoRoot,
      env: { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1', NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, output }));
  });
}

/** Source of the Prisma config used by `diffMigrationsToSchema` (see the header comment). */
function diffConfigSource() {
  const requireFrom = JSON.stringify(join(repoRoot, 'package.json'));
  const paths = JSON.stringify(providers);
  return `// Generated by scripts/check-migrations.mjs for one \`prisma migrate diff\` run.
import { createRequire } from 'node:module';
const require = createRequire(${requireFrom});
const { defineConfig } = require('prisma/config');
const { PrismaBetterSQLite3 } = require('@prisma/adapter-better-sqlite3');
const { PrismaPg } = require('@prisma/adapter-pg');
const pg = require('pg');

const paths = ${paths};
const url = process.env.DATABASE_URL;
const isPostgres = /^postgres(ql)?:\\/\\//i.test(url);

// Reports PostgreSQL's internal "char" type (OID 18, used by the catalog) as text (OID 25),
// which the 6.19 adapter cannot map otherwise.
class CharAsTextPool extends pg.Pool {
  async query(config, values) {
    const result = await super.query(config, values);
    for (const field of result.fields ?? []) if (field.dataTypeID === 18) field.dataTypeID = 25;
    return result;
  }
}

function postgresAdapter(connectionString) {
  const pool = new CharAsTextPool({ connectionString, max: 2, allowExitOnIdle: true });
  const main = new PrismaPg(pool);
  const scratchName = decodeURIComponent(new URL(connectionString).pathname.slice(1));
  return {
    provider: main.provider,
    adapterName: main.adapterName,
    connect: () => main.connect(),
    // A real, separate shadow database (the stock one reuses the main connection string).
    async connectToShadowDb() {
      const name = scratchName + '_shadow_' + Math.random().toString(16).slice(2, 10);
      await pool.query('CREATE DATABASE "' + name + '"');
      const shadowUrl = new URL(connectionString);
      shadowUrl.pathname = '/' + name;
      const shadowPool = new CharAsTextPool({ connectionString: shadowUrl.toString(), max: 2, allowExitOnIdle: true });
      const adapter = await new PrismaPg(shadowPool).connect();
      adapter.dispose = async () => {
        await shadowPool.end();
        await pool.query('DROP DATABASE IF EXISTS "' + name + '" WITH (FORCE)');
      };
      return adapter;
    },
  };
}

function sqliteAdapter(databaseUrl) {
  const main = new PrismaBetterSQLite3({ url: databaseUrl });
  return {
    provider: main.provider,
    adapterName: main.adapterName,
    connect: () => main.connect(),
    // Migration files hold many statements; better-sqlite3 prepares one at a time. An empty migration (comments
    // only, as npm run db:migration writes for the provider whose schema did not change) holds none.
    async connectToShadowDb() {
      const adapter = await main.connectToShadowDb();
      const executeRaw = adapter.executeRaw.bind(adapter);
      adapter.executeRaw = async (query) => {
        try {
          return await executeRaw(query);
        } catch (error) {
          if (error instanceof RangeError && query.args.length === 0 && /contains no statements/.test(error.message)) return 0;
          if (!(error instanceof RangeError) || query.args.length > 0 || !/more than one statement/.test(error.message)) throw error;
          await adapter.executeScript(query.sql);
          return 0;
        }
      };
      return adapter;
    },
  };
}

export default defineConfig({
  engine: 'js',
  experimental: { adapter: true },
  schema: isPostgres ? paths.postgresql.schema : paths.sqlite.schema,
  migrations: { path: isPostgres ? paths.postgresql.migrations : paths.sqlite.migrations },
  adapter: async () => (isPostgres ? postgresAdapter(url) : sqliteAdapter(url)),
});
`;
}

/** Deploys `provider`'s migrations to a scratch database and diffs them against its schema. */
async function checkProvider(provider, serverUrl) {
  const started = Date.now();
  const check = async (url) => {
    const { applied } = await deployMigrations(url);
    const script = await diffMigrationsToSchema(provider, url);
    return { applied, script };
  };
  const { applied, script } =
    provider === 'sqlite' ? await withScratchSqlite(check) : await withScratchPostgres(serverUrl, check);
  const { schema, migrations } = providers[provider];
  const rel = (path) => path.slice(repoRoot.length + 1);
  if (!isEmptyScript(script)) {
    throw new Error(
      `${rel(migrations)} does not produce ${rel(schema)}. Applying the migrations and then this SQL would:\n\n` +
        `${script.trim()}\n\n` +
        'Create the missing migration with `npm run db:migration NAME` (or fix the edited one).',
    );
  }
  console.log(`✓ ${provider}: ${applied.length} migration(s) deploy cleanly and match ${rel(schema)} (${Date.now() - started} ms)`);
}

async function main() {
  const names = assertSameMigrationNames();
  console.log(`✓ both providers have the same ${names.length} migration(s)`);
  await checkProvider('sqlite');
  const serverUrl = postgresServerUrl();
  if (serverUrl) await checkProvider('postgresql', serverUrl);
  else console.log('⚠ skipped PostgreSQL check: set TEST_POSTGRES_URL (or a postgres DATABASE_URL) to run it');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error) => {
    console.error(`✗ migration check failed: ${maskUrls(error instanceof Error ? error.message : String(error))}`);
    process.exit(1);
  });
}
