import type { NewAuditEntry, NewOutboxMessage } from '../records.js';

/** A system's subscription to events (docs/webhooks.md); the secret is not part of it once added. */
export interface WebhookSubscription {
  id: string;
  url: string;
  events: string[];
  active: boolean;
  createdAt: Date;
  /** The events recorded up to this instant have been queued for it. */
  coveredUntil: Date;
  /** Per-delivery timeout in ms (docs/webhooks.md: 1 000–30 000, 10 000 unless chosen). */
  timeoutMs: number;
  /** Attempts per delivery before it is given up (1–20, 12 unless chosen). */
  maxAttempts: number;
  /** After a rotation: until when deliveries are signed with the previous secret too; null when there is none. */
  previousSecretUntil: Date | null;
}

/** What a delivery to a subscription is sent with: the secrets to sign with (current first) and its timeout. */
export interface WebhookSigning {
  secrets: string[];
  timeoutMs: number;
}

/**
 * A recorded domain change that may become a webhook event: an audit entry (written in the same
 * transaction as the change), with the case it belongs to. Phones only masked.
 */
export interface WebhookSourceEntry {
  auditId: string;
  at: Date;
  actorId: string | null;
  action: string;
  entityType: string;
  entityId: string;
  details: Record<string, unknown>;
  /** The case of the entity, when it has one (a survey without a follow-up has none). */
  context: { caseId: string; caseExternalId: string; caseType: string; customerId: string; phoneMasked: string | null } | null;
}

/** A delivery's state in the outbox: `answer` is the receiver's 2xx (`HTTP_204`) once SENT. */
export interface WebhookDeliveryOutcome {
  status: string;
  attempts: number;
  answer: string | null;
  errorCode: string | null;
  error: string | null;
}

/** Subscriptions, and the source of their events. */
export interface WebhookStore {
  /** Adds a subscription (with its secret) and its audit entry, together. */
  addWebhookSubscription(subscription: WebhookSubscription & { secret: string }, audit: NewAuditEntry): Promise<void>;
  /** Active subscriptions, oldest first. */
  listWebhookSubscriptions(): Promise<WebhookSubscription[]>;
  /** Deactivates a subscription (its queued deliveries are then not sent); false when there is no active one with this id. */
  removeWebhookSubscription(id: string, at: Date, audit: NewAuditEntry): Promise<boolean>;
  /**
   * The secrets a delivery to a subscription still active is signed with at `now` — the current one,
   * then the previous one while its overlap after a rotation lasts — and its timeout; null when removed.
   */
  webhookSigning(id: string, now: Date): Promise<WebhookSigning | null>;
  /** An active subscription, or null. */
  findWebhookSubscription(id: string): Promise<WebhookSubscription | null>;
  /**
   * Makes `secret` the subscription's secret and keeps the current one as the previous secret until
   * `previousUntil`, with the audit entry, together; false when there is no active one with this id.
   */
  rotateWebhookSecret(id: string, secret: string, previousUntil: Date, audit: NewAuditEntry): Promise<boolean>;
  /** Where one delivery stands (by its outbox key): status, the receiver's answer or the last error; null when not queued. */
  webhookDeliveryOutcome(idempotencyKey: string): Promise<WebhookDeliveryOutcome | null>;
  /**
   * Audit entries with one of `actions`, recorded at or after `from` and at or before `to`, oldest
   * first, at most `limit` (served by the (action, at) index).
   */
  webhookSourceEntries(actions: readonly string[], from: Date, to: Date, limit: number): Promise<WebhookSourceEntry[]>;
  /**
   * Queues deliveries (a key already queued is skipped) and moves the subscription's cursor to
   * `coveredUntil`, in one transaction. Returns how many were new.
   */
  queueWebhookDeliveries(subscriptionId: string, messages: readonly NewOutboxMessage[], coveredUntil: Date): Promise<number>;
}
