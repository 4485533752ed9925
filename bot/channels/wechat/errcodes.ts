import type { ChannelErrorKind } from '../../core/errors.js';

/**
 * How Huifang treats each WeChat Official Account `errcode` (STYLE E2), from
 * `docs/protocols/wechat.md` §3 and WeChat's global return codes (全局返回码). Branch on
 * `errcode` only, never on `errmsg`.
 *
 * - `retryable` / `rate_limited`: the outbox tries again later (honouring `retryAfterMs`);
 * - `permanent`: the message is DEAD at once — for a survey invitation the SMS fallback takes over;
 * - `auth`: an operator must fix the account's configuration (AppSecret, IP allowlist, permissions,
 *   template); the message waits and is retried slowly meanwhile.
 * - `refreshToken`: the client gets a fresh token and retries the call once; if that fails the same
 *   way, `kind` applies.
 */
export interface WechatErrcodeRule {
  kind: ChannelErrorKind;
  /** Stable UPPER_SNAKE name for messages and logs. */
  name: string;
  /** What it means and what to do, for the operator. */
  meaning: string;
  refreshToken?: boolean;
  /** Minimum wait before the next attempt, in ms. */
  retryAfterMs?: number;
  /** At most this many attempts of the message for this errcode. */
  maxAttempts?: number;
}

/** Attempts of a message failing with an errcode Huifang does not know, before it gives up. */
export const UNKNOWN_ERRCODE_MAX_ATTEMPTS = 3;

const HOUR_MS = 3_600_000;

/** The classification table, by errcode. */
export const WECHAT_ERRCODES: Readonly<Record<number, WechatErrcodeRule>> = Object.freeze({
  [-1]: { kind: 'retryable', name: 'SYSTEM_BUSY', meaning: 'WeChat is busy; retried later' },

  // Credentials and tokens (§1).
  40001: {
    kind: 'auth',
    name: 'INVALID_CREDENTIAL',
    meaning: 'the access token was rejected even after a refresh, or WECHAT_MP_APP_SECRET is wrong (reset in 设置与开发 → 基本配置)',
    refreshToken: true,
  },
  40014: { kind: 'retryable', name: 'INVALID_ACCESS_TOKEN', meaning: 'the access token was rejected even after a refresh', refreshToken: true },
  42001: { kind: 'retryable', name: 'ACCESS_TOKEN_EXPIRED', meaning: 'the access token expired even after a refresh', refreshToken: true },
  40013: { kind: 'auth', name: 'INVALID_APPID', meaning: 'WECHAT_MP_APP_ID is not a valid AppID; fix the configuration' },
  40125: { kind: 'auth', name: 'INVALID_APPSECRET', meaning: 'WECHAT_MP_APP_SECRET is not valid for WECHAT_MP_APP_ID; fix the configuration' },
  41001: { kind: 'permanent', name: 'ACCESS_TOKEN_MISSING', meaning: 'the request carried no access token (a bug in the client)' },
  40164: {
    kind: 'auth',
    name: 'IP_NOT_ALLOWED',
    meaning: 'the server’s IP is not in the account’s API IP allowlist: add it under 设置与开发 → 基本配置 → IP白名单',
  },
  48001: {
    kind: 'auth',
    name: 'API_UNAUTHORIZED',
    meaning: 'the account may not call this API: template messages need a verified (认证) 服务号 with the template feature enabled',
  },

  // Recipients (§2.1, §3): the survey goes by SMS instead.
  40003: { kind: 'permanent', name: 'INVALID_OPENID', meaning: 'the openid is malformed or belongs to another account (it must be this 服务号’s openid)' },
  43004: { kind: 'permanent', name: 'REQUIRE_SUBSCRIBE', meaning: 'the customer does not follow the 服务号 (anymore)' },
  43101: { kind: 'permanent', name: 'USER_REFUSED', meaning: 'the customer refused messages from the account' },

  // Template and content (§2.2, §3).
  40037: {
    kind: 'auth',
    name: 'INVALID_TEMPLATE_ID',
    meaning: 'WECHAT_MP_SURVEY_TEMPLATE_ID is not a template of this account (模板消息 → 我的模板); fix the configuration',
  },
  47001: {
    kind: 'permanent',
    name: 'DATA_FORMAT_ERROR',
    meaning: 'WeChat could not parse the request body (data format error): a bug or a value WeChat cannot read; the survey goes by SMS instead',
  },
  43116: {
    kind: 'permanent',
    name: 'TEMPLATE_BANNED',
    meaning:
      'WeChat banned this template (滥用, reports of abuse): add another template in 模板消息 and set WECHAT_MP_SURVEY_TEMPLATE_ID; survey invitations go by SMS meanwhile',
  },
  47003: {
    kind: 'permanent',
    name: 'ARGUMENT_INVALID',
    meaning: 'a template value does not fit its keyword type (templates/messages survey_invite.wechat.data must match the template’s keywords)',
  },

  // Limits (§1, §2.3).
  45009: { kind: 'rate_limited', name: 'QUOTA_REACHED', meaning: 'the daily API quota is used up; sending resumes later', retryAfterMs: HOUR_MS },
  45047: { kind: 'rate_limited', name: 'OUT_OF_SEND_LIMIT', meaning: 'the send limit towards this customer is reached; sending resumes later', retryAfterMs: HOUR_MS },
});

/**
 * The rule for `errcode`; an unknown one is retried {@link UNKNOWN_ERRCODE_MAX_ATTEMPTS} times at most,
 * then the message dies (for a survey invitation the SMS fallback takes over) and the error names the code.
 */
export function classifyWechatErrcode(errcode: number): WechatErrcodeRule {
  return (
    WECHAT_ERRCODES[errcode] ?? {
      kind: 'retryable',
      name: 'UNKNOWN',
      meaning: `an errcode Huifang does not know: tried ${UNKNOWN_ERRCODE_MAX_ATTEMPTS} times at most, then given up; look it up in WeChat's global return codes and add it to bot/channels/wechat/errcodes.ts`,
      maxAttempts: UNKNOWN_ERRCODE_MAX_ATTEMPTS,
    }
  );
}
