import { DomainError, coerceError } from '../errors.js';
import type { CoreDeps } from '../deps.js';
import type { InboundEventInput, InboundEventRecord } from '../ports/inbox.js';
import { safeEmit } from '../events.js';
import { retryDelayMs, type BackoffPolicy } from '../outbox/backoff.js';
import { NEVER_CUT_OFF, type JobCutoffSignal } from '../cutoff.js';

/** A handler for one kind of inbound event; it calls exactly one use case and returns its result. */
export type InboundHandler = (deps: CoreDeps, event: InboundEventRecord) => Promise<Record<string, unknown>>;

export interface ProcessResult {
  eventId: string;
  status: 'PROCESSED' | 'REJECTED' | 'FAILED' | 'DEAD' | 'SKIPPED';
  result?: Record<string, unknown>;
  error?: Error;
}

export const INBOUND_LEASE_MS = 60_000;
/** Attempts an inbound event gets before it is DEAD (about two hours of backoff). */
export const INBOUND_MAX_ATTEMPTS = 8;
/** Backoff between failed attempts of an inbound event: 1, 2, 4 … minutes, at most an hour, with jitter. */
export const INBOUND_BACKOFF: BackoffPolicy = { baseDelayMs: 60_000, maxDelayMs: 3_600_000 };

/**
 * Records an inbound webhook event before anything acts on it. The (source, dedupeKey) pair is unique,
 * so a provider's retry of the same callback is recorded once and processed once.
 */
export async function receiveInbound(
  deps: Pick<CoreDeps, 'inbox' | 'ids'>,
  event: InboundEventInput,
): Promise<{ id: string; duplicate: boolean }> {
  return deps.inbox.recordInbound({ ...event, id: deps.ids.next() });
}

/**
 * Processes one recorded event: leases it, routes it by kind, and records the outcome. A `DomainError`
 * (unknown number, stale card …) is a logged rejection and is not retried; any other error marks the
 * event FAILED, to be retried by the inbox job after a capped exponential backoff with jitter
 * ({@link INBOUND_BACKOFF}), and DEAD once `INBOUND_MAX_ATTEMPTS` are used up (`huifang inbox dead`
 * lists it, `huifang inbox replay ID` tries it again). The outcome is emitted as `inbox:processed` or
 * `inbox:failed`.
 */
export async function processInboundEvent(
  deps: CoreDeps,
  eventId: string,
  handlers: Readonly<Record<string, InboundHandler>>,
): Promise<ProcessResult> {
  const event = await deps.inbox.claimInbound(eventId, deps.clock.now(), INBOUND_LEASE_MS);
  if (!event) return { eventId, status: 'SKIPPED' };
  return processClaimedInbound(deps, event, handlers);
}

/** Routes an event this process has leased and records the outcome, as {@link processInboundEvent} does. */
async function processClaimedInbound(
  deps: CoreDeps,
  event: InboundEventRecord,
  handlers: Readonly<Record<string, InboundHandler>>,
): Promise<ProcessResult> {
  const eventId = event.id;
  const handler = handlers[event.kind];
  try {
    if (!handler) throw new DomainError('UNKNOWN_EVENT_KIND', `No handler for inbound events of kind "${event.kind}"`, {});
    const result = await handler(deps, event);
    const at = deps.clock.now();
    await deps.inbox.finishInbound(eventId, 'PROCESSED', at, result);
    safeEmit(deps.events, 'inbox:processed', { eventId, source: event.source, dedupeKey: event.dedupeKey, kind: event.kind, status: 'PROCESSED', result, reason: null, at });
    return { eventId, status: 'PROCESSED', result };
  } catch (thrown) {
    const error = coerceError(thrown);
    const at = deps.clock.now();
    if (error instanceof DomainError) {
      const result = { code: error.code, ...error.details };
      await deps.inbox.finishInbound(eventId, 'REJECTED', at, result, error.message);
      safeEmit(deps.events, 'inbox:processed', { eventId, source: event.source, dedupeKey: event.dedupeKey, kind: event.kind, status: 'REJECTED', result, reason: error.message, at });
      return { eventId, status: 'REJECTED', result, error };
    }
    if (event.attempts >= INBOUND_MAX_ATTEMPTS) {
      await deps.inbox.finishInbound(eventId, 'DEAD', at, {}, error.message.slice(0, 500));
      safeEmit(deps.events, 'inbox:failed', { eventId, source: event.source, dedupeKey: event.dedupeKey, kind: event.kind, error, nextAttemptAt: null, at });
      return { eventId, status: 'DEAD', error };
    }
    const nextAttemptAt = new Date(at.getTime() + retryDelayMs(event.attempts, jitterOf(eventId, event.attempts), INBOUND_BACKOFF));
    await deps.inbox.finishInbound(eventId, 'FAILED', at, {}, error.message.slice(0, 500), nextAttemptAt);
    safeEmit(deps.events, 'inbox:failed', { eventId, source: event.source, dedupeKey: event.dedupeKey, kind: event.kind, error, nextAttemptAt, at });
    return { eventId, status: 'FAILED', error };
  }
}

