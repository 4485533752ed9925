import type { CoreDeps } from '../deps.js';
import type { DeadLetterHook } from '../ports/outbox.js';
import { customerMessageDeadLetter } from '../outbox/customer-dead-letter.js';
import { ALL_CUSTOMER_CHANNELS, replyCodeCandidates, smsFallbackFor } from './channel-chain.js';

/**
 * What follows a survey invitation that died: an invalid phone is marked (as for every customer
 * message), and a WeChat invitation that failed for good is replaced by an SMS invitation (same survey
 * and link, a reply code), committed with the DEAD mark; so is a WeCom customer-contact (客户联系)
 * invitation WeCom refused (over the customer's group-message quota, no longer a contact …). No replacement when the customer cannot
 * receive SMS; the store skips it when the survey is no longer open or already has its SMS.
 */
export function surveyInviteDeadLetter(deps: Pick<CoreDeps, 'tokens' | 'customerChannels'>): DeadLetterHook {
  return (dead) => {
    const action = customerMessageDeadLetter(dead);
    const { message, customer, now, errorCode } = dead;
    if ((message.channel !== 'wechat' && message.channel !== 'wecom_contact') || message.message.kind !== 'survey_invite' || !customer) return action;
    const sms = smsFallbackFor(
      { id: message.id, idempotencyKey: message.idempotencyKey, message: message.message, followUpId: message.followUpId ?? null },
      customer,
      deps.customerChannels ?? ALL_CUSTOMER_CHANNELS,
      now,
    );
    if (!sms) return action;
    const fallback = {
      surveyId: message.message.surveyId,
      replyCodes: replyCodeCandidates(deps.tokens),
      message: sms,
      audit: {
        at: now,
        actorType: 'SYSTEM' as const,
        actorId: null,
        action: 'survey.fallback',
        entityType: 'SurveyInstance',
        entityId: message.message.surveyId,
        details: { from: message.channel, to: 'sms', reason: message.channel === 'wechat' ? 'WECHAT_FAILED' : 'WECOM_CONTACT_FAILED', errorCode, outboxId: message.id },
      },
    };
    return { ...action, replacement: { kind: 'survey_sms', fallback } };
  };
}
