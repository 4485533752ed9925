/**
 * Greeting texts: the personal form of address, the rendered message, the text to register with
 * Tencent, and SMS length. Pure.
 */
import type { OutboundMessage } from '../messages.js';
import { measureSms, type SmsLength } from '../sms/sms-length.js';
import type { GreetingCampaign, GreetingSegment, GreetingText, GreetingVariable, OccasionDefinition } from './campaign.js';
import type { GreetingChannel, GreetingCustomer } from './eligibility.js';

/** Longest salutation used as is; a longer one (a full name with a title …) falls back to the campaign's. */
export const MAX_SALUTATION_CHARS = 8;

/**
 * The form of address: the customer's own salutation (王先生, 王女士, 李老师) when it is short plain text,
 * otherwise the campaign's fallback (尊敬的贵宾). Tencent refuses long variables on some accounts and any
 * link inside one, so anything with digits, latin words, brackets or links falls back too.
 */
export function salutationFor(customer: Pick<GreetingCustomer, 'salutation'>, fallback: string): string {
  const s = (customer.salutation ?? '').normalize('NFKC').trim();
  if (s === '' || [...s].length > MAX_SALUTATION_CHARS) return fallback;
  if (/[\d【】[\]<>{}/\\:@]|https?|www\./i.test(s)) return fallback;
  return s;
}

/** The text of a segment for an occasion: the occasion's own, the birthday text, else the segment's. */
export function textFor(segment: GreetingSegment, occasion: Pick<OccasionDefinition, 'key' | 'kind'>): GreetingText {
  return segment.byOccasion[occasion.key] ?? (occasion.kind === 'birthday' && segment.birthday ? segment.birthday : segment.text);
}

export interface RenderedGreeting {
  templateKey: string;
  /** Values of the template's variables, in Tencent's `{1}`, `{2}` … order. */
  params: string[];
  /** The message as the customer reads it by SMS, signature `【…】` included. */
  text: string;
  sms: SmsLength;
  /** The message as a staff member's own WeChat message (客户联系): no `【…】`, no opt-out wording. */
  chatText: string;
}

/** Fills a greeting text for one customer. `org` is the SMS signature (`HUIFANG_ORG_NAME`). */
export function renderGreeting(
  text: GreetingText,
  values: Readonly<Record<GreetingVariable, string>>,
  org: string,
): RenderedGreeting {
  const fill = (wording: string) => wording.replace(/\{(salutation|occasion)\}/g, (_, name: GreetingVariable) => values[name]);
  const full = `【${org}】${fill(text.body)}`;
  return { templateKey: text.templateKey, params: text.params.map((p) => values[p]), text: full, sms: measureSms(full), chatText: fill(text.chatBody) };
}

/** The wording to register in the Tencent console: the body with `{1}`, `{2}` … for the variables. */
export function registrationText(text: GreetingText): string {
  return text.body.replace(/\{(salutation|occasion)\}/g, (_, name: GreetingVariable) => `{${text.params.indexOf(name) + 1}}`);
}

/** The outbox message of one greeting (`customer_notice`, purpose marketing). */
export function greetingMessage(input: {
  campaign: Pick<GreetingCampaign, 'fallbackSalutation'>;
  segment: GreetingSegment;
  occasion: Pick<OccasionDefinition, 'key' | 'kind' | 'name'>;
  customer: Pick<GreetingCustomer, 'id' | 'salutation' | 'phoneE164' | 'wechatOpenId' | 'wecomExternalId' | 'wecomFollowUserId'>;
  channel: GreetingChannel;
  org: string;
}): OutboundMessage {
  const { customer, channel } = input;
  const rendered = renderGreeting(
    textFor(input.segment, input.occasion),
    { salutation: salutationFor(customer, input.campaign.fallbackSalutation), occasion: input.occasion.name },
    input.org,
  );
  return {
    kind: 'customer_notice',
    to: {
      customerId: customer.id,
      ...(channel === 'sms' && customer.phoneE164 ? { phoneE164: customer.phoneE164 } : {}),
      ...(channel === 'wechat' && customer.wechatOpenId ? { openId: customer.wechatOpenId } : {}),
      // 客户联系: the phone stays too, so that the SMS fallback can be built from the message.
      ...(channel === 'wecom_contact' && customer.wecomExternalId && customer.wecomFollowUserId
        ? { wecomContact: { externalUserId: customer.wecomExternalId, followUserId: customer.wecomFollowUserId }, ...(customer.phoneE164 ? { phoneE164: customer.phoneE164 } : {}) }
        : {}),
    },
    templateKey: rendered.templateKey,
    params: rendered.params,
    // 客户联系: the member's own wording; the SMS wording travels along for the SMS fallback.
    ...(channel === 'wecom_contact' ? { text: rendered.chatText, smsText: rendered.text } : { text: rendered.text }),
    purpose: 'marketing',
  };
}
