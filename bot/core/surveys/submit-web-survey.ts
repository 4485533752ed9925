import { DomainError } from '../errors.js';
import type { CoreDeps } from '../ports.js';
import { answerSurvey } from './record-sms-reply.js';

export interface WebSurveySubmission {
  token: string;
  score: number;
  comment: string | null;
  receivedAt: Date;
  inboundEventId: string | null;
}

/**
 * Records a survey submitted on the web page behind the SMS link. The link token identifies the
 * survey; an unknown token, an expired survey, and a second submission are DomainErrors
 * (`SURVEY_TOKEN_UNKNOWN`, `SURVEY_TOKEN_EXPIRED`, `SURVEY_ALREADY_ANSWERED`).
 */
export async function submitWebSurvey(deps: CoreDeps, submission: WebSurveySubmission) {
  if (!Number.isInteger(submission.score) || submission.score < 1 || submission.score > 5) {
    throw new DomainError('VALIDATION_FAILED', 'score must be an integer from 1 to 5', { field: 'score' });
  }
  const survey = await deps.surveys.findSurveyByToken(submission.token);
  if (!survey) throw new DomainError('SURVEY_TOKEN_UNKNOWN', 'This survey link is not valid', {});
  if (survey.status === 'ANSWERED') throw new DomainError('SURVEY_ALREADY_ANSWERED', 'This survey has already been answered', {});
  if (survey.status === 'EXPIRED' || survey.expiresAt <= deps.clock.now()) {
    throw new DomainError('SURVEY_TOKEN_EXPIRED', 'This survey has expired', {});
  }
  const result = await answerSurvey(deps, survey, {
    channel: 'web',
    customerId: survey.customerId,
    score: submission.score,
    comment: submission.comment,
    rawText: submission.comment,
    inboundEventId: submission.inboundEventId,
    receivedAt: submission.receivedAt,
  });
  if (!result.recorded) throw new DomainError('SURVEY_ALREADY_ANSWERED', 'This survey has already been answered', {});
  return { status: 'answered' as const, surveyId: survey.id, score: submission.score, satisfaction: result.satisfaction, escalated: result.escalated };
}
