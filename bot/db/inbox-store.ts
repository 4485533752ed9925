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

  /** One `UPDATE … RETURNING` on the driver adapter: every callback is claimed once, right after its answer. */
  async claimInbound(id: string, now: Date, leaseMs: number): Promise<InboundEventRecord | null> {
    const [row] = await this.sql.query<{ id: string; source: string; dedupeKey: string; kind: string; payload: string; receivedAt: Date | string; attempts: number }>(
      'UPDATE "InboundEvent" SET "leaseExpiresAt" = ?, "attempts" = "attempts" + 1 ' +
        'WHERE "id" = ? AND ("status" = \'RECEIVED\' OR ("status" = \'FAILED\' AND ("nextAttemptAt" IS NULL OR "nextAttemptAt" <= ?))) ' +
        'AND ("leaseExpiresAt" IS NULL OR "leaseExpiresAt" <= ?) ' +
        'RETURNING "id", "source", "dedupeKey", "kind", "payload", "receivedAt", "attempts"',
      [new Date(now.getTime() + leaseMs), id, now, now],
    );
    if (!row) return null;
    return {
      id: row.id,
      source: row.source,
      dedupeKey: row.dedupeKey,
      kind: row.kind,
      payload: parseJson<Record<string, unknown>>(row.payload, {}),
      receivedAt: new Date(row.receivedAt),
      attempts: Number(row.attempts),
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

  /** Fixed SQL on the driver adapter, like the claim; a missing event is the query API's P2025. */
  async finishInbound(id: string, status: 'PROCESSED' | 'REJECTED' | 'FAILED' | 'DEAD', at: Date, result: Record<string, unknown>, error?: string, nextAttemptAt?: Date): Promise<void> {
    const count = await this.sql.execute(
      'UPDATE "InboundEvent" SET "status" = ?, "processedAt" = ?, "result" = ?, "error" = ?, "leaseExpiresAt" = NULL, "nextAttemptAt" = ? WHERE "id" = ?',
      [status, at, toJson(result), error ?? null, status === 'FAILED' ? (nextAttemptAt ?? null) : null, id],
    );
    if (count !== 1) throw this.sql.knownError('An operation failed because it depends on one or more records that were required but not found. No record was found for an update.', 'P2025');
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
