import type { CaseRecord, FollowUpRecord } from '../core/records.js';
import type { CaseStore, NewCase } from '../core/ports/cases.js';
import type { CustomerInput } from '../core/ports/customers.js';
import type { StoreContext } from './store-context.js';
import { TX_OPTIONS } from './store-context.js';
import { isUniqueViolation, toCaseRecord, toFollowUpRecord, toJson } from './rows.js';
import { auditData, cancelOpenFollowUps, chunks, followUpData, insertAudit } from './writes.js';

/** `CaseStore` over Prisma: a case and its planned follow-ups commit together, once per (type, external id). */
export class PrismaCaseStore implements CaseStore {
  constructor(private readonly db: StoreContext) {}

  async findCase(type: string, externalId: string): Promise<CaseRecord | null> {
    const row = await this.db.prisma.case.findUnique({ where: { type_externalId: { type, externalId } } });
    return row ? toCaseRecord(row) : null;
  }

  async findCaseById(id: string): Promise<CaseRecord | null> {
    const row = await this.db.prisma.case.findUnique({ where: { id } });
    return row ? toCaseRecord(row) : null;
  }

  async findCases(keys: readonly { type: string; externalId: string }[]): Promise<CaseRecord[]> {
    const out: CaseRecord[] = [];
    // By external id (indexed), then the type in memory: one statement per chunk of keys.
    for (const chunk of chunks([...new Set(keys.map((k) => k.externalId))], IN_CHUNK)) {
      const wanted = new Set(keys.filter((k) => chunk.includes(k.externalId)).map((k) => `${k.type}\u0000${k.externalId}`));
      const rows = await this.db.prisma.case.findMany({ where: { externalId: { in: chunk } } });
      for (const row of rows) if (wanted.has(`${row.type}\u0000${row.externalId}`)) out.push(toCaseRecord(row));
    }
    return out;
  }

  async listCasesToReplan(policyId: string, afterId: string | null, limit: number): Promise<string[]> {
    const rows = await this.db.prisma.case.findMany({
      where: { policyId, status: 'OPEN', ...(afterId ? { id: { gt: afterId } } : {}), followUps: { some: { status: 'SCHEDULED' } } },
      orderBy: { id: 'asc' },
      take: limit,
      select: { id: true },
    });
    return rows.map((r) => r.id);
  }

  async countCasesOfPolicy(policyId: string, from: Date, to: Date): Promise<number> {
    return this.db.prisma.case.count({ where: { policyId, occurredAt: { gte: from, lt: to } } });
  }

  async listFollowUpsOfCase(caseId: string): Promise<FollowUpRecord[]> {
    const rows = await this.db.prisma.followUp.findMany({ where: { caseId }, orderBy: [{ sequence: 'asc' }] });
    return rows.map(toFollowUpRecord);
  }

