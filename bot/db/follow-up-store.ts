import type { Prisma } from '../../prisma/generated/postgresql/index.js';
import type { FollowUpContext, NewAuditEntry, NewOutboxMessage } from '../core/records.js';
import type { FollowUpStore, StaffSurveyAnswer } from '../core/ports/follow-ups.js';
import type { StoreContext } from './store-context.js';
import { TX_OPTIONS } from './store-context.js';
import { toFollowUpContext, toJson } from './rows.js';
import { fixedSql, type FixedSql } from './fixed-sql.js';
import { selectFollowUpContexts, selectFollowUpContextsWhere, selectFollowUpContextsWith } from './follow-up-context-sql.js';
import { auditData, closeEscalationsAfterSecondFollowUp, insertAudit, insertEscalationWith, insertOutbox, withBulkWalCheckpoints, type Tx } from './writes.js';
import { insertJsonObjects, jsonRows, jsonRowsParam, type JsonRowKind } from './json-rows.js';
import { staffSurveyAnswerAudit } from '../core/follow-ups/completion-audit.js';
import { pickReplyCodes, withReplyCode, withReplyCodeRetry } from './reply-codes.js';

type Activation = Parameters<FollowUpStore['commitActivations']>[0][number];

/** The columns an activation sets on a new survey (bot/db/json-rows.ts). */
const SURVEY_COLUMNS: Readonly<Record<string, JsonRowKind>> = {
  id: 'text',
  createdAt: 'date',
  followUpId: 'text',
  customerId: 'text',
  surveyKey: 'text',
  token: 'text',
  status: 'text',
  sentAt: 'date',
  expiresAt: 'date',
  channel: 'text',
  replyCode: 'text',
};

/** The columns of an audit entry (`auditData`). */
const AUDIT_COLUMNS: Readonly<Record<keyof ReturnType<typeof auditData>, JsonRowKind>> = {
  id: 'text',
  at: 'date',
  actorType: 'text',
  actorId: 'text',
  action: 'text',
  entityType: 'text',
  entityId: 'text',
  details: 'text',
};

/**
 * `FollowUpStore` over Prisma. Claims are one conditional `UPDATE … WHERE id IN (SELECT … LIMIT n)
 * RETURNING` statement — with `FOR UPDATE SKIP LOCKED` on PostgreSQL; on SQLite the single statement
 * is atomic because SQLite serialises writers. Multi-row changes run in one transaction.
 */
export class PrismaFollowUpStore implements FollowUpStore {
  private readonly sql: FixedSql;

  constructor(private readonly db: StoreContext) {
    this.sql = fixedSql(db);
  }

  async claimDueFollowUps(now: Date, leaseMs: number, limit: number): Promise<FollowUpContext[]> {
    // A claim commits too: while the job claims and commits batch after batch, SQLite checkpoints as for bulk writes
    // (bot/db/writes.ts). The next claim is taken while a batch commits, so the wider threshold holds between them.
    return withBulkWalCheckpoints(this.db.prisma, this.sql, this.db.capabilities, () => this.claimOnce(now, leaseMs, limit));
  }

