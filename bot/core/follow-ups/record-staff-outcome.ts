import { emitEscalationOpened } from '../escalation/open-escalation.js';
import { DomainError } from '../errors.js';
import type { CoreDeps } from '../deps.js';
import type { StaffSurveyAnswer } from '../ports/follow-ups.js';
import type { NewAuditEntry, NewOutboxMessage } from '../records.js';
import { decideStaffOutcome, STAFF_ACTIONS, type StaffAction } from './status.js';
import { planAnswerEscalation } from '../escalation/escalate-dissatisfied.js';
import { planMedicalConcernEscalation, planUnreachableEscalation } from '../escalation/escalate-follow-up.js';
import { applyOffset } from '../policies/plan-follow-ups.js';
import { contactRulesFor, retryContactRules, retryMoment } from '../policies/contact-window.js';
import { anchorsOnCompletion, planStepsAfterCompletion } from '../cases/plan-after-completion.js';
import { findStep } from '../policies/find-step.js';
import { renderText } from '../templates/render.js';

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
  return reportStaffOutcome(deps, {
    followUpId,
    activation,
    action,
    reporter: { wecomUserId: input.wecomUserId },
    responseCode: input.responseCode,
    inboundEventId: input.inboundEventId,
  });
}

/** An outcome reported for activation n of a follow-up, by a card tap or on the 详情 form. */
export interface StaffOutcomeReport {
  followUpId: string;
  activation: number;
  action: StaffAction;
  /**
   * Who reports it: the member who tapped (checked to be the assignee), or `assignee` for the 详情
   * form, whose signed link was sent to the assignee only.
   */
  reporter: { wecomUserId: string } | 'assignee';
  /** WeCom's single-use code for updating the card; null updates it by a text notice instead. */
  responseCode: string | null;
  inboundEventId: string | null;
  /** The staff member's note (kept as the follow-up's outcome note; passed on with an escalation). */
  note?: string | null;
  /** 改期 to this instant (the time the customer named) instead of the step's retry delay. */
  rescheduleTo?: Date | null;
  /** Answers taken during the call; recorded with an answered outcome (satisfied/dissatisfied). */
  surveyAnswer?: StaffSurveyAnswer | null;
  /**
   * The call started with the 详情 form's 拨打 on this activation (when the number was revealed), or
   * null when the form is submitted without one; the audit entry says which, and whether it was answered.
   */
  call?: { startedAt: Date } | null;
}

/**
 * Applies a staff outcome: the same checks, decision, card update, escalation and compare-and-set
 * for a card tap and for the 详情 form, so either records once and the other then finds it recorded.
 */
