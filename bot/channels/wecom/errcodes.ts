import type { ChannelErrorKind } from '../../core/errors.js';

/**
 * How Huifang treats each WeCom `errcode` (STYLE E2). Every row names the section of
 * `docs/protocols/wecom.md` it comes from; WeCom says to branch on `errcode` only, never on the
 * wording of `errmsg` (the page's introduction).
 *
 * - `kind` is what the outbox does with a failed message: `retryable` and `rate_limited` are retried
 *   with backoff (honouring `retryAfterMs`), `permanent` and `auth` make the message DEAD at once
 *   (`auth` also means an operator must fix the configuration).
 * - `refreshToken`: the access token is dropped, a new one fetched and the call retried once, inside
 *   the client (STYLE A7); if the retry fails the same way, `kind` applies.
 */
export interface WecomErrcodeRule {
  kind: ChannelErrorKind;
  /** Stable UPPER_SNAKE name, used in messages and logs. */
  name: string;
  /** What it means and what to do, for the operator reading the outbox row or the log. */
  meaning: string;
  /** Where it is documented: a section of docs/protocols/wecom.md. */
  ref: string;
  refreshToken?: boolean;
  /** Minimum wait before the next attempt, in ms. */
  retryAfterMs?: number;
}

/** WeCom blocks a caller for 60 s after a per-minute limit is hit (docs/protocols/wecom.md §3). */
export const FREQUENCY_BLOCK_MS = 60_000;

/** `task_id` invalid or already used (§4.5); on a retried send it usually means "already delivered". */
export const ERRCODE_TASK_ID_USED = 42014;

/** A sign-in code that is unknown, already used or older than 5 minutes (§11.4). */
export const ERRCODE_INVALID_CODE = 40029;

const REF_TOKEN = 'docs/protocols/wecom.md §1';
const REF_ERRCODES = 'docs/protocols/wecom.md §2';
const REF_LIMITS = 'docs/protocols/wecom.md §3';
const REF_SEND = 'docs/protocols/wecom.md §4.1';
const REF_CARD = 'docs/protocols/wecom.md §4.4';
const REF_TASK_ID = 'docs/protocols/wecom.md §4.5';
const REF_UPDATE = 'docs/protocols/wecom.md §5.1';
const REF_SIGN_IN = 'docs/protocols/wecom.md §11.4';
const REF_CONTACT = 'docs/protocols/wecom.md §12';

