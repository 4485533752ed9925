import type { Clock } from '../../core/clock.js';
import { ChannelError } from '../../core/errors.js';
import type { Logger } from '../../logger.js';
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

interface CachedToken {
  token: string;
  expiresAtMs: number;
}

const PROVIDER = 'wechat';
const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_REFRESH_MARGIN_MS = 3 * 60_000;
const DEFAULT_AUTH_FAILURE_HOLD_MS = 60_000;
/** WeChat allows a force refresh at most every 30 s (and 20 a day). */
const FORCE_REFRESH_INTERVAL_MS = 60_000;

const wallClock: Clock = { now: () => new Date() };

type Answer = Record<string, unknown> & { errcode?: number; errmsg?: string };

export class WechatClient {
  readonly #appId: string;
  readonly #appSecret: string;
  readonly #apiBase: string;
  readonly #fetch: typeof globalThis.fetch;
  readonly #timeoutMs: number;
  readonly #clock: Clock;
  readonly #log: Logger | undefined;
  readonly #refreshMarginMs: number;
  readonly #authFailureHoldMs: number;
  #token: CachedToken | null = null;
  #inFlight: Promise<CachedToken> | null = null;
  #authFailure: { error: ChannelError; untilMs: number } | null = null;
  #lastForceRefreshMs = Number.NEGATIVE_INFINITY;

  constructor(options: WechatClientOptions) {
    this.#appId = options.appId;
    this.#appSecret = options.appSecret;
    this.#apiBase = options.apiBase.replace(/\/+$/, '');
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#clock = options.clock ?? wallClock;
    this.#log = options.logger;
    this.#refreshMarginMs = options.refreshMarginMs ?? DEFAULT_REFRESH_MARGIN_MS;
    this.#authFailureHoldMs = options.authFailureHoldMs ?? DEFAULT_AUTH_FAILURE_HOLD_MS;
  }

  /** `POST /cgi-bin/message/template/send`; resolves with WeChat's `msgid` (a 64-bit number, as a string). */
  async sendTemplateMessage(body: WechatTemplateSendBody): Promise<{ msgid: string | null }> {
    const { answer, raw } = await this.#call('/cgi-bin/message/template/send', body);
    // msgid exceeds 2^53: read it from the text, not from the parsed number.
    const msgid = /"msgid"\s*:\s*"?(\d+)/.exec(raw)?.[1] ?? (answer.msgid === undefined ? null : String(answer.msgid));
    return { msgid };
  }

