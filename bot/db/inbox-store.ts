import type { DeadInboundEvent, InboundEventRecord, InboxStore } from '../core/ports/inbox.js';
import type { StoreContext } from './store-context.js';
import { isUniqueViolation, parseJson, toJson } from './rows.js';

/** `InboxStore` over Prisma: unique on (source, dedupeKey), so a provider's retry records nothing new. */
export class PrismaInboxStore implements InboxStore {
  constructor(private readonly db: StoreContext) {}

  async recordInbound(event: Parameters<InboxStore['recordInbound']>[0]): Promise<{ id: string; duplicate: boolean }> {
    try {
      await this.db.prisma.inboundEvent.create({
        data: { id: event.id, source: event.source, dedupeKey: event.dedupeKey, kind: event.kind, payload: JSON.stringify(event.payload), receivedAt: event.receivedAt },
      });
      return { id: event.id, duplicate: false };
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      const existing = await this.db.prisma.inboundEvent.findUniqueOrThrow({
        where: { source_dedupeKey: { source: event.source, dedupeKey: event.dedupeKey } },
        select: { id: true },
      });
      return { id: existing.id, duplicate: true };
    }
  }

  async claimInbound(id: string, now: Date, leaseMs: number): Promise<InboundEventRecord | null> {
    const { count } = await this.db.prisma.inboundEvent.updateMany({
      where: {
        id,
        AND: [
          { OR: [{ status: 'RECEIVED' }, { status: 'FAILED', OR: [{ nextAttemptAt: null }, { nextAttemptAt: { lte: now } }] }] },
          { OR: [{ leaseExpiresAt: null }, { leaseExpiresAt: { lte: now } }] },
        ],
      },
      data: { leaseExpiresAt: new Date(now.getTime() + leaseMs), attempts: { increment: 1 } },
    });
    if (count !== 1) return null;
    const row = await this.db.prisma.inboundEvent.findUniqueOrThrow({ where: { id } });
    return {
      id: row.id,
      source: row.source,
      dedupeKey: row.dedupeKey,
      kind: row.kind,
      payload: parseJson<Record<string, unknown>>(row.payload, {}),
      receivedAt: row.receivedAt,
      attempts: row.attempts,
    };
  }

  async listPendingInbound(now: Date, limit: number, maxAttempts: number): Promise<string[]> {
    const leaseFree = [{ leaseExpiresAt: null }, { leaseExpiresAt: { lte: now } }];
    const rows = await this.db.prisma.inboundEvent.findMany({
      where: {
        OR: [
          { status: 'RECEIVED', OR: leaseFree },
          { status: 'FAILED', attempts: { lt: maxAttempts }, AND: [{ OR: leaseFree }, { OR: [{ nextAttemptAt: null }, { nextAttemptAt: { lte: now } }] }] },
        ],
      },
      orderBy: { receivedAt: 'asc' },
      take: limit,
      select: { id: true },
    });
    return rows.map((r) => r.id);
  }

  async finishInbound(id: string, status: 'PROCESSED' | 'REJECTED' | 'FAILED' | 'DEAD', at: Date, result: Record<string, unknown>, error?: string, nextAttemptAt?: Date): Promise<void> {
    await this.db.prisma.inboundEvent.update({
      where: { id },
      data: { status, processedAt: at, result: toJson(result), error: error ?? null, leaseExpiresAt: null, nextAttemptAt: status === 'FAILED' ? (nextAttemptAt ?? null) : null },
    });
  }

  async listDeadInbound(limit: number, maxAttempts: number): Promise<DeadInboundEvent[]> {
    const rows = await this.db.prisma.inboundEvent.findMany({
      where: { OR: [{ status: 'DEAD' }, { status: 'FAILED', attempts: { gte: maxAttempts } }] },
      orderBy: { receivedAt: 'asc' },
      take: limit,
      select: { id: true, source: true, kind: true, attempts: true, error: true, receivedAt: true, processedAt: true },
    });
    return rows.map(({ processedAt, ...r }) => ({ ...r, failedAt: processedAt }));
  }

  async replayInbound(id: string, maxAttempts: number): Promise<boolean> {
    const { count } = await this.db.prisma.inboundEvent.updateMany({
      where: { id, OR: [{ status: 'DEAD' }, { status: 'FAILED', attempts: { gte: maxAttempts } }] },
      data: { status: 'RECEIVED', attempts: 0, nextAttemptAt: null, leaseExpiresAt: null },
    });
    return count === 1;
  }
}
