import type { OutboundMessage } from '../messages.js';
import type { CustomerChannelAvailability } from '../deps.js';
import type { CustomerRecord, NewOutboxMessage } from '../records.js';
import type { Offset, PolicyStep } from '../policies/types.js';
import type { TokenGenerator } from '../clock.js';

/**
 * The survey channel chain (pure). A customer survey step names the channels to try, in order
 * (`channels`, default: the step's `channel`, then the other customer channel); the invitation goes
 * out on the first one the customer can receive. An invitation that does not reach the customer
 * falls back to the next channel of the chain the customer can receive ({@link nextSurveyChannel}):
 * a WeChat invitation that fails for good or stays unopened for `fallbackAfter`, a WeCom
 * customer-contact (客户联系) invitation WeCom refuses, the member does not send in time, or the member
 * sent but the customer leaves unopened for `fallbackAfter` after that send. An SMS
 * invitation is the end of a chain: nothing follows it. Nobody gets two channels at once unless the
 * step says `bothChannels: true`.
 */

/**
 * The channels a customer survey can go out on. `wecom_contact`: a message the member who has the
 * customer as a WeCom external contact sends them (客户联系); it falls back to the next channel when it
 * fails, or when the member has not sent it in time (bot/core/contacts/collect-contact-results.ts).
 */
export type SurveyChannel = 'wechat' | 'sms' | 'wecom_contact';

/** How a survey step is delivered, with the defaults applied. */
export interface SurveyDelivery {
  /** Channels in order of preference. */
  channels: readonly SurveyChannel[];
  /**
   * How long a WeChat invitation (or a 客户联系 message, from the member's send) may stay unopened before
   * the next channel of the chain takes over.
   */
  fallbackAfter: Offset;
  /** Send on every channel the customer can receive, at once (no fallback needed). */
  bothChannels: boolean;
}

/** Default wait for a WeChat or sent 客户联系 invitation to be opened before the next channel of the chain takes over. */
export const DEFAULT_FALLBACK_AFTER: Offset = { amount: 24, unit: 'hours' };

/**
 * Digits of an SMS reply code (Tencent `ExtendCode`, appended to the sending port number). Tencent
 * documents only "digits"; the whole port number is limited by the carriers, so the code is short,
 * and it is released when its survey is answered or expires.
 */
export const REPLY_CODE_DIGITS = 6;

/** Candidates drawn per survey: the store keeps the first one no other survey holds. */
export const REPLY_CODE_CANDIDATES = 4;

/** What decides whether a customer can receive on a channel. */
export type ReachableCustomer = Pick<CustomerRecord, 'wechatOpenId' | 'phoneE164' | 'phoneInvalidAt' | 'wecomExternalId' | 'wecomFollowUserId'>;

/** The customer's WeCom external contact as a message address, when matched. */
export function wecomContactOf(customer: Pick<CustomerRecord, 'wecomExternalId' | 'wecomFollowUserId'>): { externalUserId: string; followUserId: string } | null {
  return customer.wecomExternalId && customer.wecomFollowUserId ? { externalUserId: customer.wecomExternalId, followUserId: customer.wecomFollowUserId } : null;
}

/** The step's delivery with defaults: `channels` from the step, else its `channel` then the other one. */
export function surveyDeliveryOf(step: Pick<PolicyStep, 'channel' | 'channels' | 'fallbackAfter' | 'bothChannels'> | undefined): SurveyDelivery {
  const first: SurveyChannel = step?.channel === 'wechat' ? 'wechat' : 'sms';
  const channels: readonly SurveyChannel[] = step?.channels && step.channels.length > 0 ? step.channels : [first, first === 'wechat' ? 'sms' : 'wechat'];
  return { channels, fallbackAfter: step?.fallbackAfter ?? DEFAULT_FALLBACK_AFTER, bothChannels: step?.bothChannels ?? false };
}

/** Whether the customer can receive a survey on `channel` (address present and usable, channel live). */
export function canReceive(channel: SurveyChannel, customer: ReachableCustomer, available: CustomerChannelAvailability): boolean {
  if (channel === 'wechat') return available.wechat && Boolean(customer.wechatOpenId);
  if (channel === 'wecom_contact') return (available.wecomContact ?? false) && Boolean(customer.wecomExternalId && customer.wecomFollowUserId);
  return available.sms && Boolean(customer.phoneE164) && !customer.phoneInvalidAt;
}

/**
 * The channels an invitation goes out on now: the first receivable channel of the chain, plus (only
 * with `bothChannels`) every other receivable one. Null when the customer can receive none.
 */
export function planSurveyChannels(
  delivery: SurveyDelivery,
  customer: ReachableCustomer,
  available: CustomerChannelAvailability,
): { primary: SurveyChannel; also: SurveyChannel[] } | null {
  const reachable = delivery.channels.filter((c, i, all) => all.indexOf(c) === i && canReceive(c, customer, available));
  const [primary, ...rest] = reachable;
  if (!primary) return null;
  return { primary, also: delivery.bothChannels ? rest : [] };
}

/** A numeric reply code derived from a random token (base64url), first digit 1–9. */
export function replyCodeFromToken(token: string, digits = REPLY_CODE_DIGITS): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const lowest = 10 ** (digits - 1);
  const span = 9 * lowest;
  // The token read as a base-64 number, modulo `span` at each digit: the same remainder as of the whole number,
  // with every step exact in a double (span × 64 stays far below 2^53 for the codes' lengths).
  let value = 0;
  for (const ch of token) {
    const v = alphabet.indexOf(ch);
    if (v >= 0) value = (value * 64 + v) % span;
  }
  return String(lowest + value);
}

