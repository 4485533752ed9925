import { ChannelError, type ChannelErrorKind } from '../core/errors.js';
import type { Logger } from '../logger.js';
import type { FetchedToken, ProviderTokenCache } from './provider-token.js';

/** How a provider's `errcode` is treated (the shape shared by `wecom/errcodes.ts` and `wechat/errcodes.ts`). */
export interface ProviderErrcodeRule {
  kind: ChannelErrorKind;
  /** Stable UPPER_SNAKE name, for messages and logs. */
  name: string;
  /** What it means and what to do, for the operator. */
  meaning: string;
  /** Where it is documented, quoted in the error message when given. */
  ref?: string;
  /** The token was refused as stale: refresh it and retry the call once. */
  refreshToken?: boolean;
  /** Minimum wait before the next attempt, in ms. */
  retryAfterMs?: number;
  /** At most this many attempts of the message for this errcode (unknown errcodes: a few). */
  maxAttempts?: number;
}

/**
 * One errcode-style JSON API (WeCom, WeChat Official Account): where it is, how it is reached and how
 * its errcodes are classified. Base URL, `fetch` and timeout come from configuration (STYLE A5).
 */
export interface ProviderEndpoint {
  /** `ChannelError.provider` and the prefix of log messages: `wecom`, `wechat`. */
  provider: string;
  /** The provider's name in error messages: `WeCom`, `WeChat`. */
  displayName: string;
  /** API root, e.g. `https://qyapi.weixin.qq.com` (a trailing slash is ignored). */
  apiBase: string;
  /** HTTP function [globalThis.fetch]. */
  fetch?: typeof globalThis.fetch | undefined;
  /** Per-request timeout in ms, covering connect, answer and body [10 000]. */
  timeoutMs?: number | undefined;
  logger?: Logger | undefined;
  /**
   * Whether every answer carries a numeric `errcode` (WeCom). Otherwise an answer without one is a
   * success (WeChat's token answer has none), but one that is not a number is still refused.
   */
  errcodeRequired: boolean;
  classify: (errcode: number) => ProviderErrcodeRule;
  /**
   * Secret values (the application secret, the cached token) to cut out of every text that may be
   * logged or thrown; values shorter than 6 characters are ignored.
   */
  secrets: () => readonly (string | undefined)[];
}

/** One API call: a POST with a JSON body, or a GET when `body` is undefined. */
export interface ProviderRequest {
  method: 'GET' | 'POST';
  /** E.g. `/cgi-bin/message/send`. */
  path: string;
  query?: Record<string, string>;
  body?: unknown;
}

/** A parsed answer: `errcode` is 0 when the provider left it out, `errmsg` '' likewise. */
export type ProviderAnswer = Record<string, unknown> & { errcode: number; errmsg: string };

