import type { EscalationEvidenceRecord, EscalationRecord, NewAuditEntry, NewEscalation, NewOutboxMessage } from '../core/records.js';
import type { EscalationChange, EscalationStore } from '../core/ports/escalations.js';
import type { StoreContext } from './store-context.js';
import { TX_OPTIONS } from './store-context.js';
import { parseJson, toEscalationRecord } from './rows.js';
import { followUpData, insertAudit, insertEscalationWith, insertOutbox } from './writes.js';
import { fixedSql, type FixedSql } from './fixed-sql.js';
import { ESCALATION_COLUMNS, escalationFromSql } from './sql-rows.js';

/**
 * `EscalationStore` over Prisma. A state change and the messages it decides commit together; every
 * change is a compare-and-set on the escalation's `version`, so two replicas (or a double tap) act once.
 */
export class PrismaEscalationStore implements EscalationStore {
  private readonly sql: FixedSql;

  constructor(private readonly db: StoreContext) {
    this.sql = fixedSql(db);
  }

  async findEscalation(id: string): Promise<EscalationRecord | null> {
    const row = await this.db.prisma.escalation.findUnique({ where: { id } });
    return row ? toEscalationRecord(row) : null;
  }

  async listDueEscalations(now: Date, limit: number): Promise<EscalationRecord[]> {
    // Driven by the (status, deadlineAt) index.
    const rows = await this.db.prisma.escalation.findMany({
      where: { status: { in: ['OPEN', 'ACKNOWLEDGED'] }, deadlineAt: { lte: now }, breachedAt: null },
      orderBy: [{ deadlineAt: 'asc' }, { id: 'asc' }],
      take: limit,
    });
    return rows.map(toEscalationRecord);
  }

  /** Fixed SQL (bot/db/fixed-sql.ts): it answers every staff member's text to the app, on the inbox drain. */
  async listOpenEscalationsOfOwner(staffId: string, limit: number): Promise<EscalationRecord[]> {
    // (ownerId, status) index.
    const rows = await this.sql.query<Record<string, unknown>>(
      `SELECT ${ESCALATION_COLUMNS} FROM "Escalation" WHERE "ownerId" = ? AND "status" IN ('OPEN', 'ACKNOWLEDGED') ORDER BY "deadlineAt", "id" LIMIT ?`,
      [staffId, limit],
    );
    return rows.map(escalationFromSql);
  }

  async updateEscalation(change: EscalationChange): Promise<boolean> {
    return this.db.prisma.$transaction(async (tx) => {
      const at = change.audit[0]?.at ?? new Date();
      const { count } = await tx.escalation.updateMany({
        where: { id: change.id, version: change.version },
        data: { ...change.set, version: { increment: 1 }, updatedAt: at },
      });
      if (count !== 1) return false;
      if (change.secondFollowUp) {
        const f = change.secondFollowUp;
        await tx.followUp.create({ data: followUpData(f, f.caseId, f.customerId, f.policyId, at) });
      }
      await insertOutbox(tx, this.db.ids, change.outbox, at);
      await insertAudit(tx, this.db.ids, change.audit);
      return true;
    }, TX_OPTIONS);
  }

  async openEscalations(items: { escalation: NewEscalation; outbox: NewOutboxMessage[]; audit: NewAuditEntry[] }[]): Promise<string[]> {
    if (items.length === 0) return [];
    return this.db.prisma.$transaction(async (tx) => {
      const opened: string[] = [];
      for (const item of items) {
        const at = item.audit[0]?.at ?? new Date();
        const written = await insertEscalationWith(tx, this.db.ids, this.db.capabilities.provider, item.escalation, item.outbox, item.audit, at, { onlyIfWritten: true });
        if (written === 'opened' || written === 'added') opened.push(item.escalation.sourceKey);
      }
      return opened;
    }, TX_OPTIONS);
  }

  async findOpenEscalationOfIncident(incidentKey: string): Promise<EscalationRecord | null> {
    const row = await this.db.prisma.escalation.findUnique({ where: { incidentKey } });
    return row && (row.status === 'OPEN' || row.status === 'ACKNOWLEDGED') ? toEscalationRecord(row) : null;
  }

  async listEscalationEvidence(id: string): Promise<EscalationEvidenceRecord[]> {
    const rows = await this.db.prisma.escalationEvidence.findMany({ where: { escalationId: id }, orderBy: [{ at: 'asc' }, { id: 'asc' }], take: 200 });
    return rows.map((r) => ({ sourceKey: r.sourceKey, reason: r.reason, followUpId: r.followUpId, source: r.source, note: r.note, at: r.at }));
  }

  async escalationHistory(id: string): Promise<{ at: Date; action: string; actorId: string | null; details: Record<string, unknown> }[]> {
    const rows = await this.db.prisma.auditLog.findMany({ where: { entityType: 'Escalation', entityId: id }, orderBy: [{ at: 'asc' }, { id: 'asc' }], take: 500 });
    return rows.map((r) => ({ at: r.at, action: r.action, actorId: r.actorId, details: parseJson<Record<string, unknown>>(r.details, {}) }));
  }
}
