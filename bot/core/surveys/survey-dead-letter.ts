import type { CoreDeps } from '../deps.js';
import type { DeadLetterHook } from '../ports/outbox.js';
import { customerMessageDeadLetter } from '../outbox/customer-dead-letter.js';
import { ALL_CUSTOMER_CHANNELS, nextSurveyChannel, replyCodeCandidates, surveyFallbackFor, type SurveyChannel } from './channel-chain.js';

/**
 * What follows a survey invitation that died: an invalid phone is marked (as for every customer
 * message), and a WeChat or WeCom customer-contact (客户联系) invitation that failed for good (WeChat
 * refused it; WeCom refused the group send: over the customer's group-message quota, no longer a
 * contact …) is replaced by the invitation on the next channel of its chain the customer can receive
 * (`nextSurveyChannel`: 客户联系 after WeChat when the customer is their member's external contact,
 * else SMS with a reply code …), committed with the DEAD mark. No replacement when no channel is left;
 * the store skips it when the survey is no longer open, or has moved on from this invitation's channel.
 * Nothing follows a dead SMS invitation (the end of every chain).
 */
export function surveyInviteDeadLetter(deps: Pick<CoreDeps, 'tokens' | 'customerChannels'>): DeadLetterHook {
  return (dead) => {
    const action = customerMessageDeadLetter(dead);
    const { message, customer, now, errorCode } = dead;
    if ((message.channel !== 'wechat' && message.channel !== 'wecom_contact') || message.message.kind !== 'survey_invite' || !customer) return action;
    const from: SurveyChannel = message.channel;
    const available = deps.customerChannels ?? ALL_CUSTOMER_CHANNELS;
    // The chain planned with the invitation; one queued by an earlier version falls back to SMS.
    const next = nextSurveyChannel(message.message.chain, from, customer, available);
    const replacement = next
      ? surveyFallbackFor(next, { id: message.id, idempotencyKey: message.idempotencyKey, message: message.message, followUpId: message.followUpId ?? null }, customer, available, now)
      : null;
    if (!next || !replacement) return action;
    const fallback = {
      surveyId: message.message.surveyId,
      from,
      replyCodes: next === 'sms' ? replyCodeCandidates(deps.tokens) : [],
      message: replacement,
      audit: {
        at: now,
        actorType: 'SYSTEM' as const,
        actorId: null,
        action: 'survey.fallback',
        entityType: 'SurveyInstance',
        entityId: message.message.surveyId,
        details: { from, to: next, reason: from === 'wechat' ? 'WECHAT_FAILED' : 'WECOM_CONTACT_FAILED', errorCode, outboxId: message.id },
      },
    };
    // The kind keeps its first name: the replacement is the next channel's invitation, SMS or not.
    return { ...action, replacement: { kind: 'survey_sms', fallback } };
  };
}
