import type { ChannelErrorKind } from '../../core/errors.js';

/**
 * How Huifang treats each Tencent Cloud SMS error `Code` (STYLE E2), at request level
 * (`Response.Error.Code`) and per number (`SendStatusSet[i].Code`) alike — Tencent does not say which
 * codes occur at which level (docs/protocols/tencent-sms.md §3 and §9).
 *
 * - `rate_limited`: deferred without using up attempts, for at least `retryAfterMs`;
 * - `retryable`: backed off and retried up to the message's attempts;
 * - `permanent`: the message is DEAD at once; with `invalidNumber` the customer's phone is also marked
 *   invalid so that no further SMS goes to it;
 * - `auth`: an operator must fix the account, signature, template or keys; the message waits and is
 *   retried every 15 minutes meanwhile, and the error log says what to fix.
 */
export interface TencentCodeRule {
  kind: ChannelErrorKind;
  /** What it means and what to do, for the operator reading the outbox row or the log. */
  meaning: string;
  /** Minimum wait before the next attempt, in ms. */
  retryAfterMs?: number;
  /** Tencent may have sent the SMS all the same: reconciled before any resend (docs/protocols/tencent-sms.md §3). */
  outcomeUnknown?: boolean;
  /** The number itself is unusable (malformed, on the do-not-disturb list): stop texting it. */
  invalidNumber?: boolean;
  /** At most this many attempts of the message for this code (unknown codes: a few, then an operator looks). */
  maxAttempts?: number;
}

