import { createHash, timingSafeEqual } from 'node:crypto';
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { z } from 'zod';
import type { Huifang } from '../../huifang.js';
import type { InboundEventInput } from '../../core/ports/inbox.js';
import { DomainError } from '../../core/errors.js';
import { readJsonBody } from '../read-body.js';
import { noteFailedAuth, refuseIfThrottled } from '../failed-auth.js';
import {
  replyCallbackBody,
  replyEventFromCallback,
  statusCallbackItem,
  statusEventFromCallback,
  TENCENT_SMS_SOURCE,
} from '../../channels/tencent-sms/reports.js';

/** Largest callback body accepted: Tencent pushes at most 100 reports at a time (docs/protocols/tencent-sms.md §5.1). */
export const SMS_CALLBACK_MAX_BYTES = 128 * 1024;

/** What Tencent expects back from a callback it delivered (docs/protocols/tencent-sms.md §5.1, §5.2). */
const ACCEPTED = { result: 0, errmsg: 'OK' } as const;

/**
 * Tencent Cloud SMS callbacks (docs/protocols/tencent-sms.md §5), mounted when
 * `TENCENT_SMS_CALLBACK_KEY` is set:
 *
 * - `POST /sms/tencent/status?key=…`: an array of delivery reports → one `sms_status` event each;
 * - `POST /sms/tencent/reply?key=…`: a customer's reply (an object, or an array of them) → `sms_reply`.
 *
 * Tencent does not sign its callbacks, so the secret `key` in the URL guards them (compared in constant
 * time; a wrong or missing key is 401, logged without the key). Each report is recorded in the inbox
 * under its dedupe key before the answer — replays record nothing new — and processed after
 * `{"result":0,"errmsg":"OK"}` has gone back. Malformed JSON is 400, an oversize body 413; items that do
 * not have Tencent's shape are logged and skipped while the well-formed ones of the same push are kept.
 */
export function smsRoutes(router: Router, app: Huifang): void {
  const key = app.config.tencentSms?.callbackKey;
  if (!key) throw new Error('smsRoutes needs TENCENT_SMS_CALLBACK_KEY');
  const expected = digest(key);
  const log = app.logger.child({ route: 'tencent-sms-callback', source: TENCENT_SMS_SOURCE });

  const refuse = (ctx: Context, status: number, code: string, reason: string) => {
    // ctx.path, never ctx.url: the query carries the key.
    log.warn({ method: ctx.method, path: ctx.path, status, code, reason, ip: ctx.ip }, 'tencent sms callback refused');
    ctx.status = status;
    ctx.body = { result: 1, errmsg: code };
  };

  const accept = async (
    ctx: Context,
    kind: 'status' | 'reply',
    toEvent: (item: unknown, receivedAt: Date) => InboundEventInput | { invalid: z.ZodError },
  ) => {
    const given = typeof ctx.query.key === 'string' ? ctx.query.key : '';
    refuseIfThrottled(ctx);
    if (!timingSafeEqual(digest(given), expected)) {
      noteFailedAuth(ctx);
      return refuse(ctx, 401, 'UNAUTHORIZED', given === '' ? 'key missing' : 'wrong key');
    }
    let body: unknown;
    try {
      body = await readJsonBody(ctx, SMS_CALLBACK_MAX_BYTES);
    } catch (error) {
      if (error instanceof DomainError && error.code === 'BODY_TOO_LARGE') return refuse(ctx, 413, error.code, error.message);
      if (error instanceof DomainError && error.code === 'MALFORMED_JSON') return refuse(ctx, 400, error.code, error.message);
      throw error;
    }
    // Status reports come as an array (§5.1), a reply as one object (§5.2); accept either for both.
    const items = Array.isArray(body) ? body : [body];
    if (items.length === 0 && kind === 'reply') return refuse(ctx, 400, 'MALFORMED', 'empty reply');
    const receivedAt = app.clock.now();
    const events: InboundEventInput[] = [];
    const malformed: { index: number; issues: string[] }[] = [];
    items.forEach((item, index) => {
      const event = toEvent(item, receivedAt);
      if ('invalid' in event) malformed.push({ index, issues: event.invalid.issues.map((i) => `${i.path.join('.')}: ${i.message}`).slice(0, 5) });
      else events.push(event);
    });
    if (malformed.length > 0) log.warn({ kind, malformed, items: items.length }, 'tencent sms callback items without the documented shape were skipped');
    if (events.length === 0 && items.length > 0) return refuse(ctx, 400, 'MALFORMED', `no ${kind} item has the documented shape`);
    // Recorded before answering (a crash after this loses nothing); processed after the answer. The items of
    // one push are received together, so they share one insert (group commit).
    const received = await Promise.all(events.map((event) => app.receive(event, { wait: false })));
    const duplicates = received.filter((r) => r.duplicate).length;
    log.info({ kind, recorded: events.length - duplicates, duplicates }, 'tencent sms callback accepted');
    ctx.status = 200;
    ctx.body = ACCEPTED;
  };

  router.post('/sms/tencent/status', (ctx) =>
    accept(ctx, 'status', (item, receivedAt) => {
      const parsed = statusCallbackItem.safeParse(item);
      return parsed.success ? statusEventFromCallback(parsed.data, receivedAt) : { invalid: parsed.error };
    }),
  );
  router.post('/sms/tencent/reply', (ctx) =>
    accept(ctx, 'reply', (item, receivedAt) => {
      const parsed = replyCallbackBody.safeParse(item);
      return parsed.success ? replyEventFromCallback(parsed.data, receivedAt, app.config.tencentSms?.signName ?? '') : { invalid: parsed.error };
    }),
  );
}

/** Fixed-length digests, so that the comparison takes the same time whatever the key's length. */
function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
