import type { HuifangEvents, HuifangEventName } from './core/events.js';

/** One Prometheus counter family: name, help, and counts by label set. */
interface CounterFamily {
  name: string;
  help: string;
  counts: Map<string, number>;
}

/**
 * Counters of the lifecycle events since this process started, for `/metrics` (Prometheus sums them
 * across replicas): outbox outcomes by channel and message kind, inbound events by source and outcome,
 * escalation transitions.
 */
export class EventMetrics {
  readonly #outbox: CounterFamily = { name: 'huifang_outbox_events_total', help: 'Outbox message outcomes recorded by this process.', counts: new Map() };
  readonly #inbox: CounterFamily = { name: 'huifang_inbound_events_total', help: 'Inbound events handled by this process.', counts: new Map() };
  readonly #escalations: CounterFamily = { name: 'huifang_escalation_events_total', help: 'Escalation transitions recorded by this process.', counts: new Map() };

  constructor(events: HuifangEvents) {
    const outbox = (event: HuifangEventName, outcome: string) =>
      events.on(event as 'outbox:sent', ({ message }) => this.#add(this.#outbox, { outcome, channel: message.channel, kind: message.message.kind }));
    outbox('outbox:sent', 'sent');
    outbox('outbox:retried', 'retried');
    outbox('outbox:dead', 'dead');
    outbox('outbox:cancelled', 'cancelled');
    outbox('outbox:deferred', 'deferred');
    events.on('inbox:processed', (e) => this.#add(this.#inbox, { source: e.source, kind: e.kind, outcome: e.status.toLowerCase() }));
    events.on('inbox:failed', (e) => this.#add(this.#inbox, { source: e.source, kind: e.kind, outcome: 'failed' }));
    for (const transition of ['opened', 'climbed', 'breached', 'acknowledged', 'resolved'] as const) {
      events.on(`escalation:${transition}`, () => this.#add(this.#escalations, { transition }));
    }
  }

  /** The counters in the Prometheus text format, one family after another. */
  render(): string[] {
    const lines: string[] = [];
    for (const family of [this.#outbox, this.#inbox, this.#escalations]) {
      lines.push(`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} counter`);
      for (const [labels, count] of [...family.counts].sort(([a], [b]) => a.localeCompare(b))) lines.push(`${family.name}{${labels}} ${count}`);
    }
    return lines;
  }

  #add(family: CounterFamily, labels: Record<string, string>): void {
    const key = Object.entries(labels)
      .map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`)
      .join(',');
    family.counts.set(key, (family.counts.get(key) ?? 0) + 1);
  }
}