  private async claimOnce(now: Date, leaseMs: number, limit: number): Promise<FollowUpContext[]> {
    const leaseUntil = new Date(now.getTime() + leaseMs);
    // Fixed SQL on the adapter (bot/db/fixed-sql.ts): the job claims batch after batch, and the query API
    // would compile both statements for each.
    // On PostgreSQL the ids are picked once, in a materialised CTE (an `IN (SELECT … LIMIT n FOR UPDATE
    // SKIP LOCKED)` sub-select may run again per row and take more than n), and the outer WHERE repeats
    // the claim condition: a claimer that waited on a row lock re-checks only that against the committed
    // row. SQLite has one writer at a time, and the repeat would make its planner drive the UPDATE from
    // every scheduled row, due or not.
    if (this.db.capabilities.skipLocked) {
      // One statement claims and reads: the UPDATE's RETURNING is joined with the case and the customer.
      return selectFollowUpContextsWith(
        this.sql,
        `WITH picked AS MATERIALIZED (SELECT id FROM "FollowUp"
            WHERE status = 'SCHEDULED' AND "dueAt" <= ? AND ("leaseExpiresAt" IS NULL OR "leaseExpiresAt" <= ?)
            ORDER BY "dueAt" LIMIT ? FOR UPDATE SKIP LOCKED),
          f AS (UPDATE "FollowUp" AS t SET "leaseExpiresAt" = ?, "updatedAt" = ?
            FROM picked WHERE t.id = picked.id
            AND t.status = 'SCHEDULED' AND (t."leaseExpiresAt" IS NULL OR t."leaseExpiresAt" <= ?)
            RETURNING t.*)`,
        [now, now, limit, leaseUntil, now, now],
      );
    }
    const rows = await this.sql.query<{ id: string }>(
      `UPDATE "FollowUp" SET "leaseExpiresAt" = ?, "updatedAt" = ?
        WHERE id IN (SELECT id FROM "FollowUp"
          WHERE status = 'SCHEDULED' AND "dueAt" <= ? AND ("leaseExpiresAt" IS NULL OR "leaseExpiresAt" <= ?)
          ORDER BY "dueAt" LIMIT ?)
        RETURNING id`,
      [leaseUntil, now, now, now, limit],
    );
    if (rows.length === 0) return [];
    return selectFollowUpContexts(this.sql, this.db.capabilities, rows.map((r) => String(r.id)));
  }

  async releaseFollowUpClaim(followUpIds: readonly string[], leaseUntil: Date, now: Date): Promise<number> {
    if (followUpIds.length === 0) return 0;
    const { count } = await this.db.prisma.followUp.updateMany({
      where: { id: { in: [...followUpIds] }, status: 'SCHEDULED', leaseExpiresAt: leaseUntil },
      data: { leaseExpiresAt: null, updatedAt: now },
    });
    return count;
  }

  async commitActivations(activations: Parameters<FollowUpStore['commitActivations']>[0]): Promise<{ applied: number; skipped: number }> {
    if (activations.length === 0) return { applied: 0, skipped: 0 };
    // A reply code taken concurrently by another replica fails the batch on the unique index: run it again.
    // A batch writes a few thousand pages (follow-ups and their indexes, outbox messages, audit entries): SQLite
    // checkpoints every few batches instead of at each commit, as for the case batches (bot/db/writes.ts).
    return withBulkWalCheckpoints(this.db.prisma, this.sql, this.db.capabilities, () => withReplyCodeRetry(() => this.commitActivationsOnce(activations)));
  }

