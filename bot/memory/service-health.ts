import type { ServiceHealth, StatusCounts } from '../core/ports/read-models.js';
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
}
