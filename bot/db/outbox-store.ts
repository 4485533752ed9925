import type { ClaimedOutboxMessage, OutboxStore, UncertainOutboxMessage } from '../core/ports/outbox.js';
import type { NewAuditEntry } from '../core/records.js';
import type { NewOutboxMessage } from '../core/records.js';
import type { ChannelName } from '../core/model.js';
import type { OutboundMessage, StaffAddress } from '../core/messages.js';
import type { StoreContext } from './store-context.js';
import { TX_OPTIONS } from './store-context.js';
import { numbered, skipLocked, Verbatim } from './raw-sql.js';
import { insertAudit, insertOutbox, markPhoneInvalid } from './writes.js';
import { applySurveyFallback, withReplyCodeRetry } from './reply-codes.js';
import { fixedSql, type FixedSql } from './fixed-sql.js';
import { insertOutboxFixed } from './outbox-insert.js';

/**
 * `OutboxStore` over Prisma. A claim sets a lease and a claim token in one statement; completing
 * checks the token, so a dispatcher whose lease passed to another records nothing.
 */
export class PrismaOutboxStore implements OutboxStore {
  private readonly sql: FixedSql;

  constructor(private readonly db: StoreContext) {
    this.sql = fixedSql(db);
  }

  async enqueue(messages: NewOutboxMessage[]): Promise<number> {
    if (messages.length === 0) return 0;
    // No row to read first (no SMS to a customer, whose phone may be marked invalid): one fixed statement.
    if (messages.every((m) => !(m.channel === 'sms' && m.recipientType === 'customer'))) return insertOutboxFixed(this.sql, this.db.ids, messages);
    return this.db.prisma.$transaction((tx) => insertOutbox(tx, this.db.ids, messages), TX_OPTIONS);
  }

  async claimOutbox(now: Date, leaseMs: number, limit: number, claimToken: string): Promise<ClaimedOutboxMessage[]> {
    // Two claims, each walking its own index in order: due PENDING messages by (status, nextAttemptAt),
    // then SENDING messages whose lease expired by (status, leaseExpiresAt). One OR-ed query cannot use
    // index order and sorts the whole due backlog on every claim.
    const pending = await this.claimOutboxWhere(new Verbatim(`status = 'PENDING' AND "nextAttemptAt"`), new Verbatim('"nextAttemptAt"'), now, leaseMs, limit, claimToken);
    const expired =
      pending.length < limit
        ? await this.claimOutboxWhere(new Verbatim(`status = 'SENDING' AND "leaseExpiresAt"`), new Verbatim('"leaseExpiresAt"'), now, leaseMs, limit - pending.length, claimToken)
        : [];
    return [...pending, ...expired];
  }

  private async claimOutboxWhere(condition: Verbatim, order: Verbatim, now: Date, leaseMs: number, limit: number, claimToken: string): Promise<ClaimedOutboxMessage[]> {
    const leaseUntil = new Date(now.getTime() + leaseMs);
    // PostgreSQL: the ids are picked once, in a materialised CTE (an `IN (SELECT … LIMIT n FOR UPDATE
    // SKIP LOCKED)` sub-select may run again per row and take more than n), and the outer WHERE repeats
    // the condition (a claimer that waited on a row lock re-checks only that against the committed row).
    // SQLite has one writer at a time: the plain sub-select is atomic there and needs no re-check.
    const text = this.db.capabilities.skipLocked
      ? `WITH picked AS MATERIALIZED (SELECT id FROM "OutboxMessage" WHERE ${condition.text} <= ? ORDER BY ${order.text} LIMIT ? ${skipLocked(this.db.capabilities).text}) ` +
        `UPDATE "OutboxMessage" AS m SET status = 'SENDING', "leaseExpiresAt" = ?, "claimToken" = ?, attempts = m.attempts + 1, "updatedAt" = ? ` +
        `FROM picked WHERE m.id = picked.id AND m.${condition.text} <= ? ` +
        `RETURNING m.id, m."idempotencyKey", m.channel, m.payload, m.attempts, m."maxAttempts", m."followUpId", m."sendStartedAt", m."deliveryStatus"`
      : `UPDATE "OutboxMessage" SET status = 'SENDING', "leaseExpiresAt" = ?, "claimToken" = ?, attempts = attempts + 1, "updatedAt" = ? ` +
        `WHERE id IN (SELECT id FROM "OutboxMessage" WHERE ${condition.text} <= ? ORDER BY ${order.text} LIMIT ?) ` +
        `RETURNING id, "idempotencyKey", channel, payload, attempts, "maxAttempts", "followUpId", "sendStartedAt", "deliveryStatus"`;
    const params = this.db.capabilities.skipLocked ? [now, limit, leaseUntil, claimToken, now, now] : [leaseUntil, claimToken, now, now, limit];
    const rows = await this.db.prisma.$queryRawUnsafe<
      {
        id: string;
        idempotencyKey: string;
        channel: string;
        payload: string;
        attempts: number | bigint;
        maxAttempts: number | bigint;
        followUpId: string | null;
        sendStartedAt: Date | string | number | bigint | null;
        deliveryStatus: string | null;
      }[]
    >(...numbered(this.db.capabilities, text, params));
    return rows.map((r) => ({
      id: r.id,
      idempotencyKey: r.idempotencyKey,
      channel: r.channel as ChannelName,
      message: JSON.parse(r.payload) as OutboundMessage,
      attempt: Number(r.attempts),
      maxAttempts: Number(r.maxAttempts),
      claimToken,
      followUpId: r.followUpId,
      sendStartedAt: rawDate(r.sendStartedAt),
      deliveryReported: r.deliveryStatus !== null,
    }));
  }

