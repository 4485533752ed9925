import type Router from '@koa/router';
import type { Huifang } from '../../huifang.js';
import { readRawBody } from '../read-body.js';
import { parseWechatPush, verifyWechatSignature } from '../../channels/wechat/callback-signature.js';

/** WeChat's pushes are small XML documents. */
const MAX_BYTES = 32 * 1024;
/** A push older (or newer) than this is refused: a captured request cannot be replayed later. */
const MAX_CLOCK_SKEW_S = 300;

/**
 * The Official Account's server URL (服务器配置), mounted when `WECHAT_MP_CALLBACK_TOKEN` is set.
 *
 * - `GET /wechat/callback`: URL verification — answers `echostr` when the signature is the account's.
 * - `POST /wechat/callback`: a signed push. Template-message delivery results (`TEMPLATESENDJOBFINISH`)
 *   are recorded in the inbox under their `MsgID` (WeChat resends a push it got no answer to within 5 s;
 *   the resend is recorded once) and answered `success` at once; processing runs after the answer and
 *   puts the result on the outbox row (`deliveryStatus`). Other pushes (follows, messages) are answered
 *   and not recorded.
 *
 * Refusals — a bad or missing signature, a stale timestamp (401), safe-mode encryption or malformed XML
 * (400), an oversize body (413) — are logged at warn without the body.
 */
export function wechatRoutes(router: Router, app: Huifang): void {
  const token = app.config.wechat?.callbackToken;
  if (!token) return;
  const log = app.logger.child({ route: 'wechat' });
  const query = (ctx: { query: Record<string, unknown> }) => Object.fromEntries(Object.entries(ctx.query).map(([k, v]) => [k, typeof v === 'string' ? v : undefined]));

  router.get('/wechat/callback', (ctx) => {
    const q = query(ctx);
    if (!verifyWechatSignature(token, q) || !q.echostr) {
      log.warn({ ip: ctx.ip }, 'wechat url verification refused: signature does not match');
      ctx.status = 401;
      ctx.body = 'invalid signature';
      return;
    }
    ctx.type = 'text/plain';
    ctx.body = q.echostr;
  });

  router.post('/wechat/callback', async (ctx) => {
    const q = query(ctx);
    if (!verifyWechatSignature(token, q)) {
      log.warn({ ip: ctx.ip }, 'wechat push refused: signature does not match');
      ctx.status = 401;
      ctx.body = 'invalid signature';
      return;
    }
    const skew = Math.abs(app.clock.now().getTime() / 1000 - Number(q.timestamp));
    if (!Number.isFinite(skew) || skew > MAX_CLOCK_SKEW_S) {
      log.warn({ ip: ctx.ip, skewSeconds: Number.isFinite(skew) ? Math.round(skew) : null }, 'wechat push refused: timestamp too far from now (replayed?)');
      ctx.status = 401;
      ctx.body = 'stale timestamp';
      return;
    }
    if (q.encrypt_type === 'aes') {
      log.warn({}, 'wechat push refused: safe-mode (encrypted) pushes are not supported; set 消息加解密方式 to 明文模式');
      ctx.status = 400;
      ctx.body = 'encrypted pushes are not supported';
      return;
    }
    const push = parseWechatPush(await readRawBody(ctx, MAX_BYTES));
    if (!push) {
      log.warn({ ip: ctx.ip }, 'wechat push refused: body is not well-formed XML');
      ctx.status = 400;
      ctx.body = 'malformed xml';
      return;
    }
    if (push.MsgType === 'event' && push.Event === 'TEMPLATESENDJOBFINISH' && push.MsgID && push.Status) {
      await app.receive(
        {
          source: 'wechat',
          dedupeKey: `template:${push.MsgID}`,
          kind: 'wechat_template_status',
          payload: { msgId: push.MsgID, status: push.Status, createTime: push.CreateTime ?? null },
          receivedAt: app.clock.now(),
        },
        { wait: false },
      );
    } else {
      log.debug({ msgType: push.MsgType, event: push.Event }, 'wechat push not used: answered');
    }
    ctx.type = 'text/plain';
    ctx.body = 'success';
  });
}
