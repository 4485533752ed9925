import type { OutboundMessage } from '../messages.js';

/** A customer as the external-contact match sees them (docs/protocols/wecom.md §12.4). */
export interface ContactMatchCustomer {
  id: string;
  name: string;
  phoneE164: string | null;
  wecomExternalId: string | null;
  wecomFollowUserId: string | null;
}

/** A customer message sent by a member through 客户联系 whose outcome is not known yet. */
export interface UnconfirmedContactMessage {
  id: string;
  idempotencyKey: string;
  /** The group send's msgid. */
  providerMessageId: string;
  sentAt: Date;
  followUpId: string | null;
  customerId: string;
  message: OutboundMessage;
}

/**
 * What Huifang keeps about customers as WeCom external contacts (客户联系) and the messages members
 * send them: the match of customers to external_userids, and the sends waiting for a member's confirmation.
 */
export interface WecomContactStore {
  /** Customers ordered by id after `afterId` (a page of the whole list). */
  listCustomersForContactMatch(afterId: string | null, limit: number): Promise<ContactMatchCustomer[]>;
  /** Sets (or, with nulls, clears) the external contact of each customer, in one transaction. */
  saveContactMatches(changes: readonly { customerId: string; externalUserId: string | null; followUserId: string | null }[], at: Date): Promise<void>;
  /**
   * 客户联系 messages to the customer sent (queued for the member) at or after `since`, except those
   * that failed: what counts against WeCom's per-customer group-message quota.
   */
  countContactMessagesSince(customerId: string, since: Date): Promise<number>;
  /** SENT 客户联系 messages without a delivery outcome, ordered by id after `afterId`. */
  listUnconfirmedContactMessages(afterId: string | null, limit: number): Promise<UnconfirmedContactMessage[]>;
  /**
   * 客户联系 customer notices (greetings) that failed — DEAD, or SENT and reported FAILED — at or after
   * `since`, with no message replacing them yet: the candidates for the next channel of their chain.
   */
  listFailedContactNotices(since: Date, limit: number): Promise<UnconfirmedContactMessage[]>;
}

/** What became of one 客户联系 message (docs/protocols/wecom.md §12.5). */
export type ContactSendOutcome =
  | { status: 'sent'; at: Date }
  /** The member has not sent it yet. */
  | { status: 'pending' }
  /**
   * Not delivered: the customer is no longer the member's contact, already had their quota of group
   * messages, or the send was withdrawn before the member sent it.
   */
  | { status: 'failed'; reason: 'NOT_A_CONTACT' | 'GROUP_MESSAGE_LIMIT' | 'WITHDRAWN' };

/** The provider's side of 客户联系 messages: their outcome, and withdrawing one not sent yet. */
export interface ContactSendResults {
  outcomeOf(send: { providerMessageId: string; followUserId: string; externalUserId: string }): Promise<ContactSendOutcome>;
  /** Withdraws a queued message the member has not sent (they can no longer send it). */
  withdraw(providerMessageId: string): Promise<void>;
}

/** One (customer, member) pair of the corp's external contacts. */
export interface ExternalContactEntry {
  externalUserId: string;
  followUserId: string;
  /** The customer's WeChat name. */
  name: string;
  /** The member's name for them (备注). */
  remark: string;
  /** Phone numbers the member noted for them (备注手机号), as written. */
  mobiles: string[];
}

/** The corp's external contacts, every member with the customer-contact feature together. */
export interface ExternalContactDirectory {
  listExternalContacts(): Promise<ExternalContactEntry[]>;
}