  /**
   * One transaction of fixed SQL (bot/db/fixed-sql.ts) per batch, set-based: each kind of decision (activated as
   * planned, re-assigned, deferred, cancelled) is one compare-and-set `UPDATE … FROM` over the batch's rows bound
   * as one parameter (bot/db/json-rows.ts), whose RETURNING says which rows were still unchanged (same id, version
   * and SCHEDULED); then one INSERT per table writes the surveys, outbox messages and audit entries of those rows.
   * A row changed by another worker meanwhile is left out of every statement, as if it were not in the batch.
   */
  private async commitActivationsOnce(activations: Parameters<FollowUpStore['commitActivations']>[0]): Promise<{ applied: number; skipped: number }> {
    const caps = this.db.capabilities;
    const key = (a: Activation) => [a.followUpId, a.version];
    const plain = activations.filter((a) => a.status === 'ACTIVE' && !a.reassignTo);
    const reassigned = activations.filter((a) => a.status === 'ACTIVE' && a.reassignTo);
    const deferred = activations.filter((a) => a.status === 'DEFERRED');
    const cancelled = activations.filter((a) => a.status === 'CANCELLED');
    return this.sql.transaction(async (tx) => {
      const changed = new Set<string>();
      // The rows are found by primary key (`f.id = v.id`); SQLite would otherwise drive the update from a
      // (status, …) index and read every SCHEDULED row: `+f.status` keeps that index out of its plan.
      const status = caps.provider === 'sqlite' ? '+f.status' : 'f.status';
      // SQLite's RETURNING names the updated table's columns unqualified (it knows no alias there).
      const returning = caps.provider === 'sqlite' ? 'id' : 'f.id';
      const compareAndSet = async (set: string, setParams: unknown[], columns: Record<string, Exclude<JsonRowKind, 'json'>>, rows: unknown[][]) => {
        if (rows.length === 0) return;
        const returned = await tx.query<{ id: string }>(
          `UPDATE "FollowUp" AS f SET ${set}, version = f.version + 1 FROM ${jsonRows(caps, 'v', { id: 'text', version: 'int', ...columns })} ` +
            `WHERE f.id = v.id AND f.version = v.version AND ${status} = 'SCHEDULED' RETURNING ${returning}`,
          [...setParams, jsonRowsParam(caps, rows)],
        );
        for (const r of returned) changed.add(String(r.id));
      };
      // Activated as planned: stamped with the batch's first `now`; a row planned without a reminder keeps the one it has.
      const stamp = plain[0]?.now;
      await compareAndSet(
        `status = 'ACTIVE', "activatedAt" = ?, "leaseExpiresAt" = NULL, activations = f.activations + 1, "remindAt" = COALESCE(v."remindAt", f."remindAt"), "updatedAt" = ?`,
        [stamp, stamp],
        { remindAt: 'date' },
        plain.map((a) => [...key(a), a.remindAt ?? null]),
      );
      await compareAndSet(
        `status = 'ACTIVE', "activatedAt" = v.now, "leaseExpiresAt" = NULL, activations = f.activations + 1, "remindAt" = v."remindAt", ` +
          `"assigneeId" = v."assigneeId", "assigneeRule" = v."assigneeRule", "updatedAt" = v.now`,
        [],
        { now: 'date', remindAt: 'date', assigneeId: 'text', assigneeRule: 'text' },
        reassigned.map((a) => [...key(a), a.now, a.remindAt ?? null, a.reassignTo!.staffId, a.reassignTo!.rule]),
      );
      await compareAndSet(
        `"dueAt" = v."dueAt", "leaseExpiresAt" = NULL, deferrals = f.deferrals + 1, "updatedAt" = v.now`,
        [],
        { now: 'date', dueAt: 'date' },
        deferred.map((a) => [...key(a), a.now, a.deferTo!]),
      );
      await compareAndSet(
        `status = 'CANCELLED', "outcomeNote" = v."outcomeNote", "completedAt" = v.now, "leaseExpiresAt" = NULL, "updatedAt" = v.now`,
        [],
        { now: 'date', outcomeNote: 'text' },
        cancelled.map((a) => [...key(a), a.now, a.outcomeNote]),
      );
      const outbox: NewOutboxMessage[] = [];
      const surveys: Prisma.SurveyInstanceCreateManyInput[] = [];
      const audits: NewAuditEntry[] = [];
      for (const a of activations) {
        if (!changed.has(a.followUpId)) continue;
        audits.push(a.audit);
        // A deferral sends nothing (and plans nothing to send).
        if (a.status === 'DEFERRED') continue;
        outbox.push(...a.outbox);
        if (a.survey) surveys.push(this.surveyRow(a));
      }
      // SMS reply codes: one free code per survey invited by SMS, set on the survey and its SMS invitation.
      let withCodes = outbox;
      const inserted = new Set(surveys.map((row) => row.id));
      const wanted = activations.flatMap((a) => (a.survey?.replyCodes && inserted.has(a.survey.id) ? [{ surveyId: a.survey.id, candidates: a.survey.replyCodes }] : []));
      if (wanted.length > 0) {
        const codes = await pickReplyCodes(tx, wanted, caps);
        for (const row of surveys) if (codes.has(row.id)) row.replyCode = codes.get(row.id)!;
        withCodes = outbox.map((m) => (m.message.kind === 'survey_invite' && codes.has(m.message.surveyId) ? withReplyCode(m, m.message.surveyId, codes.get(m.message.surveyId)!) : m));
      }
      await insertJsonObjects(tx, caps, 'SurveyInstance', SURVEY_COLUMNS, surveys as Record<string, unknown>[]);
      await insertOutbox(tx, this.db.ids, withCodes, activations[0]!.now, caps);
      await insertJsonObjects(tx, caps, 'AuditLog', AUDIT_COLUMNS, audits.map((entry) => auditData(this.db.ids, entry)));
      return { applied: changed.size, skipped: activations.length - changed.size };
    });
  }