  async markSendStarted(id: string, claimToken: string, at: Date, leaseUntil: Date): Promise<boolean> {
    const { count } = await this.db.prisma.outboxMessage.updateMany({ where: { id, claimToken, status: 'SENDING' }, data: { sendStartedAt: at, leaseExpiresAt: leaseUntil } });
    return count === 1;
  }

  async releaseOutboxClaim(claimToken: string, now: Date): Promise<number> {
    const { count } = await this.db.prisma.outboxMessage.updateMany({
      where: { claimToken, status: 'SENDING', sendStartedAt: null },
      data: { status: 'PENDING', claimToken: null, leaseExpiresAt: null, attempts: { decrement: 1 }, updatedAt: now },
    });
    return count;
  }

  async listUncertain(limit: number): Promise<UncertainOutboxMessage[]> {
    const rows = await this.db.prisma.outboxMessage.findMany({
      where: { status: 'UNCERTAIN' },
      orderBy: [{ sendStartedAt: 'asc' }, { id: 'asc' }],
      take: limit,
      select: { id: true, idempotencyKey: true, channel: true, kind: true, recipientType: true, recipientId: true, sendStartedAt: true, lastError: true },
    });
    return rows.map(({ lastError, channel, ...r }) => ({ ...r, channel: channel as ChannelName, reason: lastError }));
  }

  async resolveUncertain(id: string, decision: 'resend' | 'settle', audit: NewAuditEntry): Promise<boolean> {
    const data =
      decision === 'resend'
        ? { status: 'PENDING', nextAttemptAt: audit.at, sendStartedAt: null, maxAttempts: { increment: 1 } }
        : { status: 'SENT', sentAt: audit.at, sendStartedAt: null };
    return this.db.prisma.$transaction(async (tx) => {
      const { count } = await tx.outboxMessage.updateMany({ where: { id, status: 'UNCERTAIN' }, data });
      if (count !== 1) return false;
      await insertAudit(tx, this.db.ids, [audit]);
      return true;
    }, TX_OPTIONS);
  }

  async takeCardResponseCode(cardKey: string): Promise<{ responseCode: string; to: StaffAddress } | null> {
    const row = await this.db.prisma.outboxMessage.findUnique({ where: { idempotencyKey: cardKey }, select: { responseCode: true, payload: true } });
    const to = row ? (JSON.parse(row.payload) as { to?: StaffAddress }).to : undefined;
    if (!row?.responseCode || !to) return null;
    // Compare-and-set: of two updates taking the same code, one gets it.
    const { count } = await this.db.prisma.outboxMessage.updateMany({ where: { idempotencyKey: cardKey, responseCode: row.responseCode }, data: { responseCode: null } });
    return count === 1 ? { responseCode: row.responseCode, to } : null;
  }

