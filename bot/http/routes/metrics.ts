import type Router from '@koa/router';
import type { Huifang } from '../../huifang.js';

/**
 * `GET /metrics` in the Prometheus text format: follow-ups, outbox messages and inbound events by
 * status (gauges: grouped counts over indexed status columns, the same on every replica), and this
 * process's counters of lifecycle events (bot/event-metrics.ts).
 */
export function metricsRoutes(router: Router, app: Huifang): void {
  router.get('/metrics', async (ctx) => {
    const { followUps, outbox, inbound } = await app.views.health.statusCounts();
    const lines: string[] = [];
    const family = (name: string, help: string, counts: Record<string, number>) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
      for (const [status, count] of Object.entries(counts)) lines.push(`${name}{status="${status}"} ${count}`);
    };
    family('huifang_follow_ups', 'Follow-ups by status.', followUps);
    family('huifang_outbox_messages', 'Outbox messages by status.', outbox);
    family('huifang_inbound_events', 'Inbound webhook events by status.', inbound);
    lines.push(...app.metrics.render());
    ctx.type = 'text/plain; version=0.0.4';
    ctx.body = `${lines.join('\n')}\n`;
  });
}
