import type { Clock, IdGenerator } from '../core/clock.js';
import type { EscalationEvidenceRecord, EscalationRecord, NewAuditEntry, NewEscalation, NewOutboxMessage } from '../core/records.js';
import type { EscalationChange, EscalationStore } from '../core/ports/escalations.js';
import type { MemoryState } from './memory-state.js';
import { byTimeThenId, compareIds, parseJson, toEscalationRecord } from './rows.js';
import { followUpRow, insertAudit, insertEscalation, insertOutbox } from './writes.js';

/**
 * `EscalationStore` in memory. A state change and the messages it decides commit together; every
 * change is a compare-and-set on the escalation's `version`.
 */
export class MemoryEscalationStore implements EscalationStore {
  constructor(
    private readonly state: MemoryState,
    private readonly ids: IdGenerator,
    /** For the instants the Prisma store takes from the wall clock (a change without audit entries). */
    private readonly clock: Clock,
  ) {}

  async findEscalation(id: string): Promise<EscalationRecord | null> {
    return this.state.transact((tx) => {
      const row = tx.escalation.get(id);
      return row ? toEscalationRecord(row) : null;
    });
  }

  async listDueEscalations(now: Date, limit: number): Promise<EscalationRecord[]> {
    return this.state.transact((tx) =>
      tx.escalation
        .filter((e) => (e.status === 'OPEN' || e.status === 'ACKNOWLEDGED') && e.deadlineAt <= now && e.breachedAt === null)
        .sort(byTimeThenId((e) => e.deadlineAt))
        .slice(0, limit)
        .map(toEscalationRecord),
    );
  }

  async listOpenEscalationsOfOwner(staffId: string, limit: number): Promise<EscalationRecord[]> {
    return this.state.transact((tx) =>
      tx.escalation
        .filter((e) => e.ownerId === staffId && (e.status === 'OPEN' || e.status === 'ACKNOWLEDGED'))
        .sort(byTimeThenId((e) => e.deadlineAt))
        .slice(0, limit)
        .map(toEscalationRecord),
    );
  }

  async updateEscalation(change: EscalationChange): Promise<boolean> {
    return this.state.transact((tx) => {
      const at = change.audit[0]?.at ?? this.clock.now();
      const changed = tx.escalation.updateWhere((e) => e.id === change.id && e.version === change.version, (e) => ({ ...change.set, version: e.version + 1, updatedAt: at }));
      if (changed !== 1) return false;
      if (change.secondFollowUp) {
        const f = change.secondFollowUp;
        tx.followUp.insert(followUpRow(f, f.caseId, f.customerId, f.policyId, at));
      }
      insertOutbox(tx, this.ids, change.outbox, at);
      insertAudit(tx, this.ids, change.audit);
      return true;
    });
  }

  async openEscalations(items: { escalation: NewEscalation; outbox: NewOutboxMessage[]; audit: NewAuditEntry[] }[]): Promise<string[]> {
    if (items.length === 0) return [];
    return this.state.transact((tx) => {
      const opened: string[] = [];
      for (const item of items) {
        const at = item.audit[0]?.at ?? this.clock.now();
        if (!insertEscalation(tx, this.ids, item.escalation, at)) continue;
        opened.push(item.escalation.sourceKey);
        insertOutbox(tx, this.ids, item.outbox, at);
        insertAudit(tx, this.ids, item.audit);
      }
      return opened;
    });
  }

  async findOpenEscalationOfIncident(incidentKey: string): Promise<EscalationRecord | null> {
    return this.state.transact((tx) => {
      const row = tx.escalation.byUnique('incidentKey', incidentKey);
      return row && (row.status === 'OPEN' || row.status === 'ACKNOWLEDGED') ? toEscalationRecord(row) : null;
    });
  }

  async listEscalationEvidence(id: string): Promise<EscalationEvidenceRecord[]> {
    return this.state.transact((tx) =>
      tx.escalationEvidence
        .filter((r) => r.escalationId === id)
        .sort((a, b) => a.at.getTime() - b.at.getTime() || compareIds(a.id, b.id))
        .slice(0, 200)
        .map((r) => ({ sourceKey: r.sourceKey, reason: r.reason, followUpId: r.followUpId, source: r.source, note: r.note, at: new Date(r.at.getTime()) })),
    );
  }

  async escalationHistory(id: string): Promise<{ at: Date; action: string; actorId: string | null; details: Record<string, unknown> }[]> {
    return this.state.transact((tx) =>
      tx.audit
        .filter((r) => r.entityType === 'Escalation' && r.entityId === id)
        .sort((a, b) => a.at.getTime() - b.at.getTime() || compareIds(a.id, b.id))
        .slice(0, 500)
        .map((r) => ({ at: new Date(r.at.getTime()), action: r.action, actorId: r.actorId, details: parseJson<Record<string, unknown>>(r.details, {}) })),
    );
  }
}
