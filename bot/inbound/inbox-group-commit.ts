import type { InboundEventToRecord, InboxStore } from '../core/ports/inbox.js';

/** Most events one group commit inserts (6 bound values each, far below either database's limit). */
export const GROUP_COMMIT_MAX_EVENTS = 100;

/** Records inbound events (each with its counter hit, if any); concurrent calls share one commit. */
export type RecordInbound = (event: InboundEventToRecord) => Promise<{ id: string; duplicate: boolean }>;

/**
 * Group commit for the inbox (the webhook edge's one write before it answers). Events of concurrent
 * callbacks are gathered and inserted by one {@link InboxStore.recordInboundBatch} statement: the first
 * event waits one turn of the event loop (`setImmediate`) for the others that arrived with it, and while
 * a batch is being written the next gathers, so under load each commit carries many events and when idle
 * an event waits for no timer. Each caller's promise settles only after the statement holding its own
 * event has committed, with its own answer (`duplicate` for a replay, as if recorded alone).
 *
 * A batch statement that fails records nothing; its events are then recorded one at a time, so one event
 * the database refuses fails only its own request (the provider resends it), never its neighbours'.
 */
export function groupCommitInbox(store: Pick<InboxStore, 'recordInbound' | 'recordInboundBatch'>, maxEvents = GROUP_COMMIT_MAX_EVENTS): RecordInbound {
  type Waiting = { event: InboundEventToRecord; resolve: (r: { id: string; duplicate: boolean }) => void; reject: (e: unknown) => void };
  let queue: Waiting[] = [];
  let scheduled = false;
  let writing = false;

  const settleOneByOne = async (batch: Waiting[]) => {
    for (const w of batch) await store.recordInbound(w.event).then(w.resolve, w.reject);
  };

  const flush = async () => {
    scheduled = false;
    writing = true;
    try {
      while (queue.length > 0) {
        const batch = queue.slice(0, maxEvents);
        queue = queue.slice(batch.length);
        if (batch.length === 1) {
          await settleOneByOne(batch);
          continue;
        }
        try {
          const results = await store.recordInboundBatch(batch.map((w) => w.event));
          batch.forEach((w, i) => {
            const result = results[i]!;
            if ('error' in result) w.reject(result.error);
            else w.resolve(result);
          });
        } catch {
          // The multi-row statement is atomic: nothing of it was recorded. Each event on its own shows which one fails.
          await settleOneByOne(batch);
        }
      }
    } finally {
      writing = false;
    }
  };

  return (event) =>
    new Promise((resolve, reject) => {
      queue.push({ event, resolve, reject });
      if (!writing && !scheduled) {
        scheduled = true;
        setImmediate(() => void flush());
      }
    });
}
