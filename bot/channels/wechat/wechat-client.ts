import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../logger.js';
import { callProviderApi, requestProviderToken, type ProviderEndpoint } from '../provider-request.js';
import { ProviderTokenCache } from '../provider-token.js';
import { classifyWechatErrcode } from './errcodes.js';

/**
 * A typed client for the WeChat Official Account (服务号) server API, over `fetch`
 * (docs/protocols/wechat.md).
 *
 * - Base URL, `fetch` and timeout are injected (STYLE A5): tests point `apiBase` at the simulator.
 * - Tokens come from the stable-token API (`POST /cgi-bin/stable_token`, 获取稳定版接口调用凭据) in normal
 *   mode: while a token is valid every caller — every replica — gets the same one, so replicas never
 *   invalidate each other's token (the plain `/cgi-bin/token` would). The token is cached, refreshed
 *   when less than `refreshMarginMs` remain (WeChat rotates it 5 minutes before expiry), and fetched by
 *   one request however many callers need it at once (single flight).
 * - A call rejected for a stale token (40001, 40014, 42001) gets a fresh token and is retried once. If
 *   WeChat hands back the very token it just rejected, one force refresh is made (WeChat allows 20 a day,
 *   30 s apart; it invalidates the old token for everyone).
 * - Errcodes are classified through `errcodes.ts` and thrown as `ChannelError` with the errcode as
 *   `providerCode`; unreachable API, timeouts and 5xx answers are `retryable` (`NETWORK`, `HTTP_<status>`).
 * - The AppSecret and the access token never appear in a log line or an error message (STYLE C5).
 */
export interface WechatClientOptions {
  /** The account's AppID. */
  appId: string;
  /** The AppSecret. Secret. */
  appSecret: string;
  /** API root without trailing slash, e.g. `https://api.weixin.qq.com`. */
  apiBase: string;
  /** HTTP function [globalThis.fetch]. */
  fetch?: typeof globalThis.fetch;
  /** Per-request timeout in ms [10 000]. */
  timeoutMs?: number;
  /** Clock for token expiry [the system clock]. */
  clock?: Clock;
  logger?: Logger;
  /** Refresh the token when less than this remains, in ms [180 000 = 3 min]. */
  refreshMarginMs?: number;
  /** After a token request fails with a configuration error, calls fail at once for this long, in ms [60 000]. */
  authFailureHoldMs?: number;
}

/** Body of `POST /cgi-bin/message/template/send` (docs/protocols/wechat.md §2.1). */
export interface WechatTemplateSendBody {
  touser: string;
  template_id: string;
  url?: string;
  data: Record<string, { value: string }>;
  /** Anti-replay id: one message per openid + client_msg_id within 10 minutes. */
  client_msg_id?: string;
}

const PROVIDER = 'wechat';
const DEFAULT_REFRESH_MARGIN_MS = 3 * 60_000;
/** WeChat allows a force refresh at most every 30 s (and 20 a day). */
const FORCE_REFRESH_INTERVAL_MS = 60_000;

export class WechatClient {
  readonly #api: ProviderEndpoint;
  readonly #tokens: ProviderTokenCache;

  constructor(options: WechatClientOptions) {
    const { appId, appSecret, apiBase, fetch, timeoutMs, logger } = options;
    const secrets = () => [appSecret, this.#tokens.current()];
    // The stable-token answer carries no errcode; every other answer does.
    this.#api = { provider: PROVIDER, displayName: 'WeChat', apiBase, fetch, timeoutMs, logger, errcodeRequired: false, classify: classifyWechatErrcode, secrets };
    this.#tokens = new ProviderTokenCache({
      provider: PROVIDER,
      fetchToken: (force) =>
        requestProviderToken(this.#api, { method: 'POST', path: '/cgi-bin/stable_token', body: { grant_type: 'client_credential', appid: appId, secret: appSecret, force_refresh: force } }),
      // If WeChat hands back the very token it has just rejected, one force refresh (it invalidates the old token for everyone).
      forceRefreshIntervalMs: FORCE_REFRESH_INTERVAL_MS,
      clock: options.clock,
      refreshMarginMs: options.refreshMarginMs ?? DEFAULT_REFRESH_MARGIN_MS,
      authFailureHoldMs: options.authFailureHoldMs,
      logger,
    });
  }

  /** `POST /cgi-bin/message/template/send`; resolves with WeChat's `msgid` (a 64-bit number, as a string). */
  async sendTemplateMessage(body: WechatTemplateSendBody): Promise<{ msgid: string | null }> {
    const { answer, raw } = await callProviderApi(this.#api, this.#tokens, { method: 'POST', path: '/cgi-bin/message/template/send', body });
    // msgid exceeds 2^53: read it from the text, not from the parsed number.
    const msgid = /"msgid"\s*:\s*"?(\d+)/.exec(raw)?.[1] ?? (answer.msgid === undefined ? null : String(answer.msgid));
    return { msgid };
  }
}
