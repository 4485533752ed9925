// Named prepared statements on PostgreSQL (bot/db/client.ts `preparingPgClient`), on the real server: the
// adapter's statements are prepared once per connection and run with each call's arguments, a failing
// statement leaves the connection usable, and each connection names no more than its bound.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { POSTGRES_PREPARED_STATEMENTS_MAX, PREPARED_TEXT_MAX_CHARS, preparingPgClient } from '../../../bot/db/client.js';
import { fixedSql } from '../../../bot/db/fixed-sql.js';
import { createTestDb, testDatabases, type AdHocTestDb } from '../../support/db.js';
import { storeContext } from '../../support/service.js';

const postgres = testDatabases.find((d) => d.name === 'postgresql')!;

describe.skipIf(!postgres.enabled)(`PostgreSQL named prepared statements [postgresql${postgres.enabled ? '' : ': skipped — TEST_POSTGRES_URL not set'}]`, () => {
  let db: AdHocTestDb;
  beforeAll(async () => {
    db = await createTestDb('postgresql');
  });
  afterAll(async () => {
    await db?.destroy();
  });

  it('prepares the client’s statements once per connection and runs them with each call’s arguments', async () => {
    const sql = fixedSql(storeContext(db));
    const prepared = await sql.transaction(async (tx) => {
      // One transaction: one connection of the pool.
      for (let i = 0; i < 5; i++) expect(await tx.query<{ n: number }>('SELECT ?::int + 1 AS n', [i])).toEqual([{ n: i + 1 }]);
      return tx.query<{ statement: string }>("SELECT statement FROM pg_prepared_statements WHERE name LIKE 'huifang_%'", []);
    });
    expect(prepared.map((p) => p.statement).filter((s) => s === 'SELECT $1::int + 1 AS n')).toHaveLength(1);
    // The query API's statements go through the same pool, named too.
    expect(await db.prisma.rateCounter.count({ where: { key: 'none' } })).toBe(0);
  });

  it('leaves the connection usable after a statement fails, and names at most its bound of statements', async () => {
    const Client = preparingPgClient(pg);
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      await expect(client.query({ text: 'SELEC $1::int', values: [1] })).rejects.toThrow(/syntax/);
      expect((await client.query({ text: 'SELECT $1::int AS n', values: [7] })).rows).toEqual([{ n: 7 }]);
      for (let i = 0; i < POSTGRES_PREPARED_STATEMENTS_MAX + 10; i++) {
        expect((await client.query({ text: `SELECT $1::int + ${i} AS n`, values: [1] })).rows).toEqual([{ n: 1 + i }]);
      }
      // A long text (a batch's multi-row statement) runs unnamed.
      const long = `SELECT $1::int AS n${' '.repeat(PREPARED_TEXT_MAX_CHARS)}`;
      expect((await client.query({ text: long, values: [3] })).rows).toEqual([{ n: 3 }]);
      const { rows } = await client.query("SELECT count(*)::int AS n FROM pg_prepared_statements WHERE name LIKE 'huifang_%'");
      // The failed text kept its name but was never prepared: one fewer on the server.
      expect(rows).toEqual([{ n: POSTGRES_PREPARED_STATEMENTS_MAX - 1 }]);
    } finally {
      await client.end();
    }
  });
});
