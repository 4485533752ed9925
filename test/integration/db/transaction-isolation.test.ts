// The service runs requests and jobs concurrently on ONE Prisma client per process. Whatever the
// database, work outside an interactive transaction must not see that transaction's uncommitted rows
// nor be undone by its rollback — otherwise e.g. an outbox claim made while a doomed createCase
// transaction is open is rolled back after the message was sent, and the message is sent again.
//
// No timers: on PostgreSQL the other request runs on its own pooled connection and completes while the
// transaction is still open, so the test waits for it; on SQLite (one connection, `singleWriter`) the
// client queues it behind the transaction, so the test ends the transaction once the request has been
// handed to the client (a client extension says when) and then waits for it. That the queue holds a
// request until the transaction has ended is shown deterministically in sqlite-isolation.test.ts.
import { expect, it } from 'vitest';
import type { PrismaClient } from '../../../bot/db/client.js';
import { describeEachDatabase } from '../../support/db.js';

/** Opens a transaction that inserts `id`, then holds it open until `finish(commit)` is called. */
function openTransaction(prisma: PrismaClient, id: string) {
  let release!: (commit: boolean) => void;
  const decided = new Promise<boolean>((resolve) => (release = resolve));
  let markOpen!: () => void;
  const open = new Promise<void>((resolve) => (markOpen = resolve));
  const done = prisma.$transaction(async (tx) => {
    await tx.customer.create({ data: { id, name: `in-transaction ${id}` } });
    markOpen();
    if (!(await decided)) throw new Error('rolled back on purpose');
  });
  return { open, finish: (commit: boolean) => release(commit), done };
}

/** The same client, telling when an operation outside a transaction has been issued to it. */
function watched(prisma: PrismaClient) {
  let markIssued!: () => void;
  const issued = new Promise<void>((resolve) => (markIssued = resolve));
  const client = prisma.$extends({
    query: {
      $allOperations({ args, query }) {
        const result = query(args);
        markIssued();
        return result;
      },
    },
  });
  return { client, issued };
}

describeEachDatabase('one client, concurrent transactions', (db) => {
  it('keeps a write made outside a transaction that another request rolls back', async () => {
    const { prisma, capabilities } = db();
    const tx = openTransaction(prisma, 'tx-rolled-back');
    await tx.open;

    // Another request, meanwhile, on the same client: a plain write (think: an outbox claim).
    const { client, issued } = watched(prisma);
    // Prisma runs an operation once it is awaited or `then`-ed: `then` starts it now.
    const outside = client.customer.create({ data: { id: 'outside-write', name: 'written outside the transaction' } }).then((row) => row);
    if (capabilities.singleWriter) await issued;
    else await outside;
    tx.finish(false);
    await expect(tx.done).rejects.toThrow('rolled back on purpose');
    await outside;

    expect(await prisma.customer.findUnique({ where: { id: 'outside-write' } })).not.toBeNull();
    expect(await prisma.customer.findUnique({ where: { id: 'tx-rolled-back' } })).toBeNull();
  });

  it('does not show a transaction’s uncommitted rows to other requests', async () => {
    const { prisma, capabilities } = db();
    const tx = openTransaction(prisma, 'tx-uncommitted');
    await tx.open;

    const { client, issued } = watched(prisma);
    const seen = client.customer.findUnique({ where: { id: 'tx-uncommitted' } }).then((row) => row);
    // PostgreSQL answers while the transaction is open; SQLite answers once it has ended.
    const row = capabilities.singleWriter ? (await issued, tx.finish(false), await seen) : await seen;
    tx.finish(false);
    await expect(tx.done).rejects.toThrow();

    expect(row).toBeNull();
  });
});
