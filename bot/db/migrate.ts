// Applies pending migrations the way production does: `prisma migrate deploy` from the locally
// installed CLI, with the repository's prisma.config.ts choosing schema, migration folder and
// driver adapter from the URL scheme (Prisma 6.19 with driver adapters needs no native engine).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { providerOfUrl, sqliteFilePath } from './client.js';

export interface MigrateLogger {
  info(obj: object, msg: string): void;
}

export interface MigrateDatabaseOptions {
  logger?: MigrateLogger;
  /** Give up (and kill the CLI) after this long. Default 120 s. */
  timeoutMs?: number;
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const prismaCli = createRequire(import.meta.url).resolve('prisma/build/index.js');

// The CLI's final lines (prisma 6.19 `migrate deploy`); seeing one means the command finished.
const APPLIED_MARKER = 'All migrations have been successfully applied.';
const NOTHING_PENDING_MARKER = 'No pending migrations to apply.';
const KILL_GRACE_MS = 300;

/** `scheme://user:password@host` → `scheme://user:***@host`, anywhere in `text`. */
export function maskDatabaseUrls(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+):[^\s@/]*@/gi, '$1:***@');
}

/**
 * Applies every pending migration of the provider `url` selects and returns the names applied,
 * oldest first (empty when the database was up to date). Idempotent; safe to run at every boot.
 * SQLite: needs exclusive access to the file, so run it before any client opens the database
 * (clients keep WAL-mode files open; an open client makes this fail after ~5 s).
 * A SQLite file and its directory are created if missing; a relative `file:` path is resolved
 * against the current working directory, as `createPrismaClient` does.
 * Throws an Error carrying the CLI output (passwords masked) when the CLI fails.
 */
export async function migrateDatabase(url: string, options: MigrateDatabaseOptions = {}): Promise<{ applied: string[] }> {
  const provider = providerOfUrl(url);
  let cliUrl = url;
  if (provider === 'sqlite') {
    const file = sqliteFilePath(url);
    if (file === ':memory:') throw new Error('migrateDatabase: an in-memory SQLite database cannot be migrated by the CLI');
    mkdirSync(dirname(file), { recursive: true });
    // Absolute, because the CLI runs with the repository root as its working directory.
    cliUrl = `file:${file}`;
  }
  const target = maskDatabaseUrls(provider === 'sqlite' ? cliUrl : url);
  const started = Date.now();
  // Every migration already applied: nothing for the CLI to do. Checked first with a plain read, so a
  // command run beside a live service (`huifang jobs run …`) does not need SQLite's exclusive lock.
  if (await allMigrationsApplied(provider, provider === 'sqlite' ? sqliteFilePath(url) : url)) {
    options.logger?.info({ provider, database: target, applied: [], durationMs: Date.now() - started }, 'database up to date');
    return { applied: [] };
  }
  const { output, exitCode, finished } = await runMigrateDeploy(cliUrl, options.timeoutMs ?? 120_000);
  if (!finished) {
    // The schema engine takes SQLite's EXCLUSIVE locking mode; in WAL mode any other open
    // connection to the file blocks it, and it fails after the busy timeout with this variant.
    const hint =
      provider === 'sqlite' && output.includes('SocketTimeout')
        ? '\nThe SQLite file is in use: migrations need exclusive access, so stop every other process or client using it first.'
        : '';
    throw new Error(
      `prisma migrate deploy failed for ${target} (exit code ${exitCode ?? 'none'}):${hint}\n${maskDatabaseUrls(output).trim()}`,
    );
  }
  const applied = parseAppliedMigrations(output);
  options.logger?.info({ provider, database: target, applied, durationMs: Date.now() - started }, 'database migrated');
  return { applied };
}

/** Names of the migrations shipped for `provider`, oldest first. */
export function shippedMigrations(provider: 'sqlite' | 'postgresql'): string[] {
  const dir = join(repoRoot, provider === 'sqlite' ? 'prisma/sqlite/migrations' : 'prisma/migrations');
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && /^\d{14}_/.test(d.name))
    .map((d) => d.name)
    .sort();
}