/** Attempts of a message failing with a code Huifang does not know, before it gives up (DEAD, logged as an error). */
export const UNKNOWN_CODE_MAX_ATTEMPTS = 3;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The classification table, by Tencent `Code` (docs/protocols/tencent-sms.md §3). */
export const TENCENT_SMS_CODES: Readonly<Record<string, TencentCodeRule>> = Object.freeze({
  // Per-number frequency limits (§3, §4.1): defer until the window has passed.
  'LimitExceeded.PhoneNumberThirtySecondLimit': { kind: 'rate_limited', meaning: 'this number was texted within the last 30 seconds', retryAfterMs: 30_000 },
  'LimitExceeded.PhoneNumberOneHourLimit': { kind: 'rate_limited', meaning: 'this number reached its hourly limit', retryAfterMs: HOUR },
  'LimitExceeded.PhoneNumberDailyLimit': { kind: 'rate_limited', meaning: "this number reached its daily limit (Tencent's default policy: 2 a day; HUIFANG_SMS_DAILY_BUDGET keeps within it)", retryAfterMs: 12 * HOUR },
  'LimitExceeded.PhoneNumberSameContentDailyLimit': { kind: 'rate_limited', meaning: 'the same content reached this number too often today', retryAfterMs: 12 * HOUR },
  'LimitExceeded.DeliveryFrequencyLimit': { kind: 'rate_limited', meaning: 'a frequency policy of the SMS console held this message back', retryAfterMs: 5 * MINUTE },
  'LimitExceeded.AppDailyLimit': {
    kind: 'rate_limited',
    meaning: "the application's daily sending cap (SMS console → 应用管理 → 发送频率限制) is reached; raise it or wait for tomorrow",
    retryAfterMs: 2 * HOUR,
  },
  'LimitExceeded.DailyLimit': { kind: 'rate_limited', meaning: 'the international daily cap is reached', retryAfterMs: 2 * HOUR },
  'FailedOperation.MarketingSendTimeConstraint': { kind: 'rate_limited', meaning: 'marketing SMS may only be sent 08:00-22:00', retryAfterMs: HOUR },
  // API QPS (§3): back off.
  RequestLimitExceeded: { kind: 'rate_limited', meaning: 'API call rate exceeded', retryAfterMs: 1_000 },
  'RequestLimitExceeded.IPLimitExceeded': { kind: 'rate_limited', meaning: 'API call rate from this IP exceeded', retryAfterMs: 1_000 },
  'RequestLimitExceeded.UinLimitExceeded': { kind: 'rate_limited', meaning: 'API call rate of this account exceeded', retryAfterMs: 1_000 },
  'RequestLimitExceeded.GlobalRegionUinLimitExceeded': { kind: 'rate_limited', meaning: 'API call rate of this account exceeded', retryAfterMs: 1_000 },

  // The number (§3): permanent, and the phone is marked invalid.
  'InvalidParameterValue.IncorrectPhoneNumber': { kind: 'permanent', meaning: 'the phone number is malformed; correct it in the source system', invalidNumber: true },
  'FailedOperation.PhoneNumberInBlacklist': {
    kind: 'permanent',
    meaning: 'the number is on the do-not-disturb list (the customer unsubscribed, or the carrier blacklisted it)',
    invalidNumber: true,
  },
  'FailedOperation.PhoneNumberOnBlacklist': { kind: 'permanent', meaning: 'the number is on the do-not-disturb list', invalidNumber: true },
  'FailedOperation.PhoneNumberParseFail': { kind: 'permanent', meaning: 'Tencent could not parse the phone number', invalidNumber: true },
  'UnsupportedOperation.UnsuportedRegion': { kind: 'permanent', meaning: 'Tencent does not deliver SMS to this region', invalidNumber: true },

  // Account, signature, template, keys (§3): an operator must act; messages wait meanwhile.
  'FailedOperation.InsufficientBalanceInSmsPackage': {
    kind: 'auth',
    meaning: 'the SMS package balance is exhausted: buy an SMS package in the Tencent Cloud SMS console (套餐包管理)',
  },
  'UnauthorizedOperation.SerivceSuspendDueToArrears': { kind: 'auth', meaning: 'the Tencent Cloud account is suspended for arrears: settle the bill' },
  'FailedOperation.SignatureIncorrectOrUnapproved': {
    kind: 'auth',
    meaning: 'TENCENT_SMS_SIGN_NAME is not an approved signature of this account (the signature text, 2-12 characters, without 【】)',
  },
  'FailedOperation.TemplateIncorrectOrUnapproved': {
    kind: 'auth',
    meaning: 'the template id in TENCENT_SMS_TEMPLATES is not approved, or its parameter count differs from what Huifang sends (see README, Connecting Tencent Cloud SMS)',
  },
  'FailedOperation.TemplateParamSetNotMatchApprovedTemplate': {
    kind: 'auth',
    meaning: 'the parameters do not match the approved template: register the template text and parameter order given in the README',
  },
  'FailedOperation.ContainSensitiveWord': { kind: 'auth', meaning: 'the content contains a word Tencent does not allow: change the template wording' },
  'InternalError.SigVerificationFail': { kind: 'auth', meaning: "Tencent's back end could not verify the request's signature: check TENCENT_SECRET_ID / TENCENT_SECRET_KEY and this server's clock" },

  // The template or its parameters (§3): this message can never be sent as it is. It dies at once and the
  // error log tells the operator what to change (the next messages fail the same way until then).
  'FailedOperation.OtherError': {
    kind: 'permanent',
    meaning: 'Tencent refused the request for a reason it does not name, usually parameters that do not meet its rules: check the template and its parameters, or ask Tencent SMS support (腾讯云短信小助手)',
  },
  'FailedOperation.MissingSignatureList': {
    kind: 'permanent',
    meaning: 'Tencent does not recognise the signature: no approved signature matches TENCENT_SMS_SIGN_NAME (check 签名管理)',
  },
  'FailedOperation.MissingTemplateList': {
    kind: 'permanent',
    meaning: 'Tencent does not recognise the template: the TemplateId in TENCENT_SMS_TEMPLATES is not an approved template of this account (check 正文模板管理)',
  },
  'InvalidParameter.DirtyWordFound': { kind: 'permanent', meaning: 'the content contains a word Tencent does not allow: change the template wording and register it again' },
  'InvalidParameterValue.TemplateWithDirtyWords': {
    kind: 'permanent',
    meaning: 'the template contains words Tencent’s review standard does not allow (README, Connecting Tencent Cloud SMS): change the wording and register it again',
  },
  'InvalidParameterValue.ContentLengthLimit': { kind: 'permanent', meaning: 'the message is longer than Tencent accepts (500 characters with the signature)' },
  'InvalidParameterValue.TemplateParameterFormatError': {
    kind: 'permanent',
    meaning: 'a verification-code template was used (its variables take 0-6 digits only): register the template as a notification (通知) template',
  },
  'InvalidParameterValue.TemplateParameterLengthLimit': {
    kind: 'permanent',
    meaning: 'a template parameter is longer than the account allows (12 characters for individually verified accounts)',
  },
  'InvalidParameterValue.ProhibitedUseUrlInTemplateParameter': {
    kind: 'permanent',
    meaning: 'Tencent refuses links inside template parameters: keep the link as fixed text of the template',
  },
  'InvalidParameterValue.SdkAppIdNotExist': { kind: 'auth', meaning: 'TENCENT_SMS_SDK_APP_ID does not exist' },
  'UnauthorizedOperation.SmsSdkAppIdVerifyFail': { kind: 'auth', meaning: 'TENCENT_SMS_SDK_APP_ID does not belong to the account of TENCENT_SECRET_ID' },
  'UnauthorizedOperation.SdkAppIdIsDisabled': { kind: 'auth', meaning: 'the SMS application is disabled in the console' },
  'UnauthorizedOperation.RequestIpNotInWhitelist': { kind: 'auth', meaning: "this server's IP is not in the SMS application's IP allowlist" },
  'UnauthorizedOperation.RequestPermissionDeny': { kind: 'auth', meaning: 'the API key (sub-account) is not allowed to send SMS: grant QcloudSMSFullAccess or a send policy' },
  'UnauthorizedOperation.IndividualUserMarketingSmsPermissionDeny': { kind: 'auth', meaning: 'individually verified accounts cannot send marketing SMS' },
  'InternalError.RequestTimeException': { kind: 'auth', meaning: "this server's clock differs from Tencent's by more than 10 minutes: fix NTP" },
  'AuthFailure.SignatureFailure': { kind: 'auth', meaning: 'Tencent rejected the request signature: TENCENT_SECRET_KEY does not match TENCENT_SECRET_ID' },
  'AuthFailure.SignatureExpire': { kind: 'auth', meaning: "the request signature expired: this server's clock is more than 5 minutes off" },
  'AuthFailure.SecretIdNotFound': { kind: 'auth', meaning: 'TENCENT_SECRET_ID does not exist (or was deleted)' },
  'AuthFailure.InvalidSecretId': { kind: 'auth', meaning: 'TENCENT_SECRET_ID is not a valid key id' },
  'AuthFailure.UnauthorizedOperation': { kind: 'auth', meaning: 'the API key is not allowed to call the SMS API' },

  // Bugs in the request (§3): retrying does not help.
  'LimitExceeded.PhoneNumberCountLimit': { kind: 'permanent', meaning: 'more than 200 numbers in one request' },
  'MissingParameter.EmptyPhoneNumberSet': { kind: 'permanent', meaning: 'the request carried no phone number' },
  'UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber': { kind: 'permanent', meaning: 'domestic and international numbers in one request' },
  'FailedOperation.JsonParseFail': { kind: 'permanent', meaning: 'Tencent could not parse the request' },
  'FailedOperation.FailResolvePacket': { kind: 'permanent', meaning: 'Tencent could not parse the request' },

  // Tencent-side failures (§3): retry. A timeout may already have been sent.
  'InternalError.Timeout': { kind: 'retryable', meaning: 'timeout inside Tencent; the message may already have been sent', outcomeUnknown: true },
  'InternalError.SendAndRecvFail': { kind: 'retryable', meaning: 'network failure inside Tencent; the message may already have been sent', outcomeUnknown: true },
  'InternalError.OtherError': { kind: 'retryable', meaning: 'internal error at Tencent' },
  'InternalError.UnknownError': { kind: 'retryable', meaning: 'internal error at Tencent' },
  InternalError: { kind: 'retryable', meaning: 'internal error at Tencent' },
});

