import type Router from '@koa/router';
import type { Huifang } from '../../huifang.js';

const secondsSince = (at: Date | null, now: Date) => (at ? Math.max(0, (now.getTime() - at.getTime()) / 1000) : 0);

/**
 * `GET /metrics` in the Prometheus text format (bot/event-metrics.ts): this process's counters and
 * histograms, its default process metrics, and the backlog gauges (outbox lag, inbox backlog) read
 * through indexes at each scrape, so a scrape costs the same with a year of history as with none.
 */
export function metricsRoutes(router: Router, app: Huifang): void {
  router.get('/metrics', async (ctx) => {
    const now = app.clock.now();
    const backlog = await app.views.health.backlog(now);
    const text = await app.metrics.render({
      outboxLagSeconds: secondsSince(backlog.oldestDueOutboxAt, now),
      inboxBacklog: backlog.receivedInbound,
      inboxOldestAgeSeconds: secondsSince(backlog.oldestReceivedInboundAt, now),
      inboxDead: backlog.deadInbound,
      outboxUncertain: backlog.uncertainOutbox,
    });
    ctx.type = app.metrics.contentType;
    ctx.body = text;
  });
}
