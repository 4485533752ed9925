import type { Backlog, ServiceHealth, StatusCounts } from '../core/ports/read-models.js';
import type { MemoryState } from './memory-state.js';

/** `ServiceHealth` in memory: the state is always reachable; counts by status, as `/metrics` shows them. */
export class MemoryServiceHealth implements ServiceHealth {
  constructor(private readonly state: MemoryState) {}

  async ping(): Promise<void> {}

  async statusCounts(): Promise<StatusCounts> {
    return this.state.transact((tx) => {
      const byStatus = (rows: Iterable<{ status: string }>) => {
        const counts: Record<string, number> = {};
        for (const r of rows) counts[r.status] = (counts[r.status] ?? 0) + 1;
        return counts;
      };
      return { followUps: byStatus(tx.followUp.all()), outbox: byStatus(tx.outbox.all()), inbound: byStatus(tx.inbound.all()) };
    });
  }

  async backlog(now: Date): Promise<Backlog> {
    return this.state.transact((tx) => {
      const earliest = (dates: Date[]) => (dates.length === 0 ? null : new Date(Math.min(...dates.map((d) => d.getTime()))));
      const received = tx.inbound.filter((r) => r.status === 'RECEIVED');
      return {
        oldestDueOutboxAt: earliest(tx.outbox.filter((r) => r.status === 'PENDING' && r.nextAttemptAt <= now).map((r) => r.nextAttemptAt)),
        receivedInbound: received.length,
        oldestReceivedInboundAt: earliest(received.map((r) => r.receivedAt)),
        deadInbound: tx.inbound.filter((r) => r.status === 'DEAD').length,
        uncertainOutbox: tx.outbox.filter((r) => r.status === 'UNCERTAIN').length,
      };
    });
  }
}
