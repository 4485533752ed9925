// The service runs requests and jobs concurrently on ONE Prisma client per process. Whatever the
// database, work outside an interactive transaction must not see that transaction's uncommitted rows
// nor be undone by its rollback — otherwise e.g. an outbox claim made while a doomed createCase
// transaction is open is rolled back after the message was sent, and the message is sent again.
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

describeEachDatabase('one client, concurrent transactions', (db) => {
  it('keeps a write made outside a transaction that another request rolls back', async () => {
    const { prisma } = db();
    const tx = openTransaction(prisma, 'tx-rolled-back');
    await tx.open;

    // Another request, meanwhile, on the same client: a plain write (think: an outbox claim).
    const outside = prisma.customer.create({ data: { id: 'outside-write', name: 'written outside the transaction' } });
    // Give the outside write every chance to run before the transaction ends (without depending on it).
    await Promise.race([outside, new Promise((resolve) => setTimeout(resolve, 200))]);
    tx.finish(false);
    await expect(tx.done).rejects.toThrow('rolled back on purpose');
    await outside;

    expect(await prisma.customer.findUnique({ where: { id: 'outside-write' } })).not.toBeNull();
    expect(await prisma.customer.findUnique({ where: { id: 'tx-rolled-back' } })).toBeNull();
  });

  it('does not show a transaction’s uncommitted rows to other requests', async () => {
    const { prisma } = db();
    const tx = openTransaction(prisma, 'tx-uncommitted');
    await tx.open;

    const seen = prisma.customer.findUnique({ where: { id: 'tx-uncommitted' } });
    const early = await Promise.race([seen.then((row) => ({ row })), new Promise((resolve) => setTimeout(() => resolve('waiting'), 200))]);
    tx.finish(false);
    await expect(tx.done).rejects.toThrow();
    const row = early === 'waiting' ? await seen : (early as { row: unknown }).row;

    expect(row).toBeNull();
  });
});
