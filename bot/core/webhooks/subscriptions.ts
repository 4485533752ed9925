import type { Clock, IdGenerator, TokenGenerator } from '../clock.js';
import { DomainError } from '../errors.js';
import type { WebhookSigning, WebhookStore, WebhookSubscription } from '../ports/webhooks.js';
import type { NewOutboxMessage } from '../records.js';
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

/** Per-subscription delivery options, their defaults and limits (docs/webhooks.md). */
export const WEBHOOK_TIMEOUT = { defaultMs: 10_000, minMs: 1_000, maxMs: 30_000 } as const;
export const WEBHOOK_ATTEMPTS = { default: 12, min: 1, max: 20 } as const;
/** How long the previous secret still signs after a rotation, unless chosen: 24 hours, at most 7 days. */
export const WEBHOOK_ROTATION_OVERLAP = { defaultMs: 24 * 3_600_000, maxMs: 7 * 24 * 3_600_000 } as const;

/** Checks a timeout in seconds (`--timeout 5`): a whole number within the limits; the default when absent. */
export function parseWebhookTimeout(raw: string | number | undefined): number {
  if (raw === undefined) return WEBHOOK_TIMEOUT.defaultMs;
  const seconds = Number(raw);
  if (!Number.isInteger(seconds) || seconds * 1000 < WEBHOOK_TIMEOUT.minMs || seconds * 1000 > WEBHOOK_TIMEOUT.maxMs) {
    throw new DomainError('WEBHOOK_TIMEOUT_INVALID', `The timeout is a whole number of seconds from ${WEBHOOK_TIMEOUT.minMs / 1000} to ${WEBHOOK_TIMEOUT.maxMs / 1000}, not ${raw}`);
  }
  return seconds * 1000;
}

/** Checks a number of attempts (`--attempts 5`): a whole number within the limits; the default when absent. */
export function parseWebhookAttempts(raw: string | number | undefined): number {
  if (raw === undefined) return WEBHOOK_ATTEMPTS.default;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < WEBHOOK_ATTEMPTS.min || n > WEBHOOK_ATTEMPTS.max) {
    throw new DomainError('WEBHOOK_ATTEMPTS_INVALID', `Attempts is a whole number from ${WEBHOOK_ATTEMPTS.min} to ${WEBHOOK_ATTEMPTS.max}, not ${raw}`);
  }
  return n;
}

/** Checks a rotation overlap in hours (`--overlap 48`): 0 (the old secret stops at once) up to 7 days; 24 hours when absent. */
export function parseRotationOverlap(raw: string | number | undefined): number {
  if (raw === undefined) return WEBHOOK_ROTATION_OVERLAP.defaultMs;
  const hours = Number(raw);
  if (!Number.isFinite(hours) || hours < 0 || hours * 3_600_000 > WEBHOOK_ROTATION_OVERLAP.maxMs) {
    throw new DomainError('WEBHOOK_OVERLAP_INVALID', `The overlap is a number of hours from 0 to ${WEBHOOK_ROTATION_OVERLAP.maxMs / 3_600_000}, not ${raw}`);
  }
  return Math.round(hours * 3_600_000);
}

/** The secrets to sign with at `now`: the current one, then the previous one while its overlap lasts. */
export function signingOf(r: { secret: string; previousSecret: string | null; previousSecretUntil: Date | null; timeoutMs: number }, now: Date): WebhookSigning {
  const overlap = r.previousSecret !== null && r.previousSecretUntil !== null && r.previousSecretUntil > now;
  return { secrets: overlap ? [r.secret, r.previousSecret!] : [r.secret], timeoutMs: r.timeoutMs };
}

const newSecret = (deps: Pick<SubscriptionDeps, 'tokens'>) => `whsec_${deps.tokens.token(32)}`;

/**
 * Adds a subscription with a new secret, returned here once and never shown again. Events recorded
 * from now on are delivered to it (none from before). Timeout (ms) and attempts are checked against
 * their limits; absent, the defaults.
 */
