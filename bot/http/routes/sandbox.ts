import type Router from '@koa/router';
import { z } from 'zod';
import type { Huifang } from '../../huifang.js';
import { DomainError } from '../../core/errors.js';
import { readJsonBody } from '../read-body.js';
import { getSandboxState } from '../../db/queries.js';
import { sandboxPageHtml } from '../sandbox-page.js';
import { jobs, TICK_ORDER } from '../../../jobs/index.js';

const tapBody = z.object({ wecomUserId: z.string().min(1), taskId: z.string().min(1), key: z.string().min(1) }).strict();
const replyBody = z.object({ customerId: z.string().min(1), text: z.string().min(1).max(500) }).strict();

/**
 * The sandbox: what the sandbox channels delivered, and the customer/staff side of the conversation.
 * Taps and replies go through exactly the inbound path of the real webhooks — the inbox table with its
 * dedupe key, then the same use case — only the wire format (and its signature check) differs.
 * Only mounted while at least one channel runs in sandbox mode.
 */
export function sandboxRoutes(router: Router, app: Huifang): void {
  router.get('/sandbox', (ctx) => {
    ctx.type = 'text/html; charset=utf-8';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = sandboxPageHtml();
  });

  router.get('/sandbox/api/state', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { now: app.clock.now().toISOString(), channels: app.config.channels, ...(await getSandboxState(app.db.prisma)) };
  });

  // A staff member taps a task card button (the WeCom template_card_event, minus the encryption).
  router.post('/sandbox/api/tap', async (ctx) => {
    const parsed = tapBody.safeParse(await readJsonBody(ctx, 8 * 1024));
    if (!parsed.success) throw new DomainError('VALIDATION_FAILED', 'Expected {wecomUserId, taskId, key}', {});
    const { wecomUserId, taskId, key } = parsed.data;
    const createTime = Math.floor(app.clock.now().getTime() / 1000);
    const received = await app.receive({
      source: 'wecom',
      // Same dedupe key as a real WeCom card event: FromUserName + CreateTime + Event + TaskId + EventKey.
      dedupeKey: `${wecomUserId}:${createTime}:template_card_event:${taskId}:${key}`,
      kind: 'staff_card_action',
      payload: { wecomUserId, taskId, actionKey: key, responseCode: null },
      receivedAt: app.clock.now(),
    });
    ctx.body = { eventId: received.id, duplicate: received.duplicate, result: received.processing ? await received.processing : null };
  });

  // A customer replies to an SMS (the Tencent reply callback, minus the transport).
  router.post('/sandbox/api/reply', async (ctx) => {
    const parsed = replyBody.safeParse(await readJsonBody(ctx, 8 * 1024));
    if (!parsed.success) throw new DomainError('VALIDATION_FAILED', 'Expected {customerId, text}', {});
    const customer = await app.db.prisma.customer.findUnique({ where: { id: parsed.data.customerId }, select: { phoneE164: true } });
    if (!customer?.phoneE164) throw new DomainError('NOT_FOUND', 'No customer with a phone number has that id');
    const now = app.clock.now();
    const received = await app.receive({
      source: 'sms',
      // Same dedupe key as a real SMS reply: mobile + reply time + text.
      dedupeKey: `${customer.phoneE164}:${Math.floor(now.getTime() / 1000)}:${parsed.data.text}`,
      kind: 'sms_reply',
      payload: { phoneE164: customer.phoneE164, text: parsed.data.text, receivedAt: now.toISOString() },
      receivedAt: now,
    });
    ctx.body = { eventId: received.id, duplicate: received.duplicate, result: received.processing ? await received.processing : null };
  });

  // Runs one round of every job now, instead of waiting for the next cron tick.
  router.post('/sandbox/api/tick', async (ctx) => {
    const results: Record<string, object> = {};
    for (const name of TICK_ORDER) results[name] = await jobs[name]!.run(app);
    ctx.body = results;
  });
}
