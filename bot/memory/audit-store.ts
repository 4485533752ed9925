import type { IdGenerator } from '../core/clock.js';
import type { NewAuditEntry } from '../core/records.js';
import type { AuditLog } from '../core/ports/audit.js';
import type { MemoryState } from './memory-state.js';
import { insertAudit } from './writes.js';

/** `AuditLog` in memory: entries on their own (those that commit with a change go through bot/memory/writes.ts). */
export class MemoryAuditLog implements AuditLog {
  constructor(
    private readonly state: MemoryState,
    private readonly ids: IdGenerator,
  ) {}

  async record(entry: NewAuditEntry): Promise<void> {
    this.state.transact((tx) => insertAudit(tx, this.ids, [entry]));
  }
}
