import type { CustomerRecord, NewAuditEntry, NewOutboxMessage } from '../records.js';
import type { OutboundMessage } from '../messages.js';

/** A survey waiting to see whether its WeChat invitation is opened (see `listUnopenedWechatSurveys`). */
export interface UnopenedWechatSurvey {
  surveyId: string;
  followUpId: string | null;
  policyId: string | null;
  step: string | null;
  sentAt: Date;
  customer: CustomerRecord;
  /** The WeChat invitation row, when there is one. */
  invite: { id: string; idempotencyKey: string; status: string; message: OutboundMessage } | null;
}

/** An SMS invitation that replaces (or follows) a survey's WeChat invitation. */
export interface SurveyFallback {
  surveyId: string;
  /** Candidate reply codes, tried in order; the chosen one is set on the survey and on `message`. */
  replyCodes: readonly string[];
  /** The SMS `survey_invite`, with `fallbackOfId` set to the WeChat invitation. */
  message: NewOutboxMessage;
  /** The WeChat invitation to cancel if it has not been sent yet. */
  cancelPendingId?: string;
  audit: NewAuditEntry;
}

/**
 * The WeChat → SMS fallback of survey invitations. Every change is conditional on the survey's state
 * (OPEN, never opened, no reply code yet), so two replicas doing the same fallback enqueue one SMS.
 */
export interface SurveyFallbackStore {
  /**
   * Open, unexpired surveys invited by WeChat only (no reply code yet), never opened, sent at or
   * before `sentBefore`: the candidates for the "not opened in time" SMS fallback. Ordered by id,
   * after `afterId`; walks the (status, expiresAt) index.
   */
  listUnopenedWechatSurveys(input: { now: Date; sentBefore: Date; afterId: string | null; limit: number }): Promise<UnopenedWechatSurvey[]>;
  /**
   * Switches a survey to SMS: in one transaction, gives the survey the first free reply code, cancels
   * its WeChat invitation if that is still PENDING, and enqueues the SMS invitation. Does nothing
   * (`not_needed`) if the survey is no longer OPEN, was opened, or already has a reply code (another
   * replica did it); `busy` while the WeChat invitation is being sent.
   */
  commitSurveyFallback(fallback: SurveyFallback): Promise<'enqueued' | 'not_needed' | 'busy'>;
  /**
   * The survey a WeChat or WeCom customer-contact (客户联系) invitation (outbox row) belongs to, when it is
   * still OPEN, unopened and without a reply code.
   */
  findWechatInviteSurvey(outboxId: string): Promise<UnopenedWechatSurvey | null>;
}
