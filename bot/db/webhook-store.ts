import type { NewAuditEntry, NewOutboxMessage } from '../core/records.js';
import type { WebhookDeliveryOutcome, WebhookSigning, WebhookSourceEntry, WebhookStore, WebhookSubscription } from '../core/ports/webhooks.js';
import type { StoreContext } from './store-context.js';
import { TX_OPTIONS } from './store-context.js';
import { insertAudit, insertOutbox } from './writes.js';
import { signingOf } from '../core/webhooks/subscriptions.js';
import { isUniqueViolation } from './rows.js';

type SubscriptionRow = { id: string; url: string; events: string; active: boolean; createdAt: Date; coveredUntil: Date; timeoutMs: number; maxAttempts: number; previousSecretUntil: Date | null };

const toSubscription = (r: SubscriptionRow): WebhookSubscription => ({
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


/** `WebhookStore` over `WebhookSubscription`, `AuditLog` and `OutboxMessage`. */
export class PrismaWebhookStore implements WebhookStore {
  constructor(private readonly db: StoreContext) {}

  async addWebhookSubscription(s: WebhookSubscription & { secret: string }, audit: NewAuditEntry): Promise<void> {
    await this.db.prisma.$transaction(async (tx) => {
      await tx.webhookSubscription.create({
        data: { id: s.id, url: s.url, events: JSON.stringify(s.events), secret: s.secret, active: true, createdAt: s.createdAt, coveredUntil: s.coveredUntil, timeoutMs: s.timeoutMs, maxAttempts: s.maxAttempts },
      });
      await insertAudit(tx, this.db.ids, [audit]);
    }, TX_OPTIONS);
  }

  async listWebhookSubscriptions(): Promise<WebhookSubscription[]> {
    const rows = await this.db.prisma.webhookSubscription.findMany({ where: { active: true }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
    return rows.map(toSubscription);
  }

  async removeWebhookSubscription(id: string, at: Date, audit: NewAuditEntry): Promise<boolean> {
    return this.db.prisma.$transaction(async (tx) => {
      const { count } = await tx.webhookSubscription.updateMany({ where: { id, active: true }, data: { active: false, removedAt: at } });
      if (count === 0) return false;
      await insertAudit(tx, this.db.ids, [audit]);
      return true;
    }, TX_OPTIONS);
  }

  async webhookSigning(id: string, now: Date): Promise<WebhookSigning | null> {
    const row = await this.db.prisma.webhookSubscription.findFirst({ where: { id, active: true }, select: { secret: true, previousSecret: true, previousSecretUntil: true, timeoutMs: true } });
    return row ? signingOf(row, now) : null;
  }

  async findWebhookSubscription(id: string): Promise<WebhookSubscription | null> {
    const row = await this.db.prisma.webhookSubscription.findFirst({ where: { id, active: true } });
    return row ? toSubscription(row) : null;
  }

  async rotateWebhookSecret(id: string, secret: string, previousUntil: Date, audit: NewAuditEntry): Promise<boolean> {
    return this.db.prisma.$transaction(async (tx) => {
      const row = await tx.webhookSubscription.findFirst({ where: { id, active: true }, select: { secret: true } });
      if (!row) return false;
      // Compare-and-set on the secret read: of two rotations at once, the second finds it changed and fails.
      const { count } = await tx.webhookSubscription.updateMany({ where: { id, active: true, secret: row.secret }, data: { secret, previousSecret: row.secret, previousSecretUntil: previousUntil } });
      if (count !== 1) return false;
      await insertAudit(tx, this.db.ids, [audit]);
      return true;
    }, TX_OPTIONS);
  }

  async webhookDeliveryOutcome(idempotencyKey: string): Promise<WebhookDeliveryOutcome | null> {
    const row = await this.db.prisma.outboxMessage.findUnique({ where: { idempotencyKey }, select: { status: true, attempts: true, providerMessageId: true, lastErrorCode: true, lastError: true } });
    return row ? { status: row.status, attempts: row.attempts, answer: row.providerMessageId, errorCode: row.lastErrorCode, error: row.lastError } : null;
  }

  async webhookSourceEntries(actions: readonly string[], from: Date, to: Date, limit: number): Promise<WebhookSourceEntry[]> {
    const prisma = this.db.prisma;
    const rows = await prisma.auditLog.findMany({
      where: { action: { in: [...actions] }, at: { gte: from, lte: to } },
      orderBy: [{ at: 'asc' }, { id: 'asc' }],
      take: limit,
    });
    const idsOf = (type: string) => [...new Set(rows.filter((r) => r.entityType === type).map((r) => r.entityId))];
    const [followUps, surveys, escalations] = await Promise.all([
      prisma.followUp.findMany({ where: { id: { in: idsOf('FollowUp') } }, select: { id: true, caseId: true } }),
      prisma.surveyInstance.findMany({ where: { id: { in: idsOf('SurveyInstance') } }, select: { id: true, followUp: { select: { caseId: true } } } }),
      prisma.escalation.findMany({ where: { id: { in: idsOf('Escalation') } }, select: { id: true, caseId: true } }),
    ]);
    const caseOf = new Map<string, string>();
    for (const id of idsOf('Case')) caseOf.set(`Case:${id}`, id);
    for (const f of followUps) caseOf.set(`FollowUp:${f.id}`, f.caseId);
    for (const s of surveys) if (s.followUp) caseOf.set(`SurveyInstance:${s.id}`, s.followUp.caseId);
    for (const e of escalations) caseOf.set(`Escalation:${e.id}`, e.caseId);
    const cases = await prisma.case.findMany({
      where: { id: { in: [...new Set(caseOf.values())] } },
      select: { id: true, externalId: true, type: true, customerId: true, customer: { select: { phoneMasked: true } } },
    });
    const byId = new Map(cases.map((c) => [c.id, c]));
    return rows.map((r) => {
      const c = byId.get(caseOf.get(`${r.entityType}:${r.entityId}`) ?? '');
      return {
        auditId: r.id,
        at: r.at,
        actorId: r.actorId,
        action: r.action,
        entityType: r.entityType,
        entityId: r.entityId,
        details: JSON.parse(r.details) as Record<string, unknown>,
        context: c ? { caseId: c.id, caseExternalId: c.externalId, caseType: c.type, customerId: c.customerId, phoneMasked: c.customer.phoneMasked } : null,
      };
    });
  }

  async queueWebhookDeliveries(subscriptionId: string, messages: readonly NewOutboxMessage[], coveredUntil: Date): Promise<number> {
    try {
      return await this.db.prisma.$transaction(async (tx) => {
        const queued = await insertOutbox(tx, this.db.ids, messages);
        await tx.webhookSubscription.updateMany({ where: { id: subscriptionId, active: true }, data: { coveredUntil } });
        return queued;
      }, TX_OPTIONS);
    } catch (err) {
      // Another replica queued the same deliveries a moment before (same keys) and moved the cursor.
      if (isUniqueViolation(err)) return 0;
      throw err;
    }
  }
}
