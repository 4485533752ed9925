import { emitEscalationOpened } from '../escalation/open-escalation.js';
import { planStepsAfterFollowUp } from '../cases/plan-after-completion.js';
import { DomainError } from '../errors.js';
import type { CoreDeps } from '../deps.js';
import type { CustomerRecord, NewAuditEntry, NewOutboxMessage, SurveyRecord } from '../records.js';
import type { Satisfaction, StaffMember } from '../model.js';
import { maskPhone } from '../phone.js';
import { parseSurveyReply } from './parse-reply.js';
import { planSurveyAnswerEscalation } from '../escalation/escalate-dissatisfied.js';
import { renderText } from '../templates/render.js';

export interface SmsReply {
  phoneE164: string;
  text: string;
  receivedAt: Date;
  inboundEventId: string | null;
  /** The SMS extend code the reply came back on (the survey's reply code), when the provider gives it. */
  replyCode?: string | null;
  /**
   * The reply came back on another signature of the provider account than ours (one reply URL serves
   * every signature of a Tencent account): it answers someone else's message, so it is rejected.
   */
  foreignSignature?: boolean;
}

export type SmsReplyResult =
  | { status: 'answered'; surveyId: string; score: number; satisfaction: string; escalated: boolean }
  | { status: 'already_answered'; surveyId: string }
  | { status: 'opted_out'; customerId: string }
  /** Not an answer: kept on the survey and sent to `routedTo` (a staff id), or to nobody when none is active. */
  | { status: 'kept_unparsed'; surveyId: string; routedTo: string | null };

/**
 * Handles a customer's SMS reply: an opt-out word opts the customer out at once; a score answers the
 * survey the reply belongs to — the one whose reply code (SMS extend code) it came back on, else the
 * customer's latest open survey — with one SurveyResponse, the follow-up done and a dissatisfied score
 * escalated. Other text (a question, a complaint) is kept on the survey and sent as a WeCom text, with
 * the masked phone, to the staff member responsible: the follow-up's assignee, else the case's
 * responsible staff, their supervisor, or the department head. Unknown numbers and replies with no open
 * survey are rejected with a DomainError (the inbox keeps the event and the reason), and so are replies
 * to a message sent under another signature of the account (`FOREIGN_SIGNATURE`).
 */
export async function recordSmsReply(deps: CoreDeps, reply: SmsReply): Promise<SmsReplyResult> {
  // Neither an answer nor an opt-out of ours: the customer replied to another sender of the same account.
  if (reply.foreignSignature) throw new DomainError('FOREIGN_SIGNATURE', 'Reply to a message sent under another signature of the SMS account', {});
  const customer = await deps.customers.findCustomerByPhone(reply.phoneE164);
  if (!customer) throw new DomainError('UNKNOWN_NUMBER', 'Reply from a number that is not a known customer', {});
  const parsed = parseSurveyReply(reply.text);
  const now = deps.clock.now();
  if (parsed.kind === 'opt_out') {
    if (!customer.optedOutAt) {
      await deps.customers.optOutCustomer(customer.id, reply.receivedAt, 'sms_reply', {
        at: now,
        actorType: 'CUSTOMER',
        actorId: customer.id,
        action: 'customer.opted_out',
        entityType: 'Customer',
        entityId: customer.id,
        details: { source: 'sms_reply', inboundEventId: reply.inboundEventId, scope: deps.optOutScope ?? 'all' },
      }, deps.optOutScope ?? 'all');
    }
    return { status: 'opted_out', customerId: customer.id };
  }
  const byCode = reply.replyCode ? await deps.surveys.findSurveyByReplyCode(reply.replyCode) : null;
  // The code identifies the survey exactly — if it is this customer's and still open; a stale or
  // foreign code falls back to the customer's latest open survey.
  const survey =
    byCode && byCode.customerId === customer.id && byCode.status === 'OPEN' && byCode.expiresAt > now
      ? byCode
      : await deps.surveys.findLatestOpenSurvey(customer.id, now);
  if (!survey) throw new DomainError('NO_OPEN_SURVEY', 'The customer has no open survey to answer', { customerId: customer.id });
  if (parsed.kind === 'text') {
    const responseId = deps.ids.next();
    await deps.surveys.recordUnparsedReply({
      surveyId: survey.id,
      responseId,
      rawText: reply.text,
      inboundEventId: reply.inboundEventId,
      receivedAt: reply.receivedAt,
    });
    const routedTo = await routeToStaff(deps, survey, customer, reply, responseId);
    return { status: 'kept_unparsed', surveyId: survey.id, routedTo };
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
  // The answer completes the survey's follow-up: steps anchored on its completion can be planned now.
  if (survey.followUpId) await planStepsAfterFollowUp(deps, survey.followUpId);
  return { status: 'answered', surveyId: survey.id, score: parsed.score, satisfaction: recorded.satisfaction, escalated: recorded.escalated };
}

/** Longest customer text quoted to staff; the whole reply stays on the survey response. */
const QUOTED_REPLY_MAX = 300;

/**
 * Sends a reply that is not an answer to the staff member who can act on it, as a WeCom text with the
 * customer's name and masked phone. Idempotent per inbound event (one text however often the event is
 * processed). Returns the staff id, or null when nobody responsible is active.
 */
async function routeToStaff(deps: CoreDeps, survey: SurveyRecord, customer: CustomerRecord, reply: SmsReply, responseId: string): Promise<string | null> {
  if (!survey.followUpId) return null;
  const ctx = await deps.followUps.findFollowUpContext(survey.followUpId);
  if (!ctx) return null;
  const org = await deps.org.loadOrgSnapshot();
  const active = (id: string | null | undefined): StaffMember | undefined => {
    const member = id ? org.staff.get(id) : undefined;
    return member?.active ? member : undefined;
  };
  const responsible = ctx.case.responsibleStaffId ? org.staff.get(ctx.case.responsibleStaffId) : undefined;
  const department = ctx.case.departmentId ? org.departments.get(ctx.case.departmentId) : undefined;
  const staff = active(ctx.followUp.assigneeId) ?? active(responsible?.id) ?? active(responsible?.supervisorId) ?? active(department?.headId);
  if (!staff) return null;
  const phone = customer.phoneMasked ?? (customer.phoneE164 ? maskPhone(customer.phoneE164) : '—');
  const quoted = reply.text.length > QUOTED_REPLY_MAX ? `${reply.text.slice(0, QUOTED_REPLY_MAX)}…` : reply.text;
  const text = renderText(deps.templates.smsReplyForward.text, { customer: customer.salutation ?? customer.name, phone, reply: quoted, caseId: ctx.case.externalId });
  await deps.outbox.enqueue([
    {
      idempotencyKey: `sms-reply:${reply.inboundEventId ?? responseId}`,
      channel: 'wecom',
      recipientType: 'staff',
      recipientId: staff.id,
      followUpId: ctx.followUp.id,
      nextAttemptAt: deps.clock.now(),
      message: { kind: 'staff_text', to: { staffId: staff.id, wecomUserId: staff.wecomUserId }, text },
    },
  ]);
  return staff.id;
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
  const { escalation, outbox: notices, audit: escalationAudit } = await planSurveyAnswerEscalation(deps, survey, now, { score: (answer.score - 1) / 4, satisfaction, comment: answer.comment, channel: answer.channel });
  outbox.push(...notices);
  audit.push(...escalationAudit);
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
  if (recorded && escalation) emitEscalationOpened(deps, escalation, now);
  return { recorded, satisfaction, escalated: recorded && escalation !== null };
}
