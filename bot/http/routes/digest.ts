import type Router from '@koa/router';
import type { Huifang } from '../../huifang.js';
import { buildRecipientDigest, parseDigestLinkId } from '../../core/digests/send-weekly-digests.js';
import { isoWeekRange } from '../../core/digests/digest-schedule.js';
import { digestDetailPage, digestMessagePage } from '../digest-page.js';
import { noteFailedAuth, refuseIfThrottled } from '../failed-auth.js';

/**
 * `GET /d/:signed`: the weekly digest's detail page behind the link in the manager's WeCom message.
 * The signature is checked before the database is asked; the page is computed from the database on
 * each request (figures as of now), so any replica can serve it.
 */
export function digestRoutes(router: Router, app: Huifang): void {
  router.get('/d/:signed', async (ctx) => {
    ctx.type = 'text/html; charset=utf-8';
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Referrer-Policy', 'no-referrer');
    refuseIfThrottled(ctx);
    const id = await app.deps.links.verify('digest', ctx.params.signed!);
    if (!id) noteFailedAuth(ctx);
    const link = id ? parseDigestLinkId(id) : null;
    const period = link ? isoWeekRange(link.week, app.config.timezone) : null;
    const recipient = link && period ? (await app.deps.digests.listDigestRecipients()).find((r) => r.staffId === link.staffId) : undefined;
    if (!link || !period || !recipient) {
      ctx.status = 404;
      ctx.body = digestMessagePage('链接无效', '未找到这份周报：链接不完整或已被修改，或收件人已不再负责该科室。');
      return;
    }
    const digest = await buildRecipientDigest(
      { timeZone: app.config.timezone, digests: app.deps.digests },
      recipient,
      { from: period.from, to: period.to, asOf: app.clock.now() },
    );
    ctx.body = digestDetailPage(digest, { organisation: app.config.organisationName });
  });
}
