import { DomainError } from '../errors.js';
import type { CoreDeps } from '../deps.js';
import type { StaffSurveyAnswer } from '../ports/follow-ups.js';
import type { FollowUpContext } from '../records.js';
import type { StaffAction } from './status.js';
import { findStep } from '../policies/find-step.js';
import { DEFAULT_SURVEY_KEY, readAnswers, type RawAnswers, type SurveyDefinition } from '../surveys/definitions.js';
import { scoreAnswers } from '../surveys/score.js';
import { textAnswers } from '../surveys/submit-web-survey.js';
import { reportStaffOutcome, type StaffOutcomeResult } from './record-staff-outcome.js';

/** What the staff 详情 form submitted for activation n of a follow-up (the signed link identifies both). */
export interface StaffFormSubmission {
  followUpId: string;
  activation: number;
  /** 已回访·满意, 已回访·不满意, 未接通, 改期. */
  action: StaffAction;
  /** For 改期: when to call again (the time the customer named). */
  rescheduleTo: Date | null;
  note: string | null;
  /** The questionnaire's fields as submitted (`q_<question key>`). */
  answers: RawAnswers;
  receivedAt: Date;
  inboundEventId: string | null;
  /**
   * When the form's 拨打 revealed the number for this activation (the call this submission records:
   * 未接通 is an unanswered call, any other outcome an answered one), or null when no call was started
   * from the form (the outcome is recorded all the same; docs/staff-form.md "拨打").
   */
  calledAt?: Date | null;
}

export type StaffFormResult = StaffOutcomeResult & { surveyRecorded?: boolean };

/**
 * The questionnaire a staff task's form shows: the step's `surveyKey`, else the default 1–5 survey.
 * Pure lookup; null only when neither definition is loaded.
 */
export function staffQuestionnaire(deps: Pick<CoreDeps, 'policies' | 'surveyDefinitions'>, ctx: FollowUpContext): SurveyDefinition | null {
  const step = findStep(deps.policies.byId(ctx.followUp.policyId), ctx.followUp.step);
  return deps.surveyDefinitions.get(step?.surveyKey ?? DEFAULT_SURVEY_KEY) ?? deps.surveyDefinitions.get(DEFAULT_SURVEY_KEY) ?? null;
}

/**
 * Records a staff task's 详情 form exactly as a tap on the card's button would (same checks, card
 * update, escalation, compare-and-set — see `reportStaffOutcome`), and with an answered outcome also
 * the answers taken during the call: one SurveyResponse (channel `staff_phone`) on the follow-up's
 * survey, in the same transaction. A form of a superseded card (`STALE_CARD`) or of a follow-up
 * already recorded (`already_recorded`) changes nothing.
 */
export async function recordStaffForm(deps: CoreDeps, form: StaffFormSubmission): Promise<StaffFormResult> {
  const ctx = await deps.followUps.findFollowUpContext(form.followUpId);
  if (!ctx) throw new DomainError('UNKNOWN_TASK', 'The form refers to no known follow-up', { followUpId: form.followUpId });
  const definition = staffQuestionnaire(deps, ctx);
  let surveyAnswer: StaffSurveyAnswer | null = null;
  if (definition && (form.action === 'satisfied' || form.action === 'dissatisfied')) {
    // A customer on the phone may decline a question: nothing is required, but what is given must fit.
    const { answers, errors } = readAnswers(definition, form.answers, { enforceRequired: false });
    if (Object.keys(errors).length > 0) throw new DomainError('VALIDATION_FAILED', 'Some answers are not valid', { fields: Object.keys(errors) });
    if (Object.keys(answers).length > 0) {
      const scored = scoreAnswers(definition, answers);
      surveyAnswer = {
        newSurvey: { id: deps.ids.next(), token: deps.tokens.token(18), surveyKey: definition.key, customerId: ctx.customer.id, expiresAt: ctx.followUp.deadlineAt },
        response: {
          id: deps.ids.next(),
          channel: 'staff_phone',
          rawText: textAnswers(definition, answers),
          answers,
          score: scored.score,
          satisfaction: scored.satisfaction,
          inboundEventId: form.inboundEventId,
          receivedAt: form.receivedAt,
        },
      };
    }
  }
  const result = await reportStaffOutcome(deps, {
    followUpId: form.followUpId,
    activation: form.activation,
    action: form.action,
    reporter: 'assignee',
    // A form submission has no WeCom response code: the card is "updated" by a text notice instead.
    responseCode: null,
    inboundEventId: form.inboundEventId,
    note: form.note,
    rescheduleTo: form.action === 'reschedule' ? form.rescheduleTo : null,
    surveyAnswer,
    call: form.calledAt ? { startedAt: form.calledAt } : null,
  });
  return result.status === 'recorded' ? { ...result, surveyRecorded: surveyAnswer !== null } : result;
}