export async function addWebhookSubscription(
  deps: SubscriptionDeps,
  input: { url: string; events: string | readonly string[]; timeoutMs?: number; maxAttempts?: number },
  actor: SubscriptionActor,
): Promise<{ subscription: WebhookSubscription; secret: string }> {
  const url = checkWebhookUrl(input.url).toString();
  const events = parseWebhookEvents(input.events);
  const timeoutMs = parseWebhookTimeout(input.timeoutMs === undefined ? undefined : input.timeoutMs / 1000);
  const maxAttempts = parseWebhookAttempts(input.maxAttempts);
  const now = deps.clock.now();
  const subscription: WebhookSubscription = { id: deps.ids.next(), url, events, active: true, createdAt: now, coveredUntil: now, timeoutMs, maxAttempts, previousSecretUntil: null };
  const secret = newSecret(deps);
  await deps.webhooks.addWebhookSubscription(
    { ...subscription, secret },
    { at: now, ...actor, action: 'webhook.subscription_added', entityType: 'WebhookSubscription', entityId: subscription.id, details: { url, events, timeoutMs, maxAttempts } },
  );
  return { subscription, secret };
}

/**
 * Gives a subscription a new secret, returned here once. For `overlapMs` after now the previous secret
 * signs too (a second `v1=` in `Huifang-Signature`), so that the receiver can switch to the new one
 * without refusing a delivery; then only the new one signs. The secret is never written to the audit log.
 */
export async function rotateWebhookSecret(deps: SubscriptionDeps, id: string, overlapMs: number, actor: SubscriptionActor): Promise<{ secret: string; previousUntil: Date }> {
  const now = deps.clock.now();
  const previousUntil = new Date(now.getTime() + overlapMs);
  const secret = newSecret(deps);
  const rotated = await deps.webhooks.rotateWebhookSecret(id, secret, previousUntil, {
    at: now,
    ...actor,
    action: 'webhook.secret_rotated',
    entityType: 'WebhookSubscription',
    entityId: id,
    details: { previousUntil: previousUntil.toISOString() },
  });
  if (!rotated) throw new DomainError('WEBHOOK_NOT_FOUND', `No active webhook subscription with id ${id}`);
  return { secret, previousUntil };
}

/**
 * Queues a signed `ping` event for one subscription through the outbox, like any delivery but tried
 * once (a test shows the receiver's answer; it is not retried behind the caller's back). Returns the
 * outbox key to read the outcome by.
 */
export async function queueWebhookPing(deps: SubscriptionDeps & { outbox: { enqueue(messages: NewOutboxMessage[]): Promise<number> } }, id: string, actor: SubscriptionActor): Promise<{ idempotencyKey: string; eventId: string }> {
  const subscription = await deps.webhooks.findWebhookSubscription(id);
  if (!subscription) throw new DomainError('WEBHOOK_NOT_FOUND', `No active webhook subscription with id ${id}`);
  const now = deps.clock.now();
  const eventId = deps.ids.next();
  const idempotencyKey = `wh:${id}:ping:${eventId}`;
  await deps.outbox.enqueue([
    {
      idempotencyKey,
      channel: 'webhook',
      recipientType: 'webhook',
      recipientId: id,
      followUpId: null,
      nextAttemptAt: now,
      maxAttempts: 1,
      message: { kind: 'webhook', to: { subscriptionId: id, url: subscription.url }, event: { id: eventId, type: 'ping', occurredAt: now.toISOString(), data: { subscriptionId: id, requestedBy: actor.actorId } } },
    },
  ]);
  return { idempotencyKey, eventId };
}

/** Removes (deactivates) a subscription; deliveries still queued for it are then not sent. */
export async function removeWebhookSubscription(deps: SubscriptionDeps, id: string, actor: SubscriptionActor): Promise<void> {
  const now = deps.clock.now();
  const removed = await deps.webhooks.removeWebhookSubscription(id, now, { at: now, ...actor, action: 'webhook.subscription_removed', entityType: 'WebhookSubscription', entityId: id, details: {} });
  if (!removed) throw new DomainError('WEBHOOK_NOT_FOUND', `No active webhook subscription with id ${id}`);
}