  async #call(path: string, body: unknown): Promise<{ answer: Answer; raw: string }> {
    const token = await this.#accessToken();
    let result = await this.#request(path, { access_token: token }, body);
    const errcode = result.answer.errcode ?? 0;
    if (errcode !== 0 && classifyWechatErrcode(errcode).refreshToken) {
      this.#log?.warn({ api: path, errcode }, 'wechat access token rejected; refreshing it and retrying once');
      const fresh = await this.#freshToken(token);
      result = await this.#request(path, { access_token: fresh }, body);
      if ((result.answer.errcode ?? 0) !== 0) throw this.#apiError(path, result.answer, [token, fresh]);
      return result;
    }
    if (errcode !== 0) throw this.#apiError(path, result.answer, [token]);
    return result;
  }

  /** A token other than `rejected`: normal mode first; a force refresh if WeChat insists on the rejected one. */
  async #freshToken(rejected: string): Promise<string> {
    if (this.#token?.token === rejected) this.#token = null;
    const again = await this.#accessToken();
    if (again !== rejected) return again;
    const nowMs = this.#clock.now().getTime();
    if (nowMs - this.#lastForceRefreshMs < FORCE_REFRESH_INTERVAL_MS) return again;
    this.#lastForceRefreshMs = nowMs;
    this.#token = null;
    return (await this.#refresh(true)).token;
  }

  async #accessToken(): Promise<string> {
    const nowMs = this.#clock.now().getTime();
    const cached = this.#token;
    if (cached && cached.expiresAtMs - nowMs > this.#refreshMarginMs) return cached.token;
    const held = this.#authFailure;
    if (held && nowMs < held.untilMs) {
      throw new ChannelError(PROVIDER, held.error.kind, held.error.providerCode, `${held.error.message} (not retried until ${new Date(held.untilMs).toISOString()})`);
    }
    try {
      return (await this.#refresh(false)).token;
    } catch (error) {
      // A token merely close to its expiry is still good while WeChat cannot be reached.
      if (cached && cached.expiresAtMs > nowMs && error instanceof ChannelError && error.retryable) {
        this.#log?.warn({ err: error }, 'wechat token refresh failed; using the cached token until it expires');
        return cached.token;
      }
      throw error;
    }
  }

  /** Single flight: concurrent callers share one token request. */
  #refresh(force: boolean): Promise<CachedToken> {
    if (this.#inFlight) return this.#inFlight;
    const promise = this.#fetchToken(force)
      .then((entry) => {
        this.#token = entry;
        return entry;
      })
      .finally(() => {
        this.#inFlight = null;
      });
    this.#inFlight = promise;
    return promise;
  }

  async #fetchToken(force: boolean): Promise<CachedToken> {
    const path = '/cgi-bin/stable_token';
    const { answer } = await this.#request(path, {}, { grant_type: 'client_credential', appid: this.#appId, secret: this.#appSecret, force_refresh: force });
    if ((answer.errcode ?? 0) !== 0) {
      const error = this.#apiError(path, answer);
      // Hold configuration errors: every queued message would otherwise ask again with the same bad secret.
      if (error.kind === 'auth') this.#authFailure = { error, untilMs: this.#clock.now().getTime() + this.#authFailureHoldMs };
      throw error;
    }
    const token = answer.access_token;
    const expiresIn = answer.expires_in;
    if (typeof token !== 'string' || token === '' || typeof expiresIn !== 'number' || !(expiresIn > 0)) {
      throw new ChannelError(PROVIDER, 'retryable', 'BAD_RESPONSE', `WeChat ${path} answered without access_token/expires_in`);
    }
    this.#authFailure = null;
    this.#log?.info({ expiresInSeconds: expiresIn, forced: force }, 'wechat access token fetched');
    return { token, expiresAtMs: this.#clock.now().getTime() + expiresIn * 1000 };
  }

  /** One HTTP exchange (POST JSON). Resolves with the answer whatever its errcode; throws for transport failures. */
  async #request(path: string, query: Record<string, string>, body: unknown): Promise<{ answer: Answer; raw: string }> {
    const qs = new URLSearchParams(query).toString();
    const url = `${this.#apiBase}${path}${qs ? `?${qs}` : ''}`;
    let status: number;
    let raw: string;
    try {
      const response = await this.#fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      status = response.status;
      raw = await response.text();
    } catch (thrown) {
      const timedOut = thrown instanceof Error && (thrown.name === 'TimeoutError' || thrown.name === 'AbortError');
      throw new ChannelError(
        PROVIDER,
        'retryable',
        'NETWORK',
        timedOut ? `WeChat ${path} did not answer within ${this.#timeoutMs} ms` : `WeChat ${path} could not be reached (${networkCode(thrown) ?? 'network error'})`,
      );
    }
    this.#log?.debug({ api: path, status }, 'wechat api call');
    if (status >= 500) throw new ChannelError(PROVIDER, 'retryable', `HTTP_${status}`, `WeChat ${path} answered HTTP ${status}`);
    if (status < 200 || status >= 300) throw new ChannelError(PROVIDER, 'permanent', `HTTP_${status}`, `WeChat ${path} answered HTTP ${status}`);
    let answer: unknown;
    try {
      answer = JSON.parse(raw);
    } catch {
      throw new ChannelError(PROVIDER, 'retryable', 'BAD_RESPONSE', `WeChat ${path} answered with something that is not JSON`);
    }
    if (answer === null || typeof answer !== 'object') throw new ChannelError(PROVIDER, 'retryable', 'BAD_RESPONSE', `WeChat ${path} answered with something that is not an object`);
    const errcode = (answer as Answer).errcode;
    if (errcode !== undefined && typeof errcode !== 'number') throw new ChannelError(PROVIDER, 'retryable', 'BAD_RESPONSE', `WeChat ${path} answered with a non-numeric errcode`);
    return { answer: answer as Answer, raw };
  }

  #apiError(path: string, answer: Answer, tokensUsed: string[] = []): ChannelError {
    const errcode = answer.errcode ?? 0;
    const rule = classifyWechatErrcode(errcode);
    let errmsg = typeof answer.errmsg === 'string' ? answer.errmsg : '';
    for (const secret of [this.#appSecret, ...tokensUsed]) if (secret.length >= 6) errmsg = errmsg.split(secret).join('***');
    return new ChannelError(
      PROVIDER,
      rule.kind,
      String(errcode),
      `WeChat ${path} failed with errcode ${errcode} ${rule.name}: ${rule.meaning} (errmsg: ${errmsg.slice(0, 200)})`,
      rule.retryAfterMs === undefined ? {} : { retryAfterMs: rule.retryAfterMs },
    );
  }
}

/** `ECONNREFUSED`, `UND_ERR_SOCKET` … from undici's `TypeError: fetch failed` or its cause. */
function networkCode(thrown: unknown): string | undefined {
  let current: unknown = thrown;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as Error & { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as Error & { cause?: unknown }).cause;
  }
  return undefined;
}
