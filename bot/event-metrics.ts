import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { HuifangEvents, HuifangEventName } from './core/events.js';

/** Backlog gauges read from the database at scrape time (indexed queries only; docs/zh-CN/运维.md §2). */
export interface BacklogGauges {
  /** Age of the oldest outbox message due and still waiting to be sent; 0 when none is due. */
  outboxLagSeconds: number;
  /** Inbound events recorded and not yet handled. */
  inboxBacklog: number;
  /** Age of the oldest of them; 0 when none. */
  inboxOldestAgeSeconds: number;
  /** Inbound events out of attempts, waiting for an operator's replay. */
  inboxDead: number;
  /** Outbox messages a crash left uncertain, waiting for a person's decision. */
  outboxUncertain: number;
}

/** Seconds, for request latencies: a callback answered in 1 ms up to one that took 10 s. */
const REQUEST_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Seconds, for job runs: an idle tick in a few ms up to a weekly digest of minutes. */
const JOB_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/**
 * The Prometheus metrics of one service instance, fed by its lifecycle events (bot/core/events.ts)
 * and by the HTTP edge. Each instance has its own registry: nothing is put in prom-client's global
 * registry, so several services in one process (tests, the benchmark) never share or clash.
 *
 * Counters and histograms count what this process did since it started (Prometheus sums them across
 * replicas); the backlog gauges are the same on every replica, read from the database at scrape time.
 */
export class EventMetrics {
  readonly registry = new Registry();
  #defaultMetrics = false;
  readonly #outbox: Counter<'outcome' | 'channel' | 'kind'>;
  readonly #inbox: Counter<'source' | 'kind' | 'outcome'>;
  readonly #escalations: Counter<'transition'>;
  readonly #jobs: Histogram<'job' | 'outcome'>;
  readonly #requests: Histogram<'route' | 'method' | 'status'>;
  readonly #outboxLag: Gauge;
  readonly #inboxBacklog: Gauge;
  readonly #inboxOldest: Gauge;
  readonly #inboxDead: Gauge;
  readonly #outboxUncertain: Gauge;

  constructor(events: HuifangEvents) {
    const registers = [this.registry];
    this.#outbox = new Counter({ name: 'huifang_outbox_events_total', help: 'Outbox message outcomes recorded by this process, by channel and message kind.', labelNames: ['outcome', 'channel', 'kind'], registers });
    this.#inbox = new Counter({ name: 'huifang_inbound_events_total', help: 'Inbound events handled by this process.', labelNames: ['source', 'kind', 'outcome'], registers });
    this.#escalations = new Counter({ name: 'huifang_escalation_events_total', help: 'Escalation transitions recorded by this process.', labelNames: ['transition'], registers });
    this.#jobs = new Histogram({ name: 'huifang_job_duration_seconds', help: 'Duration of job runs in this process.', labelNames: ['job', 'outcome'], buckets: JOB_BUCKETS, registers });
    this.#requests = new Histogram({
      name: 'huifang_http_request_duration_seconds',
      help: 'Time to answer HTTP requests (webhook callbacks, the API, pages), by route pattern.',
      labelNames: ['route', 'method', 'status'],
      buckets: REQUEST_BUCKETS,
      registers,
    });
    this.#outboxLag = new Gauge({ name: 'huifang_outbox_lag_seconds', help: 'Age of the oldest outbox message that is due and not sent yet (0: none due).', registers });
    this.#inboxBacklog = new Gauge({ name: 'huifang_inbox_backlog', help: 'Inbound events recorded and not handled yet.', registers });
    this.#inboxOldest = new Gauge({ name: 'huifang_inbox_oldest_age_seconds', help: 'Age of the oldest inbound event not handled yet (0: none).', registers });
    this.#inboxDead = new Gauge({ name: 'huifang_inbox_dead', help: 'Inbound events out of attempts, waiting for huifang inbox replay.', registers });
    this.#outboxUncertain = new Gauge({ name: 'huifang_outbox_uncertain', help: 'Outbox messages a crash left uncertain, waiting for huifang outbox resend|settle.', registers });

    const outbox = (event: HuifangEventName, outcome: string) =>
      events.on(event as 'outbox:sent', ({ message }) => this.#outbox.inc({ outcome, channel: message.channel, kind: message.message.kind }));
    outbox('outbox:sent', 'sent');
    outbox('outbox:retried', 'retried');
    outbox('outbox:dead', 'dead');
    outbox('outbox:cancelled', 'cancelled');
    outbox('outbox:deferred', 'deferred');
    outbox('outbox:uncertain', 'uncertain');
    events.on('inbox:processed', (e) => this.#inbox.inc({ source: e.source, kind: e.kind, outcome: e.status.toLowerCase() }));
    events.on('inbox:failed', (e) => this.#inbox.inc({ source: e.source, kind: e.kind, outcome: e.nextAttemptAt ? 'failed' : 'dead' }));
    for (const transition of ['opened', 'climbed', 'breached', 'acknowledged', 'resolved'] as const) {
      events.on(`escalation:${transition}`, () => this.#escalations.inc({ transition }));
    }
    events.on('job:finished', (e) => this.#jobs.observe({ job: e.job, outcome: e.ok ? 'ok' : 'failed' }, e.ms / 1000));
  }

  /**
   * Records one answered HTTP request. `route` is the router's pattern (`/api/v1/cases/:id`), never
   * the raw path, so the label set stays bounded; requests that matched no route count as `unmatched`.
   */
  observeRequest(route: string | undefined, method: string, status: number, seconds: number): void {
    this.#requests.observe({ route: route ?? 'unmatched', method, status: String(status) }, seconds);
  }

  /** The Prometheus content type of {@link render}'s text. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * Every metric in the Prometheus text format, with the backlog gauges set from `backlog`. The
   * default process metrics (CPU, memory, event-loop lag, GC) are registered at the first scrape:
   * their event-loop and GC observers live as long as the process, so a service never scraped
   * (a test, a CLI command) does not start them.
   */
  async render(backlog: BacklogGauges): Promise<string> {
    if (!this.#defaultMetrics) {
      collectDefaultMetrics({ register: this.registry });
      this.#defaultMetrics = true;
    }
    this.#outboxLag.set(backlog.outboxLagSeconds);
    this.#inboxBacklog.set(backlog.inboxBacklog);
    this.#inboxOldest.set(backlog.inboxOldestAgeSeconds);
    this.#inboxDead.set(backlog.inboxDead);
    this.#outboxUncertain.set(backlog.outboxUncertain);
    return this.registry.metrics();
  }
}
