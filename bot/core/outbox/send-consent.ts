import type { OutboundMessage } from '../messages.js';
import type { OptOutScope } from '../ports/customers.js';
import type { CustomerRecord } from '../records.js';

/**
 * Consent rules for customer messages (pure), applied when a survey is activated and again just
 * before any customer message is sent, because an opt-out or a withdrawn consent can arrive while a
 * message waits in the outbox (docs/protocols/tencent-sms.md §4.5, docs/protocols/wechat.md §2.3):
 * - a deceased customer gets nothing;
 * - marketing needs explicit marketing consent and no opt-out, whatever the opt-out scope;
 * - a survey needs survey consent, and no opt-out when the opt-out scope is `all`;
 * - other service notices are blocked by an opt-out when the scope is `all`.
 * Staff messages are never blocked here.
 */
export type ConsentBlock = 'CUSTOMER_DECEASED' | 'CUSTOMER_OPTED_OUT' | 'NO_SURVEY_CONSENT' | 'NO_MARKETING_CONSENT';

/** Why a survey may not be sent to this customer, or null when it may. */
export function surveyConsentBlock(customer: Pick<CustomerRecord, 'optedOutAt' | 'consentSurvey' | 'deceasedAt'>, scope: OptOutScope): ConsentBlock | null {
  if (customer.deceasedAt) return 'CUSTOMER_DECEASED';
  if (customer.optedOutAt && scope === 'all') return 'CUSTOMER_OPTED_OUT';
  if (!customer.consentSurvey) return 'NO_SURVEY_CONSENT';
  return null;
}

/** Why `message` may not be sent to this customer now, or null when it may (or is not a customer message). */
export function sendConsentBlock(
  message: OutboundMessage,
  customer: Pick<CustomerRecord, 'optedOutAt' | 'consentSurvey' | 'consentMarketing' | 'deceasedAt'>,
  scope: OptOutScope,
): ConsentBlock | null {
  switch (message.kind) {
    case 'survey_invite':
      return surveyConsentBlock(customer, scope);
    case 'customer_notice':
      if (customer.deceasedAt) return 'CUSTOMER_DECEASED';
      if (message.purpose === 'marketing') {
        if (customer.optedOutAt) return 'CUSTOMER_OPTED_OUT';
        if (customer.consentMarketing !== true) return 'NO_MARKETING_CONSENT';
        return null;
      }
      return customer.optedOutAt && scope === 'all' ? 'CUSTOMER_OPTED_OUT' : null;
    default:
      return null;
  }
}

/** The customer a message is addressed to, for customer messages. */
export function customerIdOf(message: OutboundMessage): string | null {
  return message.kind === 'survey_invite' || message.kind === 'customer_notice' ? message.to.customerId : null;
}

/** Readable explanation stored with a cancelled message. */
export const CONSENT_BLOCK_TEXT: Readonly<Record<ConsentBlock, string>> = {
  CUSTOMER_DECEASED: 'not sent: the customer is reported deceased',
  CUSTOMER_OPTED_OUT: 'not sent: the customer opted out after the message was queued',
  NO_SURVEY_CONSENT: 'not sent: the customer does not consent to surveys',
  NO_MARKETING_CONSENT: 'not sent: marketing needs the customer’s explicit consent',
};
