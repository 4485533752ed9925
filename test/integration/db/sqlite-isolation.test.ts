// The queue that gives one SQLite connection the isolation PostgreSQL gets from separate connections
// (bot/db/client.ts `isolateTransactions`), checked on an adapter that records the order in which
// statements reach it: a query issued while a transaction is open reaches the connection only after
// that transaction has ended, and transactions follow each other.
import { expect, it } from 'vitest';
import { isolateTransactions } from '../../../bot/db/client.js';

type Adapter = Parameters<typeof isolateTransactions>[0];

function recordingAdapter() {
  const log: string[] = [];
  let transactions = 0;
  const adapter = {
    queryRaw: async (query: { sql: string }) => {
      log.push(`query ${query.sql}`);
      return { columnNames: [], columnTypes: [], rows: [] };
    },
    executeRaw: async (query: { sql: string }) => {
      log.push(`execute ${query.sql}`);
      return 1;
    },
    startTransaction: async () => {
      const n = ++transactions;
      log.push(`begin ${n}`);
      return {
        commit: async () => void log.push(`commit ${n}`),
        rollback: async () => void log.push(`rollback ${n}`),
      };
    },
  } as unknown as Adapter;
  isolateTransactions(adapter);
  return { adapter, log };
}

it('holds a query issued during a transaction until the transaction has rolled back', async () => {
  const { adapter, log } = recordingAdapter();
  const tx = await adapter.startTransaction({} as never);
  const outside = adapter.executeRaw({ sql: 'INSERT outside', args: [], argTypes: [] } as never);
  await tx.rollback();
  await outside;
  expect(log).toEqual(['begin 1', 'rollback 1', 'execute INSERT outside']);
});

it('runs transactions and the queries issued meanwhile in the order they were issued', async () => {
  const { adapter, log } = recordingAdapter();
  const first = await adapter.startTransaction({} as never);
  const second = adapter.startTransaction({} as never);
  const read = adapter.queryRaw({ sql: 'SELECT', args: [], argTypes: [] } as never);
  await first.commit();
  await (await second).commit();
  await read;
  expect(log).toEqual(['begin 1', 'commit 1', 'begin 2', 'commit 2', 'query SELECT']);
});