  private surveyRow(a: Parameters<FollowUpStore['commitActivations']>[0][number]): Prisma.SurveyInstanceCreateManyInput {
    const recipient = a.outbox[0]?.recipientId;
    if (!a.survey || !recipient) throw new Error('A survey activation needs its survey and outbox message');
    return {
      createdAt: a.now,
      id: a.survey.id,
      followUpId: a.followUpId,
      customerId: recipient,
      surveyKey: a.survey.surveyKey,
      token: a.survey.token,
      status: 'OPEN',
      sentAt: a.now,
      expiresAt: a.survey.expiresAt,
      ...(a.survey.channel ? { channel: a.survey.channel } : {}),
    };
  }

  async findFollowUpContext(followUpId: string): Promise<FollowUpContext | null> {
    const r = await this.db.prisma.followUp.findUnique({ where: { id: followUpId }, include: { case: true, customer: true } });
    return r ? toFollowUpContext(r) : null;
  }

  async countOpenSiblings(caseId: string, exceptId: string): Promise<number> {
    return this.db.prisma.followUp.count({ where: { caseId, id: { not: exceptId }, status: { in: ['ACTIVE', 'OVERDUE'] } } });
  }

  async countCustomerContacts(customerId: string, policyId: string, since: Date): Promise<number> {
    return this.db.prisma.followUp.count({ where: { customerId, policyId, activatedAt: { gte: since } } });
  }

  async countOpenByCase(caseIds: readonly string[]): Promise<Map<string, number>> {
    return this.countGrouped(`SELECT "caseId" AS k, COUNT(*) AS n FROM "FollowUp" WHERE status IN ('ACTIVE', 'OVERDUE') AND "caseId" IN`, [], caseIds);
  }

  async countContactsByCustomer(customerIds: readonly string[], policyId: string, since: Date): Promise<Map<string, number>> {
    return this.countGrouped(`SELECT "customerId" AS k, COUNT(*) AS n FROM "FollowUp" WHERE "policyId" = ? AND "activatedAt" >= ? AND "customerId" IN`, [policyId, since], customerIds);
  }

  /** Counts per key of `head (…keys) GROUP BY k`, the keys bound 1,000 at a time (fixed SQL: the activation reads these per batch). */
  private async countGrouped(head: string, params: unknown[], keys: readonly string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    const distinct = [...new Set(keys)];
    for (let i = 0; i < distinct.length; i += 1_000) {
      const chunk = distinct.slice(i, i + 1_000);
      const rows = await this.sql.query<{ k: unknown; n: unknown }>(`${head} (${chunk.map(() => '?').join(', ')}) GROUP BY k`, [...params, ...chunk]);
      for (const r of rows) counts.set(String(r.k), Number(r.n));
    }
    return counts;
  }

  async applyOutcome(input: Parameters<FollowUpStore['applyOutcome']>[0]): Promise<boolean> {
    return this.db.prisma.$transaction(async (tx) => {
      const { count } = await tx.followUp.updateMany({
        where: { id: input.followUpId, version: input.version, status: { in: ['ACTIVE', 'OVERDUE'] } },
        data: {
          status: input.status,
          outcome: input.outcome,
          outcomeNote: input.outcomeNote,
          outcomeById: input.outcomeById,
          attempts: input.attempts,
          completedAt: input.completedAt,
          ...(input.nextDueAt ? { dueAt: input.nextDueAt, leaseExpiresAt: null } : {}),
          ...(input.nextDueAt && input.nextDeadlineAt ? { deadlineAt: input.nextDeadlineAt } : {}),
          version: { increment: 1 },
        },
      });
      if (count !== 1) return false;
      const at = input.audit[0]?.at ?? input.completedAt ?? input.nextDueAt!;
      if (input.status === 'DONE' || input.status === 'UNREACHABLE') {
        // The outcome of a second follow-up (二次回访) is what closes the escalation that scheduled it.
        await closeEscalationsAfterSecondFollowUp(tx, this.db.ids, { followUpId: input.followUpId, outcome: input.outcome, at, actorId: input.outcomeById });
      }
      if (input.surveyAnswer) await this.recordStaffSurveyAnswer(tx, input.followUpId, input.surveyAnswer, input.outcomeById ?? null);
      await insertEscalationWith(tx, this.db.ids, this.db.capabilities.provider, input.escalation, input.outbox, input.audit, at);
      return true;
    }, TX_OPTIONS);
  }

