import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type Router from '@koa/router';
import type { Huifang } from '../huifang.js';
import { signInRoutes } from './sign-in.js';
import { dashboardPage } from './pages/dashboard.js';
import { followUpsPage } from './pages/follow-ups.js';
import { casesPage } from './pages/cases.js';
import { escalationsPage } from './pages/escalations.js';
import { satisfactionPage } from './pages/satisfaction.js';
import { customersPage } from './pages/customers.js';
import { calendarPage } from './pages/calendar.js';
import { policiesPage } from './pages/policies.js';
import { auditPage } from './pages/audit.js';
import { settingsPage } from './pages/settings.js';

const ASSETS_DIR = join(import.meta.dirname, 'assets');

/** The console's stylesheet, script and icon, read once; served with an ETag so browsers revalidate cheaply. */
const ASSETS: Readonly<Record<string, { type: string; body: string; etag: string }>> = Object.fromEntries(
  [
    ['console.css', 'text/css; charset=utf-8'],
    ['console.js', 'text/javascript; charset=utf-8'],
    // The tab and home-screen icon: 「回」 drawn as two squares, so no font is needed.
    ['icon.svg', 'image/svg+xml'],
  ].map(([name, type]) => {
    const body = readFileSync(join(ASSETS_DIR, name!), 'utf8');
    return [name!, { type: type!, body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"` }];
  }),
);

/**
 * The console (管理台) at `/console`: sign-in, then the pages of the signed-in person's role and scope.
 * Everything it shows comes from read models and use cases (bot/core/ports/console-views.ts,
 * bot/core/console/); nothing external is loaded.
 */
export function consoleRoutes(router: Router, app: Huifang): void {
  router.get('/console/assets/:name', (ctx) => {
    const asset = ASSETS[String(ctx.params.name)];
    if (!asset) {
      ctx.status = 404;
      return;
    }
    ctx.set('Cache-Control', 'no-cache');
    ctx.set('ETag', asset.etag);
    ctx.set('X-Content-Type-Options', 'nosniff');
    if (ctx.get('if-none-match') === asset.etag) {
      ctx.status = 304;
      return;
    }
    ctx.type = asset.type;
    ctx.body = asset.body;
  });
  signInRoutes(router, app, app.console.wecomSignIn);
  dashboardPage(router, app);
  followUpsPage(router, app);
  casesPage(router, app);
  escalationsPage(router, app);
  satisfactionPage(router, app);
  customersPage(router, app);
  calendarPage(router, app);
  policiesPage(router, app);
  auditPage(router, app);
  settingsPage(router, app);
}
