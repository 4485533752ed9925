import type { IdGenerator } from '../core/clock.js';
import type { NewAuditEntry, NewOutboxMessage } from '../core/records.js';
import type { WebhookDeliveryOutcome, WebhookSigning, WebhookSourceEntry, WebhookStore, WebhookSubscription } from '../core/ports/webhooks.js';
import { signingOf } from '../core/webhooks/subscriptions.js';
import type { MemoryState, WebhookSubscriptionRow } from './memory-state.js';
import { insertAudit, insertOutbox } from './writes.js';

const toSubscription = (r: WebhookSubscriptionRow): WebhookSubscription => ({
  id: r.id,
  url: r.url,
  events: JSON.parse(r.events) as string[],
  active: r.active,
  createdAt: r.createdAt,
  coveredUntil: r.coveredUntil,
  timeoutMs: r.timeoutMs,
  maxAttempts: r.maxAttempts,
  previousSecretUntil: r.previousSecretUntil,
});

/** `WebhookStore` in memory, with the Prisma store's transactions (deliveries and cursor together). */
export class MemoryWebhookStore implements WebhookStore {
  constructor(
    private readonly state: MemoryState,
    private readonly ids: IdGenerator,
  ) {}

  async addWebhookSubscription(s: WebhookSubscription & { secret: string }, audit: NewAuditEntry): Promise<void> {
    this.state.transact((tx) => {
      tx.webhookSubscription.insert({
        id: s.id,
        url: s.url,
        events: JSON.stringify(s.events),
        secret: s.secret,
        previousSecret: null,
        previousSecretUntil: null,
        timeoutMs: s.timeoutMs,
        maxAttempts: s.maxAttempts,
        active: true,
        createdAt: s.createdAt,
        coveredUntil: s.coveredUntil,
        removedAt: null,
      });
      insertAudit(tx, this.ids, [audit]);
    });
  }

  async listWebhookSubscriptions(): Promise<WebhookSubscription[]> {
    return this.state
      .rows('webhookSubscription')
      .filter((r) => r.active)
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map(toSubscription);
  }

  async removeWebhookSubscription(id: string, at: Date, audit: NewAuditEntry): Promise<boolean> {
    return this.state.transact((tx) => {
      const changed = tx.webhookSubscription.updateWhere((r) => r.id === id && r.active, { active: false, removedAt: at });
      if (changed === 0) return false;
      insertAudit(tx, this.ids, [audit]);
      return true;
    });
  }

  async webhookSigning(id: string, now: Date): Promise<WebhookSigning | null> {
    const row = this.state.rows('webhookSubscription').find((r) => r.id === id && r.active);
    return row ? signingOf(row, now) : null;
  }

  async findWebhookSubscription(id: string): Promise<WebhookSubscription | null> {
    const row = this.state.rows('webhookSubscription').find((r) => r.id === id && r.active);
    return row ? toSubscription(row) : null;
  }

  async rotateWebhookSecret(id: string, secret: string, previousUntil: Date, audit: NewAuditEntry): Promise<boolean> {
    return this.state.transact((tx) => {
      const row = tx.webhookSubscription.find((r) => r.id === id && r.active);
      if (!row) return false;
      tx.webhookSubscription.updateWhere((r) => r.id === id, { secret, previousSecret: row.secret, previousSecretUntil: previousUntil });
      insertAudit(tx, this.ids, [audit]);
      return true;
    });
  }

  async webhookDeliveryOutcome(idempotencyKey: string): Promise<WebhookDeliveryOutcome | null> {
    const row = this.state.rows('outbox').find((r) => r.idempotencyKey === idempotencyKey);
    return row ? { status: row.status, attempts: row.attempts, answer: row.providerMessageId, errorCode: row.lastErrorCode, error: row.lastError } : null;
  }

  async webhookSourceEntries(actions: readonly string[], from: Date, to: Date, limit: number): Promise<WebhookSourceEntry[]> {
    const wanted = new Set(actions);
    return this.state.transact((tx) => {
      const rows = tx.audit
        .filter((r) => wanted.has(r.action) && r.at >= from && r.at <= to)
        .sort((a, b) => a.at.getTime() - b.at.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        .slice(0, limit);
      return rows.map((r) => {
        const caseId =
          r.entityType === 'Case'
            ? r.entityId
            : r.entityType === 'FollowUp'
              ? tx.followUp.get(r.entityId)?.caseId
              : r.entityType === 'Escalation'
                ? tx.escalation.get(r.entityId)?.caseId
                : r.entityType === 'SurveyInstance'
                  ? (() => {
                      const followUpId = tx.survey.get(r.entityId)?.followUpId;
                      return followUpId ? tx.followUp.get(followUpId)?.caseId : undefined;
                    })()
                  : undefined;
        const c = caseId ? tx.case.get(caseId) : undefined;
        const customer = c ? tx.customer.get(c.customerId) : undefined;
        return {
          auditId: r.id,
          at: r.at,
          actorId: r.actorId,
          action: r.action,
          entityType: r.entityType,
          entityId: r.entityId,
          details: JSON.parse(r.details) as Record<string, unknown>,
          context: c ? { caseId: c.id, caseExternalId: c.externalId, caseType: c.type, customerId: c.customerId, phoneMasked: customer?.phoneMasked ?? null } : null,
        };
      });
    });
  }

  async queueWebhookDeliveries(subscriptionId: string, messages: readonly NewOutboxMessage[], coveredUntil: Date): Promise<number> {
    return this.state.transact((tx) => {
      const queued = insertOutbox(tx, this.ids, messages);
      tx.webhookSubscription.updateWhere((r) => r.id === subscriptionId && r.active, { coveredUntil });
      return queued;
    });
  }
}
