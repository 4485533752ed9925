import type { NewAuditEntry } from '../records.js';

/**
 * The audit entries of follow-ups that end without a staff outcome, written by the stores in the
 * transaction that ends them (the entry is the source of the `followup.completed` webhook,
 * bot/core/webhooks/events.ts). A staff outcome is audited as `follow_up.<action>` instead.
 */

/** A follow-up completed by the customer's survey answer (web page or SMS reply). */
export function surveyCompletionAudit(followUpId: string, customerId: string, outcome: string, channel: string, at: Date): NewAuditEntry {
  return { at, actorType: 'CUSTOMER', actorId: customerId, action: 'follow_up.completed', entityType: 'FollowUp', entityId: followUpId, details: { status: 'DONE', outcome, via: 'survey', channel } };
}

/** A customer survey that ended unanswered at its deadline (the follow-up becomes UNREACHABLE, NO_RESPONSE). */
export function noResponseAudit(followUpId: string, at: Date): NewAuditEntry {
  return { at, actorType: 'SYSTEM', actorId: null, action: 'follow_up.completed', entityType: 'FollowUp', entityId: followUpId, details: { status: 'UNREACHABLE', outcome: 'NO_RESPONSE', via: 'survey_expired' } };
}

/**
 * A survey answered during a staff member's call (the answers recorded with the outcome): audited like
 * the customer's own answer, so that `survey.answered` covers every way a survey is answered.
 */
export function staffSurveyAnswerAudit(surveyId: string, surveyKey: string, staffId: string | null, response: { channel: string; score: number | null; satisfaction: string | null; receivedAt: Date }): NewAuditEntry {
  return {
    at: response.receivedAt,
    actorType: 'STAFF',
    actorId: staffId,
    action: 'survey.answered',
    entityType: 'SurveyInstance',
    entityId: surveyId,
    details: { surveyKey, score: response.score, satisfaction: response.satisfaction, channel: response.channel, via: 'staff' },
  };
}
