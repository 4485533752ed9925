import type { CoreDeps } from '../deps.js';
import type { FollowUpContext, NewAuditEntry, NewEscalation, NewOutboxMessage } from '../records.js';
import type { OrgSnapshot, Satisfaction } from '../model.js';
import { planEscalation, type EscalationPlanDeps } from './open-escalation.js';
import { escalationRules, findComplaintWord, isDissatisfiedAnswer } from './rules.js';

/** Escalation decided alongside an answer, committed in the same transaction as the answer. */
export interface AnswerEscalation {
  escalation: (NewEscalation & { id: string }) | null;
  outbox: NewOutboxMessage[];
  audit: NewAuditEntry[];
}

/**
 * The escalation an answer calls for, if any: complaint words in the customer's words or the staff
 * member's note (投诉, 12345 …) open a COMPLAINT; a 不满意 answer or a score at or below the
 * policy's threshold opens a DISSATISFIED one. The owner comes from the policy's chain, never the
 * person complained about nor the staff member whose follow-up it is. One escalation per follow-up
 * and reason (`sourceKey`), so a replayed answer escalates once. When nobody is eligible the audit
 * entry says so rather than the answer vanishing.
 */
export async function planAnswerEscalation(
  deps: EscalationPlanDeps,
  ctx: FollowUpContext,
  org: OrgSnapshot,
  now: Date,
  answer: { score: number | null; satisfaction: Satisfaction | null; note: string | null; recordedByStaffId: string | null; source?: 'sms' | 'web' },
): Promise<AnswerEscalation> {
  const rules = escalationRules(deps.policies.byId(ctx.followUp.policyId));
  const complaintWord = rules.triggers.COMPLAINT ? findComplaintWord(answer.note, rules) : null;
  const dissatisfied = rules.triggers.DISSATISFIED && isDissatisfiedAnswer(answer, rules);
  if (!complaintWord && !dissatisfied) return { escalation: null, outbox: [], audit: [] };
  const reason = complaintWord ? 'COMPLAINT' : 'DISSATISFIED';
  const planned = await planEscalation(deps, org, now, {
    reason,
    sourceKey: `${reason === 'COMPLAINT' ? 'complaint' : 'dissatisfied'}:${ctx.followUp.id}`,
    case: ctx.case,
    customer: ctx.customer,
    followUp: ctx.followUp,
    note: answer.note,
    exclude: [ctx.followUp.assigneeId, answer.recordedByStaffId],
    source: answer.source ?? 'staff',
  });
  if (planned.kind === 'unassigned') return { escalation: null, outbox: [], audit: planned.audit };
  return { escalation: planned.escalation, outbox: planned.outbox, audit: planned.audit };
}

/**
 * The escalation a customer's survey answer calls for (see {@link planAnswerEscalation}), for the
 * follow-up the survey belongs to; nothing for a survey without one.
 */
export async function planSurveyAnswerEscalation(
  deps: EscalationPlanDeps & Pick<CoreDeps, 'followUps' | 'org'>,
  survey: { followUpId: string | null },
  now: Date,
  answer: { score: number | null; satisfaction: Satisfaction | null; comment: string | null; channel: 'sms' | 'web' },
): Promise<AnswerEscalation> {
  const ctx = survey.followUpId ? await deps.followUps.findFollowUpContext(survey.followUpId) : null;
  if (!ctx) return { escalation: null, outbox: [], audit: [] };
  const org = await deps.org.loadOrgSnapshot();
  return planAnswerEscalation(deps, ctx, org, now, { score: answer.score, satisfaction: answer.satisfaction, note: answer.comment, recordedByStaffId: null, source: answer.channel });
}
