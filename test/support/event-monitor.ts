// Waits for lifecycle events instead of polling rows (STYLE T6), after graphile-worker's EventMonitor:
// every event is recorded from the moment the monitor is attached, so a wait that starts after the
// event still sees it.
import type { HuifangEventMap, HuifangEventName, HuifangEvents } from '../../bot/core/events.js';

const ALL_EVENTS: readonly HuifangEventName[] = [
  'outbox:sent',
  'outbox:retried',
  'outbox:dead',
  'outbox:cancelled',
  'inbox:processed',
  'inbox:failed',
  'escalation:opened',
  'escalation:climbed',
  'escalation:breached',
  'escalation:acknowledged',
  'escalation:resolved',
  'job:finished',
];

interface Waiter {
  events: readonly HuifangEventName[];
  match(event: HuifangEventName, payload: unknown): boolean;
  resolve(value: { event: HuifangEventName; payload: unknown }): void;
}

export class EventMonitor {
  readonly #seen: { event: HuifangEventName; payload: unknown }[] = [];
  readonly #waiters = new Set<Waiter>();
  readonly #unsubscribe: (() => void)[];

  constructor(events: HuifangEvents) {
    this.#unsubscribe = ALL_EVENTS.map((event) =>
      events.on(event, (payload) => {
        this.#seen.push({ event, payload });
        for (const w of [...this.#waiters]) {
          if (w.events.includes(event) && w.match(event, payload)) {
            this.#waiters.delete(w);
            w.resolve({ event, payload });
          }
        }
      }),
    );
  }

  /** Every payload of `event` recorded so far, oldest first. */
  seen<E extends HuifangEventName>(event: E, match: (payload: HuifangEventMap[E]) => boolean = () => true): HuifangEventMap[E][] {
    return this.#seen.filter((s) => s.event === event && match(s.payload as HuifangEventMap[E])).map((s) => s.payload as HuifangEventMap[E]);
  }

  /** The first `event` (already recorded, or still to come) that `match` accepts. */
  async waitFor<E extends HuifangEventName>(event: E, match: (payload: HuifangEventMap[E]) => boolean, what: string, timeoutMs = 10_000): Promise<HuifangEventMap[E]> {
    const found = await this.#wait([event], (_e, p) => match(p as HuifangEventMap[E]), what, timeoutMs);
    return found.payload as HuifangEventMap[E];
  }

  /** The inbound event recorded under (`source`, `dedupeKey`), once it has been handled (processed, rejected or failed). */
  async inboundHandled(source: string, dedupeKey: string): Promise<{ eventId: string; status: 'PROCESSED' | 'REJECTED' | 'FAILED' }> {
    const found = await this.#wait(
      ['inbox:processed', 'inbox:failed'],
      (_e, p) => (p as { source: string; dedupeKey: string }).source === source && (p as { dedupeKey: string }).dedupeKey === dedupeKey,
      `inbound event ${source}:${dedupeKey} to be handled`,
    );
    if (found.event === 'inbox:failed') return { eventId: (found.payload as HuifangEventMap['inbox:failed']).eventId, status: 'FAILED' };
    const processed = found.payload as HuifangEventMap['inbox:processed'];
    return { eventId: processed.eventId, status: processed.status };
  }

  /** Waits until `count` inbound events of `source` whose dedupe key `matches` have been handled. */
  async inboundHandledCount(source: string, matches: (dedupeKey: string) => boolean, count: number, what: string): Promise<void> {
    const handled = (p: unknown) => (p as { source: string }).source === source && matches((p as { dedupeKey: string }).dedupeKey);
    const total = () => this.#seen.filter((s) => (s.event === 'inbox:processed' || s.event === 'inbox:failed') && handled(s.payload)).length;
    if (total() >= count) return;
    await this.#wait(['inbox:processed', 'inbox:failed'], (_e, p) => handled(p) && total() >= count, what);
  }

  #wait(events: readonly HuifangEventName[], match: Waiter['match'], what: string, timeoutMs = 10_000): Promise<{ event: HuifangEventName; payload: unknown }> {
    const earlier = this.#seen.find((s) => events.includes(s.event) && match(s.event, s.payload));
    if (earlier) return Promise.resolve(earlier);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        events,
        match,
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`timed out waiting for ${what} (${events.join(' or ')})`));
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  detach(): void {
    for (const off of this.#unsubscribe) off();
  }
}
