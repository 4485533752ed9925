import type { IdGenerator } from '../core/clock.js';
import type { FollowUpContext, NewAuditEntry, NewOutboxMessage } from '../core/records.js';
import type { FollowUpStore, StaffSurveyAnswer } from '../core/ports/follow-ups.js';
import type { MemoryState, MemoryTx, SurveyRow } from './memory-state.js';
import { byTimeThenId, toFollowUpContext, toJson } from './rows.js';
import { closeEscalationsAfterSecondFollowUp, insertAudit, insertEscalation, insertOutbox, pickReplyCodes, withReplyCode } from './writes.js';
import { staffSurveyAnswerAudit } from '../core/follow-ups/completion-audit.js';

type Activation = Parameters<FollowUpStore['commitActivations']>[0][number];

/**
 * `FollowUpStore` in memory. A claim sets the lease of every due row it takes in one transaction, so
 * two claimers never hold the same follow-up; every change is a compare-and-set on `version`.
 */
export class MemoryFollowUpStore implements FollowUpStore {
  constructor(
    private readonly state: MemoryState,
    private readonly ids: IdGenerator,
  ) {}

  async claimDueFollowUps(now: Date, leaseMs: number, limit: number): Promise<FollowUpContext[]> {
    const leaseUntil = new Date(now.getTime() + leaseMs);
    return this.state.transact((tx) => {
      const due = tx.followUp
        .filter((f) => f.status === 'SCHEDULED' && f.dueAt <= now && (f.leaseExpiresAt === null || f.leaseExpiresAt <= now))
        .sort(byTimeThenId((f) => f.dueAt))
        .slice(0, limit);
      return due.map((f) => toFollowUpContext(tx, tx.followUp.update(f.id, { leaseExpiresAt: leaseUntil })));
    });
  }

  async releaseFollowUpClaim(followUpIds: readonly string[], leaseUntil: Date, now: Date): Promise<number> {
    const ids = new Set(followUpIds);
    return this.state.transact((tx) =>
      tx.followUp.updateWhere((f) => ids.has(f.id) && f.status === 'SCHEDULED' && f.leaseExpiresAt?.getTime() === leaseUntil.getTime(), () => ({ leaseExpiresAt: null, updatedAt: now })),
    );
  }

