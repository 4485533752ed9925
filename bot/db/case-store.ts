import type { CaseRecord, FollowUpRecord, NewAuditEntry } from '../core/records.js';
import type { CaseStore, NewCase, QuotaTopUpCandidate } from '../core/ports/cases.js';
import type { CustomerInput } from '../core/ports/customers.js';
import type { StoreContext } from './store-context.js';
import { TX_OPTIONS } from './store-context.js';
import { isUniqueViolation, toCaseRecord, toFollowUpRecord, toJson } from './rows.js';
import { fixedSql, type FixedSql } from './fixed-sql.js';
import { CASE_COLUMNS as CASE_SELECT, caseFromSql } from './sql-rows.js';
import { byKeyProbes } from './by-key-probes.js';
import { auditData, cancelOpenFollowUps, chunks, followUpData, insertAudit, insertColumns, withBulkPageCache, withBulkWalCheckpoints, type ColumnType } from './writes.js';

/** `CaseStore` over Prisma: a case and its planned follow-ups commit together, once per (type, external id). */
export class PrismaCaseStore implements CaseStore {
  private readonly sql: FixedSql;

  constructor(private readonly db: StoreContext) {
    this.sql = fixedSql(db);
  }

  async findCase(type: string, externalId: string): Promise<CaseRecord | null> {
    const row = await this.db.prisma.case.findUnique({ where: { type_externalId: { type, externalId } } });
    return row ? toCaseRecord(row) : null;
  }

  async findCaseById(id: string): Promise<CaseRecord | null> {
    const row = await this.db.prisma.case.findUnique({ where: { id } });
    return row ? toCaseRecord(row) : null;
  }

