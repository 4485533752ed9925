import type { CustomerRecord, NewAuditEntry, NewOutboxMessage } from '../records.js';
import type { OutboundMessage } from '../messages.js';

/** A survey waiting to see whether its WeChat or 客户联系 invitation is opened (see `listUnopenedSurveys`). */
export interface UnopenedSurvey {
  surveyId: string;
  followUpId: string | null;
  policyId: string | null;
  step: string | null;
  sentAt: Date;
  customer: CustomerRecord;
  /**
   * The invitation row (its channel: the survey's current one), when there is one. `deliveredAt`: when
   * the provider reported it delivered — for 客户联系, when the member sent it (null until then).
   */
  invite: { id: string; idempotencyKey: string; status: string; channel: string; message: OutboundMessage; deliveredAt: Date | null } | null;
}

/**
 * An invitation on the next channel of the chain that replaces a survey's current one (a WeChat or
 * WeCom customer-contact invitation that failed or was not opened in time).
 */
export interface SurveyFallback {
  surveyId: string;
  /**
   * The channel of the invitation replaced: the change applies only while it is still the survey's
   * channel (`SurveyInstance.channel`), so each hop of the chain happens once.
   */
  from: string;
  /** Candidate reply codes, tried in order, when `message` is an SMS: the chosen one is set on the survey and on `message`. */
  replyCodes: readonly string[];
  /** The next `survey_invite` (its channel the survey's new one), with `fallbackOfId` set to the invitation replaced. */
  message: NewOutboxMessage;
  /** The invitation replaced, cancelled if it has not been sent yet. */
  cancelPendingId?: string;
  audit: NewAuditEntry;
}

/**
 * The fallback of survey invitations along their channel chain. Every change is conditional on the
 * survey's state (OPEN, never opened, no reply code yet, still on the channel being replaced), so two
 * replicas doing the same fallback enqueue one invitation.
 */
export interface SurveyFallbackStore {
  /**
   * Open, unexpired surveys whose current channel is WeChat or WeCom customer contact (客户联系) (no reply
   * code yet), never opened, sent at or before `sentBefore`: the candidates for the "not opened in time"
   * fallback to the next channel of the chain. Ordered by id, after `afterId`; walks the (status,
   * channel, sentAt) index.
   */
  listUnopenedSurveys(input: { now: Date; sentBefore: Date; afterId: string | null; limit: number }): Promise<UnopenedSurvey[]>;
  /**
   * Moves a survey to the next channel: in one transaction, sets the survey's channel (and, for SMS,
   * gives it the first free reply code; for another channel, `sentAt` = now, from which its own wait
   * is counted), cancels the invitation replaced if that is still PENDING, and enqueues the new one.
   * Does nothing (`not_needed`) if the survey is no longer OPEN, was opened, already has a reply code
   * or is no longer on `from` (another replica did it); `busy` while the invitation replaced is being sent.
   */
  commitSurveyFallback(fallback: SurveyFallback): Promise<'enqueued' | 'not_needed' | 'busy'>;
  /**
   * The survey a WeChat or WeCom customer-contact (客户联系) invitation (outbox row) belongs to, when it is
   * still OPEN, unopened, without a reply code, and that invitation's channel is still the survey's.
   */
  findWechatInviteSurvey(outboxId: string): Promise<UnopenedSurvey | null>;
}
