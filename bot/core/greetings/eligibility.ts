/**
 * Who gets a greeting, on which channel, in which segment — or why not. Pure.
 *
 * Greetings are marketing (`customer_notice` with purpose `marketing`, docs/protocols/tencent-sms.md §4.5):
 * the rules are those the dispatcher applies again just before sending (bot/core/outbox/send-consent.ts),
 * called here with the very message that would be sent, so a greeting skipped at planning and one
 * cancelled at send time carry the same reasons.
 */
import type { OutboundMessage } from '../messages.js';
import type { CustomerRecord } from '../records.js';
import { sendConsentBlock, type ConsentBlock } from '../outbox/send-consent.js';
import { channelCarriesGreetings, type GreetingCampaign, type GreetingChannel, type GreetingSegment, type TagFilter } from './campaign.js';

export type { GreetingChannel };

/** A customer as greeting planning needs them. */
export interface GreetingCustomer extends Pick<CustomerRecord, 'id' | 'name' | 'salutation' | 'phoneE164' | 'phoneMasked' | 'wechatOpenId' | 'optedOutAt' | 'deceasedAt' | 'wecomExternalId' | 'wecomFollowUserId'> {
  consentMarketing: boolean;
  consentSurvey: boolean;
  phoneInvalidAt: Date | null;
  tags: readonly string[];
  /** `YYYY-MM-DD` or `MM-DD`, as imports store it. */
  birthday: string | null;
  /** Types of the customer's OPEN cases. */
  openCaseTypes: readonly string[];
}

/**
 * Why a customer of the audience gets no greeting (`GreetingDelivery.skipReason`):
 * - `OPTED_OUT` — the customer opted out (any channel, any campaign);
 * - `NO_CONSENT` — no explicit marketing consent (`consentMarketing`);
 * - `DECEASED` — reported deceased;
 * - `INVALID_NUMBER` — the only possible channel is SMS and the provider reported the number invalid;
 * - `NO_ADDRESS` — neither a WeChat openid nor a phone number on a channel in use;
 * - `ALREADY_GREETED` — another campaign already greets the customer for this occasion;
 * - `WINDOW_MISSED` — the send window passed before the greeting could go out (service down, provider
 *   deferrals): a late greeting is not sent.
 */
export type GreetingSkipReason = 'OPTED_OUT' | 'NO_CONSENT' | 'DECEASED' | 'INVALID_NUMBER' | 'NO_ADDRESS' | 'ALREADY_GREETED' | 'WINDOW_MISSED';

export const GREETING_SKIP_REASONS: readonly GreetingSkipReason[] = ['OPTED_OUT', 'NO_CONSENT', 'DECEASED', 'INVALID_NUMBER', 'NO_ADDRESS', 'ALREADY_GREETED', 'WINDOW_MISSED'];

/** Chinese labels for reports. */
export const SKIP_REASON_LABELS: Readonly<Record<string, string>> = {
  OPTED_OUT: '已退订',
  NO_CONSENT: '未同意接收营销信息',
  DECEASED: '客户已故',
  INVALID_NUMBER: '号码无效',
  NO_ADDRESS: '无可用联系方式',
  ALREADY_GREETED: '已由其他活动问候',
  WINDOW_MISSED: '错过发送时段',
};

/** The dispatcher's consent codes (send-consent.ts) as greeting skip reasons. */
const CONSENT_TO_SKIP: Readonly<Record<ConsentBlock, GreetingSkipReason>> = {
  CUSTOMER_DECEASED: 'DECEASED',
  CUSTOMER_OPTED_OUT: 'OPTED_OUT',
  NO_MARKETING_CONSENT: 'NO_CONSENT',
  NO_SURVEY_CONSENT: 'NO_CONSENT',
};

