import type { Prisma } from '../../prisma/generated/postgresql/index.js';
import type { PrismaClient } from './client.js';
import type { CaseRecord, EscalationChange, EscalationRecord, EscalationStore, FollowUpContext, NewAuditEntry, NewEscalation, NewOutboxMessage } from '../core/ports.js';
import type { FollowUpOutcome } from '../core/model.js';
import { parseJson, toCaseRecord, toCustomerRecord, toFollowUpRecord, type PrismaStore } from './prisma-store.js';

type Tx = Prisma.TransactionClient;
type EscalationRow = Prisma.EscalationGetPayload<object>;

const TX_OPTIONS = { maxWait: 30_000, timeout: 120_000 } as const;

/**
 * Escalations, overdue marking and reminders over Prisma. Shares the outbox, audit and escalation
 * inserts of {@link PrismaStore}, so a state change and the messages it decides commit together.
 * Every change is a compare-and-set (escalation `version`, follow-up `version` or `remindAt`), so two
 * replicas running the same job act once.
 */
export class PrismaEscalationStore implements EscalationStore {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly store: PrismaStore,
  ) {}

  async findEscalation(id: string): Promise<EscalationRecord | null> {
    const row = await this.prisma.escalation.findUnique({ where: { id } });
    return row ? toEscalationRecord(row) : null;
  }

  async listDueEscalations(now: Date, limit: number): Promise<EscalationRecord[]> {
    // Driven by the (status, deadlineAt) index.
    const rows = await this.prisma.escalation.findMany({
      where: { status: { in: ['OPEN', 'ACKNOWLEDGED'] }, deadlineAt: { lte: now }, breachedAt: null },
      orderBy: [{ deadlineAt: 'asc' }, { id: 'asc' }],
      take: limit,
    });
    return rows.map(toEscalationRecord);
  }

  async listOpenEscalationsOfOwner(staffId: string, limit: number): Promise<EscalationRecord[]> {
    // (ownerId, status) index.
    const rows = await this.prisma.escalation.findMany({
      where: { ownerId: staffId, status: { in: ['OPEN', 'ACKNOWLEDGED'] } },
      orderBy: [{ deadlineAt: 'asc' }, { id: 'asc' }],
      take: limit,
    });
    return rows.map(toEscalationRecord);
  }

  async updateEscalation(change: EscalationChange): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      const at = change.audit[0]?.at ?? new Date();
      const { count } = await tx.escalation.updateMany({
        where: { id: change.id, version: change.version },
        data: { ...change.set, version: { increment: 1 }, updatedAt: at },
      });
      if (count !== 1) return false;
      if (change.secondFollowUp) {
        const f = change.secondFollowUp;
        await tx.followUp.create({ data: this.store.followUpData(f, f.caseId, f.customerId, f.policyId, at) });
      }
      await this.store.insertOutbox(tx, change.outbox, at);
      for (const entry of change.audit) await this.store.audit(tx, entry);
      return true;
    }, TX_OPTIONS);
  }

  async openEscalations(items: { escalation: NewEscalation; outbox: NewOutboxMessage[]; audit: NewAuditEntry[] }[]): Promise<number> {
    if (items.length === 0) return 0;
    return this.prisma.$transaction(async (tx) => {
      let opened = 0;
      for (const item of items) {
        const at = item.audit[0]?.at ?? new Date();
        if (!(await this.store.insertEscalation(tx, item.escalation, at))) continue;
        opened++;
        await this.store.insertOutbox(tx, item.outbox, at);
        for (const entry of item.audit) await this.store.audit(tx, entry);
      }
      return opened;
    }, TX_OPTIONS);
  }

  async listNewlyOverdue(now: Date, limit: number): Promise<FollowUpContext[]> {
    // (status, deadlineAt) index: the cost follows the rows that are overdue now, not the table.
    const rows = await this.prisma.followUp.findMany({
      where: { status: 'ACTIVE', action: 'STAFF_TASK', deadlineAt: { lte: now } },
      include: { case: true, customer: true },
      orderBy: [{ deadlineAt: 'asc' }, { id: 'asc' }],
      take: limit,
    });
    return rows.map((r) => ({ followUp: toFollowUpRecord(r), case: toCaseRecord(r.case), customer: toCustomerRecord(r.customer) }));
  }

  async commitOverdue(
    items: { followUpId: string; version: number; now: Date; escalation: NewEscalation | null; outbox: NewOutboxMessage[]; audit: NewAuditEntry[] }[],
  ): Promise<{ applied: number; skipped: number }> {
    if (items.length === 0) return { applied: 0, skipped: 0 };
    return this.prisma.$transaction(async (tx) => {
      let applied = 0;
      for (const item of items) {
        const { count } = await tx.followUp.updateMany({
          where: { id: item.followUpId, version: item.version, status: 'ACTIVE' },
          data: { status: 'OVERDUE', overdueAt: item.now, remindAt: null, version: { increment: 1 }, updatedAt: item.now },
        });
        if (count !== 1) continue;
        applied++;
        await this.store.insertEscalation(tx, item.escalation, item.now);
        await this.store.insertOutbox(tx, item.outbox, item.now);
        if (item.audit.length > 0) await tx.auditLog.createMany({ data: item.audit.map((entry) => this.store.auditData(entry)) });
      }
      return { applied, skipped: items.length - applied };
    }, TX_OPTIONS);
  }

  async listDueReminders(now: Date, limit: number): Promise<FollowUpContext[]> {
    // (status, remindAt) index.
    const rows = await this.prisma.followUp.findMany({
      where: { status: 'ACTIVE', remindAt: { lte: now } },
      include: { case: true, customer: true },
      orderBy: [{ remindAt: 'asc' }, { id: 'asc' }],
      take: limit,
    });
    return rows.map((r) => ({ followUp: toFollowUpRecord(r), case: toCaseRecord(r.case), customer: toCustomerRecord(r.customer) }));
  }

  async commitReminders(items: { followUpId: string; outbox: NewOutboxMessage[]; audit: NewAuditEntry }[]): Promise<number> {
    if (items.length === 0) return 0;
    return this.prisma.$transaction(async (tx) => {
      let sent = 0;
      for (const item of items) {
        // Clearing remindAt is the claim: a replica that lost the race changes no row and adds nothing.
        const { count } = await tx.followUp.updateMany({
          where: { id: item.followUpId, status: 'ACTIVE', remindAt: { not: null } },
          data: { remindAt: null },
        });
        if (count !== 1) continue;
        sent++;
        await this.store.insertOutbox(tx, item.outbox, item.audit.at);
        await this.store.audit(tx, item.audit);
      }
      return sent;
    }, TX_OPTIONS);
  }

  async listRecentCasesOfCustomer(customerId: string, types: readonly string[], since: Date): Promise<CaseRecord[]> {
    if (types.length === 0) return [];
    const rows = await this.prisma.case.findMany({
      where: { customerId, type: { in: [...types] }, occurredAt: { gte: since } },
      orderBy: [{ occurredAt: 'asc' }, { id: 'asc' }],
      take: 200,
    });
    return rows.map(toCaseRecord);
  }

  async escalationHistory(id: string): Promise<{ at: Date; action: string; actorId: string | null; details: Record<string, unknown> }[]> {
    const rows = await this.prisma.auditLog.findMany({ where: { entityType: 'Escalation', entityId: id }, orderBy: [{ at: 'asc' }, { id: 'asc' }], take: 500 });
    return rows.map((r) => ({ at: r.at, action: r.action, actorId: r.actorId, details: parseJson<Record<string, unknown>>(r.details, {}) }));
  }
}

