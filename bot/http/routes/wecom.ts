import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Huifang } from '../../huifang.js';
import type { CounterHit, InboundEventInput } from '../../core/ports/inbox.js';
import { DomainError } from '../../core/errors.js';
import { readRawBody } from '../read-body.js';
import {
  WecomCallbackError,
  openCallback,
  openEncrypted,
  type WecomCallbackMessage,
  type WecomCallbackSecrets,
  type WecomSignedQuery,
} from '../../channels/wecom/callback-crypto.js';

/** Largest callback body accepted; WeCom's encrypted events are a few KiB at most. */
export const WECOM_CALLBACK_MAX_BYTES = 64 * 1024;

/** Prefix of the nonce memory's keys in the shared `RateCounter` table. */
const NONCE_KEY = 'wecom-nonce:';

/** Stale nonces are deleted at most this often per process, not on every callback (the sweep scans the window's rows). */
const NONCE_SWEEP_MS = 10_000;

/** HTTP status for each way a callback is refused; WeCom retries anything but 200 (docs/protocols/wecom.md §6.3). */
const REJECTION_STATUS: Readonly<Record<WecomCallbackError['code'], number>> = {
  BAD_SIGNATURE: 401,
  BAD_RECEIVE_ID: 401,
  MALFORMED: 400,
};

/**
 * The WeCom callback URL (STYLE A1, docs/protocols/wecom.md §6–§7), mounted when WeCom is configured.
 *
 * - `GET /wecom/callback`: URL verification — verify `msg_signature` over `echostr`, decrypt it, and
 *   answer with the plaintext alone.
 * - `POST /wecom/callback`: verify, decrypt and parse the event, record it in the inbox under WeCom's
 *   dedupe key, and answer 200 with an empty body at once; processing runs after the answer (WeCom
 *   waits 5 s, then resends — a resend is recorded once). Card taps become `staff_card_action`, member
 *   texts `staff_message`; other messages and events are answered and not recorded.
 *
 * Freshness (docs/protocols/wecom.md §6.6): a `timestamp` further than `WECOM_CALLBACK_MAX_SKEW_SECONDS`
 * [300] from our clock is refused (401 `STALE_TIMESTAMP`), and so is a signed request whose `timestamp`
 * and `nonce` were already answered (401 `REPLAYED`). The nonces are remembered in the database
 * (`RateCounter` rows under `wecom-nonce:`, deleted within seconds once their timestamp is out of the window), so every
 * replica knows them; one is remembered only once its request is answered: in the same commit as the event it
 * delivered (the inbox's group commit), or, when nothing is recorded, just before the answer. So WeCom's resend
 * of a request that failed on our side is still taken.
 *
 * Refusals (bad signature or receiveid 401, stale or replayed 401, malformed 400, oversize 413) are
 * logged at warn without the body; nothing of a refused request is recorded.
 */
