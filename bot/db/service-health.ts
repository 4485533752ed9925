import type { Backlog, ServiceHealth, StatusCounts } from '../core/ports/read-models.js';
import type { StoreContext } from './store-context.js';

/** `ServiceHealth` over Prisma: grouped counts over the indexed status columns, and the backlog through the (status, time) indexes. */
export class PrismaServiceHealth implements ServiceHealth {
  constructor(private readonly db: StoreContext) {}

  async ping(): Promise<void> {
    await this.db.prisma.$queryRawUnsafe('SELECT 1');
  }

  async statusCounts(): Promise<StatusCounts> {
    const prisma = this.db.prisma;
    const [followUps, outbox, inbound] = await Promise.all([
      prisma.followUp.groupBy({ by: ['status'], _count: { _all: true } }),
      prisma.outboxMessage.groupBy({ by: ['status'], _count: { _all: true } }),
      prisma.inboundEvent.groupBy({ by: ['status'], _count: { _all: true } }),
    ]);
    const byStatus = (rows: { status: string; _count: { _all: number } }[]) => Object.fromEntries(rows.map((r) => [r.status, r._count._all]));
    return { followUps: byStatus(followUps), outbox: byStatus(outbox), inbound: byStatus(inbound) };
  }

  async backlog(now: Date): Promise<Backlog> {
    const prisma = this.db.prisma;
    // Each is served by an index: OutboxMessage(status, nextAttemptAt), InboundEvent(status, receivedAt).
    // The count reads only the RECEIVED entries of the index, however long the PROCESSED history is.
    const [oldestOutbox, receivedInbound, oldestInbound, deadInbound, uncertainOutbox] = await Promise.all([
      prisma.outboxMessage.findFirst({ where: { status: 'PENDING', nextAttemptAt: { lte: now } }, orderBy: { nextAttemptAt: 'asc' }, select: { nextAttemptAt: true } }),
      prisma.inboundEvent.count({ where: { status: 'RECEIVED' } }),
      prisma.inboundEvent.findFirst({ where: { status: 'RECEIVED' }, orderBy: { receivedAt: 'asc' }, select: { receivedAt: true } }),
      prisma.inboundEvent.count({ where: { status: 'DEAD' } }),
      prisma.outboxMessage.count({ where: { status: 'UNCERTAIN' } }),
    ]);
    return { oldestDueOutboxAt: oldestOutbox?.nextAttemptAt ?? null, receivedInbound, oldestReceivedInboundAt: oldestInbound?.receivedAt ?? null, deadInbound, uncertainOutbox };
  }
}