  async createCases(input: { customers: { id: string; customer: CustomerInput }[]; cases: NewCase[] }): Promise<boolean> {
    if (input.customers.length === 0 && input.cases.length === 0) return true;
    try {
      await this.db.prisma.$transaction(async (tx) => {
        for (const chunk of chunks(input.customers, INSERT_CHUNK)) {
          await tx.customer.createMany({ data: chunk.map(({ id, customer }) => newCustomerData(id, customer)) });
        }
        for (const chunk of chunks(input.cases, INSERT_CHUNK)) await tx.case.createMany({ data: chunk.map(caseData) });
        const followUps = input.cases.flatMap((c) => c.followUps.map((f) => followUpData(f, c.id, c.customerId, c.policyId, c.audit.at)));
        for (const chunk of chunks(followUps, INSERT_CHUNK)) await tx.followUp.createMany({ data: chunk });
        for (const chunk of chunks(input.cases, INSERT_CHUNK)) await tx.auditLog.createMany({ data: chunk.map((c) => auditData(this.db.ids, c.audit)) });
      }, TX_OPTIONS);
      return true;
    } catch (err) {
      // A case or customer key was taken meanwhile: the transaction rolled back whole.
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  async createCase(input: NewCase): Promise<{ created: boolean; caseId: string }> {
    try {
      await this.db.prisma.$transaction(async (tx) => {
        await tx.case.create({ data: caseData(input) });
        if (input.followUps.length > 0) {
          await tx.followUp.createMany({ data: input.followUps.map((f) => followUpData(f, input.id, input.customerId, input.policyId, input.audit.at)) });
        }
        await insertAudit(tx, this.db.ids, [input.audit]);
      }, TX_OPTIONS);
      return { created: true, caseId: input.id };
    } catch (err) {
      // Same (type, externalId) created concurrently: the transaction rolled back whole.
      if (isUniqueViolation(err)) return { created: false, caseId: input.id };
      throw err;
    }
  }

  async updateCase(input: Parameters<CaseStore['updateCase']>[0]): Promise<{ added: number; moved: number; cancelled: number }> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.db.prisma.$transaction(async (tx) => {
          const row = await tx.case.update({
            where: { id: input.caseId },
            data: {
              attributes: toJson(input.case.attributes),
              milestones: toJson(input.case.milestones),
              occurredAt: input.case.occurredAt,
              responsibleStaffId: input.case.responsibleStaffId,
              departmentId: input.case.departmentId,
              closedAt: input.case.closedAt,
              ...(input.case.closedAt ? { status: 'CLOSED' } : {}),
            },
          });
          let added = 0;
          if (input.addFollowUps.length > 0) {
            const present = new Set(
              (await tx.followUp.findMany({ where: { caseId: row.id, step: { in: input.addFollowUps.map((f) => f.step) } }, select: { step: true } })).map((f) => f.step),
            );
            const fresh = input.addFollowUps.filter((f) => !present.has(f.step));
            if (fresh.length > 0) await tx.followUp.createMany({ data: fresh.map((f) => followUpData(f, row.id, row.customerId, row.policyId, input.audit.at)) });
            added = fresh.length;
          }
          let moved = 0;
          for (const m of input.moveFollowUps ?? []) {
            const r = await tx.followUp.updateMany({
              where: { id: m.id, version: m.version, status: 'SCHEDULED' },
              data: { ...m.to, leaseExpiresAt: null, version: { increment: 1 } },
            });
            moved += r.count;
          }
          let cancelled = 0;
          for (const c of input.cancelFollowUps ?? []) {
            const r = await tx.followUp.updateMany({
              where: { id: c.id, version: c.version, status: 'SCHEDULED' },
              data: { status: 'CANCELLED', outcomeNote: 'NO_LONGER_PLANNED', completedAt: input.audit.at, leaseExpiresAt: null, version: { increment: 1 } },
            });
            cancelled += r.count;
          }
          if (input.cancelOpenFollowUps) cancelled += await cancelOpenFollowUps(tx, { caseId: row.id, NOT: { step: { startsWith: 'esc2_' } } } /* a second follow-up after an escalation outlives the case */, 'CASE_CLOSED', input.audit.at);
          await insertAudit(tx, this.db.ids, [{ ...input.audit, details: { ...input.audit.details, followUpsAdded: added, moved, cancelled } }]);
          return { added, moved, cancelled };
        }, TX_OPTIONS);
      } catch (err) {
        // A concurrent update of the same case added the same step first: run again, once; it now sees it.
        if (isUniqueViolation(err) && attempt === 0) continue;
        throw err;
      }
    }
  }

  async listRecentCasesOfCustomers(customerIds: readonly string[], types: readonly string[], since: Date): Promise<CaseRecord[]> {
    if (types.length === 0) return [];
    const out: CaseRecord[] = [];
    for (const chunk of chunks([...new Set(customerIds)], IN_CHUNK)) {
      const rows = await this.db.prisma.case.findMany({
        where: { customerId: { in: chunk }, type: { in: [...types] }, occurredAt: { gte: since } },
        orderBy: [{ occurredAt: 'asc' }, { id: 'asc' }],
      });
      out.push(...rows.map(toCaseRecord));
    }
    return out;
  }

  async listRecentCasesOfCustomer(customerId: string, types: readonly string[], since: Date): Promise<CaseRecord[]> {
    if (types.length === 0) return [];
    const rows = await this.db.prisma.case.findMany({
      where: { customerId, type: { in: [...types] }, occurredAt: { gte: since } },
      orderBy: [{ occurredAt: 'asc' }, { id: 'asc' }],
      take: 200,
    });
    return rows.map(toCaseRecord);
  }
}

/** Keys per `IN (…)` list, and rows per multi-row insert (well under both databases' bound-parameter limits). */
const IN_CHUNK = 500;
const INSERT_CHUNK = 500;

/** The `Case` row of a new case. */
function caseData(input: NewCase) {
  return {
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
  };
}

/** The `Customer` row of a customer seen for the first time (what `upsertCustomer` creates). */
export function newCustomerData(id: string, input: CustomerInput) {
  return {
    id,
    externalId: input.externalId,
    tags: toJson(input.tags),
    ...(input.deceasedAt ? { deceasedAt: input.deceasedAt } : {}),
    name: input.name,
    ...(input.salutation ? { salutation: input.salutation } : {}),
    ...(input.phoneE164 ? { phoneE164: input.phoneE164, phoneMasked: input.phoneMasked } : {}),
    ...(input.wechatOpenId ? { wechatOpenId: input.wechatOpenId } : {}),
    ...(input.consentMarketing !== null ? { consentMarketing: input.consentMarketing } : {}),
    ...(input.consentSurvey !== null ? { consentSurvey: input.consentSurvey } : {}),
  };
}
