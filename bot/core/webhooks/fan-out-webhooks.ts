import type { Clock } from '../clock.js';
import type { NewOutboxMessage } from '../records.js';
import type { WebhookStore, WebhookSubscription } from '../ports/webhooks.js';
import { AUDIT_ACTIONS, isWebhookEventType, webhookEventOf } from './events.js';

/**
 * How far back each fan-out looks again before its cursor: an audit entry carries its use case's
 * clock, so a transaction that commits a little after another can have an earlier `at` than one
 * already read. Entries read twice are skipped by their outbox key.
 */
export const WEBHOOK_LOOKBACK_MS = 10 * 60_000;

/** Entries read per page; a subscription drains several pages per call. */
const PAGE = 500;
const MAX_PAGES = 20;

export interface FanOutSummary {
  subscriptions: number;
  queued: number;
}

/**
 * Queues one outbox delivery per recorded event and active subscription that wants it, keyed
 * `wh:<subscriptionId>:<eventId>` so that it is queued once however often this runs (docs/webhooks.md).
 *
 * Durable catch-up rather than a listener on lifecycle events: each event is read from the audit
 * entry written in the same transaction as its domain change, and each subscription keeps a cursor
 * (moved in the same transaction as the deliveries it queues). A process that dies between a commit
 * and the fan-out loses nothing: the next run reads the entry.
 */
export async function fanOutWebhooks(deps: { clock: Clock; webhooks: WebhookStore }): Promise<FanOutSummary> {
  const now = deps.clock.now();
  const subscriptions = await deps.webhooks.listWebhookSubscriptions();
  let queued = 0;
  for (const subscription of subscriptions) queued += await fanOutOne(deps.webhooks, subscription, now);
  return { subscriptions: subscriptions.length, queued };
}

async function fanOutOne(store: WebhookStore, subscription: WebhookSubscription, now: Date): Promise<number> {
  const types = subscription.events.filter(isWebhookEventType);
  const actions = [...new Set(types.flatMap((t) => AUDIT_ACTIONS[t]))];
  const wanted = new Set<string>(types);
  // Only what was recorded after the subscription was added; otherwise from a little before the cursor.
  let from = new Date(Math.max(subscription.createdAt.getTime() + 1, subscription.coveredUntil.getTime() - WEBHOOK_LOOKBACK_MS));
  let queued = 0;
  for (let page = 0; page < MAX_PAGES; page++) {
    const entries = actions.length > 0 ? await store.webhookSourceEntries(actions, from, now, PAGE) : [];
    const full = entries.length === PAGE;
    const messages: NewOutboxMessage[] = [];
    for (const entry of entries) {
      const event = webhookEventOf(entry);
      if (!event || !wanted.has(event.type)) continue;
      messages.push({
        idempotencyKey: `wh:${subscription.id}:${entry.auditId}`,
        channel: 'webhook',
        recipientType: 'webhook',
        recipientId: subscription.id,
        followUpId: null,
        nextAttemptAt: now,
        maxAttempts: subscription.maxAttempts,
        message: {
          kind: 'webhook',
          to: { subscriptionId: subscription.id, url: subscription.url },
          event: { id: entry.auditId, type: event.type, occurredAt: entry.at.toISOString(), data: event.data },
        },
      });
    }
    // A full page moves the cursor to its last entry only: the rest is read on the next page.
    const coveredUntil = full ? entries[entries.length - 1]!.at : now;
    queued += await store.queueWebhookDeliveries(subscription.id, messages, coveredUntil);
    if (!full || coveredUntil.getTime() === from.getTime()) break;
    from = coveredUntil;
  }
  return queued;
}
