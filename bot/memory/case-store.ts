import type { IdGenerator } from '../core/clock.js';
import type { CaseRecord, FollowUpRecord, NewAuditEntry } from '../core/records.js';
import type { CaseStore, NewCase, QuotaTopUpCandidate } from '../core/ports/cases.js';
import type { CustomerInput } from '../core/ports/customers.js';
import { UniqueConstraintError, type MemoryState, type MemoryTx } from './memory-state.js';
import { byTimeThenId, compareIds, toCaseRecord, toFollowUpRecord, toJson } from './rows.js';
import { cancelOpenFollowUps, followUpRow, insertAudit } from './writes.js';

/** `CaseStore` in memory: a case and its planned follow-ups commit together, once per (type, external id). */
export class MemoryCaseStore implements CaseStore {
  constructor(
    private readonly state: MemoryState,
    private readonly ids: IdGenerator,
  ) {}

  async findCase(type: string, externalId: string): Promise<CaseRecord | null> {
    return this.state.transact((tx) => {
      const row = tx.case.byUnique('type_externalId', `${type}\u0000${externalId}`);
      return row ? toCaseRecord(row) : null;
    });
  }

  async findCaseById(id: string): Promise<CaseRecord | null> {
    return this.state.transact((tx) => {
      const row = tx.case.get(id);
      return row ? toCaseRecord(row) : null;
    });
  }

  async findCases(keys: readonly { type: string; externalId: string }[]): Promise<CaseRecord[]> {
    // A key asked twice answers once, as the Prisma store's `IN (…)` does.
    return this.state.transact((tx) =>
      [...new Set(keys.map((k) => `${k.type}\u0000${k.externalId}`))].flatMap((key) => {
        const row = tx.case.byUnique('type_externalId', key);
        return row ? [toCaseRecord(row)] : [];
      }),
    );
  }

  async listCasesToReplan(policyId: string, afterId: string | null, limit: number): Promise<string[]> {
    return this.state.transact((tx) => {
      const scheduled = new Set(tx.followUp.filter((f) => f.status === 'SCHEDULED').map((f) => f.caseId));
      return tx.case
        .filter((c) => c.policyId === policyId && c.status === 'OPEN' && (afterId === null || c.id > afterId) && scheduled.has(c.id))
        .map((c) => c.id)
        .sort(compareIds)
        .slice(0, limit);
    });
  }

  async countCasesOfPolicy(policyId: string, from: Date, to: Date, createdAtMost?: Date): Promise<number> {
    return this.state.transact((tx) =>
      tx.case.count((c) => c.policyId === policyId && c.occurredAt >= from && c.occurredAt < to && (!createdAtMost || c.createdAt <= createdAtMost)),
    );
  }

  async countQuotaSlots(key: string): Promise<number> {
    return this.state.transact((tx) => tx.followUp.count((f) => f.quotaSlot !== null && f.quotaSlot.startsWith(`${key}#`)));
  }

  async listQuotaTopUpCandidates(input: { policyId: string; step: string; from: Date; to: Date; now: Date }): Promise<QuotaTopUpCandidate[]> {
    return this.state.transact((tx) =>
      tx.followUp
        .filter((f) => f.status === 'SKIPPED' && f.quotaSlot === null && (f.step === input.step || f.step.startsWith(`${input.step}_`)) && f.earliestAt >= input.from && f.earliestAt < input.to && f.deadlineAt > input.now)
        .flatMap((f) => {
          const c = tx.case.get(f.caseId);
          const customer = tx.customer.get(f.customerId);
          if (!c || c.policyId !== input.policyId || c.status !== 'OPEN' || !customer || customer.optedOutAt !== null || customer.deceasedAt !== null) return [];
          return [{ followUpId: f.id, caseType: c.type, externalId: c.externalId, departmentId: c.departmentId, assigneeId: f.assigneeId, earliestAt: f.earliestAt, sampling: f.sampling }];
        })
        .sort((a, b) => compareIds(a.followUpId, b.followUpId)),
    );
  }

  async takeQuotaSlot(followUpId: string, slot: string, sampling: string, audit: NewAuditEntry): Promise<'taken' | 'slot-taken' | 'gone'> {
    try {
      return await this.state.transact((tx) => {
        const f = tx.followUp.get(followUpId);
        if (!f || f.status !== 'SKIPPED' || f.quotaSlot !== null) return 'gone';
        tx.followUp.update(followUpId, { status: 'SCHEDULED', quotaSlot: slot, sampling, version: f.version + 1 });
        insertAudit(tx, this.ids, [audit]);
        return 'taken';
      });
    } catch (err) {
      if (err instanceof UniqueConstraintError) return 'slot-taken';
      throw err;
    }
  }

  async listFollowUpsOfCase(caseId: string): Promise<FollowUpRecord[]> {
    return this.state.transact((tx) =>
      tx.followUp
        .filter((f) => f.caseId === caseId)
        .sort((a, b) => a.sequence - b.sequence)
        .map(toFollowUpRecord),
    );
  }

  async createCase(input: NewCase): Promise<{ created: boolean; caseId: string }> {
    try {
      this.state.transact((tx) => insertCase(tx, this.ids, input));
      return { created: true, caseId: input.id };
    } catch (err) {
      // The same (type, externalId) exists: the transaction was discarded whole.
      if (err instanceof UniqueConstraintError) return { created: false, caseId: input.id };
      throw err;
    }
  }

