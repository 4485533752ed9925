import type { Clock, IdGenerator, TokenGenerator } from '../clock.js';
import { DomainError } from '../errors.js';
import type { WebhookStore, WebhookSubscription } from '../ports/webhooks.js';
import { WEBHOOK_EVENT_TYPES, isWebhookEventType } from './events.js';

export interface SubscriptionDeps {
  clock: Clock;
  ids: IdGenerator;
  tokens: TokenGenerator;
  webhooks: WebhookStore;
}

/** Who changed the subscriptions (audited). */
export interface SubscriptionActor {
  actorType: 'CONSOLE' | 'SYSTEM' | 'STAFF';
  actorId: string | null;
}

/**
 * Checks a subscriber's URL: absolute http(s), no credentials in it. Redirects are never followed at
 * delivery, so the URL must be the final one (docs/webhooks.md).
 */
export function checkWebhookUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new DomainError('WEBHOOK_URL_INVALID', `Not a valid absolute URL: ${raw}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new DomainError('WEBHOOK_URL_INVALID', `Only http:// and https:// URLs can receive webhooks, not ${url.protocol}`);
  }
  if (url.username || url.password) throw new DomainError('WEBHOOK_URL_INVALID', 'The URL must not contain a user name or password (put a token in the path or query instead)');
  url.hash = '';
  return url;
}

/** Parses `case.created,followup.completed` into known event types, in their documented order. */
export function parseWebhookEvents(raw: string | readonly string[]): string[] {
  const wanted = (typeof raw === 'string' ? raw.split(',') : raw).map((e) => e.trim()).filter(Boolean);
  if (wanted.length === 0) throw new DomainError('WEBHOOK_EVENTS_MISSING', `Choose at least one event (--events): ${WEBHOOK_EVENT_TYPES.join(', ')}`);
  const unknown = wanted.filter((e) => !isWebhookEventType(e));
  if (unknown.length > 0) throw new DomainError('WEBHOOK_EVENT_UNKNOWN', `Unknown event(s): ${unknown.join(', ')}; known events: ${WEBHOOK_EVENT_TYPES.join(', ')}`);
  return WEBHOOK_EVENT_TYPES.filter((e) => wanted.includes(e));
}

/**
 * Adds a subscription with a new secret, returned here once and never shown again. Events recorded
 * from now on are delivered to it (none from before).
 */
export async function addWebhookSubscription(deps: SubscriptionDeps, input: { url: string; events: string | readonly string[] }, actor: SubscriptionActor): Promise<{ subscription: WebhookSubscription; secret: string }> {
  const url = checkWebhookUrl(input.url).toString();
  const events = parseWebhookEvents(input.events);
  const now = deps.clock.now();
  const subscription: WebhookSubscription = { id: deps.ids.next(), url, events, active: true, createdAt: now, coveredUntil: now };
  const secret = `whsec_${deps.tokens.token(32)}`;
  await deps.webhooks.addWebhookSubscription(
    { ...subscription, secret },
    { at: now, ...actor, action: 'webhook.subscription_added', entityType: 'WebhookSubscription', entityId: subscription.id, details: { url, events } },
  );
  return { subscription, secret };
}

/** Removes (deactivates) a subscription; deliveries still queued for it are then not sent. */
export async function removeWebhookSubscription(deps: SubscriptionDeps, id: string, actor: SubscriptionActor): Promise<void> {
  const now = deps.clock.now();
  const removed = await deps.webhooks.removeWebhookSubscription(id, now, { at: now, ...actor, action: 'webhook.subscription_removed', entityType: 'WebhookSubscription', entityId: id, details: {} });
  if (!removed) throw new DomainError('WEBHOOK_NOT_FOUND', `No active webhook subscription with id ${id}`);
}
