import type { ServiceHealth, StatusCounts } from '../core/ports/read-models.js';
import type { StoreContext } from './store-context.js';

/** `ServiceHealth` over Prisma: grouped counts over the indexed status columns. */
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
}