  async commitActivations(activations: Parameters<FollowUpStore['commitActivations']>[0]): Promise<{ applied: number; skipped: number }> {
    if (activations.length === 0) return { applied: 0, skipped: 0 };
    return this.state.transact((tx) => {
      let applied = 0;
      const outbox: NewOutboxMessage[] = [];
      const surveys: Partial<SurveyRow>[] = [];
      const audits: NewAuditEntry[] = [];
      const casOnScheduled = (a: Activation, patch: (version: number, activations: number, deferrals: number) => Parameters<typeof tx.followUp.update>[1]) =>
        tx.followUp.updateWhere((f) => f.id === a.followUpId && f.version === a.version && f.status === 'SCHEDULED', (f) => patch(f.version, f.activations, f.deferrals)) === 1;
      // As the Prisma store's batch statement: activations planned as is are stamped with the `now` of the
      // first of them (a batch shares one `now` in practice).
      const plain = activations.filter((a) => a.status === 'ACTIVE' && !a.reassignTo);
      const stamp = plain[0]?.now;
      for (const a of activations) {
        if (a.status === 'DEFERRED') {
          if (casOnScheduled(a, (version, _activations, deferrals) => ({ dueAt: a.deferTo!, leaseExpiresAt: null, deferrals: deferrals + 1, version: version + 1 }))) {
            applied++;
            audits.push(a.audit);
          }
          continue;
        }
        const changed = casOnScheduled(a, (version, n) =>
          a.status === 'ACTIVE'
            ? {
                status: 'ACTIVE',
                activatedAt: a.reassignTo ? a.now : stamp ?? a.now,
                leaseExpiresAt: null,
                activations: n + 1,
                version: version + 1,
                // As planned, a row without a reminder keeps the one it has; a reassigned one is set anew.
                ...(a.reassignTo ? { remindAt: a.remindAt ?? null, assigneeId: a.reassignTo.staffId, assigneeRule: a.reassignTo.rule } : a.remindAt ? { remindAt: a.remindAt } : {}),
              }
            : { status: 'CANCELLED', outcomeNote: a.outcomeNote, completedAt: a.now, leaseExpiresAt: null, version: version + 1 },
        );
        if (!changed) continue;
        applied++;
        outbox.push(...a.outbox);
        audits.push(a.audit);
        if (a.survey) surveys.push(surveyRow(a));
      }
      // SMS reply codes: one free code per survey invited by SMS, set on the survey and its SMS invitation.
      let withCodes = outbox;
      const wanted = activations.flatMap((a) => (a.survey?.replyCodes && surveys.some((row) => row.id === a.survey!.id) ? [{ surveyId: a.survey.id, candidates: a.survey.replyCodes }] : []));
      if (wanted.length > 0) {
        const codes = pickReplyCodes(tx, wanted);
        for (const row of surveys) if (codes.has(row.id!)) row.replyCode = codes.get(row.id!)!;
        withCodes = outbox.map((m) => (m.message.kind === 'survey_invite' && codes.has(m.message.surveyId) ? withReplyCode(m, m.message.surveyId, codes.get(m.message.surveyId)!) : m));
      }
      for (const row of surveys) tx.survey.insert(row);
      insertOutbox(tx, this.ids, withCodes, activations[0]!.now);
      insertAudit(tx, this.ids, audits);
      return { applied, skipped: activations.length - applied };
    });
  }

  async findFollowUpContext(followUpId: string): Promise<FollowUpContext | null> {
    return this.state.transact((tx) => {
      const row = tx.followUp.get(followUpId);
      return row ? toFollowUpContext(tx, row) : null;
    });
  }

  async countOpenSiblings(caseId: string, exceptId: string): Promise<number> {
    return this.state.transact((tx) => tx.followUp.count((f) => f.caseId === caseId && f.id !== exceptId && (f.status === 'ACTIVE' || f.status === 'OVERDUE')));
  }

  async countCustomerContacts(customerId: string, policyId: string, since: Date): Promise<number> {
    return this.state.transact((tx) => tx.followUp.count((f) => f.customerId === customerId && f.policyId === policyId && f.activatedAt !== null && f.activatedAt >= since));
  }

  async countOpenByCase(caseIds: readonly string[]): Promise<Map<string, number>> {
    const wanted = new Set(caseIds);
    return this.state.transact((tx) => countBy(tx.followUp.filter((f) => wanted.has(f.caseId) && (f.status === 'ACTIVE' || f.status === 'OVERDUE')), (f) => f.caseId));
  }

  async countContactsByCustomer(customerIds: readonly string[], policyId: string, since: Date): Promise<Map<string, number>> {
    const wanted = new Set(customerIds);
    return this.state.transact((tx) =>
      countBy(tx.followUp.filter((f) => wanted.has(f.customerId) && f.policyId === policyId && f.activatedAt !== null && f.activatedAt >= since), (f) => f.customerId),
    );
  }