export function wecomRoutes(router: Router, app: Huifang): void {
  const wecom = app.config.wecom;
  if (!wecom) throw new Error('wecomRoutes needs the WeCom configuration (WECOM_* variables)');
  const secrets: WecomCallbackSecrets = { token: wecom.callbackToken, encodingAesKey: wecom.encodingAesKey, corpId: wecom.corpId };
  const log = app.logger.child({ route: 'wecom-callback', source: 'wecom' });
  const maxSkewMs = wecom.callbackMaxSkewSeconds * 1000;
  const nonces = app.console.rateCounters;

  /** Why the signed timestamp is refused (too far from our clock), or null. */
  const staleness = (query: WecomSignedQuery): string | null => {
    const sentAt = /^\d{1,12}$/.test(query.timestamp) ? Number(query.timestamp) * 1000 : Number.NaN;
    const skew = Math.abs(app.clock.now().getTime() - sentAt);
    if (!Number.isFinite(skew)) return 'timestamp is not Unix seconds';
    return skew > maxSkewMs ? `timestamp is ${Math.round(skew / 1000)} s from our clock (at most ${wecom.callbackMaxSkewSeconds} s)` : null;
  };
  const nonceHit = (query: WecomSignedQuery): CounterHit => ({ key: `${NONCE_KEY}${query.nonce}`, windowStart: new Date(Number(query.timestamp) * 1000) });
  const seen = async (query: WecomSignedQuery): Promise<boolean> => {
    const { key, windowStart } = nonceHit(query);
    return (await nonces.count(key, windowStart)) > 0;
  };
  let forgotAt = Number.NEGATIVE_INFINITY;
  /**
   * Forgets, at most once every {@link NONCE_SWEEP_MS}, the nonces whose timestamp can no longer be fresh.
   * A forgotten nonce is never needed: its request is refused as stale.
   */
  const sweep = async (): Promise<void> => {
    const now = app.clock.now().getTime();
    if (Math.abs(now - forgotAt) < NONCE_SWEEP_MS) return;
    forgotAt = now;
    await nonces.forget(NONCE_KEY, new Date(now - maxSkewMs));
  };
  /** Remembers the nonce of a request answered without recording anything. */
  const remember = async (query: WecomSignedQuery): Promise<void> => {
    const { key, windowStart } = nonceHit(query);
    // Independent statements: sent together (SQLite runs them one after the other anyway).
    await Promise.all([nonces.hit(key, windowStart), sweep()]);
  };

  const refuse = (ctx: Context, status: number, code: string, reason: string) => {
    log.warn({ method: ctx.method, status, code, reason, ip: ctx.ip }, 'wecom callback refused');
    ctx.status = status;
    ctx.type = 'text/plain; charset=utf-8';
    ctx.body = code;
  };

  router.get('/wecom/callback', async (ctx) => {
    const query = signedQuery(ctx);
    // echostr is base64: a raw '+' may arrive decoded as a space (docs/protocols/wecom.md §6.2).
    const echostr = single(ctx.query.echostr)?.replace(/ /g, '+');
    if (!query || !echostr) return refuse(ctx, 400, 'MALFORMED', 'msg_signature, timestamp, nonce or echostr missing');
    const stale = staleness(query);
    if (stale) return refuse(ctx, 401, 'STALE_TIMESTAMP', stale);
    try {
      const plaintext = openEncrypted(secrets, query, echostr);
      if (await seen(query)) return refuse(ctx, 401, 'REPLAYED', 'timestamp and nonce were already answered');
      await remember(query);
      log.info('wecom callback URL verified');
      // The plaintext and nothing else: no quotes, no BOM, no newline (docs/protocols/wecom.md §6.2).
      ctx.status = 200;
      ctx.type = 'text/plain; charset=utf-8';
      ctx.body = plaintext;
    } catch (error) {
      if (error instanceof WecomCallbackError) return refuse(ctx, REJECTION_STATUS[error.code], error.code, error.message);
      throw error;
    }
  });

  router.post('/wecom/callback', async (ctx) => {
    const query = signedQuery(ctx);
    if (!query) return refuse(ctx, 400, 'MALFORMED', 'msg_signature, timestamp or nonce missing');
    const stale = staleness(query);
    if (stale) return refuse(ctx, 401, 'STALE_TIMESTAMP', stale);
    let body: string;
    try {
      body = await readRawBody(ctx, WECOM_CALLBACK_MAX_BYTES);
    } catch (error) {
      if (error instanceof DomainError && error.code === 'BODY_TOO_LARGE') return refuse(ctx, 413, error.code, error.message);
      throw error;
    }
    let message: WecomCallbackMessage;
    try {
      message = openCallback(secrets, query, body);
    } catch (error) {
      if (error instanceof WecomCallbackError) return refuse(ctx, REJECTION_STATUS[error.code], error.code, error.message);
      throw error;
    }
    if (await seen(query)) return refuse(ctx, 401, 'REPLAYED', 'timestamp and nonce were already answered');
    const event = toInboundEvent(message, app.clock.now());
    if ('malformed' in event) return refuse(ctx, 400, 'MALFORMED', event.malformed);
    if ('ignored' in event) {
      log.debug({ msgType: message.msgType, event: message.event }, 'wecom callback not used by Huifang; answered without recording');
      await remember(query);
    } else {
      // Recorded, with the nonce, before answering (a crash after this loses nothing); processed after the answer.
      const received = await app.receive(event, { wait: false, counterHit: nonceHit(query) });
      log.info({ inboundEventId: received.id, kind: event.kind, duplicate: received.duplicate }, 'wecom callback accepted');
      await sweep();
    }
    // An empty 200 means "received, no passive reply" (docs/protocols/wecom.md §6.3).
    ctx.status = 200;
    ctx.body = '';
  });
}

function single(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function signedQuery(ctx: Context): WecomSignedQuery | null {
  const msgSignature = single(ctx.query.msg_signature);
  const timestamp = single(ctx.query.timestamp);
  const nonce = single(ctx.query.nonce);
  return msgSignature && timestamp && nonce ? { msgSignature, timestamp, nonce } : null;
}

type Mapped = InboundEventInput | { ignored: true } | { malformed: string };

/** Maps a verified message to an inbox event under WeCom's dedupe rule (docs/protocols/wecom.md §6.3, §7). */
function toInboundEvent(m: WecomCallbackMessage, receivedAt: Date): Mapped {
  if (m.msgType === 'event' && m.event === 'template_card_event') {
    if (!m.taskId || !m.eventKey) return { malformed: 'template_card_event without TaskId or EventKey' };
    return {
      source: 'wecom',
      // Events dedupe on FromUserName + CreateTime, plus Event, TaskId and EventKey for card events.
      dedupeKey: `${m.fromUserName}:${m.createTime}:template_card_event:${m.taskId}:${m.eventKey}`,
      kind: 'staff_card_action',
      payload: { wecomUserId: m.fromUserName, taskId: m.taskId, actionKey: m.eventKey, responseCode: m.responseCode || null },
      receivedAt,
    };
  }
  if (m.msgType === 'text') {
    if (!m.msgId) return { malformed: 'text message without MsgId' };
    return {
      source: 'wecom',
      // Messages dedupe on MsgId, kept as a string (64-bit).
      dedupeKey: m.msgId,
      kind: 'staff_message',
      payload: { wecomUserId: m.fromUserName, text: m.content ?? '', msgId: m.msgId },
      receivedAt,
    };
  }
  return { ignored: true };
}
