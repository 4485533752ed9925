import type { OutboundMessage, RecordedDelivery, StaffAddress } from '../messages.js';
import type { ChannelName } from '../model.js';
import type { CustomerRecord, NewAuditEntry, NewOutboxMessage } from '../records.js';
import type { SurveyFallback } from './survey-fallbacks.js';

export interface ClaimedOutboxMessage {
  id: string;
  idempotencyKey: string;
  channel: ChannelName;
  message: OutboundMessage;
  /** Attempt number of this claim (1-based). */
  attempt: number;
  maxAttempts: number;
  claimToken: string;
  /** The follow-up the message belongs to, if any. */
  followUpId?: string | null;
  /**
   * When an earlier attempt was handed to the provider without a recorded outcome (its dispatcher died
   * mid-send); null or absent otherwise. Such a message is reconciled before it is sent again.
   */
  sendStartedAt?: Date | null;
  /** A delivery report for this message has been recorded (so the provider has sent it). */
  deliveryReported?: boolean;
}

/** A message held for a person: an interrupted send the provider could not confirm either way. */
export interface UncertainOutboxMessage {
  id: string;
  idempotencyKey: string;
  channel: ChannelName;
  kind: string;
  recipientType: string;
  recipientId: string;
  sendStartedAt: Date | null;
  /** Why it could not be decided (the channel's evidence). */
  reason: string | null;
}

/** The outbox every outbound message goes through: enqueue, claim with a lease, complete once. */
export interface OutboxStore {
  /** Enqueues messages outside a domain transaction (e.g. notices); duplicates by key are ignored. */
  enqueue(messages: NewOutboxMessage[]): Promise<number>;
  /**
   * Claims up to `limit` messages that are PENDING and due, or SENDING with an expired lease (a
   * dispatcher died mid-send), setting a new lease and claim token. Atomic across processes.
   */
  claimOutbox(now: Date, leaseMs: number, limit: number, claimToken: string): Promise<ClaimedOutboxMessage[]>;
  /**
   * Commits, before the provider is called, that this claim's attempt is being handed to it
   * (`sendStartedAt`), and extends the lease to `leaseUntil` (a heartbeat: a long batch keeps its
   * messages). False, and nothing is sent, if the claim token no longer matches.
   */
  markSendStarted(id: string, claimToken: string, at: Date, leaseUntil: Date): Promise<boolean>;
  /**
   * Hands back, in one statement, the messages of a claim whose send has not started (a job cut off
   * at the shutdown deadline): PENDING again, claim token and lease cleared, the claim's attempt given
   * back, so the next claim on any process takes them at once. Messages marked as handed to the
   * provider stay claimed for reconciliation. Resolves with how many went back.
   */
  releaseOutboxClaim(claimToken: string, now: Date): Promise<number>;
  /** Messages held as UNCERTAIN, by when their interrupted send started. */
  listUncertain(limit: number): Promise<UncertainOutboxMessage[]>;
  /**
   * A person's decision on an UNCERTAIN message, audited: `resend` queues it again (PENDING, due at
   * `at`, with one more attempt allowed), `settle` records it as SENT (the provider had it). False if
   * the message is not UNCERTAIN.
   */
  resolveUncertain(id: string, decision: 'resend' | 'settle', audit: NewAuditEntry): Promise<boolean>;
  /**
   * The response_code the provider returned when the message with this idempotency key (a card) was
   * sent, with the member it was sent to, cleared as it is taken: a code updates a card once, so two
   * updates never get the same one. Null when there is none (not sent yet, none given, already taken).
   */
  takeCardResponseCode(cardKey: string): Promise<{ responseCode: string; to: StaffAddress } | null>;
  /** Records the attempt's result; ignored (returns false) if the claim token no longer matches. */
  completeOutbox(
    result: {
      id: string;
      claimToken: string;
      attempt: number;
      startedAt: Date;
      finishedAt: Date;
    } & (
      /** With the channel's recorded delivery (SendResult.recordedDelivery), written in the same commit. */
      | { outcome: 'SENT'; providerMessageId: string | null; responseCode?: string | null; delivery?: RecordedDelivery }
      | {
          outcome: 'RETRY';
          nextAttemptAt: Date;
          errorCode: string;
          error: string;
          /** A deferral (rate limit) that must not use up the message's attempts: maxAttempts grows by one. */
          extendBudget?: boolean;
          /** An interrupted send still being reconciled: `sendStartedAt` stays, so the next claim asks again. */
          keepSendStarted?: boolean;
        }
      /** An interrupted send the provider could not confirm either way: held for a person; the reason is audited. */
      | { outcome: 'UNCERTAIN'; errorCode: string; error: string; audit: NewAuditEntry }
      /** With what the message's dead-letter hook decided, committed with the DEAD mark. */
      | ({ outcome: 'DEAD'; errorCode: string; error: string } & DeadLetterAction)
      /** Not sent, and never will be (consent withdrawn since it was queued); the reason is audited. */
      | { outcome: 'CANCELLED'; errorCode: string; error: string; audit: NewAuditEntry }
    ),
  ): Promise<boolean>;
  /**
   * Records a provider's delivery report on the message it sent (found by `providerMessageId`, else by
   * `idempotencyKey` when the provider echoes it). With `invalidNumber`, the recipient customer's phone
   * is marked invalid and their unsent SMS are cancelled. Idempotent: a replayed report changes nothing
   * new. `found: false` when no message matches.
   */
  /**
   * Messages of `channel` sent at or after `since`, except those of the `exceptKinds` (a provider's
   * daily quota counted across replicas; served by the (channel, sentAt) index).
   */
  countSentSince(channel: ChannelName, since: Date, exceptKinds?: readonly string[]): Promise<number>;
  /**
   * The last survey invitation sent to each of `customerIds` at or after `since` (survey id and when),
   * for the minimum gap between two surveys to one customer. Customers with none are absent.
   */
  lastSurveyInvitesSent(customerIds: readonly string[], since: Date): Promise<Map<string, { surveyId: string; sentAt: Date }>>;
  /** SMS sent to the customer at or after `since`, every kind (the customer's daily SMS budget). */
  countCustomerSmsSince(customerId: string, since: Date): Promise<number>;
  /** {@link countCustomerSmsSince} for several questions at once (one query per distinct `since`), answers in order. */
  countCustomersSmsSince(questions: readonly { customerId: string; since: Date }[]): Promise<number[]>;
  recordDeliveryReport(report: DeliveryReport): Promise<{ found: false } | { found: true; outboxId: string; customerId: string | null; phoneMarkedInvalid: boolean }>;
}

