import type { IdGenerator } from '../core/clock.js';
import type { FollowUpContext, NewAuditEntry, NewEscalation, NewOutboxMessage } from '../core/records.js';
import type { StaffTaskStore } from '../core/ports/staff-tasks.js';
import type { MemoryState } from './memory-state.js';
import { byTimeThenId, toFollowUpContext } from './rows.js';
import { insertAudit, insertEscalation, insertOutbox } from './writes.js';

/** `StaffTaskStore` in memory: overdue marking and reminders, each a compare-and-set on the follow-up. */
export class MemoryStaffTaskStore implements StaffTaskStore {
  constructor(
    private readonly state: MemoryState,
    private readonly ids: IdGenerator,
  ) {}

  async listNewlyOverdue(now: Date, limit: number): Promise<FollowUpContext[]> {
    return this.state.transact((tx) =>
      tx.followUp
        .filter((f) => f.status === 'ACTIVE' && f.action === 'STAFF_TASK' && f.deadlineAt <= now)
        .sort(byTimeThenId((f) => f.deadlineAt))
        .slice(0, limit)
        .map((f) => toFollowUpContext(tx, f)),
    );
  }

  async commitOverdue(
    items: { followUpId: string; version: number; now: Date; escalation: NewEscalation | null; outbox: NewOutboxMessage[]; audit: NewAuditEntry[] }[],
  ): ReturnType<StaffTaskStore['commitOverdue']> {
    if (items.length === 0) return { applied: [], skipped: 0 };
    return this.state.transact((tx) => {
      const applied: { followUpId: string; escalationOpened: boolean }[] = [];
      for (const item of items) {
        const marked = tx.followUp.updateWhere((f) => f.id === item.followUpId && f.version === item.version && f.status === 'ACTIVE', (f) => ({
          status: 'OVERDUE',
          overdueAt: item.now,
          remindAt: null,
          version: f.version + 1,
        }));
        if (marked !== 1) continue;
        applied.push({ followUpId: item.followUpId, escalationOpened: insertEscalation(tx, this.ids, item.escalation, item.now) });
        insertOutbox(tx, this.ids, item.outbox, item.now);
        insertAudit(tx, this.ids, item.audit);
      }
      return { applied, skipped: items.length - applied.length };
    });
  }

  async listDueReminders(now: Date, limit: number): Promise<FollowUpContext[]> {
    return this.state.transact((tx) =>
      tx.followUp
        .filter((f) => f.status === 'ACTIVE' && f.remindAt !== null && f.remindAt <= now)
        .sort(byTimeThenId((f) => f.remindAt))
        .slice(0, limit)
        .map((f) => toFollowUpContext(tx, f)),
    );
  }

  async commitReminders(items: { followUpId: string; outbox: NewOutboxMessage[]; audit: NewAuditEntry }[]): Promise<number> {
    if (items.length === 0) return 0;
    return this.state.transact((tx) => {
      let sent = 0;
      for (const item of items) {
        // Clearing remindAt is the claim: a second run finds it cleared and adds nothing.
        if (tx.followUp.updateWhere((f) => f.id === item.followUpId && f.status === 'ACTIVE' && f.remindAt !== null, { remindAt: null }) !== 1) continue;
        sent++;
        insertOutbox(tx, this.ids, item.outbox, item.audit.at);
        insertAudit(tx, this.ids, [item.audit]);
      }
      return sent;
    });
  }
}
