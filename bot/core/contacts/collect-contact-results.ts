import type { CoreDeps } from '../deps.js';
import type { ContactSendResults, UnconfirmedContactMessage, WecomContactStore } from '../ports/wecom-contacts.js';
import type { NewOutboxMessage } from '../records.js';
import { sendConsentBlock } from '../outbox/send-consent.js';
import { fallBackFailedContactInvite } from '../surveys/fall-back-unopened-surveys.js';
import { ALL_CUSTOMER_CHANNELS, canReceive } from '../surveys/channel-chain.js';
import { contactTermsOf } from '../outbox/contact-hours.js';

/**
 * At most this long before a message's own deadline (`contact.notAfter`, the survey's expiry) the member's
 * time to send it ends, so the next channel still has time to leave: longer than the default quiet hours
 * (21:00–08:00), so the next channel finds an allowed moment before the deadline.
 */
export const HANDOVER_BEFORE_DEADLINE_MS = 12 * 3_600_000;

/**
 * When the member's time to send a queued 客户联系 message ends (pure): `confirmWithinMs`
 * (WECOM_CONTACT_CONFIRM_DAYS) after it was queued, or earlier when the message has a deadline of its own
 * (`notAfter`, the survey's expiry) that comes before that — then {@link HANDOVER_BEFORE_DEADLINE_MS}
 * before the deadline, or halfway between queuing and the deadline when that leaves less, so the member
 * and the next channel both get a share of the time. Never after the deadline.
 */
export function memberSendDeadline(queuedAt: Date, notAfter: Date | null, confirmWithinMs: number): Date {
  const confirmEnd = queuedAt.getTime() + confirmWithinMs;
  if (!notAfter || Number.isNaN(notAfter.getTime())) return new Date(confirmEnd);
  const left = Math.max(0, notAfter.getTime() - queuedAt.getTime());
  const handover = notAfter.getTime() - Math.min(HANDOVER_BEFORE_DEADLINE_MS, Math.floor(left / 2));
  return new Date(Math.min(confirmEnd, handover));
}

export interface ContactResultsSummary {
  /** Queued messages looked at. */
  checked: number;
  /** The member sent them. */
  delivered: number;
  /** Not delivered (refused by WeCom, or withdrawn after the confirmation window). */
  failed: number;
  /** Of those, withdrawn because the member did not send them in time. */
  withdrawn: number;
  /** Still waiting for the member. */
  waiting: number;
  /** Messages queued on the next channel of the chain (a survey's next channel; SMS for a greeting). */
  fallbacks: number;
}

type Deps = Pick<CoreDeps, 'clock' | 'outbox' | 'customers' | 'surveyFallbacks' | 'policies' | 'tokens' | 'optOutScope' | 'customerChannels' | 'timeZone' | 'calendar'>;

/**
 * Follows up WeCom customer-contact (客户联系) messages after they were queued for the member
 * (docs/protocols/wecom.md §12.5): asks WeCom what became of each one without an outcome, records it
 * as the message's delivery report, and, when it did not reach the customer, hands it to the next
 * channel of its chain. A message the member has not sent within `confirmWithinMs` of being queued —
 * or, for a survey whose deadline comes first, by {@link memberSendDeadline} before that deadline — is
 * withdrawn (so it cannot arrive after the fallback) and counts as failed; if the member sent it
 * meanwhile, it counts as delivered. The next channel's message carries the same deadline: one that
 * can no longer leave before it is marked expired by the dispatcher, never sent late. Reconciles
 * "everything as of now": a missed or repeated run is harmless (the fallback's unique outbox key
 * `<key>:<channel>` and the survey's conditional change make it once).
 */
