#!/usr/bin/env node
// Creates the next migration for both providers: `npm run db:migration NAME`.
//
// 1. Re-derives prisma/sqlite/schema.prisma from prisma/schema.prisma.
// 2. For each provider, replays its existing migrations into a scratch database and diffs the
//    result against its schema (`prisma migrate diff --from-migrations`; see check-migrations.mjs
//    for why a generated config is needed), because `prisma migrate dev` does not work with the
//    Wasm engine.
// 3. Writes prisma/migrations/<timestamp>_<name>/migration.sql and the same name under
//    prisma/sqlite/migrations/, so both histories keep identical migration names.
//
// The PostgreSQL half needs a server: TEST_POSTGRES_URL, or DATABASE_URL when it is a postgres URL
// (only scratch databases are created there; the named database itself is not touched).
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  assertSameMigrationNames,
  diffMigrationsToSchema,
  isEmptyScript,
  maskUrls,
  postgresServerUrl,
  providers,
  repoRoot,
  withScratchPostgres,
  withScratchSqlite,
} from './check-migrations.mjs';

const EMPTY_MIGRATION = '-- This is an empty migration.\n';

/** `Add survey reminders!` → `add_survey_reminders`. */
export function normaliseMigrationName(raw) {
  const name = String(raw ?? '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (!name) throw new Error('usage: npm run db:migration NAME   (for example: npm run db:migration add_survey_reminders)');
  if (name.length > 60) throw new Error(`migration name too long (${name.length} > 60 characters): ${name}`);
  return name;
}

/** `YYYYMMDDHHMMSS` (UTC) of `now`, or one second after the newest existing migration if later. */
export function nextTimestamp(existingNames, now) {
  const stamp = (date) => date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const latest = existingNames.map((name) => name.slice(0, 14)).filter((prefix) => /^\d{14}$/.test(prefix)).sort().at(-1);
  if (!latest || stamp(now) > latest) return stamp(now);
  const m = latest.match(/^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/);
  return stamp(new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) + 1000));
}

/**
 * Diffs both providers' migrations against their schemas and writes the new migration pair.
 * Returns the created directory name, or undefined when the schemas already match.
 */
export async function createMigration(rawName, { serverUrl, now = new Date(), log = console.log } = {}) {
  const name = normaliseMigrationName(rawName);
  requireServer(serverUrl);
  const existing = assertSameMigrationNames();
  const [sqliteSql, postgresSql] = await Promise.all([
    withScratchSqlite((url) => diffMigrationsToSchema('sqlite', url)),
    withScratchPostgres(serverUrl, (url) => diffMigrationsToSchema('postgresql', url)),
  ]);
  if (isEmptyScript(sqliteSql) && isEmptyScript(postgresSql)) {
    log('No schema change: the migrations already produce prisma/schema.prisma; nothing created.');
    return undefined;
  }
  for (const [provider, sql] of [['postgresql', postgresSql], ['sqlite', sqliteSql]]) {
    if (isEmptyScript(sql)) log(`⚠ the ${provider} migration is empty although the other is not: check the schema derivation.`);
  }
  const directory = `${nextTimestamp(existing, now)}_${name}`;
  for (const [provider, sql] of [['postgresql', postgresSql], ['sqlite', sqliteSql]]) {
    const folder = join(providers[provider].migrations, directory);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'migration.sql'), isEmptyScript(sql) ? EMPTY_MIGRATION : sql);
    log(`wrote ${relative(repoRoot, join(folder, 'migration.sql'))}`);
  }
  log('Review both files (SQLite alters many columns by rebuilding the table), then run `npm run db:check` and commit them.');
  return directory;
}

function requireServer(serverUrl) {
  if (serverUrl) return;
  throw new Error(
    'the PostgreSQL half of a migration needs a PostgreSQL server: set TEST_POSTGRES_URL ' +
      '(e.g. TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/postgres) or a postgres DATABASE_URL',
  );
}

async function main() {
  const rawName = process.argv[2];
  normaliseMigrationName(rawName);
  const serverUrl = postgresServerUrl();
  requireServer(serverUrl);
  const derive = spawnSync(process.execPath, [join(repoRoot, 'scripts/derive-sqlite-schema.mjs')], { stdio: 'inherit' });
  if (derive.status !== 0) throw new Error('deriving prisma/sqlite/schema.prisma failed');
  await createMigration(rawName, { serverUrl });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error) => {
    console.error(`✗ ${maskUrls(error instanceof Error ? error.message : String(error))}`);
    process.exit(1);
  });
}