export async function reportStaffOutcome(deps: CoreDeps, input: StaffOutcomeReport): Promise<StaffOutcomeResult> {
  const { action, followUpId, activation } = input;
  const ctx = await deps.followUps.findFollowUpContext(followUpId);
  if (!ctx) throw new DomainError('UNKNOWN_TASK', 'The task card refers to no known follow-up', { followUpId });
  const fu = ctx.followUp;
  let staff: { id: string; name: string; wecomUserId: string } | null = null;
  if (input.reporter === 'assignee') {
    const assignee = fu.assigneeId ? (await deps.org.loadOrgSnapshot()).staff.get(fu.assigneeId) : undefined;
    if (assignee) staff = { id: assignee.id, name: assignee.name, wecomUserId: assignee.wecomUserId };
  } else {
    const found = await deps.org.findStaffByWecomUserId(input.reporter.wecomUserId);
    if (!found) throw new DomainError('UNKNOWN_STAFF', 'The card was tapped by an unknown member', {});
    staff = { ...found, wecomUserId: input.reporter.wecomUserId };
  }
  // Card n is answered once: an outcome moves the follow-up out of ACTIVE/OVERDUE (done, or
  // rescheduled for activation n+1), so a second tap on card n finds nothing open.
  if (activation < fu.activations) throw new DomainError('STALE_CARD', 'This card belongs to an earlier attempt', { followUpId });
  if (activation !== fu.activations || (fu.status !== 'ACTIVE' && fu.status !== 'OVERDUE')) {
    return { status: 'already_recorded', followUpId };
  }
  if (!staff || fu.assigneeId !== staff.id) {
    throw new DomainError('NOT_ASSIGNEE', 'The follow-up is assigned to someone else now', { followUpId });
  }
  const now = deps.clock.now();
  const policy = deps.policies.byId(fu.policyId);
  const step = findStep(policy, fu.step);
  const retryAfterMs = step?.retryAfter ? applyOffset(now, step.retryAfter, { timeZone: deps.timeZone, calendar: deps.calendar }).getTime() - now.getTime() : 86_400_000;
  const planned = decideStaffOutcome(fu, action, now, retryAfterMs);
  const rescheduleTo = action === 'reschedule' && input.rescheduleTo && input.rescheduleTo > now ? input.rescheduleTo : null;
  // The next call, if any, also falls inside the policy's contact windows (and off public holidays) —
  // except a time the customer named themselves, and unless no window is left before the deadline
  // (the deadline wins, docs: templates/policies/README.md "联系时段"). Mandatory rules (002 制度21) are
  // never broken: the retry moves to the next allowed moment and the deadline with it.
  const retry = !rescheduleTo && planned.nextDueAt ? retryMoment(now, planned.nextDueAt, fu.deadlineAt, retryContactRules(contactRulesFor(policy, fu.step)), { timeZone: deps.timeZone, calendar: deps.calendar }) : null;
  const decision = rescheduleTo ? { ...planned, nextDueAt: rescheduleTo } : retry ? { ...planned, nextDueAt: retry.dueAt } : planned;
  const nextDeadlineAt = retry && retry.deadlineAt.getTime() !== fu.deadlineAt.getTime() ? retry.deadlineAt : null;
  const note = input.note?.trim() ? input.note.trim() : null;
  const label = renderText(deps.templates.taskCard.outcomes[decision.recorded], { attempt: decision.attempts });

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
        to: { staffId: staff.id, wecomUserId: staff.wecomUserId },
        taskId: `fu_${fu.id}_${activation}`,
        responseCode: input.responseCode,
        replaceName: renderText(deps.templates.taskCard.recorded, { outcome: label, staff: staff.name }),
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
      details: {
        activation,
        attempts: decision.attempts,
        status: decision.status,
        inboundEventId: input.inboundEventId,
        ...(input.reporter === 'assignee' ? { via: 'staff_form' } : {}),
        ...(input.call !== undefined ? { call: input.call ? { startedAt: input.call.startedAt.toISOString(), answered: action !== 'unreachable' } : null } : {}),
        ...(rescheduleTo ? { rescheduleTo: rescheduleTo.toISOString() } : {}),
      },
    },
  ];
  let escalation = null;
  // 不满意, complaint words in the note, a patient's worrying condition, or a customer never reached.
  if (decision.escalate || decision.status === 'UNREACHABLE' || action === 'concern' || (note && decision.status === 'DONE')) {
    const org = await deps.org.loadOrgSnapshot();
    const planned =
      action === 'concern'
        ? await planMedicalConcernEscalation(deps, ctx, org, now, note)
        : decision.status === 'UNREACHABLE'
          ? await planUnreachableEscalation(deps, ctx, org, now)
          : await planAnswerEscalation(deps, ctx, org, now, {
              score: input.surveyAnswer?.response.score ?? null,
              satisfaction: decision.escalate ? 'DISSATISFIED' : null,
              note,
              recordedByStaffId: staff.id,
            });
    escalation = planned.escalation;
    outbox.push(...planned.outbox);
    audit.push(...planned.audit);
  }
  const applied = await deps.followUps.applyOutcome({
    followUpId: fu.id,
    version: fu.version,
    status: decision.status,
    outcome: decision.outcome,
    outcomeNote: note,
    outcomeById: staff.id,
    attempts: decision.attempts,
    nextDueAt: decision.nextDueAt,
    nextDeadlineAt,
    completedAt: decision.status === 'DONE' || decision.status === 'UNREACHABLE' ? now : null,
    outbox,
    escalation,
    audit,
    // Answers belong to a call that reached the customer; a missed or moved call records none.
    surveyAnswer: decision.status === 'DONE' ? (input.surveyAnswer ?? null) : null,
  });
  if (!applied) return { status: 'already_recorded', followUpId };
  if (escalation) emitEscalationOpened(deps, escalation, now);
  // A step anchored on this one's actual completion (P1's half-year call) can be planned now.
  if (decision.status === 'DONE' && anchorsOnCompletion(policy)) await planStepsAfterCompletion(deps, fu.caseId);
  return { status: 'recorded', followUpId, label, escalated: escalation !== null };
}
