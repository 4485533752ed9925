import { ChannelError, INVALID_NUMBER } from '../../core/errors.js';
import { maskPhoneInText } from '../../logger.js';
import { classifyTencentCode } from './error-codes.js';

const PROVIDER = 'tencent-sms';

/** Turns a Tencent error `Code` (request level or per number) into a `ChannelError` classified by `error-codes.ts`. */
export function channelErrorFromCode(code: string, providerMessage: string | undefined, cause?: unknown): ChannelError {
  const rule = classifyTencentCode(code);
  const said = providerMessage ? ` (Tencent: ${maskPhoneInText(providerMessage).slice(0, 200)})` : '';
  const options = {
    ...(cause === undefined ? {} : { cause }),
    ...(rule.retryAfterMs === undefined ? {} : { retryAfterMs: rule.retryAfterMs }),
    ...(rule.maxAttempts === undefined ? {} : { maxAttempts: rule.maxAttempts }),
    ...(rule.outcomeUnknown ? { outcomeUnknown: true } : {}),
  };
  if (rule.invalidNumber) {
    return new ChannelError(PROVIDER, 'permanent', INVALID_NUMBER, `Tencent refused the phone number, ${code}: ${rule.meaning}${said}`, options);
  }
  return new ChannelError(PROVIDER, rule.kind, code, `${code}: ${rule.meaning}${said}`, options);
}

/**
 * A classified `ChannelError` for what an SDK call threw. The SDK throws `TencentCloudSDKHttpException`
 * for a request-level `Response.Error` (with `code`), for a non-200 answer (with `httpCode`) and for a
 * failed connection (neither) (docs/protocols/tencent-sms.md §8); the original is kept as `cause`.
 */
export function channelErrorFromSdk(error: unknown): ChannelError {
  const e = error as { code?: unknown; httpCode?: unknown; message?: unknown };
  if (typeof e?.code === 'string' && e.code !== '') return channelErrorFromCode(e.code, typeof e.message === 'string' ? e.message : undefined, error);
  if (typeof e?.httpCode === 'number') {
    return new ChannelError(PROVIDER, 'retryable', `HTTP_${e.httpCode}`, `Tencent SMS answered HTTP ${e.httpCode}`, { cause: error });
  }
  const text = typeof e?.message === 'string' ? e.message : '';
  const detail = text ? `: ${text.slice(0, 200)}` : '';
  // The SDK keeps only the message of node-fetch's error (docs/protocols/tencent-sms.md §8). A timeout or a
  // connection lost once the request was on its way may have been carried out by Tencent.
  if (REQUEST_MAY_HAVE_ARRIVED.test(text)) {
    return new ChannelError(PROVIDER, 'retryable', 'TIMEOUT', `No answer from Tencent SMS; the request may have arrived${detail}`, { cause: error, outcomeUnknown: true });
  }
  return new ChannelError(PROVIDER, 'retryable', 'NETWORK', `Could not reach Tencent SMS${detail}`, { cause: error });
}

/**
 * node-fetch's messages for a request that may have reached the server: `network timeout at: …`
 * (no answer within the timeout), `Response timeout while trying to fetch …` (the body stalled),
 * `socket hang up` / `ECONNRESET` / `EPIPE` (the connection dropped). A refused connection, an unknown
 * host or a TLS failure are not among them: nothing was sent.
 */
const REQUEST_MAY_HAVE_ARRIVED = /network timeout at|Response timeout while trying to fetch|socket hang up|ECONNRESET|EPIPE|premature close/i;
