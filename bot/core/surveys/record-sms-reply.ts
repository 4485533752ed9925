import { DomainError } from '../errors.js';
import type { CoreDeps, NewAuditEntry, NewOutboxMessage, SurveyRecord } from '../ports.js';
import type { Satisfaction } from '../model.js';
import { parseSurveyReply } from './parse-reply.js';
import { planDissatisfiedEscalation } from '../escalation/escalate-dissatisfied.js';

export interface SmsReply {
  phoneE164: string;
  text: string;
  receivedAt: Date;
  inboundEventId: string | null;
}

export type SmsReplyResult =
  | { status: 'answered'; surveyId: string; score: number; satisfaction: string; escalated: boolean }
  | { status: 'already_answered'; surveyId: string }
  | { status: 'opted_out'; customerId: string }
  | { status: 'kept_unparsed'; surveyId: string };

/**
 * Handles a customer's SMS reply: an opt-out word opts the customer out at once; a score answers the
 * customer's latest open survey (one SurveyResponse, the follow-up done, a dissatisfied score escalated);
 * other text is kept on the survey for a person to read. Unknown numbers and replies with no open
 * survey are rejected with a DomainError (the inbox keeps the event and the reason).
 */
export async function recordSmsReply(deps: CoreDeps, reply: SmsReply): Promise<SmsReplyResult> {
  const customer = await deps.surveys.findCustomerByPhone(reply.phoneE164);
  if (!customer) throw new DomainError('UNKNOWN_NUMBER', 'Reply from a number that is not a known customer', {});
  const parsed = parseSurveyReply(reply.text);
  const now = deps.clock.now();
  if (parsed.kind === 'opt_out') {
    if (!customer.optedOutAt) {
      await deps.surveys.optOutCustomer(customer.id, reply.receivedAt, 'sms_reply', {
        at: now,
        actorType: 'CUSTOMER',
        actorId: customer.id,
        action: 'customer.opted_out',
        entityType: 'Customer',
        entityId: customer.id,
        details: { source: 'sms_reply', inboundEventId: reply.inboundEventId },
      });
    }
    return { status: 'opted_out', customerId: customer.id };
  }
  const survey = await deps.surveys.findLatestOpenSurvey(customer.id, now);
  if (!survey) throw new DomainError('NO_OPEN_SURVEY', 'The customer has no open survey to answer', { customerId: customer.id });
  if (parsed.kind === 'text') {
    await deps.surveys.recordUnparsedReply({
      surveyId: survey.id,
      responseId: deps.ids.next(),
      rawText: reply.text,
      inboundEventId: reply.inboundEventId,
      receivedAt: reply.receivedAt,
    });
    return { status: 'kept_unparsed', surveyId: survey.id };
  }

  const recorded = await answerSurvey(deps, survey, {
    channel: 'sms',
    customerId: customer.id,
    score: parsed.score,
    comment: parsed.comment,
    rawText: reply.text,
    inboundEventId: reply.inboundEventId,
    receivedAt: reply.receivedAt,
  });
  if (!recorded.recorded) return { status: 'already_answered', surveyId: survey.id };
  return { status: 'answered', surveyId: survey.id, score: parsed.score, satisfaction: recorded.satisfaction, escalated: recorded.escalated };
}

/** One answer on the 1–5 scale, from any channel. */
export interface SurveyAnswer {
  channel: 'sms' | 'web';
  customerId: string;
  /** 1–5, 5 = 非常满意. */
  score: number;
  comment: string | null;
  rawText: string | null;
  inboundEventId: string | null;
  receivedAt: Date;
}

/**
 * Records an answer to an open survey: one SurveyResponse with the score normalised to 0..1, the
 * survey ANSWERED, its follow-up DONE, and a dissatisfied answer (score ≤ 2) escalated. A second
 * answer to the same survey records nothing (`recorded: false`).
 */
export async function answerSurvey(
  deps: CoreDeps,
  survey: SurveyRecord,
  answer: SurveyAnswer,
): Promise<{ recorded: boolean; satisfaction: Satisfaction; escalated: boolean }> {
  const now = deps.clock.now();
  const satisfaction: Satisfaction = answer.score >= 4 ? 'SATISFIED' : answer.score === 3 ? 'NEUTRAL' : 'DISSATISFIED';
  const outbox: NewOutboxMessage[] = [];
  const audit: NewAuditEntry[] = [
    {
      at: now,
      actorType: 'CUSTOMER',
      actorId: answer.customerId,
      action: 'survey.answered',
      entityType: 'SurveyInstance',
      entityId: survey.id,
      details: { score: answer.score, channel: answer.channel },
    },
  ];
  let escalation = null;
  if (satisfaction === 'DISSATISFIED' && survey.followUpId) {
    const ctx = await deps.followUps.findFollowUpContext(survey.followUpId);
    if (ctx) {
      const org = await deps.org.loadOrgSnapshot();
      const planned = planDissatisfiedEscalation(deps, ctx, org, now, { note: answer.comment, recordedByStaffId: null });
      if (planned) {
        escalation = planned.escalation;
        outbox.push(planned.outbox);
        audit.push({ at: now, actorType: 'SYSTEM', actorId: null, action: 'escalation.opened', entityType: 'FollowUp', entityId: ctx.followUp.id, details: { ownerId: planned.escalation.ownerId } });
      } else {
        audit.push({ at: now, actorType: 'SYSTEM', actorId: null, action: 'escalation.unassigned', entityType: 'FollowUp', entityId: ctx.followUp.id, details: { reason: 'NO_ELIGIBLE_OWNER' } });
      }
    }
  }
  const recorded = await deps.surveys.recordSurveyAnswer({
    surveyId: survey.id,
    response: {
      id: deps.ids.next(),
      channel: answer.channel,
      rawText: answer.rawText,
      answers: { overall: answer.score, comment: answer.comment },
      score: (answer.score - 1) / 4,
      satisfaction,
      inboundEventId: answer.inboundEventId,
      receivedAt: answer.receivedAt,
    },
    followUpOutcome: satisfaction,
    escalation,
    outbox,
    audit,
  });
  return { recorded, satisfaction, escalated: recorded && escalation !== null };
}