/**
 * What follows a message that died, decided per message kind by a {@link DeadLetterHook} and committed
 * in the same transaction as the DEAD mark (all or nothing).
 */
export interface DeadLetterAction {
  /** The provider refused the customer's phone number for good: mark it invalid (see {@link OutboxStore.recordDeliveryReport}). */
  invalidRecipientPhone?: boolean;
  /**
   * A message that replaces the dead one: a survey invitation on the next channel of its chain (SMS,
   * 客户联系, WeChat) after WeChat or 客户联系 failed for good. `survey_sms` is the kind's first name.
   */
  replacement?: { kind: 'survey_sms'; fallback: SurveyFallback };
}

/** Decides what follows a dead message of one kind (the dispatcher itself knows no kind). */
export type DeadLetterHook = (dead: { message: ClaimedOutboxMessage; errorCode: string; error: Error; customer: CustomerRecord | undefined; now: Date }) => DeadLetterAction;

/** Dead-letter hooks by message kind. */
export type DeadLetterHooks = Partial<Record<OutboundMessage['kind'], DeadLetterHook>>;

/** A provider's delivery report for one sent message. */
export interface DeliveryReport {
  providerMessageId: string;
  /** The outbox idempotency key, when the provider echoes it (Tencent `ext` / SessionContext). */
  idempotencyKey: string | null;
  status: 'DELIVERED' | 'FAILED';
  /** The carrier's status code and description for a failure. */
  error: string | null;
  /** When the recipient received it (DELIVERED) or when the failure was reported. */
  at: Date;
  /** The report says the number does not exist: stop texting it. */
  invalidNumber: boolean;
}
