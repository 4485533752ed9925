import type Router from '@koa/router';
import type { Huifang } from '../../huifang.js';

/** `GET /healthz`: 200 when the database answers, 503 otherwise (for load balancers). */
export function healthRoutes(router: Router, app: Huifang): void {
  router.get('/healthz', async (ctx) => {
    const started = performance.now();
    try {
      await app.views.health.ping();
      ctx.body = { status: 'ok', db: { provider: app.config.database.provider, status: 'ok', ms: Math.round(performance.now() - started) }, channels: app.config.channels };
    } catch (err) {
      app.logger.error({ err }, 'health check: database unreachable');
      ctx.status = 503;
      ctx.body = { status: 'unavailable', db: { provider: app.config.database.provider, status: 'error' } };
    }
  });
}
