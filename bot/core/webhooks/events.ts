import type { WebhookSourceEntry } from '../ports/webhooks.js';

/**
 * The events other systems may subscribe to (docs/webhooks.md), each derived from the audit entry its
 * domain change writes in the same transaction.
 */
export const WEBHOOK_EVENT_TYPES = ['case.created', 'followup.completed', 'survey.answered', 'escalation.opened', 'escalation.climbed', 'escalation.resolved'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/**
 * Entries that may end a follow-up (those whose `details.status` is final): staff outcomes
 * (`follow_up.<action>`), and `follow_up.completed` for the other paths — the customer's survey
 * answer (web page or SMS reply) and a survey that ended unanswered (bot/core/follow-ups/completion-audit.ts).
 */
const FOLLOW_UP_ACTIONS = ['follow_up.satisfied', 'follow_up.dissatisfied', 'follow_up.unreachable', 'follow_up.concern', 'follow_up.done', 'follow_up.completed'];
const FINAL_FOLLOW_UP_STATUSES = new Set(['DONE', 'UNREACHABLE']);

/** The audit actions each event type is read from. */
export const AUDIT_ACTIONS: Readonly<Record<WebhookEventType, readonly string[]>> = {
  'case.created': ['case.created'],
  'followup.completed': FOLLOW_UP_ACTIONS,
  'survey.answered': ['survey.answered'],
  'escalation.opened': ['escalation.opened'],
  'escalation.climbed': ['escalation.climbed'],
  'escalation.resolved': ['escalation.resolved'],
};

export function isWebhookEventType(value: string): value is WebhookEventType {
  return (WEBHOOK_EVENT_TYPES as readonly string[]).includes(value);
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * The event an audit entry stands for, with its data (ids, the case's external id, the masked phone,
 * outcome, score, escalation level and owner — never free text a person typed, which may hold a phone
 * number), or null when the entry is not one (a rescheduled follow-up, the case-side copy of an
 * escalation's entry).
 */
export function webhookEventOf(entry: WebhookSourceEntry): { type: WebhookEventType; data: Record<string, unknown> } | null {
  const d = entry.details;
  const caseData = entry.context
    ? { caseId: entry.context.caseId, caseExternalId: entry.context.caseExternalId, caseType: entry.context.caseType, customerId: entry.context.customerId, phoneMasked: entry.context.phoneMasked }
    : {};
  switch (entry.action) {
    case 'case.created':
      return entry.entityType === 'Case' ? { type: 'case.created', data: { ...caseData, followUps: num(d.followUps) } } : null;
    case 'survey.answered':
      return entry.entityType === 'SurveyInstance'
        ? { type: 'survey.answered', data: { ...caseData, surveyId: entry.entityId, surveyKey: str(d.surveyKey), score: num(d.score), satisfaction: str(d.satisfaction), channel: str(d.channel) } }
        : null;
    case 'escalation.opened':
      return entry.entityType === 'Escalation'
        ? { type: 'escalation.opened', data: { ...caseData, escalationId: entry.entityId, reason: str(d.reason), severity: str(d.severity), level: num(d.level), ownerId: str(d.ownerId) } }
        : null;
    case 'escalation.climbed':
      return entry.entityType === 'Escalation'
        ? { type: 'escalation.climbed', data: { ...caseData, escalationId: entry.entityId, fromLevel: num(d.fromLevel), level: num(d.toLevel), ownerId: str(d.toOwnerId) } }
        : null;
    case 'escalation.resolved':
      return entry.entityType === 'Escalation'
        ? { type: 'escalation.resolved', data: { ...caseData, escalationId: entry.entityId, level: num(d.level), resolvedBy: entry.actorId, secondFollowUpId: str(d.secondFollowUpId) } }
        : null;
    default:
      if (FOLLOW_UP_ACTIONS.includes(entry.action) && entry.entityType === 'FollowUp' && FINAL_FOLLOW_UP_STATUSES.has(String(d.status))) {
        if (entry.action === 'follow_up.completed') {
          return {
            type: 'followup.completed',
            data: { ...caseData, followUpId: entry.entityId, status: str(d.status), outcome: completionOutcome(str(d.outcome)), attempts: num(d.attempts), staffId: null, completedBy: d.via === 'survey' ? 'customer' : 'system', channel: str(d.channel) },
          };
        }
        return {
          type: 'followup.completed',
          data: { ...caseData, followUpId: entry.entityId, status: str(d.status), outcome: entry.action.slice('follow_up.'.length), attempts: num(d.attempts), staffId: entry.actorId, completedBy: 'staff', channel: null },
        };
      }
      return null;
  }
}

/** The documented `outcome` of a follow-up the customer's survey ended: `satisfied`, `neutral`, `dissatisfied` …; `unreachable` for no answer. */
function completionOutcome(outcome: string | null): string | null {
  if (outcome === null) return null;
  return outcome === 'NO_RESPONSE' ? 'unreachable' : outcome.toLowerCase();
}
