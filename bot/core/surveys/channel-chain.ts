import type { OutboundMessage } from '../messages.js';
import type { CustomerChannelAvailability } from '../deps.js';
import type { CustomerRecord, NewOutboxMessage } from '../records.js';
import type { Offset, PolicyStep } from '../policies/types.js';
import type { TokenGenerator } from '../clock.js';

/**
 * The survey channel chain (pure). A customer survey step names the channels to try, in order
 * (`channels`, default: the step's `channel`, then the other customer channel); the invitation goes
 * out on the first one the customer can receive. A WeChat invitation falls back to SMS when it fails
 * for good, or when the customer has not opened the survey within `fallbackAfter`; nobody gets both
 * unless the step says `bothChannels: true`.
 */

/**
 * The channels a customer survey can go out on. `wecom_contact`: a message the member who has the
 * customer as a WeCom external contact sends them (客户联系); it falls back to SMS when it fails, or
 * when the member has not sent it in time (bot/core/contacts/collect-contact-results.ts).
 */
export type SurveyChannel = 'wechat' | 'sms' | 'wecom_contact';

/** How a survey step is delivered, with the defaults applied. */
export interface SurveyDelivery {
  /** Channels in order of preference. */
  channels: readonly SurveyChannel[];
  /** How long a WeChat invitation may stay unopened before the SMS fallback. */
  fallbackAfter: Offset;
  /** Send on every channel the customer can receive, at once (no fallback needed). */
  bothChannels: boolean;
}

/** Default wait for a WeChat invitation to be opened before the SMS goes out. */
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
  let value = 0n;
  for (const ch of token) {
    const v = alphabet.indexOf(ch);
    if (v >= 0) value = value * 64n + BigInt(v);
  }
  const span = 9n * 10n ** BigInt(digits - 1);
  return String(10n ** BigInt(digits - 1) + (value % span));
}

/** Fresh candidate reply codes from the token generator. */
export function replyCodeCandidates(tokens: TokenGenerator, count = REPLY_CODE_CANDIDATES): string[] {
  return Array.from({ length: count }, () => replyCodeFromToken(tokens.token(9)));
}

/** Outbox key of a survey's SMS invitation that accompanies or replaces the WeChat one. */
export function smsInviteKey(primaryKey: string): string {
  return `${primaryKey}:sms`;
}

type SurveyInvite = Extract<OutboundMessage, { kind: 'survey_invite' }>;

/**
 * The SMS form of a survey invitation: the same survey, link and SMS parameters, addressed to the
 * customer's phone. Its reply code is set by the store when it commits (`replyCode` null here).
 */
export function smsInviteOf(invite: SurveyInvite, phoneE164: string): SurveyInvite {
  const { templateData: _wechatOnly, smsText, ...rest } = invite;
  return { ...rest, ...(smsText ? { text: smsText } : {}), to: { customerId: invite.to.customerId, phoneE164 }, replyCode: null };
}

/**
 * The SMS invitation that replaces a WeChat one (`fallbackOfId`), or null when the customer cannot
 * receive SMS (no number, number invalid, SMS not available).
 */
export function smsFallbackFor(
  primary: { id: string; idempotencyKey: string; message: OutboundMessage; followUpId: string | null },
  customer: CustomerRecord,
  available: CustomerChannelAvailability,
  now: Date,
): NewOutboxMessage | null {
  if (primary.message.kind !== 'survey_invite' || !canReceive('sms', customer, available) || !customer.phoneE164) return null;
  return {
    idempotencyKey: smsInviteKey(primary.idempotencyKey),
    channel: 'sms',
    recipientType: 'customer',
    recipientId: customer.id,
    followUpId: primary.followUpId,
    nextAttemptAt: now,
    fallbackOfId: primary.id,
    message: smsInviteOf(primary.message, customer.phoneE164),
  };
}

/** All channels available (the default when the composition root does not say). */
export const ALL_CUSTOMER_CHANNELS: CustomerChannelAvailability = Object.freeze({ wechat: true, sms: true });
