export interface InboundEventInput {
  source: string;
  dedupeKey: string;
  kind: string;
  payload: Record<string, unknown>;
  receivedAt: Date;
}

/**
 * A `RateCounter` hit committed together with an inbound event: the WeCom callback remembers the signed
 * request's nonce this way, so the nonce is remembered exactly when the event it delivered is recorded
 * (or found recorded before), in the event's own commit.
 */
export interface CounterHit {
  key: string;
  windowStart: Date;
}

/** An event to record: its id, and a counter hit to commit with it, if any. */
export type InboundEventToRecord = InboundEventInput & { id: string; counterHit?: CounterHit };

export interface InboundEventRecord extends InboundEventInput {
  id: string;
  attempts: number;
}

/** An inbound event whose attempts are used up (DEAD): shown to an operator, who may replay it. */
export interface DeadInboundEvent {
  id: string;
  source: string;
  kind: string;
  attempts: number;
  error: string | null;
  receivedAt: Date;
  /** When its last attempt failed. */
  failedAt: Date | null;
}

/** The inbox every inbound event is recorded in before it is acted on (deduplicated by provider key). */
export interface InboxStore {
  /**
   * Records an inbound event unless one with the same (source, dedupeKey) exists. Its counter hit, if any,
   * is added in the same commit, whether the event is new or a duplicate.
   */
  recordInbound(event: InboundEventToRecord): Promise<{ id: string; duplicate: boolean }>;
  /**
   * Records several events at once, in one atomic commit (group commit): the answer has one entry per
   * event, in order, each as {@link recordInbound} would give it. An event whose (source, dedupeKey)
   * exists already, or repeats an earlier one of the same call, is a duplicate carrying the recorded id;
   * one that was neither recorded nor found (its id taken by another event) gets its error instead.
   * The events' counter hits are added in the same commit (hits on the same key and window add up).
   * Throws, having recorded none of them and added no hit, when the statement fails.
   */
  recordInboundBatch(events: readonly InboundEventToRecord[]): Promise<({ id: string; duplicate: boolean } | { error: Error })[]>;
  /** Leases one event for processing (RECEIVED, or FAILED and due again); null if taken, not due or done. */
  claimInbound(id: string, now: Date, leaseMs: number): Promise<InboundEventRecord | null>;
  /**
   * Leases up to `limit` events waiting for processing (RECEIVED, or FAILED and due again with attempts
   * left), oldest first, in one statement; an event leased by another process is skipped.
   */
  claimInboundBatch(now: Date, leaseMs: number, limit: number, maxAttempts: number): Promise<InboundEventRecord[]>;
  /**
   * Hands back events leased by a claim that were not started (a shutdown cut the run off): each one still
   * waiting and leased until exactly `leaseUntil` loses its lease, and the attempt the claim counted is taken
   * back, so it is handled at once by the next drain or replica as if never claimed. Returns how many.
   */
  releaseInboundClaim(ids: readonly string[], leaseUntil: Date, now: Date): Promise<number>;
  /** Ids of events waiting for processing (crash recovery, and FAILED ones due again with attempts left). */
  listPendingInbound(now: Date, limit: number, maxAttempts: number): Promise<string[]>;
  /** Records an attempt's outcome; a FAILED event is not tried again before `nextAttemptAt`. */
  finishInbound(id: string, status: 'PROCESSED' | 'REJECTED' | 'FAILED' | 'DEAD', at: Date, result: Record<string, unknown>, error?: string, nextAttemptAt?: Date): Promise<void>;
  /** DEAD events (and FAILED ones out of `maxAttempts`, from before DEAD existed), oldest first. */
  listDeadInbound(limit: number, maxAttempts: number): Promise<DeadInboundEvent[]>;
  /** Puts a DEAD (or exhausted FAILED) event back as RECEIVED with its attempts reset; false if it is neither. */
  replayInbound(id: string, maxAttempts: number): Promise<boolean>;
}
