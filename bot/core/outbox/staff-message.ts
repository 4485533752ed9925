import type { OutboundMessage, StaffAddress } from '../messages.js';
import type { NewOutboxMessage } from '../records.js';

type StaffMessage = Extract<OutboundMessage, { to: StaffAddress }>;
/** A staff message without its address (the recipient gives it). */
export type StaffMessageBody = StaffMessage extends infer M ? (M extends StaffMessage ? Omit<M, 'to'> : never) : never;

/** The outbox row of one WeCom message to a staff member, due now, under `idempotencyKey`. */
export function staffOutbox(
  staff: { id: string; wecomUserId: string },
  idempotencyKey: string,
  body: StaffMessageBody,
  now: Date,
  followUpId: string | null,
): NewOutboxMessage {
  return {
    idempotencyKey,
    channel: 'wecom',
    recipientType: 'staff',
    recipientId: staff.id,
    followUpId,
    nextAttemptAt: now,
    message: { ...body, to: { staffId: staff.id, wecomUserId: staff.wecomUserId } } as StaffMessage,
  };
}