/**
 * Rule for a code not in the table. `AuthFailure.*` and `UnauthorizedOperation.*` are operator
 * problems, `LimitExceeded.*` a deferral and `InternalError.*` retried, whatever their suffix;
 * `InvalidParameter*` and `MissingParameter*` are permanent; anything else is retried at most
 * {@link UNKNOWN_CODE_MAX_ATTEMPTS} times, then the message dies with the code for an operator to look up.
 */
export function classifyTencentCode(code: string): TencentCodeRule {
  const rule = TENCENT_SMS_CODES[code];
  if (rule) return rule;
  if (code.startsWith('AuthFailure.') || code.startsWith('UnauthorizedOperation.')) return { kind: 'auth', meaning: 'Tencent refused the API key or account' };
  if (code.startsWith('LimitExceeded.')) return { kind: 'rate_limited', meaning: 'a Tencent sending limit was reached', retryAfterMs: HOUR };
  if (code.startsWith('InternalError.')) return { kind: 'retryable', meaning: 'internal error at Tencent' };
  // A parameter Tencent refuses stays refused: retrying the same request cannot help.
  if (code === 'InvalidParameter' || code === 'InvalidParameterValue' || code.startsWith('InvalidParameter.') || code.startsWith('InvalidParameterValue.') || code.startsWith('MissingParameter')) {
    return { kind: 'permanent', meaning: 'Tencent refused a parameter of the request: check the template, its parameters and the signature' };
  }
  return {
    kind: 'retryable',
    meaning: `a code Huifang does not know: tried ${UNKNOWN_CODE_MAX_ATTEMPTS} times at most, then given up; look it up in Tencent's error code list and add it to bot/channels/tencent-sms/error-codes.ts`,
    maxAttempts: UNKNOWN_CODE_MAX_ATTEMPTS,
  };
}

/**
 * Carrier delivery-report codes (`errmsg` of a FAIL report) that mean the number does not exist
 * (空号; China Mobile SMSC codes). Most failures — phone off, out of service, a blocked keyword — are
 * temporary or about the content and vary by carrier (docs/protocols/tencent-sms.md §3), so only these mark the phone
 * invalid; extend the list as carriers' codes are confirmed.
 */
export const UNALLOCATED_NUMBER_REPORT_CODES: ReadonlySet<string> = new Set(['MI:0073', 'MI:0210']);
