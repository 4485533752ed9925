/**
 * Writes several memory stores make inside their own transactions (the counterpart of
 * bot/db/writes.ts and bot/db/reply-codes.ts), so that a state change and what it decides (outbox
 * messages, escalations, audit entries) commit together. Each takes the transaction; none opens one.
 */
import type { IdGenerator } from '../core/clock.js';
import type { FollowUpOutcome } from '../core/model.js';
import type { NewAuditEntry, NewEscalation, NewOutboxMessage } from '../core/records.js';
import type { PlannedFollowUp } from '../core/policies/plan-follow-ups.js';
import type { SurveyFallback } from '../core/ports/survey-fallbacks.js';
import type { FollowUpRow, MemoryTx } from './memory-state.js';
import { toJson } from './rows.js';

/** The open follow-up statuses: planned, pushed, or past their deadline unanswered. */
export const OPEN_FOLLOW_UP: readonly string[] = ['SCHEDULED', 'ACTIVE', 'OVERDUE'];

/**
 * Inserts outbox rows, skipping keys that already exist and repeats within `messages`. `at` becomes
 * `createdAt`; without it, each row's `nextAttemptAt`. An SMS to a customer whose phone the provider
 * reported invalid is recorded already CANCELLED. Returns how many rows it inserted.
 */
export function insertOutbox(tx: MemoryTx, ids: IdGenerator, messages: readonly NewOutboxMessage[], at?: Date): number {
  let inserted = 0;
  for (const m of messages) {
    if (tx.outbox.byUnique('idempotencyKey', m.idempotencyKey)) continue;
    const invalidPhone = m.channel === 'sms' && m.recipientType === 'customer' && tx.customer.get(m.recipientId)?.phoneInvalidAt != null;
    tx.outbox.insert({
      ...(invalidPhone ? { status: 'CANCELLED', lastErrorCode: 'PHONE_INVALID' } : {}),
      id: ids.next(),
      idempotencyKey: m.idempotencyKey,
      createdAt: at ?? m.nextAttemptAt,
      channel: m.channel,
      kind: m.message.kind,
      recipientType: m.recipientType,
      recipientId: m.recipientId,
      payload: JSON.stringify(m.message),
      nextAttemptAt: m.nextAttemptAt,
      followUpId: m.followUpId,
      ...(m.maxAttempts ? { maxAttempts: m.maxAttempts } : {}),
      ...(m.fallbackOfId ? { fallbackOfId: m.fallbackOfId } : {}),
    });
    inserted++;
  }
  return inserted;
}

/** Adds audit entries. */
export function insertAudit(tx: MemoryTx, ids: IdGenerator, entries: readonly NewAuditEntry[]): void {
  for (const entry of entries) {
    tx.audit.insert({
      id: ids.next(),
      at: entry.at,
      actorType: entry.actorType,
      actorId: entry.actorId,
      action: entry.action,
      entityType: entry.entityType,
      entityId: entry.entityId,
      details: toJson(entry.details),
    });
  }
}

/**
 * Opens an escalation with its first piece of evidence, or (`addTo`) adds the trigger to the open
 * escalation of its incident, unless its source key was seen (a replay writes nothing); true when written.
 * A second open escalation of the same incident breaks the unique incident key (UniqueConstraintError).
 */
export function insertEscalation(tx: MemoryTx, ids: IdGenerator, escalation: NewEscalation | null, at: Date): boolean {
  if (!escalation) return false;
  const { id, severity, evidence, addTo, mergeCardText: _mergeCardText, raise, ...rest } = escalation;
  if (tx.escalationEvidence.byUnique('sourceKey', evidence.sourceKey)) return false;
  if (addTo) {
    tx.escalationEvidence.insert({ ...evidence, id: ids.next(), escalationId: addTo });
    if (raise) {
      tx.escalation.updateWhere((e) => e.id === addTo && e.level === raise.fromLevel && (e.status === 'OPEN' || e.status === 'ACKNOWLEDGED'), (e) => ({
        severity: raise.severity,
        level: raise.level,
        ownerId: raise.ownerId,
        deadlineAt: raise.deadlineAt,
        ...(raise.level > raise.fromLevel ? { status: 'OPEN' } : {}),
        version: e.version + 1,
        updatedAt: at,
      }));
    }
    return true;
  }
  if (tx.escalation.byUnique('sourceKey', escalation.sourceKey)) return false;
  const escalationId = id ?? ids.next();
  tx.escalation.insert({ ...rest, id: escalationId, severity: severity ?? 'normal', createdAt: at, updatedAt: at });
  tx.escalationEvidence.insert({ ...evidence, id: ids.next(), escalationId });
  return true;
}

/** The row of a planned follow-up: SCHEDULED, or SKIPPED when sampling left it out. */
export function followUpRow(f: PlannedFollowUp & { id: string }, caseId: string, customerId: string, policyId: string, createdAt: Date): Partial<FollowUpRow> {
  return {
    id: f.id,
    createdAt,
    caseId,
    customerId,
    policyId,
    step: f.step,
    sequence: f.sequence,
    action: f.action,
    channel: f.channel,
    status: f.sampling.kept ? 'SCHEDULED' : 'SKIPPED',
    assigneeId: f.assigneeId,
    assigneeRule: f.assigneeRule,
    earliestAt: f.earliestAt,
    dueAt: f.dueAt,
    deadlineAt: f.deadlineAt,
    maxAttempts: f.maxAttempts,
    sampling: toJson(f.sampling),
    quotaSlot: f.quotaSlot ?? null,
  };
}

/**
 * Cancels the open follow-ups matching `where`, and what they had set in motion: their open surveys
 * expire and their unsent outbox messages are cancelled. Returns how many follow-ups it cancelled.
 */
