import { DomainError } from '../errors.js';
import type { CoreDeps, NewAuditEntry, NewOutboxMessage } from '../ports.js';
import { decideStaffOutcome, STAFF_ACTIONS, type StaffAction } from './status.js';
import { planDissatisfiedEscalation } from '../escalation/escalate-dissatisfied.js';
import { applyOffset } from '../policies/plan-follow-ups.js';
import { nextContactMoment } from '../policies/contact-window.js';
import { findStep } from '../policies/find-step.js';

export interface StaffCardAction {
  /** WeCom UserID of the member who tapped. */
  wecomUserId: string;
  /** The button key: `<action>:<followUpId>:<n>`, n = the activation that pushed the card. */
  actionKey: string;
  /** WeCom's single-use code for updating the card, if any. */
  responseCode: string | null;
  inboundEventId: string | null;
}

export type StaffOutcomeResult =
  | { status: 'recorded'; followUpId: string; label: string; escalated: boolean }
  | { status: 'already_recorded'; followUpId: string };

/** Parses a task-card button key; throws `INVALID_ACTION_KEY` for anything else. */
export function parseActionKey(key: string): { action: StaffAction; followUpId: string; activation: number } {
  const m = /^([a-z]+):([0-9A-Za-z]+):(\d+)$/.exec(key);
  if (!m || !STAFF_ACTIONS.includes(m[1] as StaffAction)) {
    throw new DomainError('INVALID_ACTION_KEY', 'Unrecognised task card action', { key: key.slice(0, 80) });
  }
  return { action: m[1] as StaffAction, followUpId: m[2]!, activation: Number(m[3]) };
}

/**
 * Records what a staff member reported by tapping a task card button. The outcome is applied once:
 * the card must be the follow-up's latest one (activation n) and the follow-up still open, the tapper must be its assignee, and the
 * update is a compare-and-set, so double taps, WeCom retries and stale cards change nothing. The card
 * is updated to show what was recorded and by whom; a dissatisfied outcome is escalated.
 */
export async function recordStaffOutcome(deps: CoreDeps, input: StaffCardAction): Promise<StaffOutcomeResult> {
  const { action, followUpId, activation } = parseActionKey(input.actionKey);
  const ctx = await deps.followUps.findFollowUpContext(followUpId);
  if (!ctx) throw new DomainError('UNKNOWN_TASK', 'The task card refers to no known follow-up', { followUpId });
  const staff = await deps.org.findStaffByWecomUserId(input.wecomUserId);
  if (!staff) throw new DomainError('UNKNOWN_STAFF', 'The card was tapped by an unknown member', {});
  const fu = ctx.followUp;
  // Card n is answered once: an outcome moves the follow-up out of ACTIVE/OVERDUE (done, or
  // rescheduled for activation n+1), so a second tap on card n finds nothing open.
  if (activation < fu.activations) throw new DomainError('STALE_CARD', 'This card belongs to an earlier attempt', { followUpId });
  if (activation !== fu.activations || (fu.status !== 'ACTIVE' && fu.status !== 'OVERDUE')) {
    return { status: 'already_recorded', followUpId };
  }
  if (fu.assigneeId !== staff.id) {
    throw new DomainError('NOT_ASSIGNEE', 'The follow-up is assigned to someone else now', { followUpId });
  }
  const now = deps.clock.now();
  const policy = deps.policies.byId(fu.policyId);
  const step = findStep(policy, fu.step);
  const retryAfterMs = step?.retryAfter ? applyOffset(now, step.retryAfter, { timeZone: deps.timeZone, calendar: deps.calendar }).getTime() - now.getTime() : 86_400_000;
  const planned = decideStaffOutcome(fu, action, now, retryAfterMs);
  // The next call, if any, also falls inside the policy's contact windows (and off public holidays).
  const decision = planned.nextDueAt
    ? { ...planned, nextDueAt: nextContactMoment(planned.nextDueAt, policy?.contact, { timeZone: deps.timeZone, calendar: deps.calendar }) }
    : planned;

  const outbox: NewOutboxMessage[] = [
    {
      idempotencyKey: `fu:${fu.id}:${activation}:update`,
      channel: 'wecom',
      recipientType: 'staff',
      recipientId: staff.id,
      followUpId: fu.id,
      nextAttemptAt: now,
      message: {
        kind: 'card_update',
        to: { staffId: staff.id, wecomUserId: input.wecomUserId },
        taskId: `fu_${fu.id}_${activation}`,
        responseCode: input.responseCode,
        replaceName: `${decision.label}·${staff.name}`,
      },
    },
  ];
  const audit: NewAuditEntry[] = [
    {
      at: now,
      actorType: 'STAFF',
      actorId: staff.id,
      action: `follow_up.${action}`,
      entityType: 'FollowUp',
      entityId: fu.id,
      details: { activation, attempts: decision.attempts, status: decision.status, inboundEventId: input.inboundEventId },
    },
  ];
  let escalation = null;
  if (decision.escalate) {
    const org = await deps.org.loadOrgSnapshot();
    const planned = planDissatisfiedEscalation(deps, ctx, org, now, { note: null, recordedByStaffId: staff.id });
    if (planned) {
      escalation = planned.escalation;
      outbox.push(planned.outbox);
      audit.push({ at: now, actorType: 'SYSTEM', actorId: null, action: 'escalation.opened', entityType: 'FollowUp', entityId: fu.id, details: { ownerId: planned.escalation.ownerId } });
    } else {
      // Nobody in the escalation chain may own it (vacant, or only the person complained about):
      // the audit log says so, rather than the dissatisfied answer vanishing.
      audit.push({ at: now, actorType: 'SYSTEM', actorId: null, action: 'escalation.unassigned', entityType: 'FollowUp', entityId: fu.id, details: { reason: 'NO_ELIGIBLE_OWNER' } });
    }
  }
  const applied = await deps.followUps.applyOutcome({
    followUpId: fu.id,
    version: fu.version,
    status: decision.status,
    outcome: decision.outcome,
    outcomeNote: null,
    outcomeById: staff.id,
    attempts: decision.attempts,
    nextDueAt: decision.nextDueAt,
    completedAt: decision.status === 'DONE' || decision.status === 'UNREACHABLE' ? now : null,
    outbox,
    escalation,
    audit,
  });
  if (!applied) return { status: 'already_recorded', followUpId };
  return { status: 'recorded', followUpId, label: decision.label, escalated: escalation !== null };
}