/** Fresh candidate reply codes from the token generator. */
export function replyCodeCandidates(tokens: TokenGenerator, count = REPLY_CODE_CANDIDATES): string[] {
  return Array.from({ length: count }, () => replyCodeFromToken(tokens.token(9)));
}

/** Outbox key of a survey's SMS invitation that accompanies or replaces the first one. */
export function smsInviteKey(primaryKey: string): string {
  return chainInviteKey(primaryKey, 'sms');
}

const CHANNEL_SUFFIX = /:(wechat|sms|wecom_contact)$/;

/**
 * Outbox key of a survey's invitation on `channel` other than the first: the first invitation's key
 * (`fu:<id>:<n>`) with `:<channel>` appended, whichever invitation it follows — so each survey has at
 * most one invitation per channel, whatever route the chain took (`fu:<id>:<n>:sms` as before).
 */
export function chainInviteKey(key: string, channel: SurveyChannel): string {
  return `${key.replace(CHANNEL_SUFFIX, '')}:${channel}`;
}

/** A survey invitation message. */
export type SurveyInvite = Extract<OutboundMessage, { kind: 'survey_invite' }>;

/**
 * The next channel of the invitation's chain after `from` that the customer can receive now, or null
 * when none is left (or `from` is SMS, the end of every chain). `chain` absent (invitations queued by
 * earlier versions): SMS. A chain that no longer names `from` (the pack changed since): SMS if it names it.
 */
export function nextSurveyChannel(
  chain: readonly SurveyChannel[] | undefined,
  from: SurveyChannel,
  customer: ReachableCustomer,
  available: CustomerChannelAvailability,
): SurveyChannel | null {
  if (from === 'sms') return null;
  const at = chain ? chain.indexOf(from) : -1;
  const rest: readonly SurveyChannel[] = at >= 0 ? chain!.slice(at + 1) : !chain || chain.includes('sms') ? ['sms'] : [];
  return rest.find((c) => c !== from && canReceive(c, customer, available)) ?? null;
}

/**
 * The survey invitation as sent on `channel`, built from its form on any other channel: the same
 * survey, link, SMS parameters, contact terms and chain, addressed and worded for `channel` (the SMS
 * text for SMS, with a reply code the store sets when it commits; the WeChat wording and template
 * data for WeChat; the WeChat wording, sent by the member, for 客户联系). Null when the customer has no
 * address on that channel.
 */
export function surveyInviteOn(channel: SurveyChannel, invite: SurveyInvite, customer: ReachableCustomer): SurveyInvite | null {
  const { templateData, smsText, chatText, replyCode: _replyCode, to, ...rest } = invite;
  const phone = customer.phoneE164 ? { phoneE164: customer.phoneE164 } : {};
  const base = { customerId: to.customerId, ...phone };
  const forms = { ...(smsText ? { smsText } : {}), ...(chatText ? { chatText } : {}) };
  if (channel === 'sms') return customer.phoneE164 ? { ...rest, text: smsText ?? invite.text, to: base, replyCode: null } : null;
  // Invitations queued by earlier versions carry no `chatText`: a WeChat or 客户联系 text is already WeChat-worded.
  const text = chatText ?? invite.text;
  if (channel === 'wechat') {
    return customer.wechatOpenId ? { ...rest, ...forms, ...(templateData ? { templateData } : {}), text, to: { ...base, openId: customer.wechatOpenId } } : null;
  }
  const contact = wecomContactOf(customer);
  return contact ? { ...rest, ...forms, ...(templateData ? { templateData } : {}), text, to: { ...base, wecomContact: contact } } : null;
}

/**
 * The SMS form of a survey invitation: the same survey, link and SMS parameters, addressed to the
 * customer's phone. Its reply code is set by the store when it commits (`replyCode` null here).
 */
export function smsInviteOf(invite: SurveyInvite, phoneE164: string): SurveyInvite {
  return surveyInviteOn('sms', invite, { phoneE164, phoneInvalidAt: null, wechatOpenId: null, wecomExternalId: null, wecomFollowUserId: null })!;
}

/**
 * The invitation on `channel` that replaces `primary` (`fallbackOfId`), keyed {@link chainInviteKey},
 * or null when the customer cannot receive on `channel` (no address, address invalid, channel not available).
 */
export function surveyFallbackFor(
  channel: SurveyChannel,
  primary: { id: string; idempotencyKey: string; message: OutboundMessage; followUpId: string | null },
  customer: CustomerRecord,
  available: CustomerChannelAvailability,
  now: Date,
): NewOutboxMessage | null {
  if (primary.message.kind !== 'survey_invite' || !canReceive(channel, customer, available)) return null;
  const message = surveyInviteOn(channel, primary.message, customer);
  if (!message) return null;
  return {
    idempotencyKey: chainInviteKey(primary.idempotencyKey, channel),
    channel,
    recipientType: 'customer',
    recipientId: customer.id,
    followUpId: primary.followUpId,
    nextAttemptAt: now,
    fallbackOfId: primary.id,
    message,
  };
}

/**
 * The SMS invitation that replaces another one (`fallbackOfId`), or null when the customer cannot
 * receive SMS (no number, number invalid, SMS not available).
 */
export function smsFallbackFor(
  primary: { id: string; idempotencyKey: string; message: OutboundMessage; followUpId: string | null },
  customer: CustomerRecord,
  available: CustomerChannelAvailability,
  now: Date,
): NewOutboxMessage | null {
  return surveyFallbackFor('sms', primary, customer, available, now);
}

/** All channels available (the default when the composition root does not say). */
export const ALL_CUSTOMER_CHANNELS: CustomerChannelAvailability = Object.freeze({ wechat: true, sms: true });
