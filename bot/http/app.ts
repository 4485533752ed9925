import Koa from 'koa';
import Router from '@koa/router';
import type { Huifang } from '../huifang.js';
import { errorMiddleware } from './error-middleware.js';
import { requestTextMiddleware } from './request-text.js';
import { pageHeadersMiddleware } from './page-headers.js';
import { FailedAuthLimiter, failedAuthMiddleware } from './failed-auth.js';
import { healthRoutes } from './routes/health.js';
import { apiRoutes } from './routes/api.js';
import { apiDocsRoutes } from './routes/api-docs.js';
import { sandboxRoutes } from './routes/sandbox.js';
import { metricsRoutes } from './routes/metrics.js';
import { surveyRoutes } from './routes/survey.js';
import { staffFormRoutes } from './routes/staff-form.js';
import { wecomRoutes } from './routes/wecom.js';
import { digestRoutes } from './routes/digest.js';
import { reportRoutes } from './routes/reports.js';
import { smsRoutes } from './routes/sms.js';
import { escalationRoutes } from './routes/escalation.js';
import { wechatRoutes } from './routes/wechat.js';
import { consoleRoutes } from '../console/console-routes.js';
import { isFullSandbox } from '../config.js';
import { sandboxPassword } from './sandbox-password.js';

/** Options of {@link createHttpApp}. */
export interface HttpAppOptions {
  /**
   * [`all`] `jobs`: only `/healthz` and `/metrics` (a process that runs the cron jobs and no web
   * traffic); `web` and `all` serve every route.
   */
  role?: 'web' | 'jobs' | 'all';
}

/** The koa application: thin edge, one file per route family (STYLE A1). */
export function createHttpApp(app: Huifang, options: HttpAppOptions = {}): Koa {
  // Behind one reverse proxy: the client address is the one that proxy appended to X-Forwarded-For
  // (the rightmost), not whatever the client put there (sign-in rate limits count by address).
  const koa = new Koa({ proxy: true, maxIpsCount: 1 });
  const router = new Router();
  koa.use(async (ctx, next) => {
    const started = performance.now();
    await next();
    const ms = performance.now() - started;
    app.metrics.observeRequest(ctx._matchedRoute === undefined ? undefined : String(ctx._matchedRoute), ctx.method, ctx.status, ms / 1000);
    app.logger.debug({ method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(ms) }, 'request');
  });
  koa.use(pageHeadersMiddleware());
  koa.use(errorMiddleware(app.logger));
  koa.use(requestTextMiddleware());
  // Failures are also counted in the database, so every replica and a restarted process know them (failed-auth.ts).
  let warnedAt = Number.NEGATIVE_INFINITY;
  const sharedFailures = {
    counters: app.console.rateCounters,
    onError: (err: unknown) => {
      // Once a minute at most: under an attack with the database down, one line says it all.
      if (app.clock.now().getTime() - warnedAt < 60_000) return;
      warnedAt = app.clock.now().getTime();
      app.logger.warn({ err }, 'failed authentication not counted in the database; this process counts it alone');
    },
  };
  koa.use(failedAuthMiddleware(new FailedAuthLimiter(app.config.failedAuthAttemptsPer15Minutes, undefined, sharedFailures), () => app.clock.now()));
  healthRoutes(router, app);
  if (options.role === 'jobs') {
    metricsRoutes(router, app);
    koa.use(router.routes());
    koa.use(router.allowedMethods());
    koa.use(notFound);
    return koa;
  }
  // The sandbox has no login: it is served only while every message stays local, and behind a password when one is set.
  const sandbox = isFullSandbox(app.config);
  if (sandbox && app.config.sandboxPassword !== null) koa.use(sandboxPassword(app.config.sandboxPassword));
  apiRoutes(router, app);
  apiDocsRoutes(router, app);
  metricsRoutes(router, app);
  surveyRoutes(router, app);
  staffFormRoutes(router, app);
  escalationRoutes(router, app);
  digestRoutes(router, app);
  reportRoutes(router, app);
  consoleRoutes(router, app);
  if (app.config.wecom) wecomRoutes(router, app);
  if (app.config.wechat?.callbackToken) wechatRoutes(router, app);
  if (app.config.tencentSms?.callbackKey) smsRoutes(router, app);
  if (sandbox) sandboxRoutes(router, app);
  router.get('/', (ctx) => {
    ctx.redirect(sandbox ? '/sandbox' : '/console');
  });
  koa.use(router.routes());
  koa.use(router.allowedMethods());
  koa.use(notFound);
  return koa;
}

function notFound(ctx: Koa.Context): void {
  ctx.status = 404;
  ctx.body = { error: { code: 'NOT_FOUND', message: `No route for ${ctx.method} ${ctx.path}` } };
}