export function cancelOpenFollowUps(tx: MemoryTx, where: (f: FollowUpRow) => boolean, reason: string, at: Date): number {
  const open = tx.followUp.filter((f) => OPEN_FOLLOW_UP.includes(f.status) && where(f));
  if (open.length === 0) return 0;
  const ids = new Set(open.map((f) => f.id));
  for (const f of open) tx.followUp.update(f.id, { status: 'CANCELLED', outcomeNote: reason, completedAt: at, leaseExpiresAt: null, version: f.version + 1 });
  tx.survey.updateWhere((s) => s.followUpId !== null && ids.has(s.followUpId) && s.status === 'OPEN', { status: 'EXPIRED', replyCode: null });
  tx.outbox.updateWhere((m) => m.followUpId !== null && ids.has(m.followUpId) && m.status === 'PENDING', { status: 'CANCELLED', lastErrorCode: reason });
  return ids.size;
}

/** Marks the customer's phone invalid (once) and cancels the SMS not yet sent to them; true when newly marked. */
export function markPhoneInvalid(tx: MemoryTx, customerId: string, at: Date): boolean {
  const marked = tx.customer.updateWhere((c) => c.id === customerId && c.phoneInvalidAt === null, { phoneInvalidAt: at });
  tx.outbox.updateWhere(
    (m) => m.recipientType === 'customer' && m.recipientId === customerId && m.channel === 'sms' && m.status === 'PENDING',
    { status: 'CANCELLED', lastErrorCode: 'PHONE_INVALID' },
  );
  return marked === 1;
}

/** Closes the RESOLVED escalations whose second follow-up (二次回访) just ended, recording its outcome. */
export function closeEscalationsAfterSecondFollowUp(
  tx: MemoryTx,
  ids: IdGenerator,
  input: { followUpId: string; outcome: FollowUpOutcome | null; at: Date; actorId: string | null },
): number {
  let closed = 0;
  for (const row of tx.escalation.filter((e) => e.secondFollowUpId === input.followUpId && e.status === 'RESOLVED')) {
    tx.escalation.update(row.id, { status: 'CLOSED', closedAt: input.at, version: row.version + 1, updatedAt: input.at });
    closed++;
    insertAudit(tx, ids, [
      {
        at: input.at,
        actorType: input.actorId ? 'STAFF' : 'SYSTEM',
        actorId: input.actorId,
        action: 'escalation.closed',
        entityType: 'Escalation',
        entityId: row.id,
        details: { secondFollowUpId: input.followUpId, outcome: input.outcome },
      },
    ]);
  }
  return closed;
}

/** Picks, for each survey, the first candidate SMS reply code no survey holds and no earlier survey of this call took. */
export function pickReplyCodes(tx: MemoryTx, wanted: readonly { surveyId: string; candidates: readonly string[] }[]): Map<string, string> {
  const chosen = new Map<string, string>();
  const taken = new Set<string>();
  for (const w of wanted) {
    const code = w.candidates.find((c) => !taken.has(c) && !tx.survey.byUnique('replyCode', c));
    if (!code) throw new Error(`No free SMS reply code among ${w.candidates.length} candidates`);
    taken.add(code);
    chosen.set(w.surveyId, code);
  }
  return chosen;
}

/** The outbox message with `replyCode` set, if it is the SMS invitation of `surveyId`. */
export function withReplyCode(m: NewOutboxMessage, surveyId: string, replyCode: string): NewOutboxMessage {
  if (m.channel !== 'sms' || m.message.kind !== 'survey_invite' || m.message.surveyId !== surveyId) return m;
  return { ...m, message: { ...m.message, replyCode } };
}

/** Thrown (discarding the transaction) when the WeChat invitation to replace is being sent right now. */
export class InviteBusyError extends Error {
  override readonly name = 'InviteBusyError';
}

/**
 * Applies a survey fallback: the survey guard (OPEN, no reply code yet, still on the channel replaced,
 * and never opened when a pending invitation is to be cancelled) and its move to the next channel (a
 * reply code for SMS; `sentAt` restarted for another channel), the cancel of that invitation, the new
 * row and the audit entry. False when the survey no longer needs it; throws {@link InviteBusyError}
 * when the invitation replaced is being sent right now.
 */
export function applySurveyFallback(tx: MemoryTx, ids: IdGenerator, fallback: SurveyFallback): boolean {
  const to = fallback.message.channel;
  const code = to === 'sms' ? pickReplyCodes(tx, [{ surveyId: fallback.surveyId, candidates: fallback.replyCodes }]).get(fallback.surveyId)! : null;
  const guarded = tx.survey.updateWhere(
    (s) => s.id === fallback.surveyId && s.status === 'OPEN' && s.replyCode === null && s.channel === fallback.from && (!fallback.cancelPendingId || s.openedAt === null),
    code ? { replyCode: code, channel: to } : { channel: to, sentAt: new Date(fallback.audit.at.getTime()) },
  );
  if (guarded !== 1) return false;
  if (fallback.cancelPendingId) {
    const id = fallback.cancelPendingId;
    const cancelled = tx.outbox.updateWhere((m) => m.id === id && m.status === 'PENDING', {
      status: 'CANCELLED',
      lastErrorCode: `REPLACED_BY_${to.toUpperCase()}`,
      lastError: `not opened in time: replaced by an invitation on ${to}`,
    });
    if (cancelled === 0 && tx.outbox.get(id)?.status === 'SENDING') throw new InviteBusyError();
  }
  insertOutbox(tx, ids, [code ? withReplyCode(fallback.message, fallback.surveyId, code) : fallback.message], fallback.audit.at);
  insertAudit(tx, ids, [{ ...fallback.audit, details: { ...fallback.audit.details, ...(code ? { replyCode: code } : {}) } }]);
  return true;
}
