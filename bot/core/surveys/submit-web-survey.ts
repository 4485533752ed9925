import { emitEscalationOpened } from '../escalation/open-escalation.js';
import { planStepsAfterFollowUp } from '../cases/plan-after-completion.js';
import { DomainError } from '../errors.js';
import type { Satisfaction } from '../model.js';
import type { CoreDeps } from '../deps.js';
import type { NewAuditEntry, NewOutboxMessage } from '../records.js';
import { planSurveyAnswerEscalation } from '../escalation/escalate-dissatisfied.js';
import { readAnswers, type RawAnswers, type SurveyDefinition } from './definitions.js';
import { scoreAnswers } from './score.js';

export interface WebSurveySubmission {
  /** The survey's token (the link's signature already checked by the page). */
  token: string;
  /** The form fields as submitted (`q_<question key>`), validated here against the survey's definition. */
  answers: RawAnswers;
  receivedAt: Date;
  inboundEventId: string | null;
}

export type WebSurveyResult = {
  status: 'answered';
  surveyId: string;
  score: number | null;
  satisfaction: Satisfaction | null;
  escalated: boolean;
};

/**
 * Records a survey submitted on the page behind the survey link: one SurveyResponse with the answers
 * (by question key), the score normalised to 0..1 and the satisfaction category (score.ts); the
 * survey ANSWERED; its follow-up DONE with that category; a dissatisfied answer escalated — in one
 * transaction, so a replay records nothing twice. An unknown token, an expired survey, a second
 * submission and answers the definition refuses are DomainErrors (`SURVEY_TOKEN_UNKNOWN`,
 * `SURVEY_TOKEN_EXPIRED`, `SURVEY_ALREADY_ANSWERED`, `VALIDATION_FAILED`).
 */
export async function submitWebSurvey(deps: CoreDeps, submission: WebSurveySubmission): Promise<WebSurveyResult> {
  const survey = await deps.surveys.findSurveyByToken(submission.token);
  if (!survey) throw new DomainError('SURVEY_TOKEN_UNKNOWN', 'This survey link is not valid', {});
  if (survey.status === 'ANSWERED') throw new DomainError('SURVEY_ALREADY_ANSWERED', 'This survey has already been answered', {});
  const now = deps.clock.now();
  if (survey.status === 'EXPIRED' || survey.expiresAt <= now) {
    throw new DomainError('SURVEY_TOKEN_EXPIRED', 'This survey has expired', {});
  }
  const definition = deps.surveyDefinitions.get(survey.surveyKey);
  if (!definition) throw new DomainError('SURVEY_DEFINITION_UNKNOWN', 'The survey definition is no longer available', { surveyKey: survey.surveyKey });
  const { answers, errors } = readAnswers(definition, submission.answers, { enforceRequired: true });
  if (Object.keys(errors).length > 0) {
    throw new DomainError('VALIDATION_FAILED', 'Some answers are missing or not valid', { fields: Object.keys(errors) });
  }
  const scored = scoreAnswers(definition, answers);
  const comment = textAnswers(definition, answers);

  const outbox: NewOutboxMessage[] = [];
  const audit: NewAuditEntry[] = [
    {
      at: now,
      actorType: 'CUSTOMER',
      actorId: survey.customerId,
      action: 'survey.answered',
      entityType: 'SurveyInstance',
      entityId: survey.id,
      details: { surveyKey: definition.key, score: scored.score, satisfaction: scored.satisfaction, channel: 'web' },
    },
  ];
  // Dissatisfied answers and complaint words in the comment escalate (policy rules, bot/core/escalation).
  const { escalation, outbox: notices, audit: escalationAudit } = await planSurveyAnswerEscalation(deps, survey, now, { score: scored.score, satisfaction: scored.satisfaction, comment, channel: 'web' });
  outbox.push(...notices);
  audit.push(...escalationAudit);
  const recorded = await deps.surveys.recordSurveyAnswer({
    surveyId: survey.id,
    response: {
      id: deps.ids.next(),
      channel: 'web',
      rawText: comment,
      answers,
      score: scored.score,
      satisfaction: scored.satisfaction,
      inboundEventId: submission.inboundEventId,
      receivedAt: submission.receivedAt,
    },
    // A customer survey always has a required scored question (the loader checks), so this is set.
    followUpOutcome: scored.satisfaction ?? 'NEUTRAL',
    escalation,
    outbox,
    audit,
  });
  if (!recorded) throw new DomainError('SURVEY_ALREADY_ANSWERED', 'This survey has already been answered', {});
  if (escalation) emitEscalationOpened(deps, escalation, now);
  // The answer completes the survey's follow-up: steps anchored on its completion can be planned now.
  if (survey.followUpId) await planStepsAfterFollowUp(deps, survey.followUpId);
  return { status: 'answered', surveyId: survey.id, score: scored.score, satisfaction: scored.satisfaction, escalated: escalation !== null };
}

/** The free-text answers, in question order, as one text (the response's raw text and the escalation note). */
export function textAnswers(definition: SurveyDefinition, answers: Readonly<Record<string, unknown>>): string | null {
  const texts = definition.questions.filter((q) => q.type === 'text' && typeof answers[q.key] === 'string').map((q) => answers[q.key] as string);
  return texts.length > 0 ? texts.join('\n') : null;
}
