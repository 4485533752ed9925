/**
 * Typed lifecycle events, in the manner of graphile-worker's `WorkerEventMap`: use cases emit what
 * happened after it is recorded (a state change committed), and logs, `/metrics` and tests subscribe.
 * Emitting cannot break the loop: a listener that throws is reported to `onListenerError` and the
 * other listeners still run.
 */
import type { ClaimedOutboxMessage } from './ports/outbox.js';
import type { DeferralReason } from './outbox/contact-hours.js';

/** Every event, by name, with its payload. */
export interface HuifangEventMap {
  /** The provider accepted the message (recorded SENT). */
  'outbox:sent': { message: ClaimedOutboxMessage; providerMessageId: string | null; at: Date };
  /** The attempt failed; the message waits until `nextAttemptAt`. `blocked`: an operator must fix credentials or permissions. */
  'outbox:retried': { message: ClaimedOutboxMessage; error: Error; errorCode: string; nextAttemptAt: Date; blocked: boolean; at: Date };
  /** The message will never be sent; `replacementQueued` when another message replaces it (an SMS for a failed WeChat invitation). */
  'outbox:dead': { message: ClaimedOutboxMessage; error: Error; errorCode: string; replacementQueued: boolean; at: Date };
  /** A customer message held back, unsent, until `until` (quiet hours, the policy's windows, the gap between surveys, the daily SMS budget). */
  'outbox:deferred': { message: ClaimedOutboxMessage; reason: DeferralReason; until: Date; at: Date };
  /** Not sent: the recipient may no longer be contacted (opt-out, consent withdrawn), or `PAST_DEADLINE`. */
  'outbox:cancelled': { message: ClaimedOutboxMessage; reason: string; at: Date };
  /**
   * A send interrupted by a crash that the provider could neither confirm nor rule out: the message is
   * held as UNCERTAIN until a person resends or settles it (`huifang outbox uncertain`).
   */
  'outbox:uncertain': { message: ClaimedOutboxMessage; evidence: string; at: Date };
  /**
   * An inbound event was handled: PROCESSED, or REJECTED with the reason (bad input, unknown survey …).
   * `dedupeKey` is the provider's key of the event; it may hold a phone number or reply text, so it is
   * for matching, never for logs.
   */
  'inbox:processed': { eventId: string; source: string; dedupeKey: string; kind: string; status: 'PROCESSED' | 'REJECTED'; result: Record<string, unknown> | null; reason: string | null; at: Date };
  /**
   * Handling an inbound event failed; it stays recorded and the inbox job retries it at `nextAttemptAt`,
   * or, null, its attempts are used up and it is DEAD until an operator replays it.
   */
  'inbox:failed': { eventId: string; source: string; dedupeKey: string; kind: string; error: Error; nextAttemptAt: Date | null; at: Date };
  'escalation:opened': { escalationId: string; caseId: string; reason: string; level: number; ownerId: string; deadlineAt: Date; at: Date };
  /** Past its deadline, the escalation moved to the next level of its chain. */
  'escalation:climbed': { escalationId: string; fromLevel: number; toLevel: number; ownerId: string; deadlineAt: Date; at: Date };
  /** Past its deadline at the top of its chain: nobody above is left to take it. */
  'escalation:breached': { escalationId: string; level: number; ownerId: string; at: Date };
  'escalation:acknowledged': { escalationId: string; byStaffId: string; at: Date };
  /** The owner recorded how it was handled; the second follow-up (二次回访) is scheduled. */
  'escalation:resolved': { escalationId: string; byStaffId: string; secondFollowUpId: string | null; at: Date };
  /** A job run ended (`jobs/run-job.ts`): `ok` false when it threw; `ms` is its wall-clock duration. */
  'job:finished': { job: string; ms: number; ok: boolean; at: Date };
}

export type HuifangEventName = keyof HuifangEventMap;
export type HuifangListener<E extends HuifangEventName> = (payload: HuifangEventMap[E]) => void;

/** A typed emitter of {@link HuifangEventMap}. */
export class HuifangEvents {
  readonly #listeners = new Map<HuifangEventName, Set<(payload: never) => void>>();

  /** @param onListenerError told about a listener that threw (the composition root logs it). */
  constructor(private readonly onListenerError: (error: unknown, event: HuifangEventName) => void = () => {}) {}

  /** Subscribes; returns the function that unsubscribes. */
  on<E extends HuifangEventName>(event: E, listener: HuifangListener<E>): () => void {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener as (payload: never) => void);
    return () => this.off(event, listener);
  }

  off<E extends HuifangEventName>(event: E, listener: HuifangListener<E>): void {
    this.#listeners.get(event)?.delete(listener as (payload: never) => void);
  }

  /** Calls every listener of `event`; never throws. */
  emit<E extends HuifangEventName>(event: E, payload: HuifangEventMap[E]): void {
    for (const listener of [...(this.#listeners.get(event) ?? [])]) {
      try {
        (listener as HuifangListener<E>)(payload);
      } catch (error) {
        try {
          this.onListenerError(error, event);
        } catch {
          // The error reporter itself failed: nothing more can be done without breaking the loop.
        }
      }
    }
  }
}

/** Emits on `events` when there is one; never throws (graphile-worker's `safeEmit`). */
export function safeEmit<E extends HuifangEventName>(events: HuifangEvents | undefined, event: E, payload: HuifangEventMap[E]): void {
  events?.emit(event, payload);
}