  async createCases(input: { customers: { id: string; customer: CustomerInput }[]; cases: NewCase[] }, after?: Promise<boolean>): Promise<boolean> {
    if (after && !(await after)) return false;
    try {
      this.state.transact((tx) => {
        for (const { id, customer: c } of input.customers) {
          tx.customer.insert({
            id,
            externalId: c.externalId,
            tags: toJson(c.tags),
            ...(c.deceasedAt ? { deceasedAt: c.deceasedAt } : {}),
            name: c.name,
            ...(c.salutation ? { salutation: c.salutation } : {}),
            ...(c.phoneE164 ? { phoneE164: c.phoneE164, phoneMasked: c.phoneMasked } : {}),
            ...(c.wechatOpenId ? { wechatOpenId: c.wechatOpenId } : {}),
            ...(c.consentMarketing !== null ? { consentMarketing: c.consentMarketing } : {}),
            ...(c.consentSurvey !== null ? { consentSurvey: c.consentSurvey } : {}),
          });
        }
        for (const c of input.cases) insertCase(tx, this.ids, c);
      });
      return true;
    } catch (err) {
      if (err instanceof UniqueConstraintError) return false;
      throw err;
    }
  }

  async updateCase(input: Parameters<CaseStore['updateCase']>[0]): Promise<{ added: number; moved: number; cancelled: number }> {
    return this.state.transact((tx) => {
      const row = tx.case.update(input.caseId, {
        attributes: toJson(input.case.attributes),
        milestones: toJson(input.case.milestones),
        occurredAt: input.case.occurredAt,
        responsibleStaffId: input.case.responsibleStaffId,
        departmentId: input.case.departmentId,
        closedAt: input.case.closedAt,
        ...(input.case.closedAt ? { status: 'CLOSED' } : {}),
      });
      const present = new Set(tx.followUp.filter((f) => f.caseId === row.id).map((f) => f.step));
      const fresh = input.addFollowUps.filter((f) => !present.has(f.step));
      for (const f of fresh) tx.followUp.insert(followUpRow(f, row.id, row.customerId, row.policyId, input.audit.at));
      const added = fresh.length;
      let moved = 0;
      for (const m of input.moveFollowUps ?? []) {
        moved += tx.followUp.updateWhere((f) => f.id === m.id && f.version === m.version && f.status === 'SCHEDULED', (f) => ({ ...m.to, leaseExpiresAt: null, version: f.version + 1 }));
      }
      let cancelled = 0;
      for (const c of input.cancelFollowUps ?? []) {
        cancelled += tx.followUp.updateWhere((f) => f.id === c.id && f.version === c.version && f.status === 'SCHEDULED', (f) => ({
          status: 'CANCELLED',
          outcomeNote: 'NO_LONGER_PLANNED',
          completedAt: input.audit.at,
          leaseExpiresAt: null,
          version: f.version + 1,
        }));
      }
      // A second follow-up after an escalation outlives the case.
      if (input.cancelOpenFollowUps) cancelled += cancelOpenFollowUps(tx, (f) => f.caseId === row.id && !f.step.startsWith('esc2_'), 'CASE_CLOSED', input.audit.at);
      insertAudit(tx, this.ids, [{ ...input.audit, details: { ...input.audit.details, followUpsAdded: added, moved, cancelled } }]);
      return { added, moved, cancelled };
    });
  }

  async listRecentCasesOfCustomers(customerIds: readonly string[], types: readonly string[], since: Date): Promise<CaseRecord[]> {
    const wanted = new Set(customerIds);
    if (types.length === 0 || wanted.size === 0) return [];
    return this.state.transact((tx) =>
      tx.case
        .filter((c) => wanted.has(c.customerId) && types.includes(c.type) && c.occurredAt >= since)
        .sort(byTimeThenId((c) => c.occurredAt))
        .map(toCaseRecord),
    );
  }

  async listRecentCasesOfCustomer(customerId: string, types: readonly string[], since: Date): Promise<CaseRecord[]> {
    if (types.length === 0) return [];
    return this.state.transact((tx) =>
      tx.case
        .filter((c) => c.customerId === customerId && types.includes(c.type) && c.occurredAt >= since)
        .sort(byTimeThenId((c) => c.occurredAt))
        .slice(0, 200)
        .map(toCaseRecord),
    );
  }
}

/** Inserts a new case with its follow-ups and audit entry (throws UniqueConstraintError on a taken key). */
function insertCase(tx: MemoryTx, ids: IdGenerator, input: NewCase): void {
  tx.case.insert({
    id: input.id,
    type: input.case.type,
    externalId: input.case.externalId,
    policyId: input.policyId,
    customerId: input.customerId,
    departmentId: input.case.departmentId,
    responsibleStaffId: input.case.responsibleStaffId,
    attributes: toJson(input.case.attributes),
    milestones: toJson(input.case.milestones),
    status: input.case.closedAt ? 'CLOSED' : 'OPEN',
    occurredAt: input.case.occurredAt,
    closedAt: input.case.closedAt,
    createdAt: input.audit.at,
  });
  for (const f of input.followUps) tx.followUp.insert(followUpRow(f, input.id, input.customerId, input.policyId, input.audit.at));
  insertAudit(tx, ids, [input.audit]);
}