/** The classification table, by errcode. */
export const WECOM_ERRCODES: Readonly<Record<number, WecomErrcodeRule>> = Object.freeze({
  [-1]: { kind: 'retryable', name: 'SYSTEM_BUSY', meaning: 'WeCom is busy; retry later (WeCom suggests at most 3 retries)', ref: REF_ERRCODES },

  // Tokens (§1). 40001 officially means a bad secret, but several SDKs treat it as a stale token: one
  // refresh-and-retry is harmless, repeating it is not (a wrong secret can get the IP blocked for an hour).
  40001: {
    kind: 'auth',
    name: 'INVALID_SECRET',
    meaning: 'WECOM_SECRET is not valid for WECOM_CORP_ID (wrong or reset secret, or the application is disabled); fix the configuration',
    ref: REF_TOKEN,
    refreshToken: true,
  },
  40013: { kind: 'auth', name: 'INVALID_CORP_ID', meaning: 'WECOM_CORP_ID is not a valid corp id (我的企业 → 企业信息); fix the configuration', ref: REF_TOKEN },
  40014: { kind: 'retryable', name: 'INVALID_ACCESS_TOKEN', meaning: 'the access token was rejected even after a refresh', ref: REF_TOKEN, refreshToken: true },
  40091: { kind: 'auth', name: 'SECRET_OF_ANOTHER_CORP', meaning: 'WECOM_SECRET does not belong to WECOM_CORP_ID; fix the configuration', ref: REF_TOKEN },
  41001: { kind: 'permanent', name: 'ACCESS_TOKEN_MISSING', meaning: 'the request carried no access token (a bug in the client)', ref: REF_TOKEN },
  42001: { kind: 'retryable', name: 'ACCESS_TOKEN_EXPIRED', meaning: 'the access token expired even after a refresh', ref: REF_TOKEN, refreshToken: true },
  301002: {
    kind: 'auth',
    name: 'TOKEN_OF_ANOTHER_APP',
    meaning: 'the access token belongs to another application than WECOM_AGENT_ID; WECOM_SECRET must be the secret of that application',
    ref: REF_TOKEN,
  },

  // Limits (§3). The per-member 30/min cap has no errcode: it is paced by the channel itself.
  45009: {
    kind: 'rate_limited',
    name: 'FREQUENCY_LIMIT',
    meaning: 'API call frequency exceeded; WeCom blocks further calls for the rest of the window',
    ref: REF_LIMITS,
    retryAfterMs: FREQUENCY_BLOCK_MS,
  },
  45033: { kind: 'retryable', name: 'CONCURRENCY_LIMIT', meaning: 'too many concurrent calls to the same API; lower the dispatcher concurrency', ref: REF_LIMITS, retryAfterMs: 5_000 },

  // Configuration and permissions (§2, §3).
  60020: {
    kind: 'auth',
    name: 'UNTRUSTED_IP',
    meaning:
      "this server's egress IP is not in the application's 企业可信IP list (WeCom admin console → 应用管理 → the app → 企业可信IP); " +
      'add it (it takes about a minute to apply), queued messages are retried every 15 minutes meanwhile',
    ref: REF_LIMITS,
  },
  48002: { kind: 'auth', name: 'API_NOT_PERMITTED', meaning: 'the application is not allowed to call this API (check the app permissions in the WeCom admin console)', ref: REF_ERRCODES },

  // Contacts (通讯录) read by `huifang staff sync-wecom`. See docs/protocols/wecom.md §9 (from WeCom's
  // global errcode table and the contact API pages): a self-built app reads only its visible range (可见范围).
  60011: {
    kind: 'auth',
    name: 'NO_CONTACT_PRIVILEGE',
    meaning:
      'the application may not read these members or departments: grant the app visibility of them ' +
      '(WeCom admin console → 应用管理 → the app → 可见范围; choose the top department to sync everyone)',
    ref: REF_ERRCODES,
  },
  60003: { kind: 'permanent', name: 'DEPARTMENT_NOT_FOUND', meaning: 'the department does not exist (it was deleted, or is outside the visible range)', ref: REF_ERRCODES },
  60123: { kind: 'permanent', name: 'INVALID_DEPARTMENT', meaning: 'invalid department id', ref: REF_ERRCODES },

  // Recipients (§2, §4.1).
  40003: { kind: 'permanent', name: 'INVALID_USER', meaning: 'invalid UserID (the member left, was deleted, or is outside the visible range)', ref: REF_ERRCODES },
  60111: { kind: 'permanent', name: 'USER_NOT_FOUND', meaning: 'the UserID does not exist in the corp', ref: REF_ERRCODES },
  81013: {
    kind: 'permanent',
    name: 'INVALID_RECIPIENTS',
    meaning: "no recipient is valid: the member does not exist, left, or is outside the application's visible range (可见范围)",
    ref: REF_SEND,
  },
  82001: { kind: 'permanent', name: 'NO_RECIPIENTS', meaning: 'touser/toparty/totag are all empty', ref: REF_ERRCODES },

  // Message content (§2, §4.3, §4.4).
  40058: { kind: 'permanent', name: 'INVALID_PARAMETER', meaning: 'a parameter is invalid (malformed JSON, field too long, unusable response_code …)', ref: REF_ERRCODES },
  40008: { kind: 'permanent', name: 'INVALID_MESSAGE_TYPE', meaning: 'the msgtype is not one WeCom accepts here', ref: REF_ERRCODES },
  44004: { kind: 'permanent', name: 'EMPTY_CONTENT', meaning: 'the text content is empty', ref: REF_ERRCODES },
  45002: { kind: 'permanent', name: 'CONTENT_TOO_LARGE', meaning: 'the content is too large (text > 2048 bytes)', ref: REF_ERRCODES },
  [ERRCODE_TASK_ID_USED]: {
    kind: 'permanent',
    name: 'TASK_ID_USED',
    meaning: 'the card task_id is invalid or was already used (task_id is unique per application for ever)',
    ref: REF_TASK_ID,
  },
  42015: { kind: 'permanent', name: 'CARD_OF_ANOTHER_APP', meaning: 'the card was sent by another application', ref: REF_UPDATE },
  42016: { kind: 'permanent', name: 'TASK_ID_NOT_FOUND', meaning: 'no card with this task_id exists', ref: REF_UPDATE },
  42017: { kind: 'permanent', name: 'BUTTON_KEY_MISSING', meaning: 'a card button key is missing', ref: REF_ERRCODES },
  42018: { kind: 'permanent', name: 'BUTTON_KEY_INVALID', meaning: 'a card button key is invalid', ref: REF_ERRCODES },
  42019: { kind: 'permanent', name: 'BUTTON_KEY_INVALID', meaning: 'a card button key is invalid', ref: REF_ERRCODES },
  42031: { kind: 'permanent', name: 'INVALID_CARD_TYPE', meaning: 'the template card type is invalid', ref: REF_CARD },
  42035: { kind: 'permanent', name: 'INVALID_CONTENT_LIST', meaning: 'horizontal_content_list has too many items', ref: REF_CARD },
  42038: { kind: 'permanent', name: 'INVALID_BUTTON_TEXT', meaning: 'a card button text is invalid', ref: REF_CARD },
  42039: { kind: 'permanent', name: 'INVALID_BUTTON_KEY', meaning: 'a card button key is invalid or duplicated', ref: REF_CARD },
  42045: { kind: 'permanent', name: 'INVALID_CARD_ACTION', meaning: 'card_action is missing or invalid', ref: REF_CARD },
  42052: { kind: 'permanent', name: 'MSGID_EXPIRED', meaning: 'the message is older than 24 h and can no longer be recalled', ref: 'docs/protocols/wecom.md §5.2' },

  // Customer contact (客户联系, §12). An external_userid WeCom does not know (the customer deleted the
  // member, or the id belongs to another corp or app): re-run `huifang wecom-contacts match`.
  40096: { kind: 'permanent', name: 'INVALID_EXTERNAL_USERID', meaning: 'the customer\'s external_userid is not valid (no longer a contact, or from another corp); run `huifang wecom-contacts match` again', ref: REF_CONTACT },

  // Sign-in (§11). A code works once and for 5 minutes: repeating the exchange cannot succeed, the person
  // has to go through WeCom's authorisation again.
  [ERRCODE_INVALID_CODE]: {
    kind: 'permanent',
    name: 'INVALID_CODE',
    meaning: 'the sign-in code is invalid, already used or older than 5 minutes; the person must sign in again',
    ref: REF_SIGN_IN,
  },
  50001: {
    kind: 'auth',
    name: 'REDIRECT_DOMAIN_NOT_TRUSTED',
    meaning:
      "the sign-in redirect URI's host is not trusted by the application: add it, with its port if any, to 可信域名 " +
      '(WeCom admin console → 应用管理 → the app → 网页授权及JS-SDK) or, for the QR-code login, to 授权回调域 (企业微信授权登录)',
    ref: 'docs/protocols/wecom.md §11.3',
  },
});

/**
 * Rule for an errcode not in the table: WeCom field errors (42027–42051 …) and anything new. Such a
 * request will not succeed by being repeated, so the message is DEAD and the log names the errcode,
 * so that a row can be added here.
 */
export const UNKNOWN_ERRCODE_RULE: WecomErrcodeRule = Object.freeze({
  kind: 'permanent',
  name: 'UNCLASSIFIED',
  meaning: 'an errcode Huifang does not classify (add it to bot/channels/wecom/errcodes.ts)',
  ref: REF_ERRCODES,
});

/** The rule for `errcode` (never for 0, which is success). */
export function classifyErrcode(errcode: number): WecomErrcodeRule {
  return WECOM_ERRCODES[errcode] ?? UNKNOWN_ERRCODE_RULE;
}
