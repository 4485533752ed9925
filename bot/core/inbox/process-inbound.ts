import { DomainError, coerceError } from '../errors.js';
import type { CoreDeps } from '../deps.js';
import type { InboundEventInput, InboundEventRecord } from '../ports/inbox.js';
import { safeEmit } from '../events.js';
import { retryDelayMs, type BackoffPolicy } from '../outbox/backoff.js';

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

/** Processes events left RECEIVED (crash between record and processing) or FAILED with attempts left. */
export async function processPendingInbound(
  deps: CoreDeps,
  handlers: Readonly<Record<string, InboundHandler>>,
  limit = 200,
): Promise<ProcessResult[]> {
  const ids = await deps.inbox.listPendingInbound(deps.clock.now(), limit, INBOUND_MAX_ATTEMPTS);
  const results: ProcessResult[] = [];
  for (const id of ids) results.push(await processInboundEvent(deps, id, handlers));
  return results;
}
