import type { OutboundMessage } from '../core/messages.js';
import type { ContactMatchCustomer, UnconfirmedContactMessage, WecomContactStore } from '../core/ports/wecom-contacts.js';
import type { StoreContext } from './store-context.js';
import { TX_OPTIONS } from './store-context.js';
import { parseJson } from './rows.js';

const CHANNEL = 'wecom_contact';

/** `WecomContactStore` over Prisma. */
export class PrismaWecomContactStore implements WecomContactStore {
  constructor(private readonly db: StoreContext) {}

  async listCustomersForContactMatch(afterId: string | null, limit: number): Promise<ContactMatchCustomer[]> {
    return this.db.prisma.customer.findMany({
      where: afterId ? { id: { gt: afterId } } : {},
      orderBy: { id: 'asc' },
      take: limit,
      select: { id: true, name: true, phoneE164: true, wecomExternalId: true, wecomFollowUserId: true },
    });
  }

  async saveContactMatches(changes: readonly { customerId: string; externalUserId: string | null; followUserId: string | null }[], at: Date): Promise<void> {
    if (changes.length === 0) return;
    await this.db.prisma.$transaction(async (tx) => {
      for (const c of changes) {
        await tx.customer.update({
          where: { id: c.customerId },
          data: { wecomExternalId: c.externalUserId, wecomFollowUserId: c.followUserId, wecomMatchedAt: c.externalUserId ? at : null },
        });
      }
    }, TX_OPTIONS);
  }

  async countContactMessagesSince(customerId: string, since: Date): Promise<number> {
    return this.db.prisma.outboxMessage.count({
      where: { channel: CHANNEL, recipientType: 'customer', recipientId: customerId, sentAt: { gte: since }, OR: [{ deliveryStatus: null }, { deliveryStatus: { not: 'FAILED' } }] },
    });
  }

  async listUnconfirmedContactMessages(afterId: string | null, limit: number): Promise<UnconfirmedContactMessage[]> {
    const rows = await this.db.prisma.outboxMessage.findMany({
      where: { channel: CHANNEL, status: 'SENT', deliveryStatus: null, providerMessageId: { not: null }, ...(afterId ? { id: { gt: afterId } } : {}) },
      orderBy: { id: 'asc' },
      take: limit,
    });
    return rows.map(toUnconfirmed);
  }

  async listFailedContactNotices(since: Date, limit: number): Promise<UnconfirmedContactMessage[]> {
    const rows = await this.db.prisma.outboxMessage.findMany({
      where: {
        channel: CHANNEL,
        kind: 'customer_notice',
        updatedAt: { gte: since },
        OR: [{ status: 'DEAD' }, { status: 'SENT', deliveryStatus: 'FAILED' }],
      },
      orderBy: { id: 'asc' },
      take: limit,
    });
    return rows.map(toUnconfirmed);
  }
}

function toUnconfirmed(row: { id: string; idempotencyKey: string; providerMessageId: string | null; sentAt: Date | null; updatedAt: Date; followUpId: string | null; recipientId: string; payload: string }): UnconfirmedContactMessage {
  return {
    id: row.id,
    idempotencyKey: row.idempotencyKey,
    providerMessageId: row.providerMessageId ?? '',
    sentAt: row.sentAt ?? row.updatedAt,
    followUpId: row.followUpId,
    customerId: row.recipientId,
    message: parseJson<OutboundMessage>(row.payload, { kind: 'customer_notice' } as OutboundMessage),
  };
}
