// SQLite's automatic checkpoint during bulk writes (bot/db/writes.ts `withBulkWalCheckpoints`): moved while any
// bulk write of the client runs, set back once the last one has ended, whichever ends first; PostgreSQL has no
// such setting and runs the writes as they are.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fixedSql } from '../../../bot/db/fixed-sql.js';
import { createPrismaClient } from '../../../bot/db/client.js';
import { withBulkWalCheckpoints } from '../../../bot/db/writes.js';
import { checkpointerOf } from '../../../bot/db/sqlite-checkpointer.js';
import { describeEachDatabase } from '../../support/db.js';
import { storeContext } from '../../support/service.js';

describeEachDatabase('bulk writes and the WAL checkpoint', (db) => {
  it('moves the automatic checkpoint while bulk writes overlap and sets it back after the last, also after a failure', async () => {
    const ctx = storeContext(db());
    const sql = fixedSql(ctx);
    const sqlite = db().provider === 'sqlite';
    const threshold = async () => (sqlite ? Number((await sql.query<{ wal_autocheckpoint: unknown }>('PRAGMA wal_autocheckpoint', []))[0]?.wal_autocheckpoint) : null);
    const bulk = <T>(fn: () => Promise<T>) => withBulkWalCheckpoints(ctx.prisma, sql, ctx.capabilities, fn);

    const before = await threshold();
    let endFirst!: () => void;
    const seen: (number | null)[] = [];
    const first = bulk(async () => {
      seen.push(await threshold());
      await new Promise<void>((resolve) => (endFirst = resolve));
    });
    // The second starts while the first runs and ends before it.
    await bulk(async () => void seen.push(await threshold()));
    const whileFirstRuns = await threshold();
    endFirst();
    await first;
    const after = await threshold();
    await expect(bulk(async () => Promise.reject(new Error('write failed')))).rejects.toThrow('write failed');
    const afterFailure = await threshold();

    expect({ before, seen, whileFirstRuns, after, afterFailure }).toEqual(
      sqlite
        ? { before: 1000, seen: [16384, 16384], whileFirstRuns: 16384, after: 1000, afterFailure: 1000 }
        : { before: null, seen: [null, null], whileFirstRuns: null, after: null, afterFailure: null },
    );
  });
});

describeEachDatabase('bulk writes checkpoint on a thread of their own', (db) => {
  it('copies the WAL into the database file from another thread while the writes run, the writer itself never reaching its threshold', async () => {
    const ctx = storeContext(db());
    const sql = fixedSql(ctx);
    const bulk = <T>(fn: () => Promise<T>) => withBulkWalCheckpoints(ctx.prisma, sql, ctx.capabilities, fn);
    if (db().provider !== 'sqlite') {
      await bulk(async () => undefined);
      expect(checkpointerOf(ctx.prisma)).toBeNull();
      return;
    }
    // An empty WAL to start from: every frame checkpointed later was written below.
    await sql.query('PRAGMA wal_checkpoint(TRUNCATE)', []);
    const pad = 'x'.repeat(400);
    const frames = await bulk(async () => {
      const checkpointer = checkpointerOf(ctx.prisma)!;
      expect(checkpointer.running).toBe(true);
      // About 1,500 pages over 30 commits: far below the writer's own threshold of 16,384 during bulk writes.
      for (let t = 0; t < 30; t++) {
        await sql.transaction(async (tx) => {
          for (let i = 0; i < 10; i++) {
            const values = Array.from({ length: 50 }, (_, j) => `('bulk-cp:${t}:${i}:${j}:${pad}', '2026-12-07T00:00:00.000+00:00', 1)`).join(', ');
            await tx.execute(`INSERT INTO "RateCounter" ("key", "windowStart", "count") VALUES ${values}`, []);
          }
        });
      }
      // The thread checkpoints every 100 ms: wait for a checkpoint that found pages copied.
      for (let tries = 0; tries < 100; tries++) {
        const seen = await checkpointer.checkpointedFrames();
        if (seen > 0) return seen;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return 0;
    });
    expect(frames).toBeGreaterThan(0);
    const checkpointer = checkpointerOf(ctx.prisma)!;
    await checkpointer.stop();
    expect(checkpointer.running).toBe(false);
    expect(Number((await sql.query<{ n: unknown }>(`SELECT COUNT(*) AS n FROM "RateCounter" WHERE "key" LIKE 'bulk-cp:%'`, []))[0]?.n)).toBe(15_000);
    await sql.execute(`DELETE FROM "RateCounter" WHERE "key" LIKE 'bulk-cp:%'`, []);
  });
});

describeEachDatabase('the checkpointing thread and its client', (db) => {
  it('stops with the client that made it, before the client closes its own connection', async () => {
    const client = createPrismaClient(db().url);
    const sql = fixedSql({ prisma: client.prisma, capabilities: client.capabilities });
    await withBulkWalCheckpoints(client.prisma, sql, client.capabilities, async () => undefined);
    if (db().provider !== 'sqlite') {
      // PostgreSQL checkpoints on the server: no thread.
      expect(checkpointerOf(client.prisma)).toBeNull();
      await client.close();
      return;
    }
    const checkpointer = checkpointerOf(client.prisma)!;
    // Lingering after the bulk write, as it does for the job's next batch.
    expect(checkpointer.running).toBe(true);
    await client.close();
    expect(checkpointer.running).toBe(false);
  });
});

describe('stopping the checkpointing thread', () => {
  it('keeps a process that has nothing else to do alive until the thread has exited', async () => {
    // The thread never keeps a process alive by itself (it is unreferenced); awaited at the top level of a script,
    // its stop must still resolve, where Node would otherwise end the process with code 13 and the await unsettled.
    const dir = mkdtempSync(join(tmpdir(), 'huifang-checkpointer-'));
    try {
      const file = join(dir, 'stop.db');
      // An empty file is an empty database: all the thread needs to open.
      writeFileSync(file, '');
      const script = join(dir, 'stop.mts');
      writeFileSync(
        script,
        `import { SqliteCheckpointer } from ${JSON.stringify(pathToFileURL(resolve('bot/db/sqlite-checkpointer.ts')).href)};\n` +
          `const checkpointer = new SqliteCheckpointer(${JSON.stringify(file)});\n` +
          `checkpointer.acquire();\n` +
          `await checkpointer.stop();\n` +
          `console.log('stopped', checkpointer.running);\n`,
      );
      const run = spawnSync(process.execPath, [resolve('bin/run-ts.mjs'), script], { encoding: 'utf8', timeout: 60_000 });
      expect({ status: run.status, stdout: run.stdout.trim(), stderr: run.stderr.trim() }).toEqual({ status: 0, stdout: 'stopped false', stderr: '' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