  async completeOutbox(result: Parameters<OutboxStore['completeOutbox']>[0]): Promise<boolean> {
    // Every outcome ends the attempt handed to the provider, except a reconciliation still waiting for it
    // and an UNCERTAIN hold (when that attempt started is the operator's evidence).
    const ended = (result.outcome === 'RETRY' && result.keepSendStarted) || result.outcome === 'UNCERTAIN' ? {} : { sendStartedAt: null };
    const data =
      result.outcome === 'SENT'
        ? { status: 'SENT', sentAt: result.finishedAt, providerMessageId: result.providerMessageId, responseCode: result.responseCode ?? null, leaseExpiresAt: null, claimToken: null, ...ended }
        : result.outcome === 'RETRY'
          ? {
              status: 'PENDING',
              nextAttemptAt: result.nextAttemptAt,
              lastErrorCode: result.errorCode,
              lastError: result.error,
              leaseExpiresAt: null,
              claimToken: null,
              ...ended,
              ...(result.extendBudget ? { maxAttempts: { increment: 1 } } : {}),
            }
          : { status: result.outcome, lastErrorCode: result.errorCode, lastError: result.error, leaseExpiresAt: null, claimToken: null, ...ended };
    // A survey fallback that lost a reply code to another replica runs the whole transaction again.
    const run = () => this.db.prisma.$transaction(async (tx) => {
      const { count } = await tx.outboxMessage.updateMany({ where: { id: result.id, claimToken: result.claimToken, status: 'SENDING' }, data });
      if (count !== 1) return false;
      // The SMS replacement of a WeChat survey invitation commits with its DEAD mark, or not at all.
      if (result.outcome === 'DEAD' && result.replacement?.kind === 'survey_sms') await applySurveyFallback(tx, this.db.ids, result.replacement.fallback);
      if (result.outcome === 'CANCELLED' || result.outcome === 'UNCERTAIN') await insertAudit(tx, this.db.ids, [result.audit]);
      if (result.outcome === 'DEAD' && result.invalidRecipientPhone) {
        const row = await tx.outboxMessage.findUniqueOrThrow({ where: { id: result.id }, select: { recipientType: true, recipientId: true } });
        if (row.recipientType === 'customer') await markPhoneInvalid(tx, row.recipientId, result.finishedAt);
      }
      await tx.outboxAttempt.create({
        data: {
          id: this.db.ids.next(),
          messageId: result.id,
          attempt: result.attempt,
          startedAt: result.startedAt,
          finishedAt: result.finishedAt,
          outcome: result.outcome,
          errorCode: result.outcome === 'SENT' ? null : result.errorCode,
          error: result.outcome === 'SENT' ? null : result.error,
        },
      });
      return true;
    }, TX_OPTIONS);
    return result.outcome === 'DEAD' && result.replacement ? withReplyCodeRetry(run) : run();
  }

  async countSentSince(channel: ChannelName, since: Date, exceptKinds: readonly string[] = []): Promise<number> {
    return this.db.prisma.outboxMessage.count({ where: { channel, sentAt: { gte: since }, ...(exceptKinds.length ? { kind: { notIn: [...exceptKinds] } } : {}) } });
  }

  async lastSurveyInvitesSent(customerIds: readonly string[], since: Date): ReturnType<OutboxStore['lastSurveyInvitesSent']> {
    // Served by the (recipientId, kind, sentAt) index.
    const rows = await this.db.prisma.outboxMessage.findMany({
      where: { recipientId: { in: [...customerIds] }, recipientType: 'customer', kind: 'survey_invite', sentAt: { gte: since } },
      select: { recipientId: true, sentAt: true, payload: true },
      orderBy: { sentAt: 'asc' },
    });
    const last = new Map<string, { surveyId: string; sentAt: Date }>();
    for (const row of rows) {
      const message = JSON.parse(row.payload) as OutboundMessage;
      if (message.kind === 'survey_invite' && row.sentAt) last.set(row.recipientId, { surveyId: message.surveyId, sentAt: row.sentAt });
    }
    return last;
  }

  async countCustomerSmsSince(customerId: string, since: Date): Promise<number> {
    return this.db.prisma.outboxMessage.count({ where: { channel: 'sms', recipientType: 'customer', recipientId: customerId, sentAt: { gte: since } } });
  }

  async recordDeliveryReport(report: Parameters<OutboxStore['recordDeliveryReport']>[0]): ReturnType<OutboxStore['recordDeliveryReport']> {
    return this.db.prisma.$transaction(async (tx) => {
      const select = { id: true, recipientType: true, recipientId: true } as const;
      const row =
        (await tx.outboxMessage.findFirst({ where: { providerMessageId: report.providerMessageId }, select })) ??
        (report.idempotencyKey ? await tx.outboxMessage.findUnique({ where: { idempotencyKey: report.idempotencyKey }, select }) : null);
      if (!row) return { found: false as const };
      await tx.outboxMessage.update({
        where: { id: row.id },
        data: { deliveryStatus: report.status, deliveryError: report.error, deliveredAt: report.status === 'DELIVERED' ? report.at : null },
      });
      const customerId = row.recipientType === 'customer' ? row.recipientId : null;
      const phoneMarkedInvalid = report.invalidNumber && customerId !== null ? await markPhoneInvalid(tx, customerId, report.at) : false;
      return { found: true as const, outboxId: row.id, customerId, phoneMarkedInvalid };
    }, TX_OPTIONS);
  }
}

/** A DateTime column read by a raw query: PostgreSQL gives a Date, SQLite its stored number or text. */
function rawDate(value: Date | string | number | bigint | null): Date | null {
  if (value === null) return null;
  if (value instanceof Date) return value;
  if (typeof value === 'string' && !/^\d+$/.test(value)) return new Date(value);
  return new Date(Number(value));
}