  async applyOutcome(input: Parameters<FollowUpStore['applyOutcome']>[0]): Promise<boolean> {
    return this.state.transact((tx) => {
      const changed = tx.followUp.updateWhere(
        (f) => f.id === input.followUpId && f.version === input.version && (f.status === 'ACTIVE' || f.status === 'OVERDUE'),
        (f) => ({
          status: input.status,
          outcome: input.outcome,
          outcomeNote: input.outcomeNote,
          outcomeById: input.outcomeById,
          attempts: input.attempts,
          completedAt: input.completedAt,
          ...(input.nextDueAt ? { dueAt: input.nextDueAt, leaseExpiresAt: null } : {}),
          ...(input.nextDueAt && input.nextDeadlineAt ? { deadlineAt: input.nextDeadlineAt } : {}),
          version: f.version + 1,
        }),
      );
      if (changed !== 1) return false;
      const at = input.audit[0]?.at ?? input.completedAt ?? input.nextDueAt!;
      if (input.status === 'DONE' || input.status === 'UNREACHABLE') {
        // The outcome of a second follow-up (二次回访) is what closes the escalation that scheduled it.
        closeEscalationsAfterSecondFollowUp(tx, this.ids, { followUpId: input.followUpId, outcome: input.outcome, at, actorId: input.outcomeById });
      }
      if (input.surveyAnswer) recordStaffSurveyAnswer(tx, this.ids, input.followUpId, input.surveyAnswer, input.outcomeById ?? null);
      insertEscalation(tx, this.ids, input.escalation, at);
      insertOutbox(tx, this.ids, input.outbox, at);
      insertAudit(tx, this.ids, input.audit);
      return true;
    });
  }

  async reassignFollowUps(items: { followUpId: string; version: number; assigneeId: string; reactivate: boolean; audit: NewAuditEntry }[], at: Date): Promise<string[]> {
    if (items.length === 0) return [];
    return this.state.transact((tx) => {
      const applied: string[] = [];
      for (const item of items) {
        const changed = tx.followUp.updateWhere(
          (f) => f.id === item.followUpId && f.version === item.version && (f.status === 'SCHEDULED' || f.status === 'ACTIVE' || f.status === 'OVERDUE'),
          (f) => ({
            assigneeId: item.assigneeId,
            assigneeRule: 'reassigned',
            leaseExpiresAt: null,
            remindAt: null,
            version: f.version + 1,
            updatedAt: at,
            ...(item.reactivate ? { status: 'SCHEDULED', dueAt: at } : {}),
          }),
        );
        if (changed !== 1) continue;
        applied.push(item.followUpId);
        insertAudit(tx, this.ids, [item.audit]);
      }
      return applied;
    });
  }

  async listOpenForAssignee(staffId: string, dueBefore: Date, limit: number): Promise<FollowUpContext[]> {
    return this.state.transact((tx) =>
      tx.followUp
        .filter((f) => f.assigneeId === staffId && (f.status === 'ACTIVE' || f.status === 'OVERDUE' || (f.status === 'SCHEDULED' && f.dueAt < dueBefore)))
        .sort(byTimeThenId((f) => f.deadlineAt))
        .slice(0, limit)
        .map((f) => toFollowUpContext(tx, f)),
    );
  }
}

function surveyRow(a: Activation): Partial<SurveyRow> {
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

/** The answers of a staff call: the follow-up's survey (one per follow-up, reused when it exists) becomes ANSWERED with one response. */
function recordStaffSurveyAnswer(tx: MemoryTx, ids: IdGenerator, followUpId: string, answer: StaffSurveyAnswer, staffId: string | null): void {
  const r = answer.response;
  const n = answer.newSurvey;
  const existing = tx.survey.byUnique('followUpId', followUpId);
  const survey = existing
    ? tx.survey.update(existing.id, { status: 'ANSWERED', answeredAt: r.receivedAt, draft: null })
    : tx.survey.insert({
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
      });
  tx.surveyResponse.insert({
    id: r.id,
    surveyId: survey.id,
    channel: r.channel,
    rawText: r.rawText,
    answers: toJson(r.answers),
    score: r.score,
    satisfaction: r.satisfaction,
    inboundEventId: r.inboundEventId,
    receivedAt: r.receivedAt,
  });
  insertAudit(tx, ids, [staffSurveyAnswerAudit(survey.id, survey.surveyKey, staffId, r)]);
}

/** How many of `rows` share each key. */
function countBy<T>(rows: readonly T[], key: (row: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(key(row), (counts.get(key(row)) ?? 0) + 1);
  return counts;
}