/**
 * Closes the RESOLVED escalations whose second follow-up just ended, recording its outcome; called
 * inside the transaction that records the outcome.
 */
export async function closeEscalationsAfterSecondFollowUp(
  tx: Tx,
  store: Pick<PrismaStore, 'audit'>,
  input: { followUpId: string; outcome: FollowUpOutcome | null; at: Date; actorId: string | null },
): Promise<number> {
  const rows = await tx.escalation.findMany({ where: { secondFollowUpId: input.followUpId, status: 'RESOLVED' }, select: { id: true, version: true } });
  let closed = 0;
  for (const row of rows) {
    const { count } = await tx.escalation.updateMany({
      where: { id: row.id, version: row.version },
      data: { status: 'CLOSED', closedAt: input.at, version: { increment: 1 }, updatedAt: input.at },
    });
    if (count !== 1) continue;
    closed++;
    await store.audit(tx, {
      at: input.at,
      actorType: input.actorId ? 'STAFF' : 'SYSTEM',
      actorId: input.actorId,
      action: 'escalation.closed',
      entityType: 'Escalation',
      entityId: row.id,
      details: { secondFollowUpId: input.followUpId, outcome: input.outcome },
    });
  }
  return closed;
}

export function toEscalationRecord(row: EscalationRow): EscalationRecord {
  return {
    id: row.id,
    sourceKey: row.sourceKey,
    caseId: row.caseId,
    followUpId: row.followUpId,
    reason: row.reason,
    severity: row.severity,
    level: row.level,
    ownerId: row.ownerId,
    status: row.status as EscalationRecord['status'],
    summary: row.summary,
    deadlineAt: row.deadlineAt,
    note: row.note,
    acknowledgedAt: row.acknowledgedAt,
    acknowledgedById: row.acknowledgedById,
    resolvedAt: row.resolvedAt,
    resolvedById: row.resolvedById,
    secondFollowUpId: row.secondFollowUpId,
    closedAt: row.closedAt,
    breachedAt: row.breachedAt,
    version: row.version,
    createdAt: row.createdAt,
  };
}
