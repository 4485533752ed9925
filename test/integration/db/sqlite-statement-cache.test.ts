// The prepared-statement cache of the SQLite connection (bot/db/client.ts `cacheStatements`), on the real
// better-sqlite3 adapter and a real database file: a statement is compiled once and run with each call's
// arguments, failures leave it usable, the cache stays within its size, and transactions still work.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { PREPARED_TEXT_MAX_CHARS, SQLITE_STATEMENT_CACHE_SIZE, cacheStatements } from '../../../bot/db/client.js';

type Adapter = Parameters<typeof cacheStatements>[0];
const TEXT = { scalarType: 'string', arity: 'scalar' } as const;
const INT = { scalarType: 'int', arity: 'scalar' } as const;

let open: Adapter | null = null;
afterEach(async () => {
  await open?.dispose();
  open = null;
});

async function cachedAdapter(): Promise<{ adapter: Adapter; compiled: string[] }> {
  const file = join(mkdtempSync(join(tmpdir(), 'huifang-stmt-')), 'test.db');
  const adapter = (await new PrismaBetterSQLite3({ url: file }).connect()) as Adapter;
  open = adapter;
  // Counts what reaches better-sqlite3's own prepare (SQLite compiling a statement).
  const db = (adapter as unknown as { client: { prepare(sql: string): unknown } }).client;
  const compiled: string[] = [];
  const prepare = db.prepare.bind(db);
  db.prepare = (sql: string) => (compiled.push(sql), prepare(sql));
  cacheStatements(adapter);
  await adapter.executeScript('CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER NOT NULL);');
  return { adapter, compiled };
}

const insert = (adapter: Adapter, k: string, n: number) => adapter.executeRaw({ sql: 'INSERT INTO t (k, n) VALUES (?, ?)', args: [k, n], argTypes: [TEXT, INT] } as never);
// Integers come back as text (the adapter reads them as safe integers).
const numbers = (rows: unknown[][]) => rows.map((row) => row.map(Number));
const select = async (adapter: Adapter, k: string) => numbers((await adapter.queryRaw({ sql: 'SELECT n FROM t WHERE k = ?', args: [k], argTypes: [TEXT] } as never)).rows);

it('compiles a statement once and runs it with each call’s own arguments', async () => {
  const { adapter, compiled } = await cachedAdapter();
  for (let i = 0; i < 20; i++) expect(await insert(adapter, `k${i}`, i)).toBe(1);
  for (let i = 0; i < 20; i++) expect(await select(adapter, `k${i}`)).toEqual([[i]]);
  expect(await select(adapter, 'missing')).toEqual([]);
  expect(compiled.filter((sql) => sql.startsWith('INSERT'))).toHaveLength(1);
  expect(compiled.filter((sql) => sql.startsWith('SELECT'))).toHaveLength(1);
});

it('leaves a statement usable after it failed, and reports the failure as before', async () => {
  const { adapter } = await cachedAdapter();
  await insert(adapter, 'a', 1);
  await expect(insert(adapter, 'a', 2)).rejects.toThrow(/UniqueConstraintViolation/);
  await expect(adapter.executeRaw({ sql: 'INSERT INTO t (k, n) VALUES (?, ?)', args: ['b'], argTypes: [TEXT] } as never)).rejects.toThrow();
  expect(await insert(adapter, 'b', 3)).toBe(1);
  expect(await select(adapter, 'a')).toEqual([[1]]);
  expect(await select(adapter, 'b')).toEqual([[3]]);
});

it('keeps at most its size of statements, dropping the least recently used', async () => {
  const { adapter, compiled } = await cachedAdapter();
  await insert(adapter, 'a', 1);
  const distinct = (i: number) => adapter.queryRaw({ sql: `SELECT n + ${i} FROM t WHERE k = ?`, args: ['a'], argTypes: [TEXT] } as never);
  for (let i = 0; i < SQLITE_STATEMENT_CACHE_SIZE + 10; i++) {
    expect(numbers((await distinct(i)).rows)).toEqual([[1 + i]]);
    // The first one stays in use, so it is never the least recently used.
    await distinct(0);
  }
  expect(compiled.filter((sql) => sql === 'SELECT n + 0 FROM t WHERE k = ?')).toHaveLength(1);
  // The second one was dropped long ago: compiled again.
  await distinct(1);
  expect(compiled.filter((sql) => sql === 'SELECT n + 1 FROM t WHERE k = ?')).toHaveLength(2);
});

it('compiles a long statement (a batch’s multi-row insert) each time instead of keeping it', async () => {
  const { adapter, compiled } = await cachedAdapter();
  const rows = Math.ceil(PREPARED_TEXT_MAX_CHARS / 8);
  const long = (from: number) => ({
    sql: `INSERT INTO t (k, n) VALUES ${Array.from({ length: rows }, () => '(?, ?)').join(', ')}`,
    args: Array.from({ length: rows }, (_, i) => [`long${from + i}`, i]).flat(),
    argTypes: Array.from({ length: rows }, () => [TEXT, INT]).flat(),
  });
  expect(long(0).sql.length).toBeGreaterThan(PREPARED_TEXT_MAX_CHARS);
  expect(await adapter.executeRaw(long(0) as never)).toBe(rows);
  expect(await adapter.executeRaw(long(rows) as never)).toBe(rows);
  expect(compiled.filter((sql) => sql === long(0).sql)).toHaveLength(2);
  expect(await select(adapter, `long${rows + 3}`)).toEqual([[3]]);
});

it('still commits and rolls back transactions on the same connection', async () => {
  const { adapter } = await cachedAdapter();
  const kept = await adapter.startTransaction();
  await kept.executeRaw({ sql: 'INSERT INTO t (k, n) VALUES (?, ?)', args: ['kept', 1], argTypes: [TEXT, INT] } as never);
  await kept.executeRaw({ sql: 'COMMIT', args: [], argTypes: [] } as never);
  await kept.commit();
  const undone = await adapter.startTransaction();
  await undone.executeRaw({ sql: 'INSERT INTO t (k, n) VALUES (?, ?)', args: ['undone', 1], argTypes: [TEXT, INT] } as never);
  await undone.executeRaw({ sql: 'ROLLBACK', args: [], argTypes: [] } as never);
  await undone.rollback();
  expect(await select(adapter, 'kept')).toEqual([[1]]);
  expect(await select(adapter, 'undone')).toEqual([]);
});
