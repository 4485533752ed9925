// SQLite's automatic checkpoint during bulk writes (bot/db/writes.ts `withBulkWalCheckpoints`): moved while any
// bulk write of the client runs, set back once the last one has ended, whichever ends first; PostgreSQL has no
// such setting and runs the writes as they are.
import { expect, it } from 'vitest';
import { fixedSql } from '../../../bot/db/fixed-sql.js';
import { withBulkWalCheckpoints } from '../../../bot/db/writes.js';
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
