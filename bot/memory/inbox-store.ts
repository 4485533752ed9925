import type { DeadInboundEvent, InboundEventRecord, InboxStore } from '../core/ports/inbox.js';
import { UniqueConstraintError, type MemoryState } from './memory-state.js';
import { parseJson, toJson } from './rows.js';

/** `InboxStore` in memory: unique on (source, dedupeKey), so a provider's retry records nothing new. */
export class MemoryInboxStore implements InboxStore {
  constructor(private readonly state: MemoryState) {}

  async recordInbound(event: Parameters<InboxStore['recordInbound']>[0]): Promise<{ id: string; duplicate: boolean }> {
    // Rate counters live only in the database (the memory stores have none), so neither does a hit committed with an event.
    if (event.counterHit) throw new Error('counter hits with inbound events need the database stores (the memory stores keep no rate counters)');
    try {
      this.state.transact((tx) => {
        tx.inbound.insert({ id: event.id, source: event.source, dedupeKey: event.dedupeKey, kind: event.kind, payload: JSON.stringify(event.payload), receivedAt: event.receivedAt });
      });
      return { id: event.id, duplicate: false };
    } catch (err) {
      if (!(err instanceof UniqueConstraintError)) throw err;
      const existing = this.state.transact((tx) => tx.inbound.byUnique('source_dedupeKey', `${event.source}\u0000${event.dedupeKey}`));
      if (!existing) throw err;
      return { id: existing.id, duplicate: true };
    }
  }

  /** One event after the other, as the database's single statement would record them. */
  async recordInboundBatch(events: Parameters<InboxStore['recordInboundBatch']>[0]): ReturnType<InboxStore['recordInboundBatch']> {
    const results: Awaited<ReturnType<InboxStore['recordInboundBatch']>> = [];
    for (const event of events) results.push(await this.recordInbound(event).catch((error: unknown) => ({ error: error instanceof Error ? error : new Error(String(error)) })));
    return results;
  }

  async claimInboundBatch(now: Date, leaseMs: number, limit: number, maxAttempts: number): Promise<InboundEventRecord[]> {
    const ids = await this.listPendingInbound(now, limit, maxAttempts);
    const claimed: InboundEventRecord[] = [];
    for (const id of ids) {
      const event = await this.claimInbound(id, now, leaseMs);
      if (event) claimed.push(event);
    }
    return claimed;
  }

  async claimInbound(id: string, now: Date, leaseMs: number): Promise<InboundEventRecord | null> {
    return this.state.transact((tx) => {
      const row = tx.inbound.get(id);
      if (!row || (row.status !== 'RECEIVED' && row.status !== 'FAILED') || (row.leaseExpiresAt !== null && row.leaseExpiresAt > now)) return null;
      if (row.status === 'FAILED' && row.nextAttemptAt !== null && row.nextAttemptAt > now) return null;
      const claimed = tx.inbound.update(id, { leaseExpiresAt: new Date(now.getTime() + leaseMs), attempts: row.attempts + 1 });
      return {
        id: claimed.id,
        source: claimed.source,
        dedupeKey: claimed.dedupeKey,
        kind: claimed.kind,
        payload: parseJson<Record<string, unknown>>(claimed.payload, {}),
        receivedAt: new Date(claimed.receivedAt.getTime()),
        attempts: claimed.attempts,
      };
    });
  }

  async releaseInboundClaim(ids: readonly string[], leaseUntil: Date, _now: Date): Promise<number> {
    const wanted = new Set(ids);
    return this.state.transact((tx) =>
      tx.inbound.updateWhere(
        (e) => wanted.has(e.id) && (e.status === 'RECEIVED' || e.status === 'FAILED') && e.attempts > 0 && e.leaseExpiresAt?.getTime() === leaseUntil.getTime(),
        (e) => ({ leaseExpiresAt: null, attempts: e.attempts - 1 }),
      ),
    );
  }

  async listPendingInbound(now: Date, limit: number, maxAttempts: number): Promise<string[]> {
    return this.state.transact((tx) =>
      tx.inbound
        .filter(
          (e) =>
            (e.leaseExpiresAt === null || e.leaseExpiresAt <= now) &&
            (e.status === 'RECEIVED' || (e.status === 'FAILED' && e.attempts < maxAttempts && (e.nextAttemptAt === null || e.nextAttemptAt <= now))),
        )
        .sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        .slice(0, limit)
        .map((e) => e.id),
    );
  }

  async finishInbound(id: string, status: 'PROCESSED' | 'REJECTED' | 'FAILED' | 'DEAD', at: Date, result: Record<string, unknown>, error?: string, nextAttemptAt?: Date): Promise<void> {
    this.state.transact((tx) => {
      tx.inbound.update(id, { status, processedAt: at, result: toJson(result), error: error ?? null, leaseExpiresAt: null, nextAttemptAt: status === 'FAILED' ? (nextAttemptAt ?? null) : null });
    });
  }

  async listDeadInbound(limit: number, maxAttempts: number): Promise<DeadInboundEvent[]> {
    return this.state.transact((tx) =>
      tx.inbound
        .filter((e) => e.status === 'DEAD' || (e.status === 'FAILED' && e.attempts >= maxAttempts))
        .sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        .slice(0, limit)
        .map((e) => ({ id: e.id, source: e.source, kind: e.kind, attempts: e.attempts, error: e.error, receivedAt: e.receivedAt, failedAt: e.processedAt })),
    );
  }

  async replayInbound(id: string, maxAttempts: number): Promise<boolean> {
    return this.state.transact(
      (tx) =>
        tx.inbound.updateWhere(
          (e) => e.id === id && (e.status === 'DEAD' || (e.status === 'FAILED' && e.attempts >= maxAttempts)),
          () => ({ status: 'RECEIVED', attempts: 0, nextAttemptAt: null, leaseExpiresAt: null }),
        ) === 1,
    );
  }
}