/**
 * A jitter in [0, 1) drawn from the event id and attempt (core code draws no randomness): events that
 * failed together, say while the database was away, come back spread out rather than all at once.
 */
function jitterOf(eventId: string, attempt: number): number {
  let hash = 2166136261;
  for (const ch of `${eventId}:${attempt}`) hash = Math.imul(hash ^ ch.charCodeAt(0), 16777619) >>> 0;
  return hash / 2 ** 32;
}

/**
 * Events leased by one claim: few enough that the last is handled long before the lease of
 * {@link INBOUND_LEASE_MS} runs out (a handler takes milliseconds), many enough that a burst of
 * callbacks costs one claim per batch rather than one per event.
 */
export const INBOUND_CLAIM_BATCH = 50;

/**
 * Processes events waiting in the inbox: RECEIVED (callbacks answered before processing, or a crash
 * between record and processing) and FAILED ones due again with attempts left. Claims them in batches
 * of {@link INBOUND_CLAIM_BATCH}, oldest first, one statement per batch (another process's leased events
 * are skipped, so replicas share the work and none is processed twice), then handles them oldest first,
 * `concurrency` at a time [1: one after the other]; stops after `limit` events or when the inbox has no
 * more waiting. Results are in claim order.
 *
 * `cutoff` (core/cutoff.ts) is the shutdown deadline: no event is started after it fires and no further
 * batch is claimed; the events of the current batch not yet started are handed back at once
 * (`releaseInboundClaim`: lease cleared, the attempt not counted), so another drain or replica handles them
 * without waiting for the {@link INBOUND_LEASE_MS} lease. Events already started finish or fail as usual;
 * the results list only those.
 */
export async function processPendingInbound(
  deps: CoreDeps,
  handlers: Readonly<Record<string, InboundHandler>>,
  limit = 200,
  concurrency = 1,
  cutoff: JobCutoffSignal = NEVER_CUT_OFF,
): Promise<ProcessResult[]> {
  const results: ProcessResult[] = [];
  while (results.length < limit && !cutoff.signal.aborted) {
    const want = Math.min(INBOUND_CLAIM_BATCH, limit - results.length);
    const now = deps.clock.now();
    const claim = deps.inbox.claimInboundBatch(now, INBOUND_LEASE_MS, want, INBOUND_MAX_ATTEMPTS);
    const started = new Set<string>();
    // A cut-off during the claim waits for it; then whatever no worker has started goes back.
    const letGo = cutoff.hold('inbox', () =>
      claim.then(
        (events) => {
          const unstarted = events.filter((e) => !started.has(e.id)).map((e) => e.id);
          return deps.inbox.releaseInboundClaim(unstarted, new Date(now.getTime() + INBOUND_LEASE_MS), deps.clock.now());
        },
        () => 0,
      ),
    );
    let claimed: InboundEventRecord[];
    try {
      claimed = await claim;
    } catch (err) {
      letGo();
      throw err;
    }
    const done: (ProcessResult | undefined)[] = new Array(claimed.length);
    let next = 0;
    const worker = async () => {
      while (next < claimed.length && !cutoff.signal.aborted) {
        const i = next++;
        started.add(claimed[i]!.id);
        done[i] = await processClaimedInbound(deps, claimed[i]!, handlers);
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, claimed.length)) }, worker));
    } finally {
      letGo();
    }
    for (const result of done) if (result) results.push(result);
    if (claimed.length < want) break;
  }
  return results;
}