  /**
   * The answers of a staff call: the follow-up's survey (one per follow-up — reused when it exists)
   * becomes ANSWERED and gets one response. Runs inside the outcome's compare-and-set transaction.
   */
  private async recordStaffSurveyAnswer(tx: Tx, followUpId: string, answer: NonNullable<Parameters<FollowUpStore['applyOutcome']>[0]['surveyAnswer']>, staffId: string | null): Promise<void> {
    const r = answer.response;
    const n = answer.newSurvey;
    const survey = await tx.surveyInstance.upsert({
      where: { followUpId },
      create: {
        id: n.id,
        followUpId,
        customerId: n.customerId,
        surveyKey: n.surveyKey,
        token: n.token,
        status: 'ANSWERED',
        channel: r.channel,
        sentAt: r.receivedAt,
        expiresAt: n.expiresAt,
        answeredAt: r.receivedAt,
        createdAt: r.receivedAt,
      },
      update: { status: 'ANSWERED', answeredAt: r.receivedAt, draft: null },
      select: { id: true, surveyKey: true },
    });
    await insertAudit(tx, this.db.ids, [staffSurveyAnswerAudit(survey.id, survey.surveyKey, staffId, r)]);
    await tx.surveyResponse.create({
      data: {
        id: r.id,
        surveyId: survey.id,
        channel: r.channel,
        rawText: r.rawText,
        answers: toJson(r.answers),
        score: r.score,
        satisfaction: r.satisfaction,
        inboundEventId: r.inboundEventId,
        receivedAt: r.receivedAt,
      },
    });
  }

  async reassignFollowUps(items: { followUpId: string; version: number; assigneeId: string; reactivate: boolean; audit: NewAuditEntry }[], at: Date): Promise<string[]> {
    if (items.length === 0) return [];
    return this.db.prisma.$transaction(async (tx) => {
      const applied: string[] = [];
      for (const item of items) {
        const { count } = await tx.followUp.updateMany({
          where: { id: item.followUpId, version: item.version, status: { in: ['SCHEDULED', 'ACTIVE', 'OVERDUE'] } },
          data: {
            assigneeId: item.assigneeId,
            assigneeRule: 'reassigned',
            leaseExpiresAt: null,
            remindAt: null,
            version: { increment: 1 },
            updatedAt: at,
            ...(item.reactivate ? { status: 'SCHEDULED', dueAt: at } : {}),
          },
        });
        if (count !== 1) continue;
        applied.push(item.followUpId);
        await insertAudit(tx, this.db.ids, [item.audit]);
      }
      return applied;
    }, TX_OPTIONS);
  }

  /** Fixed SQL (bot/db/fixed-sql.ts): it answers every staff member's text to the app, on the inbox drain. */
  async listOpenForAssignee(staffId: string, dueBefore: Date, limit: number): Promise<FollowUpContext[]> {
    return selectFollowUpContextsWhere(
      this.sql,
      `f."assigneeId" = ? AND (f."status" IN ('ACTIVE', 'OVERDUE') OR (f."status" = 'SCHEDULED' AND f."dueAt" < ?))`,
      'ORDER BY f."deadlineAt", f."id" LIMIT ?',
      [staffId, dueBefore, limit],
    );
  }
}