/**
 * The skip reason for an outbox row that ended without being sent, from its `lastErrorCode`: the
 * dispatcher's consent cancellations, the outbox's cancellation of SMS to an invalid phone
 * (`PHONE_INVALID`), an opt-out cancelling pending messages, a provider's invalid-number answer, a
 * missing address, or a window that closed. Other codes are kept as they are (provider failures).
 */
export function skipReasonOfOutboxCode(code: string | null | undefined): string {
  switch (code) {
    case 'CUSTOMER_DECEASED':
    case 'CUSTOMER_OPTED_OUT':
    case 'NO_MARKETING_CONSENT':
    case 'NO_SURVEY_CONSENT':
      return CONSENT_TO_SKIP[code];
    case 'PHONE_INVALID':
    case 'INVALID_NUMBER':
      return 'INVALID_NUMBER';
    case 'NO_ADDRESS':
    case 'NO_OPENID':
      return 'NO_ADDRESS';
    case 'SEND_WINDOW_CLOSED':
      return 'WINDOW_MISSED';
    default:
      return code ?? 'UNKNOWN';
  }
}

/** Whether the customer's tags pass the filter. */
export function matchesTags(tags: readonly string[], filter: TagFilter): boolean {
  if (filter.anyOf.length > 0 && !filter.anyOf.some((t) => tags.includes(t))) return false;
  if (!filter.allOf.every((t) => tags.includes(t))) return false;
  return !filter.noneOf.some((t) => tags.includes(t));
}

/** Whether the customer belongs to the campaign's audience, and if so their segment (first match). */
export function segmentOf(campaign: Pick<GreetingCampaign, 'audience' | 'segments'>, customer: Pick<GreetingCustomer, 'tags' | 'openCaseTypes'>): GreetingSegment | null {
  if (!matchesTags(customer.tags, campaign.audience.tags)) return null;
  const active = campaign.audience.activeCases;
  if (active) {
    const open = active.caseTypes.length === 0 ? customer.openCaseTypes.length > 0 : customer.openCaseTypes.some((t) => active.caseTypes.includes(t));
    if (!open) return null;
  }
  return campaign.segments.find((s) => matchesTags(customer.tags, s.tags)) ?? null;
}

/** Which customer channels are in use (a sandboxed channel next to a live one reaches nobody). */
export type UsableChannels = Readonly<Record<'wechat' | 'sms', boolean> & { wecom_contact?: boolean }>;

export type GreetingDecision =
  | { send: true; channel: GreetingChannel }
  | { send: false; reason: GreetingSkipReason };

/**
 * Whether the customer may be greeted now and on which channel: consent first (deceased, opted out,
 * marketing consent — as the dispatcher checks them), then the first channel of the campaign's order that
 * may carry a greeting and the customer can receive (SMS: a phone the provider has not reported invalid).
 * A channel that cannot carry marketing (WeChat template messages) is never chosen, whatever the list says,
 * so no greeting is sent where it would be refused and lost.
 */
export function decideGreeting(customer: GreetingCustomer, channels: readonly GreetingChannel[], usable: UsableChannels): GreetingDecision {
  const probe: OutboundMessage = { kind: 'customer_notice', to: { customerId: customer.id }, templateKey: '', params: [], text: '', purpose: 'marketing' };
  const blocked = sendConsentBlock(probe, customer, 'all');
  if (blocked) return { send: false, reason: CONSENT_TO_SKIP[blocked] };
  for (const channel of channels) {
    if (!usable[channel] || !channelCarriesGreetings(channel)) continue;
    if (channel === 'sms' && customer.phoneE164 && !customer.phoneInvalidAt) return { send: true, channel };
    if (channel === 'wecom_contact' && customer.wecomExternalId && customer.wecomFollowUserId) return { send: true, channel };
  }
  const smsPossible = channels.includes('sms') && usable.sms && customer.phoneE164;
  return { send: false, reason: smsPossible && customer.phoneInvalidAt ? 'INVALID_NUMBER' : 'NO_ADDRESS' };
}
