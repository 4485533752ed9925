import type { OutboundMessage } from '../core/messages.js';
import type { ContactMatchCustomer, UnconfirmedContactMessage, WecomContactStore } from '../core/ports/wecom-contacts.js';
import type { MemoryState, OutboxRow } from './memory-state.js';
import { parseJson } from './rows.js';

const CHANNEL = 'wecom_contact';

/** `WecomContactStore` in memory. */
export class MemoryWecomContactStore implements WecomContactStore {
  constructor(private readonly state: MemoryState) {}

  async listCustomersForContactMatch(afterId: string | null, limit: number): Promise<ContactMatchCustomer[]> {
    return this.state.transact((tx) =>
      tx.customer
        .filter((c) => afterId === null || c.id > afterId)
        .sort((a, b) => (a.id < b.id ? -1 : 1))
        .slice(0, limit)
        .map((c) => ({ id: c.id, name: c.name, phoneE164: c.phoneE164, wecomExternalId: c.wecomExternalId, wecomFollowUserId: c.wecomFollowUserId })),
    );
  }

  async saveContactMatches(changes: readonly { customerId: string; externalUserId: string | null; followUserId: string | null }[], at: Date): Promise<void> {
    this.state.transact((tx) => {
      for (const c of changes) tx.customer.update(c.customerId, { wecomExternalId: c.externalUserId, wecomFollowUserId: c.followUserId, wecomMatchedAt: c.externalUserId ? at : null });
    });
  }

  async countContactMessagesSince(customerId: string, since: Date): Promise<number> {
    return this.state.transact((tx) => tx.outbox.count((m) => m.channel === CHANNEL && m.recipientType === 'customer' && m.recipientId === customerId && m.sentAt !== null && m.sentAt >= since && m.deliveryStatus !== 'FAILED'));
  }

  async listUnconfirmedContactMessages(afterId: string | null, limit: number): Promise<UnconfirmedContactMessage[]> {
    return this.state.transact((tx) =>
      tx.outbox
        .filter((m) => m.channel === CHANNEL && m.status === 'SENT' && m.deliveryStatus === null && m.providerMessageId !== null && (afterId === null || m.id > afterId))
        .sort((a, b) => (a.id < b.id ? -1 : 1))
        .slice(0, limit)
        .map(toUnconfirmed),
    );
  }

  async listFailedContactNotices(since: Date, limit: number): Promise<UnconfirmedContactMessage[]> {
    return this.state.transact((tx) =>
      tx.outbox
        .filter((m) => m.channel === CHANNEL && m.kind === 'customer_notice' && (m.status === 'DEAD' || (m.status === 'SENT' && m.deliveryStatus === 'FAILED')) && (m.sentAt ?? m.nextAttemptAt) >= since)
        .sort((a, b) => (a.id < b.id ? -1 : 1))
        .slice(0, limit)
        .map(toUnconfirmed),
    );
  }
}

function toUnconfirmed(row: Readonly<OutboxRow>): UnconfirmedContactMessage {
  return {
    id: row.id,
    idempotencyKey: row.idempotencyKey,
    providerMessageId: row.providerMessageId ?? '',
    sentAt: row.sentAt ?? row.createdAt,
    followUpId: row.followUpId,
    customerId: row.recipientId,
    message: parseJson<OutboundMessage>(row.payload, { kind: 'customer_notice' } as OutboundMessage),
  };
}
