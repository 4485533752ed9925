import type { IdGenerator } from '../core/clock.js';
import type { ClaimedOutboxMessage, OutboxStore, UncertainOutboxMessage } from '../core/ports/outbox.js';
import type { NewAuditEntry, NewOutboxMessage } from '../core/records.js';
import type { ChannelName } from '../core/model.js';
import type { OutboundMessage, StaffAddress } from '../core/messages.js';
import type { MemoryState, OutboxRow } from './memory-state.js';
import { byTimeThenId } from './rows.js';
import { applySurveyFallback, insertAudit, insertOutbox, markPhoneInvalid } from './writes.js';

/**
 * `OutboxStore` in memory. A claim sets a lease and a claim token in one transaction; completing
 * checks the token, so a dispatcher whose lease passed to another records nothing.
 */
export class MemoryOutboxStore implements OutboxStore {
  constructor(
    private readonly state: MemoryState,
    private readonly ids: IdGenerator,
  ) {}

  async enqueue(messages: NewOutboxMessage[]): Promise<number> {
    if (messages.length === 0) return 0;
    return this.state.transact((tx) => insertOutbox(tx, this.ids, messages));
  }

  async claimOutbox(now: Date, leaseMs: number, limit: number, claimToken: string): Promise<ClaimedOutboxMessage[]> {
    const leaseUntil = new Date(now.getTime() + leaseMs);
    return this.state.transact((tx) => {
      // Due PENDING messages first, then SENDING ones whose dispatcher's lease expired (it died mid-send).
      const pending = tx.outbox
        .filter((m) => m.status === 'PENDING' && m.nextAttemptAt <= now)
        .sort(byTimeThenId((m) => m.nextAttemptAt))
        .slice(0, limit);
      const expired =
        pending.length < limit
          ? tx.outbox
              .filter((m) => m.status === 'SENDING' && m.leaseExpiresAt !== null && m.leaseExpiresAt <= now)
              .sort(byTimeThenId((m) => m.leaseExpiresAt))
              .slice(0, limit - pending.length)
          : [];
      return [...pending, ...expired].map((m) => claimed(tx.outbox.update(m.id, { status: 'SENDING', leaseExpiresAt: leaseUntil, claimToken, attempts: m.attempts + 1 }), claimToken));
    });
  }

  async markSendStarted(id: string, claimToken: string, at: Date, leaseUntil: Date): Promise<boolean> {
    return this.state.transact((tx) => tx.outbox.updateWhere((m) => m.id === id && m.claimToken === claimToken && m.status === 'SENDING', () => ({ sendStartedAt: at, leaseExpiresAt: leaseUntil })) === 1);
  }

  async releaseOutboxClaim(claimToken: string, now: Date): Promise<number> {
    return this.state.transact((tx) =>
      tx.outbox.updateWhere(
        (m) => m.claimToken === claimToken && m.status === 'SENDING' && m.sendStartedAt === null,
        (m) => ({ status: 'PENDING', claimToken: null, leaseExpiresAt: null, attempts: m.attempts - 1, updatedAt: now }),
      ),
    );
  }

  async listUncertain(limit: number): Promise<UncertainOutboxMessage[]> {
    return this.state.transact((tx) =>
      tx.outbox
        .filter((m) => m.status === 'UNCERTAIN')
        .sort(byTimeThenId((m) => m.sendStartedAt))
        .slice(0, limit)
        .map((m) => ({
          id: m.id,
          idempotencyKey: m.idempotencyKey,
          channel: m.channel as ChannelName,
          kind: m.kind,
          recipientType: m.recipientType,
          recipientId: m.recipientId,
          sendStartedAt: m.sendStartedAt,
          reason: m.lastError,
        })),
    );
  }

  async resolveUncertain(id: string, decision: 'resend' | 'settle', audit: NewAuditEntry): Promise<boolean> {
    return this.state.transact((tx) => {
      const done = tx.outbox.updateWhere((m) => m.id === id && m.status === 'UNCERTAIN', (m) =>
        decision === 'resend' ? { status: 'PENDING', nextAttemptAt: audit.at, sendStartedAt: null, maxAttempts: m.maxAttempts + 1 } : { status: 'SENT', sentAt: audit.at, sendStartedAt: null },
      );
      if (done !== 1) return false;
      insertAudit(tx, this.ids, [audit]);
      return true;
    });
  }

  async takeCardResponseCode(cardKey: string): Promise<{ responseCode: string; to: StaffAddress } | null> {
    return this.state.transact((tx) => {
      const row = tx.outbox.byUnique('idempotencyKey', cardKey);
      const to = row ? (JSON.parse(row.payload) as { to?: StaffAddress }).to : undefined;
      if (!row?.responseCode || !to) return null;
      tx.outbox.update(row.id, { responseCode: null });
      return { responseCode: row.responseCode, to };
    });
  }

