import { createHash } from 'node:crypto';
import type { OutboundMessage } from '../messages.js';
import type { ChannelName } from '../model.js';
import type { SharedWindows } from '../ports/shared-windows.js';
import type { TimeContext } from '../policies/offsets.js';
import { contactTermsOf, nextSendMoment, sendTiming, type CustomerContactSettings } from './contact-hours.js';

/**
 * Tencent's default frequency policy: the same content to one number at most once in 30 seconds
 * (docs/protocols/tencent-sms.md §4.1). Checked before the send, across replicas, so a second identical SMS
 * waits for the moment the rule allows instead of spending an attempt on `PhoneNumberThirtySecondLimit`.
 */
export const SMS_SAME_CONTENT_GAP_MS = 30_000;

/** The shared window of a customer's survey invitations (held by the survey last invited). */
export function surveyGapKey(customerId: string): string {
  return `survey-gap:${customerId}`;
}

/**
 * The shared window of one SMS content to one number: same template and parameters (Tencent renders the
 * approved template with them, so they are the content). Digested: the table holds no phone number.
 */
export function smsSameContentKey(phoneE164: string, templateKey: string, params: readonly string[]): string {
  return `sms-same:${createHash('sha256').update(JSON.stringify([phoneE164, templateKey, params])).digest('base64url')}`;
}

/** What a shared window says about sending a message now. */
export type SharedHold = { kind: 'hold'; at: Date; reason: 'SURVEY_GAP' | 'SMS_SAME_CONTENT' } | null;

/**
 * The pre-send checks that must hold across replicas and restarts, taken as the message is about to be
 * sent (after every local check, so a window is only reserved by a send that happens):
 * - a survey invitation reserves the customer's survey gap for its survey. Another survey holding it
 *   spaces this one exactly as `sendTiming` does (so the gap still gives way to the survey's deadline:
 *   it then takes the window anyway) — one statement, survey invitations only;
 * - an SMS to the same number with the same template and parameters within 30 s waits until the window
 *   ends (then the contact rules) — one statement, SMS only.
 * Returns null when the message may go now (and holds its windows), else when to try again.
 */
export async function holdBySharedWindows(
  windows: SharedWindows,
  message: { id: string; channel: ChannelName; message: OutboundMessage },
  customerId: string | null,
  now: Date,
  contact: CustomerContactSettings,
  time: TimeContext,
): Promise<SharedHold> {
  const m = message.message;
  if (m.kind !== 'survey_invite' && m.kind !== 'customer_notice') return null;
  if (m.kind === 'survey_invite' && customerId && contact.surveyMinGapMs > 0) {
    const key = surveyGapKey(customerId);
    const until = new Date(now.getTime() + contact.surveyMinGapMs);
    const window = await windows.reserve(key, m.surveyId, until, now);
    if (!window.taken) {
      // Another survey's invitation went (or is going) within the gap, from any replica.
      const timing = sendTiming(now, m, contact, time, { surveyId: window.holder, sentAt: new Date(window.until.getTime() - contact.surveyMinGapMs) });
      if (timing.kind !== 'now') return { kind: 'hold', at: timing.kind === 'later' ? timing.at : now, reason: 'SURVEY_GAP' };
      // The gap gives way to this survey's deadline (contact-hours.ts): it goes now and holds the gap.
      await windows.reserve(key, m.surveyId, until, now, { force: true });
    }
  }
  // Last, so that only a message about to be sent holds it (a survey held back by the gap would otherwise
  // block the number for 30 s). A survey held here keeps its gap: it goes within 30 s.
  if (message.channel === 'sms' && m.to.phoneE164) {
    const key = smsSameContentKey(m.to.phoneE164, m.templateKey, m.params);
    // Held by the message itself: a retry of this very message is not its own duplicate.
    const window = await windows.reserve(key, message.id, new Date(now.getTime() + SMS_SAME_CONTENT_GAP_MS), now);
    if (!window.taken) return { kind: 'hold', at: nextSendMoment(window.until, contactTermsOf(m), contact.quietHours, time), reason: 'SMS_SAME_CONTENT' };
  }
  return null;
}