/**
 * Whether the database has every shipped migration applied (finished, not rolled back), read from
 * Prisma's `_prisma_migrations` table. False when it cannot tell (no file, no table, an error): the
 * caller then runs the CLI, which decides.
 */
async function allMigrationsApplied(provider: 'sqlite' | 'postgresql', target: string): Promise<boolean> {
  const query = 'SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL';
  let applied: string[];
  try {
    if (provider === 'sqlite') {
      if (!existsSync(target)) return false;
      const Database = createRequire(import.meta.url)('better-sqlite3') as new (
        file: string,
        options: { readonly: boolean; fileMustExist: boolean },
      ) => { prepare(sql: string): { all(): unknown[] }; close(): void };
      const db = new Database(target, { readonly: true, fileMustExist: true });
      try {
        applied = (db.prepare(query).all() as { migration_name: string }[]).map((r) => r.migration_name);
      } finally {
        db.close();
      }
    } else {
      // Loaded by a PostgreSQL check only (README, "Memory").
      const { default: pg } = await import('pg');
      const client = new pg.Client({ connectionString: target, connectionTimeoutMillis: 10_000 });
      await client.connect();
      try {
        applied = (await client.query<{ migration_name: string }>(query)).rows.map((r) => r.migration_name);
      } finally {
        await client.end();
      }
    }
  } catch {
    return false;
  }
  const done = new Set(applied);
  return shippedMigrations(provider).every((name) => done.has(name));
}

/** The migration names listed under "The following migration(s) have been applied:". */
function parseAppliedMigrations(output: string): string[] {
  if (output.includes(NOTHING_PENDING_MARKER)) return [];
  const section = output.split('have been applied:')[1] ?? '';
  // Each migration is printed as `  └─ <name>/` followed by `    └─ migration.sql`.
  const applied = [...section.matchAll(/^ {2}└─ (\S+)\/\s*$/gm)].map((match) => match[1] ?? '');
  if (applied.length === 0) {
    throw new Error(`prisma migrate deploy succeeded but its output listed no migration names (CLI output changed?):\n${output}`);
  }
  return applied;
}

interface DeployRun {
  output: string;
  exitCode: number | null;
  /** The CLI printed its success line. */
  finished: boolean;
}

function runMigrateDeploy(cliUrl: string, timeoutMs: number): Promise<DeployRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [prismaCli, 'migrate', 'deploy'], {
      cwd: repoRoot,
      // The CLI inherits this process's environment; only the target and the quiet flags change.
      env: {
        ...process.env,
        DATABASE_URL: cliUrl,
        PRISMA_HIDE_UPDATE_MESSAGE: '1',
        CHECKPOINT_DISABLE: '1',
        NO_COLOR: '1',
        FORCE_COLOR: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let finished = false;
    let killTimer: NodeJS.Timeout | undefined;
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      if (!finished && (output.includes(APPLIED_MARKER) || output.includes(NOTHING_PENDING_MARKER))) {
        finished = true;
        // On PostgreSQL the Wasm schema engine leaves a 10 s timer behind, so the CLI lingers
        // that long after its work is done. Once the final line is out there is nothing left
        // to do: give it a moment to exit by itself, then stop it.
        killTimer = setTimeout(() => child.kill('SIGTERM'), KILL_GRACE_MS);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const deadline = setTimeout(() => {
      output += `\n[migrateDatabase] gave up after ${timeoutMs} ms`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(deadline);
      clearTimeout(killTimer);
      reject(new Error(`could not start the Prisma CLI (${prismaCli})`, { cause: error }));
    });
    child.on('close', (code) => {
      clearTimeout(deadline);
      clearTimeout(killTimer);
      resolvePromise({ output, exitCode: code, finished: finished && (code === 0 || code === null) });
    });
  });
}