  async completeOutbox(result: Parameters<OutboxStore['completeOutbox']>[0]): Promise<boolean> {
    return this.state.transact((tx) => {
      // Every outcome ends the attempt handed to the provider, except a reconciliation still waiting for it
      // and an UNCERTAIN hold (when that attempt started is the operator's evidence).
      const ended = (result.outcome === 'RETRY' && result.keepSendStarted) || result.outcome === 'UNCERTAIN' ? {} : { sendStartedAt: null };
      const done = tx.outbox.updateWhere((m) => m.id === result.id && m.claimToken === result.claimToken && m.status === 'SENDING', (m) =>
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
                ...(result.extendBudget ? { maxAttempts: m.maxAttempts + 1 } : {}),
              }
            : { status: result.outcome, lastErrorCode: result.errorCode, lastError: result.error, leaseExpiresAt: null, claimToken: null, ...ended },
      );
      if (done !== 1) return false;
      // The SMS replacement of a WeChat survey invitation commits with its DEAD mark, or not at all.
      if (result.outcome === 'DEAD' && result.replacement?.kind === 'survey_sms') applySurveyFallback(tx, this.ids, result.replacement.fallback);
      if (result.outcome === 'CANCELLED' || result.outcome === 'UNCERTAIN') insertAudit(tx, this.ids, [result.audit]);
      if (result.outcome === 'DEAD' && result.invalidRecipientPhone) {
        const row = tx.outbox.get(result.id)!;
        if (row.recipientType === 'customer') markPhoneInvalid(tx, row.recipientId, result.finishedAt);
      }
      tx.outboxAttempt.insert({
        id: this.ids.next(),
        messageId: result.id,
        attempt: result.attempt,
        startedAt: result.startedAt,
        finishedAt: result.finishedAt,
        outcome: result.outcome,
        errorCode: result.outcome === 'SENT' ? null : result.errorCode,
        error: result.outcome === 'SENT' ? null : result.error,
      });
      // The sandbox's delivery commits with its SENT outcome (one per message: a delivery already there stays).
      if (result.outcome === 'SENT' && result.delivery && !tx.sandboxDelivery.byUnique('outboxMessageId', result.id)) tx.sandboxDelivery.insert({ ...result.delivery });
      return true;
    });
  }

  async countSentSince(channel: ChannelName, since: Date, exceptKinds: readonly string[] = []): Promise<number> {
    return this.state.transact((tx) => tx.outbox.count((m) => m.channel === channel && m.sentAt !== null && m.sentAt >= since && !exceptKinds.includes(m.kind)));
  }

  async lastSurveyInvitesSent(customerIds: readonly string[], since: Date): ReturnType<OutboxStore['lastSurveyInvitesSent']> {
    return this.state.transact((tx) => {
      const wanted = new Set(customerIds);
      const rows = tx.outbox
        .filter((m) => m.recipientType === 'customer' && wanted.has(m.recipientId) && m.kind === 'survey_invite' && m.sentAt !== null && m.sentAt >= since)
        .sort((a, b) => a.sentAt!.getTime() - b.sentAt!.getTime());
      const last = new Map<string, { surveyId: string; sentAt: Date }>();
      for (const row of rows) {
        const message = JSON.parse(row.payload) as OutboundMessage;
        if (message.kind === 'survey_invite') last.set(row.recipientId, { surveyId: message.surveyId, sentAt: row.sentAt! });
      }
      return last;
    });
  }

  async countCustomerSmsSince(customerId: string, since: Date): Promise<number> {
    return this.state.transact((tx) => tx.outbox.count((m) => m.channel === 'sms' && m.recipientType === 'customer' && m.recipientId === customerId && m.sentAt !== null && m.sentAt >= since));
  }

  async countCustomersSmsSince(questions: readonly { customerId: string; since: Date }[]): Promise<number[]> {
    return Promise.all(questions.map((q) => this.countCustomerSmsSince(q.customerId, q.since)));
  }

  async recordDeliveryReport(report: Parameters<OutboxStore['recordDeliveryReport']>[0]): ReturnType<OutboxStore['recordDeliveryReport']> {
    return this.state.transact((tx) => {
      const row =
        tx.outbox.find((m) => m.providerMessageId === report.providerMessageId) ??
        (report.idempotencyKey ? tx.outbox.byUnique('idempotencyKey', report.idempotencyKey) : undefined);
      if (!row) return { found: false as const };
      tx.outbox.update(row.id, { deliveryStatus: report.status, deliveryError: report.error, deliveredAt: report.status === 'DELIVERED' ? report.at : null });
      const customerId = row.recipientType === 'customer' ? row.recipientId : null;
      const phoneMarkedInvalid = report.invalidNumber && customerId !== null ? markPhoneInvalid(tx, customerId, report.at) : false;
      return { found: true as const, outboxId: row.id, customerId, phoneMarkedInvalid };
    });
  }
}

function claimed(m: OutboxRow, claimToken: string): ClaimedOutboxMessage {
  return {
    id: m.id,
    idempotencyKey: m.idempotencyKey,
    channel: m.channel as ChannelName,
    message: JSON.parse(m.payload) as OutboundMessage,
    attempt: m.attempts,
    maxAttempts: m.maxAttempts,
    claimToken,
    followUpId: m.followUpId,
    sendStartedAt: m.sendStartedAt,
    deliveryReported: m.deliveryStatus !== null,
  };
}