export async function collectContactResults(
  deps: Deps,
  options: { store: WecomContactStore; results: ContactSendResults; confirmWithinMs: number; batchSize?: number; maxBatches?: number },
): Promise<ContactResultsSummary> {
  const batchSize = options.batchSize ?? 100;
  const maxBatches = options.maxBatches ?? 50;
  const summary: ContactResultsSummary = { checked: 0, delivered: 0, failed: 0, withdrawn: 0, waiting: 0, fallbacks: 0 };
  let afterId: string | null = null;
  for (let batch = 0; batch < maxBatches; batch++) {
    const rows = await options.store.listUnconfirmedContactMessages(afterId, batchSize);
    if (rows.length === 0) break;
    afterId = rows[rows.length - 1]!.id;
    for (const row of rows) {
      summary.checked++;
      const contact = 'to' in row.message && 'wecomContact' in row.message.to ? row.message.to.wecomContact : undefined;
      if (!contact) continue;
      const send = { providerMessageId: row.providerMessageId, followUserId: contact.followUserId, externalUserId: contact.externalUserId };
      let outcome = await options.results.outcomeOf(send);
      const now = deps.clock.now();
      const notAfter = contactTermsOf(row.message)?.notAfter;
      const sendBy = memberSendDeadline(row.sentAt, notAfter ? new Date(notAfter) : null, options.confirmWithinMs);
      if (outcome.status === 'pending' && now.getTime() >= sendBy.getTime()) {
        await options.results.withdraw(row.providerMessageId);
        // The member may have sent it between the two calls: what WeCom says now is final.
        outcome = await options.results.outcomeOf(send);
        if (outcome.status === 'pending') {
          outcome = { status: 'failed', reason: 'WITHDRAWN' };
          summary.withdrawn++;
        }
      }
      if (outcome.status === 'pending') {
        summary.waiting++;
        continue;
      }
      const delivered = outcome.status === 'sent';
      await deps.outbox.recordDeliveryReport({
        providerMessageId: row.providerMessageId,
        idempotencyKey: row.idempotencyKey,
        status: delivered ? 'DELIVERED' : 'FAILED',
        error: outcome.status === 'failed' ? outcome.reason : null,
        at: outcome.status === 'sent' && outcome.at.getTime() > 0 ? outcome.at : now,
        invalidNumber: false,
      });
      if (delivered) {
        summary.delivered++;
        continue;
      }
      summary.failed++;
      if (await fallBack(deps, row, outcome.status === 'failed' ? outcome.reason : 'FAILED')) summary.fallbacks++;
    }
    if (rows.length < batchSize) break;
  }
  // Greetings refused when they were queued (DEAD: over the quota, no longer a contact) get their SMS here too.
  const since = new Date(deps.clock.now().getTime() - options.confirmWithinMs - 7 * 86_400_000);
  for (const row of await options.store.listFailedContactNotices(since, batchSize * maxBatches)) {
    if (await fallBack(deps, row, 'REFUSED')) summary.fallbacks++;
  }
  return summary;
}

/** Queues the message on the next channel of its chain (a survey's next channel; SMS for a greeting); true when a new message was queued. */
async function fallBack(deps: Deps, row: UnconfirmedContactMessage, reason: string): Promise<boolean> {
  if (row.message.kind === 'survey_invite') return (await fallBackFailedContactInvite(deps as CoreDeps, row.id, reason)) === 'enqueued';
  if (row.message.kind !== 'customer_notice') return false;
  const customer = (await deps.customers.findCustomersByIds([row.customerId])).get(row.customerId);
  if (!customer?.phoneE164 || !canReceive('sms', customer, deps.customerChannels ?? ALL_CUSTOMER_CHANNELS)) return false;
  const { wecomContact: _contact, ...to } = row.message.to;
  // The greeting was worded for the member's own WeChat message: the SMS gets its SMS wording (signature, opt-out).
  // Its `startBy` bounded the member's task, not this fallback (which may come days later, by design).
  const { smsText, contact, ...notice } = row.message;
  const { startBy: _startBy, ...terms } = contact ?? {};
  const sms: NewOutboxMessage = {
    idempotencyKey: `${row.idempotencyKey}:sms`,
    channel: 'sms',
    recipientType: 'customer',
    recipientId: row.customerId,
    followUpId: row.followUpId,
    nextAttemptAt: deps.clock.now(),
    fallbackOfId: row.id,
    message: { ...notice, ...(Object.keys(terms).length > 0 ? { contact: terms } : {}), text: smsText ?? notice.text, to: { ...to, phoneE164: customer.phoneE164 } },
  };
  if (sendConsentBlock(sms.message, customer, deps.optOutScope ?? 'all')) return false;
  return (await deps.outbox.enqueue([sms])) > 0;
}
