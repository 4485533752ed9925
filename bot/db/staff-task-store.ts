import type { FollowUpContext, NewAuditEntry, NewEscalation, NewOutboxMessage } from '../core/records.js';
import type { StaffTaskStore } from '../core/ports/staff-tasks.js';
import type { StoreContext } from './store-context.js';
import { TX_OPTIONS } from './store-context.js';
import { toFollowUpContext } from './rows.js';
import { insertAudit, insertEscalationWith, insertOutbox } from './writes.js';

/** `StaffTaskStore` over Prisma: overdue marking and reminders, each a compare-and-set on the follow-up. */
export class PrismaStaffTaskStore implements StaffTaskStore {
  constructor(private readonly db: StoreContext) {}

  async listNewlyOverdue(now: Date, limit: number): Promise<FollowUpContext[]> {
    // (status, deadlineAt) index: the cost follows the rows that are overdue now, not the table.
    const rows = await this.db.prisma.followUp.findMany({
      where: { status: 'ACTIVE', action: 'STAFF_TASK', deadlineAt: { lte: now } },
      include: { case: true, customer: true },
      orderBy: [{ deadlineAt: 'asc' }, { id: 'asc' }],
      take: limit,
    });
    return rows.map(toFollowUpContext);
  }

  async commitOverdue(
    items: { followUpId: string; version: number; now: Date; escalation: NewEscalation | null; outbox: NewOutboxMessage[]; audit: NewAuditEntry[] }[],
  ): ReturnType<StaffTaskStore['commitOverdue']> {
    if (items.length === 0) return { applied: [], skipped: 0 };
    return this.db.prisma.$transaction(async (tx) => {
      const applied: { followUpId: string; escalationOpened: boolean }[] = [];
      for (const item of items) {
        const { count } = await tx.followUp.updateMany({
          where: { id: item.followUpId, version: item.version, status: 'ACTIVE' },
          data: { status: 'OVERDUE', overdueAt: item.now, remindAt: null, version: { increment: 1 }, updatedAt: item.now },
        });
        if (count !== 1) continue;
        const written = await insertEscalationWith(tx, this.db.ids, this.db.capabilities.provider, item.escalation, item.outbox, item.audit, item.now);
        applied.push({ followUpId: item.followUpId, escalationOpened: written === 'opened' || written === 'added' });
      }
      return { applied, skipped: items.length - applied.length };
    }, TX_OPTIONS);
  }

  async listDueReminders(now: Date, limit: number): Promise<FollowUpContext[]> {
    // (status, remindAt) index.
    const rows = await this.db.prisma.followUp.findMany({
      where: { status: 'ACTIVE', remindAt: { lte: now } },
      include: { case: true, customer: true },
      orderBy: [{ remindAt: 'asc' }, { id: 'asc' }],
      take: limit,
    });
    return rows.map(toFollowUpContext);
  }

  async commitReminders(items: { followUpId: string; outbox: NewOutboxMessage[]; audit: NewAuditEntry }[]): Promise<number> {
    if (items.length === 0) return 0;
    return this.db.prisma.$transaction(async (tx) => {
      let sent = 0;
      for (const item of items) {
        // Clearing remindAt is the claim: a replica that lost the race changes no row and adds nothing.
        const { count } = await tx.followUp.updateMany({
          where: { id: item.followUpId, status: 'ACTIVE', remindAt: { not: null } },
          data: { remindAt: null },
        });
        if (count !== 1) continue;
        sent++;
        await insertOutbox(tx, this.db.ids, item.outbox, item.audit.at);
        await insertAudit(tx, this.db.ids, [item.audit]);
      }
      return sent;
    }, TX_OPTIONS);
  }
}
