import type { Prisma } from '../../prisma/generated/postgresql/index.js';
import type { FollowUpContext, NewAuditEntry, NewOutboxMessage } from '../core/records.js';
import type { FollowUpStore, StaffSurveyAnswer } from '../core/ports/follow-ups.js';
import type { StoreContext } from './store-context.js';
import { TX_OPTIONS } from './store-context.js';
import { toFollowUpContext, toJson } from './rows.js';
import { fixedSql, type FixedSql } from './fixed-sql.js';
import { selectFollowUpContexts } from './follow-up-context-sql.js';
import { auditData, closeEscalationsAfterSecondFollowUp, insertAudit, insertEscalationWith, insertObjects, insertOutbox, type Tx } from './writes.js';
import { staffSurveyAnswerAudit } from '../core/follow-ups/completion-audit.js';
import { pickReplyCodes, withReplyCode, withReplyCodeRetry } from './reply-codes.js';

type Activation = Parameters<FollowUpStore['commitActivations']>[0][number];

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
    const leaseUntil = new Date(now.getTime() + leaseMs);
    // Fixed SQL on the adapter (bot/db/fixed-sql.ts): the job claims batch after batch, and the query API
    // would compile both statements for each.
    // On PostgreSQL the ids are picked once, in a materialised CTE (an `IN (SELECT … LIMIT n FOR UPDATE
    // SKIP LOCKED)` sub-select may run again per row and take more than n), and the outer WHERE repeats
    // the claim condition: a claimer that waited on a row lock re-checks only that against the committed
    // row. SQLite has one writer at a time, and the repeat would make its planner drive the UPDATE from
    // every scheduled row, due or not.
    const rows = await this.sql.query<{ id: string }>(
      this.db.capabilities.skipLocked
        ? `WITH picked AS MATERIALIZED (SELECT id FROM "FollowUp"
              WHERE status = 'SCHEDULED' AND "dueAt" <= ? AND ("leaseExpiresAt" IS NULL OR "leaseExpiresAt" <= ?)
              ORDER BY "dueAt" LIMIT ? FOR UPDATE SKIP LOCKED)
            UPDATE "FollowUp" AS f SET "leaseExpiresAt" = ?, "updatedAt" = ?
            FROM picked WHERE f.id = picked.id
            AND f.status = 'SCHEDULED' AND (f."leaseExpiresAt" IS NULL OR f."leaseExpiresAt" <= ?)
            RETURNING f.id`
        : `UPDATE "FollowUp" SET "leaseExpiresAt" = ?, "updatedAt" = ?
            WHERE id IN (SELECT id FROM "FollowUp"
              WHERE status = 'SCHEDULED' AND "dueAt" <= ? AND ("leaseExpiresAt" IS NULL OR "leaseExpiresAt" <= ?)
              ORDER BY "dueAt" LIMIT ?)
            RETURNING id`,
      this.db.capabilities.skipLocked ? [now, now, limit, leaseUntil, now, now] : [leaseUntil, now, now, now, limit],
    );
    if (rows.length === 0) return [];
    return selectFollowUpContexts(this.sql, rows.map((r) => String(r.id)));
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
    return withReplyCodeRetry(() => this.commitActivationsOnce(activations));
  }

  /**
   * One transaction of fixed SQL (bot/db/fixed-sql.ts) per batch: every statement is a compare-and-set on
   * (id, version, status) or an insert, written once, so the query API's compilation per call is skipped.
   */
  private async commitActivationsOnce(activations: Parameters<FollowUpStore['commitActivations']>[0]): Promise<{ applied: number; skipped: number }> {
    return this.sql.transaction(async (tx) => {
      let applied = 0;
      const outbox: NewOutboxMessage[] = [];
      const surveys: Prisma.SurveyInstanceCreateManyInput[] = [];
      const audits: NewAuditEntry[] = [];
      // The common case — activate as planned — is one compare-and-set statement for the whole batch:
      // `(id, version) IN (…)` with RETURNING says which rows were still unchanged.
      const plain = activations.filter((a) => a.status === 'ACTIVE' && !a.reassignTo);
      const activated = new Set<string>();
      for (let i = 0; i < plain.length; i += 400) {
        const chunk = plain.slice(i, i + 400);
        const now = chunk[0]!.now;
        const ids = chunk.map(() => '?').join(', ');
        const pairs = chunk.map(() => '(?, ?)').join(', ');
        const params = [...chunk.map((a) => a.followUpId), ...chunk.flatMap((a) => [a.followUpId, a.version])];
        // The rows are found by primary key (`id IN`); SQLite would otherwise drive the update from a
        // (status, …) index and read every SCHEDULED row — `+status` keeps that index out of its plan.
        const status = this.db.capabilities.provider === 'sqlite' ? '+status' : 'status';
        const rows = await tx.query<{ id: string }>(
          `UPDATE "FollowUp" SET status = 'ACTIVE', "activatedAt" = ?, "leaseExpiresAt" = NULL, activations = activations + 1, ` +
            `version = version + 1, "updatedAt" = ? WHERE id IN (${ids}) AND ${status} = 'SCHEDULED' AND (id, version) IN (${pairs}) RETURNING id`,
          [now, now, ...params],
        );
        for (const r of rows) activated.add(String(r.id));
      }
      // Reminder times differ row by row: one CASE statement per chunk sets them.
      const reminders = plain.filter((a) => a.remindAt && activated.has(a.followUpId));
      for (let i = 0; i < reminders.length; i += 400) {
        const chunk = reminders.slice(i, i + 400);
        // PostgreSQL types a bare parameter in CASE as text; SQLite stores the adapter's value as is.
        const then = this.db.capabilities.provider === 'postgresql' ? 'CAST(? AS TIMESTAMP(3))' : '?';
        const cases = chunk.map(() => `WHEN ? THEN ${then}`).join(' ');
        const ids = chunk.map(() => '?').join(', ');
        await tx.execute(`UPDATE "FollowUp" SET "remindAt" = CASE id ${cases} END WHERE id IN (${ids})`, [
          ...chunk.flatMap((a) => [a.followUpId, a.remindAt]),
          ...chunk.map((a) => a.followUpId),
        ]);
      }
      for (const a of activations) {
        if (a.status === 'ACTIVE' && !a.reassignTo) {
          if (!activated.has(a.followUpId)) continue;
          applied++;
          outbox.push(...a.outbox);
          audits.push(a.audit);
          if (a.survey) surveys.push(this.surveyRow(a));
          continue;
        }
        // The rest, one compare-and-set each: held back, re-assigned, or cancelled.
        const where = `WHERE id = ? AND version = ? AND status = 'SCHEDULED'`;
        const key = [a.followUpId, a.version];
        if (a.status === 'DEFERRED') {
          const count = await tx.execute(
            `UPDATE "FollowUp" SET "dueAt" = ?, "leaseExpiresAt" = NULL, deferrals = deferrals + 1, version = version + 1, "updatedAt" = ? ${where}`,
            [a.deferTo!, a.now, ...key],
          );
          if (count === 1) {
            applied++;
            audits.push(a.audit);
          }
          continue;
        }
        const count =
          a.status === 'ACTIVE'
            ? await tx.execute(
                `UPDATE "FollowUp" SET status = 'ACTIVE', "activatedAt" = ?, "leaseExpiresAt" = NULL, activations = activations + 1, version = version + 1, ` +
                  `"remindAt" = ?, ${a.reassignTo ? '"assigneeId" = ?, "assigneeRule" = ?, ' : ''}"updatedAt" = ? ${where}`,
                [a.now, a.remindAt ?? null, ...(a.reassignTo ? [a.reassignTo.staffId, a.reassignTo.rule] : []), a.now, ...key],
              )
            : await tx.execute(
                `UPDATE "FollowUp" SET status = 'CANCELLED', "outcomeNote" = ?, "completedAt" = ?, "leaseExpiresAt" = NULL, version = version + 1, "updatedAt" = ? ${where}`,
                [a.outcomeNote, a.now, a.now, ...key],
              );
        if (count !== 1) continue;
        applied++;
        outbox.push(...a.outbox);
        audits.push(a.audit);
        if (a.survey) surveys.push(this.surveyRow(a));
      }
      // SMS reply codes: one free code per survey invited by SMS, set on the survey and its SMS invitation.
      let withCodes = outbox;
      const wanted = activations.flatMap((a) => (a.survey?.replyCodes && surveys.some((row) => row.id === a.survey!.id) ? [{ surveyId: a.survey.id, candidates: a.survey.replyCodes }] : []));
      if (wanted.length > 0) {
        const codes = await pickReplyCodes(tx, wanted);
        for (const row of surveys) if (codes.has(row.id)) row.replyCode = codes.get(row.id)!;
        withCodes = outbox.map((m) => (m.message.kind === 'survey_invite' && codes.has(m.message.surveyId) ? withReplyCode(m, m.message.surveyId, codes.get(m.message.surveyId)!) : m));
      }
      // Fixed multi-row INSERTs: createMany would compile and serialise every row of the batch.
      await insertObjects(tx, this.db.capabilities, 'SurveyInstance', surveys as Record<string, unknown>[]);
      await insertOutbox(tx, this.db.ids, withCodes, activations[0]!.now, this.db.capabilities);
      await insertObjects(tx, this.db.capabilities, 'AuditLog', audits.map((entry) => auditData(this.db.ids, entry)));
      return { applied, skipped: activations.length - applied };
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

  async listOpenForAssignee(staffId: string, dueBefore: Date, limit: number): Promise<FollowUpContext[]> {
    const rows = await this.db.prisma.followUp.findMany({
      where: {
        assigneeId: staffId,
        OR: [{ status: { in: ['ACTIVE', 'OVERDUE'] } }, { status: 'SCHEDULED', dueAt: { lt: dueBefore } }],
      },
      include: { case: true, customer: true },
      orderBy: [{ deadlineAt: 'asc' }, { id: 'asc' }],
      take: limit,
    });
    return rows.map(toFollowUpContext);
  }
}