/** The parsed answer and its text (for numbers beyond 2^53, such as WeChat's `msgid`). */
export interface ProviderReply {
  answer: ProviderAnswer;
  raw: string;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
/** Query parameters whose values are secret, masked wherever a URL is logged or quoted. */
const SECRET_QUERY = /([?&](?:access_token|corpsecret|secret)=)[^&]*/g;

/**
 * Calls an API that takes the access token as `access_token` (STYLE A7): a token refused as stale
 * (`refreshToken` in the errcode table) gets one refresh and one retry through `tokens`; any errcode
 * other than 0 is then thrown as a classified `ChannelError` with the errcode as `providerCode`.
 */
export async function callProviderApi(endpoint: ProviderEndpoint, tokens: ProviderTokenCache, request: ProviderRequest): Promise<ProviderReply> {
  const { result, tokensUsed } = await tokens.withToken(
    request.path,
    (token) => requestProviderJson(endpoint, { ...request, query: { ...request.query, access_token: token } }),
    ({ answer }) => (answer.errcode !== 0 && endpoint.classify(answer.errcode).refreshToken ? answer.errcode : undefined),
  );
  if (result.answer.errcode !== 0) throw providerApiError(endpoint, request.path, result.answer, tokensUsed);
  return result;
}

/**
 * Requests an access token (WeCom `gettoken`, WeChat `stable_token`): a non-zero errcode is thrown
 * classified, an answer without `access_token` / `expires_in` as retryable `BAD_RESPONSE`.
 */
export async function requestProviderToken(endpoint: ProviderEndpoint, request: ProviderRequest): Promise<FetchedToken> {
  const { answer } = await requestProviderJson(endpoint, request);
  if (answer.errcode !== 0) throw providerApiError(endpoint, request.path, answer);
  const token = answer.access_token;
  const expiresIn = answer.expires_in;
  if (typeof token !== 'string' || token === '' || typeof expiresIn !== 'number' || !(expiresIn > 0)) {
    throw new ChannelError(endpoint.provider, 'retryable', 'BAD_RESPONSE', `${endpoint.displayName} ${request.path} answered without access_token/expires_in`);
  }
  return { token, expiresInSeconds: expiresIn };
}

/**
 * One HTTP exchange. Resolves with the JSON answer whatever its errcode; throws a `ChannelError` for
 * transport failures: unreachable API and timeouts are retryable `NETWORK`, 5xx retryable `HTTP_<status>`,
 * other non-2xx answers permanent `HTTP_<status>`, an answer that is not a JSON object (or lacks a
 * numeric errcode where one is required) retryable `BAD_RESPONSE`. The debug log has the URL with its
 * secrets masked and the duration.
 */
export async function requestProviderJson(endpoint: ProviderEndpoint, request: ProviderRequest): Promise<ProviderReply> {
  const { provider, displayName } = endpoint;
  const { method, path, body } = request;
  const timeoutMs = endpoint.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const qs = new URLSearchParams(request.query ?? {}).toString();
  const url = `${endpoint.apiBase.replace(/\/+$/, '')}${path}${qs ? `?${qs}` : ''}`;
  const log = endpoint.logger;
  const started = performance.now();
  let status: number;
  let raw: string;
  try {
    const response = await (endpoint.fetch ?? globalThis.fetch)(url, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    status = response.status;
    raw = await response.text();
  } catch (thrown) {
    const timedOut = isTimeout(thrown);
    log?.debug({ api: path, url: maskUrl(url), ms: Math.round(performance.now() - started), timedOut }, `${provider} api call failed`);
    const reason = networkCode(thrown) ?? scrubProviderText(endpoint, thrown instanceof Error ? thrown.message : String(thrown)).slice(0, 120);
    throw new ChannelError(
      provider,
      'retryable',
      'NETWORK',
      timedOut ? `${displayName} ${path} did not answer within ${timeoutMs} ms` : `${displayName} ${path} could not be reached (${reason})`,
      { cause: scrubError(endpoint, thrown) },
    );
  }
  log?.debug({ api: path, url: maskUrl(url), status, ms: Math.round(performance.now() - started) }, `${provider} api call`);
  if (status >= 500) throw new ChannelError(provider, 'retryable', `HTTP_${status}`, `${displayName} ${path} answered HTTP ${status}`);
  if (status < 200 || status >= 300) throw new ChannelError(provider, 'permanent', `HTTP_${status}`, `${displayName} ${path} answered HTTP ${status}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ChannelError(provider, 'retryable', 'BAD_RESPONSE', `${displayName} ${path} answered with something that is not JSON`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ChannelError(provider, 'retryable', 'BAD_RESPONSE', `${displayName} ${path} answered with something that is not a JSON object`);
  }
  const answer = parsed as Record<string, unknown>;
  const { errcode, errmsg } = answer;
  if (errcode === undefined ? endpoint.errcodeRequired : typeof errcode !== 'number') {
    throw new ChannelError(provider, 'retryable', 'BAD_RESPONSE', `${displayName} ${path} answered without a numeric errcode`);
  }
  return { answer: { ...answer, errcode: (errcode as number | undefined) ?? 0, errmsg: typeof errmsg === 'string' ? errmsg : '' }, raw };
}

/** The classified `ChannelError` for an answer with a non-zero errcode; `errmsg` is scrubbed and cut to 200 characters. */
export function providerApiError(endpoint: ProviderEndpoint, path: string, answer: ProviderAnswer, tokensUsed: readonly string[] = []): ChannelError {
  const rule = endpoint.classify(answer.errcode);
  const errmsg = scrubProviderText(endpoint, answer.errmsg, tokensUsed).slice(0, 200);
  const ref = rule.ref === undefined ? '' : ` [${rule.ref}]`;
  return new ChannelError(
    endpoint.provider,
    rule.kind,
    String(answer.errcode),
    `${endpoint.displayName} ${path} failed with errcode ${answer.errcode} ${rule.name}: ${rule.meaning}${ref} (errmsg: ${errmsg})`,
    { ...(rule.retryAfterMs === undefined ? {} : { retryAfterMs: rule.retryAfterMs }), ...(rule.maxAttempts === undefined ? {} : { maxAttempts: rule.maxAttempts }) },
  );
}

/** `text` (an errmsg, a transport error: not ours) with secret query values masked and the endpoint's secrets and `tokensUsed` replaced by `***`. */
function scrubProviderText(endpoint: ProviderEndpoint, text: string, tokensUsed: readonly string[] = []): string {
  let out = maskUrl(text);
  for (const secret of [...endpoint.secrets(), ...tokensUsed]) {
    if (secret && secret.length >= 6) out = out.split(secret).join('***');
  }
  return out;
}

/** The URL as it may be logged: secret query values replaced by `***`. */
function maskUrl(url: string): string {
  return url.replace(SECRET_QUERY, '$1***');
}

/** A copy of a transport error that keeps its name, code and (scrubbed) message, but not the URL it may quote. */
function scrubError(endpoint: ProviderEndpoint, thrown: unknown): Error {
  const original = thrown instanceof Error ? thrown : new Error(String(thrown));
  const copy = new Error(scrubProviderText(endpoint, original.message));
  copy.name = original.name;
  const code = networkCode(thrown);
  if (code) (copy as Error & { code?: string }).code = code;
  return copy;
}

function isTimeout(thrown: unknown): boolean {
  return thrown instanceof Error && (thrown.name === 'TimeoutError' || thrown.name === 'AbortError');
}

/** `ECONNREFUSED`, `ENOTFOUND`, `UND_ERR_SOCKET` … from undici's `TypeError: fetch failed` or its cause. */
function networkCode(thrown: unknown): string | undefined {
  let current: unknown = thrown;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as Error & { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as Error & { cause?: unknown }).cause;
  }
  return undefined;
}