  /**
   * Fixed SQL on the driver adapter (bot/db/fixed-sql.ts): every batch of cases starts here. On PostgreSQL one
   * statement, a probe of the unique (type, external id) index per key; on SQLite by external id (indexed), then
   * the type in memory, one statement per chunk of keys.
   */
  async findCases(keys: readonly { type: string; externalId: string }[]): Promise<CaseRecord[]> {
    if (keys.length === 0) return [];
    if (this.db.capabilities.provider === 'postgresql') {
      // Each key a probe of the unique (type, external id) index (bot/db/by-key-probes.ts), the table just grown or not.
      const unique = [...new Map(keys.map((k) => [`${k.type}\u0000${k.externalId}`, k])).values()];
      const rows = await this.sql.query(CASES_BY_KEY, [unique.map((k) => k.type), unique.map((k) => k.externalId)]);
      return rows.map(caseFromSql);
    }
    const wanted = new Set(keys.map((k) => `${k.type}\u0000${k.externalId}`));
    const out: CaseRecord[] = [];
    for (const chunk of chunks([...new Set(keys.map((k) => k.externalId))], IN_CHUNK)) {
      const rows = await this.sql.query(`SELECT ${CASE_SELECT} FROM "Case" WHERE "externalId" IN (${placeholders(chunk.length)})`, chunk);
      for (const row of rows) if (wanted.has(`${String(row.type)}\u0000${String(row.externalId)}`)) out.push(caseFromSql(row));
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

  async countCasesOfPolicy(policyId: string, from: Date, to: Date, createdAtMost?: Date): Promise<number> {
    return this.db.prisma.case.count({ where: { policyId, occurredAt: { gte: from, lt: to }, ...(createdAtMost ? { createdAt: { lte: createdAtMost } } : {}) } });
  }

  /**
   * A range of the unique place index: the places of `key` are exactly the texts from `key#` up to, not including,
   * `key$` ('$' follows '#') in byte order. A prefix count (`startsWith`, a `LIKE`) read the whole index on both
   * databases (SQLite's `LIKE` is case-insensitive with `_` a wildcard; PostgreSQL's uses an index only under the
   * "C" collation), once per quota on each batch. SQLite compares text in byte order; on PostgreSQL the column is
   * collated "C" (migration `follow_up_quota_slot_byte_order`), whatever the database's default collation.
   */
  async countQuotaSlots(key: string): Promise<number> {
    const [row] = await this.sql.query<{ n: unknown }>(QUOTA_PLACES_COUNT, [`${key}#`, `${key}$`]);
    return Number(row?.n ?? 0);
  }

  async listQuotaTopUpCandidates(input: { policyId: string; step: string; from: Date; to: Date; now: Date }): Promise<QuotaTopUpCandidate[]> {
    const rows = await this.db.prisma.followUp.findMany({
      where: {
        status: 'SKIPPED',
        quotaSlot: null,
        // `_` is a LIKE wildcard that Prisma leaves unescaped on SQLite: the occurrences are told apart below.
        step: { startsWith: input.step },
        earliestAt: { gte: input.from, lt: input.to },
        deadlineAt: { gt: input.now },
        case: { policyId: input.policyId, status: 'OPEN' },
        customer: { optedOutAt: null, deceasedAt: null },
      },
      select: { id: true, step: true, assigneeId: true, earliestAt: true, sampling: true, case: { select: { type: true, externalId: true, departmentId: true } } },
      orderBy: { id: 'asc' },
    });
    return rows.filter((r) => r.step === input.step || r.step.startsWith(`${input.step}_`)).map((r) => ({
      followUpId: r.id,
      caseType: r.case.type,
      externalId: r.case.externalId,
      departmentId: r.case.departmentId,
      assigneeId: r.assigneeId,
      earliestAt: r.earliestAt,
      sampling: r.sampling,
    }));
  }

  async takeQuotaSlot(followUpId: string, slot: string, sampling: string, audit: NewAuditEntry): Promise<'taken' | 'slot-taken' | 'gone'> {
    try {
      return await this.db.prisma.$transaction(async (tx) => {
        const { count } = await tx.followUp.updateMany({
          where: { id: followUpId, status: 'SKIPPED', quotaSlot: null },
          data: { status: 'SCHEDULED', quotaSlot: slot, sampling, version: { increment: 1 }, updatedAt: audit.at },
        });
        if (count !== 1) return 'gone';
        await insertAudit(tx, this.db.ids, [audit]);
        return 'taken';
      }, TX_OPTIONS);
    } catch (err) {
      if (isUniqueViolation(err)) return 'slot-taken';
      throw err;
    }
  }

  async listFollowUpsOfCase(caseId: string): Promise<FollowUpRecord[]> {
    const rows = await this.db.prisma.followUp.findMany({ where: { caseId }, orderBy: [{ sequence: 'asc' }] });
    return rows.map(toFollowUpRecord);
  }

  async createCases(input: { customers: { id: string; customer: CustomerInput }[]; cases: NewCase[] }, after?: Promise<boolean>): Promise<boolean> {
    // SQLite runs one transaction at a time, and the chunk before still reads after its commit: wait for it first.
    // PostgreSQL inserts meanwhile and waits only to commit (below).
    if (after && this.db.capabilities.provider !== 'postgresql' && !(await after)) return false;
    if (input.customers.length === 0 && input.cases.length === 0) return after ? after : true;
    try {
      // Fixed INSERTs in a transaction of fixed SQL (bot/db/fixed-sql.ts): Prisma's createMany compiles and
      // serialises every row, and even its raw statements pass the query compiler, which costs more than the
      // statements themselves at a thousand rows. One array per column on PostgreSQL, multi-row VALUES on SQLite.
      // Commits checkpoint every few chunks instead of after each (bot/db/writes.ts).
      await withBulkWalCheckpoints(this.db.prisma, this.sql, this.db.capabilities, () =>
        this.sql.transaction(async (tx) => {
          const caps = this.db.capabilities;
          const wallClock = new Date(); // what Prisma's @default(now()) / @updatedAt would write
          await withBulkPageCache(tx, caps, async () => {
            await insertColumns(tx, caps, 'Customer', CUSTOMER_COLUMNS, input.customers.map(({ id, customer }) => customerRow(id, customer, wallClock)));
            await insertColumns(tx, caps, 'Case', CASE_COLUMNS, input.cases.map((c) => caseRow(c, wallClock)));
            await insertColumns(
              tx,
              caps,
              'FollowUp',
              FOLLOW_UP_COLUMNS,
              input.cases.flatMap((c) => c.followUps.map((f) => followUpRow(followUpData(f, c.id, c.customerId, c.policyId, c.audit.at), wallClock))),
            );
            await insertColumns(tx, caps, 'AuditLog', AUDIT_COLUMNS, input.cases.map((c) => auditRow(auditData(this.db.ids, c.audit))));
          });
          if (caps.provider === 'postgresql' && after && !(await after)) throw new RowsBeforeNotWrittenError();
        }),
      );
      return true;
    } catch (err) {
      // A case or customer key was taken meanwhile, or the rows before were not written: the transaction rolled back whole.
      if (isUniqueViolation(err) || err instanceof RowsBeforeNotWrittenError) return false;
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

  /**
   * Fixed SQL on the driver adapter, like {@link findCases}: each written chunk of a batch asks it. By customer
   * (indexed), then the type in memory: with the types in the statement, SQLite (which keeps no statistics)
   * estimates a few rows per type on the unique (type, external id) index and reads every case of those types
   * instead, a read that grows with the table on every chunk.
   */
  async listRecentCasesOfCustomers(customerIds: readonly string[], types: readonly string[], since: Date): Promise<CaseRecord[]> {
    if (types.length === 0) return [];
    const typeSet = new Set(types);
    const out: CaseRecord[] = [];
    for (const chunk of chunks([...new Set(customerIds)], IN_CHUNK)) {
      const rows = await this.sql.query(`SELECT ${CASE_SELECT} FROM "Case" WHERE "customerId" IN (${placeholders(chunk.length)}) AND "occurredAt" >= ? ORDER BY "occurredAt" ASC, "id" ASC`, [
        ...chunk,
        since,
      ]);
      for (const row of rows) if (typeSet.has(String(row.type))) out.push(caseFromSql(row));
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

/** Rolls back the rows of `createCases` when the rows written before them were not written. */
class RowsBeforeNotWrittenError extends Error {
  override readonly name = 'RowsBeforeNotWrittenError';
}

/** The places of a sampling quota, `key#` up to `key$` (`countQuotaSlots`). */
export const QUOTA_PLACES_COUNT = 'SELECT COUNT(*) AS n FROM "FollowUp" WHERE "quotaSlot" >= ? AND "quotaSlot" < ?';

/** `findCases` on PostgreSQL. */
const CASES_BY_KEY = byKeyProbes('Case', CASE_SELECT, ['type', 'externalId']);

/** Keys per `IN (…)` list (well under both databases' bound-parameter limits). */
const IN_CHUNK = 500;

/** `?, ?, …`: `n` placeholders for an `IN (…)` list. */
function placeholders(n: number): string {
  return new Array<string>(n).fill('?').join(', ');
}

/** The columns of the new rows, with their types (bot/db/writes.ts, `insertColumns`). */
const CUSTOMER_COLUMNS = [
  ['id', 'text'], ['externalId', 'text'], ['name', 'text'], ['salutation', 'text'], ['phoneE164', 'text'], ['phoneMasked', 'text'], ['wechatOpenId', 'text'],
  ['tags', 'text'], ['consentMarketing', 'boolean'], ['consentSurvey', 'boolean'], ['deceasedAt', 'timestamp'], ['createdAt', 'timestamp'], ['updatedAt', 'timestamp'],
] as const satisfies readonly (readonly [string, ColumnType])[];
const CASE_COLUMNS = [
  ['id', 'text'], ['type', 'text'], ['externalId', 'text'], ['policyId', 'text'], ['customerId', 'text'], ['departmentId', 'text'], ['responsibleStaffId', 'text'],
  ['attributes', 'text'], ['milestones', 'text'], ['status', 'text'], ['occurredAt', 'timestamp'], ['closedAt', 'timestamp'], ['createdAt', 'timestamp'], ['updatedAt', 'timestamp'],
] as const satisfies readonly (readonly [string, ColumnType])[];
const FOLLOW_UP_COLUMNS = [
  ['id', 'text'], ['createdAt', 'timestamp'], ['updatedAt', 'timestamp'], ['caseId', 'text'], ['customerId', 'text'], ['policyId', 'text'], ['step', 'text'],
  ['sequence', 'integer'], ['action', 'text'], ['channel', 'text'], ['status', 'text'], ['assigneeId', 'text'], ['assigneeRule', 'text'], ['earliestAt', 'timestamp'],
  ['dueAt', 'timestamp'], ['deadlineAt', 'timestamp'], ['maxAttempts', 'integer'], ['sampling', 'text'], ['quotaSlot', 'text'],
] as const satisfies readonly (readonly [string, ColumnType])[];
const AUDIT_COLUMNS = [
  ['id', 'text'], ['at', 'timestamp'], ['actorType', 'text'], ['actorId', 'text'], ['action', 'text'], ['entityType', 'text'], ['entityId', 'text'], ['details', 'text'],
] as const satisfies readonly (readonly [string, ColumnType])[];

/** A new customer's row, with the defaults `upsertCustomer`'s create leaves to the schema made explicit. */
function customerRow(id: string, input: CustomerInput, now: Date): unknown[] {
  return [
    id,
    input.externalId,
    input.name,
    input.salutation || null,
    input.phoneE164 || null,
    input.phoneE164 ? input.phoneMasked : null,
    input.wechatOpenId || null,
    toJson(input.tags),
    input.consentMarketing ?? false,
    input.consentSurvey ?? true,
    input.deceasedAt ?? null,
    now,
    now,
  ];
}

function caseRow(input: NewCase, now: Date): unknown[] {
  const d = caseData(input);
  return [d.id, d.type, d.externalId, d.policyId, d.customerId, d.departmentId, d.responsibleStaffId, d.attributes, d.milestones, d.status, d.occurredAt, d.closedAt, d.createdAt, now];
}

function followUpRow(d: ReturnType<typeof followUpData>, now: Date): unknown[] {
  return [d.id, d.createdAt, now, d.caseId, d.customerId, d.policyId, d.step, d.sequence, d.action, d.channel, d.status, d.assigneeId, d.assigneeRule, d.earliestAt, d.dueAt, d.deadlineAt, d.maxAttempts, d.sampling, d.quotaSlot];
}

function auditRow(d: ReturnType<typeof auditData>): unknown[] {
  return [d.id, d.at, d.actorType, d.actorId, d.action, d.entityType, d.entityId, d.details];
}

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
