import type { DeadInboundEvent, InboundEventRecord, InboxStore } from '../core/ports/inbox.js';
import type { StoreContext } from './store-context.js';
import { parseJson, toJson } from './rows.js';
import { fixedSql, type FixedSql } from './fixed-sql.js';

/** `InboxStore` over Prisma: unique on (source, dedupeKey), so a provider's retry records nothing new. */
export class PrismaInboxStore implements InboxStore {
  private readonly sql: FixedSql;

  constructor(private readonly db: StoreContext) {
    this.sql = fixedSql(db);
  }

  /**
   * One fixed statement, run on the driver adapter (bot/db/fixed-sql.ts): this is on every webhook's request
   * path. `ON CONFLICT DO NOTHING` answers a retry with no row, whichever unique key it repeats, as the
   * query API's P2002 did; the existing event's id is then read by (source, dedupeKey).
   */
  async recordInbound(event: Parameters<InboxStore['recordInbound']>[0]): Promise<{ id: string; duplicate: boolean }> {
    const inserted = await this.sql.query<{ id: string }>(
      'INSERT INTO "InboundEvent" ("id", "source", "dedupeKey", "kind", "payload", "status", "attempts", "receivedAt") ' +
        "VALUES (?, ?, ?, ?, ?, 'RECEIVED', 0, ?) ON CONFLICT DO NOTHING RETURNING \"id\"",
      [event.id, event.source, event.dedupeKey, event.kind, JSON.stringify(event.payload), event.receivedAt],
    );
    if (inserted.length === 1) return { id: event.id, duplicate: false };
    const [existing] = await this.sql.query<{ id: string }>('SELECT "id" FROM "InboundEvent" WHERE "source" = ? AND "dedupeKey" = ?', [event.source, event.dedupeKey]);
    if (!existing) throw this.sql.knownError('No record was found for a query.', 'P2025');
    return { id: existing.id, duplicate: true };
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
