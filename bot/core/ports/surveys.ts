import type { FollowUpOutcome, Satisfaction } from '../model.js';
import type { NewAuditEntry, NewEscalation, NewOutboxMessage, SurveyRecord } from '../records.js';

/** Customer surveys: finding the survey a reply or a page belongs to, and recording answers once. */
/** A survey as its web page needs it. */
export interface SurveyPageRecord extends SurveyRecord {
  openedAt: Date | null;
  /** Answers saved before submitting (field → value), or null. */
  draft: Record<string, string | string[]> | null;
  customer: { name: string; salutation: string | null };
}

export interface SurveyStore {
  /** The survey behind a link's token, with its draft and how to address the customer; null when unknown. */
  findSurveyPage(token: string): Promise<SurveyPageRecord | null>;
  /** Saves partial answers while the survey is OPEN and unexpired at `now`; false when it no longer is. */
  saveSurveyDraft(surveyId: string, draft: Record<string, string | string[]>, now: Date): Promise<boolean>;
  /** The customer's most recently sent survey that is still OPEN and not expired at `now`. */
  findLatestOpenSurvey(customerId: string, now: Date): Promise<SurveyRecord | null>;
  findSurveyByToken(token: string): Promise<SurveyRecord | null>;
  /** The survey whose SMS went out with this extend code (`SurveyInstance.replyCode`), whatever its status. */
  findSurveyByReplyCode(replyCode: string): Promise<SurveyRecord | null>;
  /**
   * Records an answer: the response row, survey ANSWERED, and (if the survey's follow-up is still open)
   * its completion — all in one transaction, guarded so a replay records nothing twice.
   */
  recordSurveyAnswer(input: {
    surveyId: string;
    response: {
      id: string;
      channel: string;
      rawText: string | null;
      answers: Record<string, unknown>;
      score: number | null;
      satisfaction: Satisfaction | null;
      inboundEventId: string | null;
      receivedAt: Date;
    };
    followUpOutcome: FollowUpOutcome;
    escalation: NewEscalation | null;
    outbox: NewOutboxMessage[];
    audit: NewAuditEntry[];
  }): Promise<boolean>;
  /** Keeps a reply that is not an answer, without closing the survey. */
  recordUnparsedReply(input: { surveyId: string; responseId: string; rawText: string; inboundEventId: string | null; receivedAt: Date }): Promise<void>;
  /**
   * Records the first time the customer opened the survey page (`SurveyInstance.openedAt`); later
   * calls change nothing. Returns true only for the call that set it. An opened WeChat invitation is
   * never followed by the SMS fallback.
   */
  markSurveyOpened(surveyId: string, at: Date): Promise<boolean>;
  /** Ends customer surveys past their deadline unanswered (NO_RESPONSE) and expires their links; returns counts. */
  expireSurveys(now: Date): Promise<{ expiredSurveys: number }>;
}
