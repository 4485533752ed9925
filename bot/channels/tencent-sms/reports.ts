/**
 * Tencent SMS delivery reports and customer replies, from the push callbacks (
 * docs/protocols/tencent-sms.md §5) and the pull APIs (§6), turned into inbox events of kinds `sms_status` and
 * `sms_reply`. Both routes produce the same dedupe keys, so a report seen by both is recorded once.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { PullSmsReplyStatus, PullSmsSendStatus } from 'tencentcloud-sdk-nodejs-sms/tencentcloud/services/sms/v20210111/sms_models.js';
import type { InboundEventInput } from '../../core/ports/inbox.js';
import { normalizePhone } from '../../core/phone.js';
import { UNALLOCATED_NUMBER_REPORT_CODES } from './error-codes.js';
import { INSTANT_RANGE_TEXT, LATEST_INSTANT, isInstantInRange } from '../../inbound-text.js';

/** Inbox `source` of every Tencent SMS event. */
export const TENCENT_SMS_SOURCE = 'tencent-sms';

/** Payload of an `sms_status` event (provider-neutral; see bot/inbound/handlers.ts). */
export interface SmsStatusPayload {
  /** Tencent `sid` / `SerialNo`. */
  providerMessageId: string;
  /** Our `SessionContext` (the outbox idempotency key) when Tencent echoes it. */
  idempotencyKey: string | null;
  phoneE164: string;
  status: 'DELIVERED' | 'FAILED';
  /** Carrier status code and description (`DELIVRD` / `用户短信送达成功`, or the failure). */
  reportCode: string | null;
  description: string | null;
  /** When the user received it (ISO-8601), when Tencent says. */
  userReceivedAt: string | null;
  /** The carrier reported an unallocated number (空号): stop texting it. */
  invalidNumber: boolean;
}

/** Payload of an `sms_reply` event. */
export interface SmsReplyEventPayload {
  phoneE164: string;
  text: string;
  receivedAt: string;
  /** The extend code the customer replied to (our survey reply code), if any. */
  replyCode: string | null;
  /**
   * The reply came back on another signature than ours (`TENCENT_SMS_SIGN_NAME`): one account's replies
   * all reach one reply URL, whatever signature the message was sent under, so it is not an answer to us.
   */
  foreignSignature: boolean;
}

const digits = z.union([z.string(), z.number()]).transform((v) => String(v).trim());
const unixSeconds = z
  .number()
  .int()
  .nonnegative()
  .max(Math.floor(LATEST_INSTANT.getTime() / 1000), `must be Unix seconds ${INSTANT_RANGE_TEXT}`);

/** One item of the delivery-status callback array (§5.1); unknown keys are ignored. */
export const statusCallbackItem = z.object({
  sid: z.string().min(1).max(128),
  mobile: digits,
  nationcode: digits.optional(),
  report_status: z.enum(['SUCCESS', 'FAIL']),
  errmsg: z.string().max(200).optional(),
  description: z.string().max(500).optional(),
  user_receive_time: z.string().max(40).optional(),
  ext: z.string().max(512).optional(),
});
export type StatusCallbackItem = z.infer<typeof statusCallbackItem>;

/** The reply callback object (§5.2); unknown keys are ignored. */
export const replyCallbackBody = z.object({
  mobile: digits,
  nationcode: digits.optional(),
  text: z.string().max(1000),
  // Unix seconds; 0 means "not given". Up to the last instant Huifang accepts (bot/inbound-text.ts).
  time: z.union([unixSeconds, z.string().regex(/^\d{1,12}$/).transform(Number).pipe(unixSeconds)]),
  extend: z.string().max(32).optional(),
  sign: z.string().max(100).optional(),
});
export type ReplyCallbackBody = z.infer<typeof replyCallbackBody>;

/** An `sms_status` inbox event for one pushed delivery report. */
export function statusEventFromCallback(item: StatusCallbackItem, receivedAt: Date): InboundEventInput {
  return statusEvent(
    {
      providerMessageId: item.sid,
      idempotencyKey: item.ext || null,
      phoneE164: toE164(item.nationcode, item.mobile),
      status: item.report_status === 'SUCCESS' ? 'DELIVERED' : 'FAILED',
      reportCode: item.errmsg || null,
      description: item.description || null,
      userReceivedAt: item.user_receive_time ? beijingTimeToIso(item.user_receive_time) : null,
      invalidNumber: false,
    },
    receivedAt,
  );
}

/** An `sms_status` inbox event for one pulled delivery report, or null when it lacks the essentials. */
export function statusEventFromPull(item: PullSmsSendStatus, receivedAt: Date): InboundEventInput | null {
  if (!item.SerialNo || !(item.PhoneNumber || item.SubscriberNumber) || (item.ReportStatus !== 'SUCCESS' && item.ReportStatus !== 'FAIL')) return null;
  return statusEvent(
    {
      providerMessageId: item.SerialNo,
      idempotencyKey: item.SessionContext || null,
      phoneE164: item.PhoneNumber ? toE164(undefined, item.PhoneNumber) : toE164(item.CountryCode, item.SubscriberNumber!),
      status: item.ReportStatus === 'SUCCESS' ? 'DELIVERED' : 'FAILED',
      // The pull record has no code field: `Description` is documented as a description, and Tencent's
      // example carries the carrier code in it (`DELIVRD`). Only a code-like value is read as a code.
      reportCode: carrierCodeOf(item.Description),
      description: item.Description || null,
      userReceivedAt: item.UserReceiveTime ? new Date(item.UserReceiveTime * 1000).toISOString() : null,
      invalidNumber: false,
    },
    receivedAt,
  );
}

/**
 * The carrier status code in a delivery report's text: the text itself when it looks like a code
 * (`DELIVRD`, `MI:0073`, `-106`), else a carrier code inside it (`…（MI:0073）`), else null — a human
 * description (`用户短信送达失败`) is never taken for a code.
 */
export function carrierCodeOf(text: string | undefined): string | null {
  const t = (text ?? '').trim();
  if (t === '') return null;
  if (/^[A-Za-z0-9:_.-]{1,20}$/.test(t)) return t;
  return /\b([A-Z]{2}:\d{4})\b/.exec(t)?.[1] ?? null;
}

/** Whether a reply's signature is another than ours (an empty one is taken as ours: older accounts send none). */
export function isForeignSignature(sign: string | undefined, ourSign: string): boolean {
  const strip = (s: string) => s.replace(/[【】]/g, '').trim();
  return sign !== undefined && strip(sign) !== '' && strip(sign) !== strip(ourSign);
}

/** An `sms_reply` inbox event for a pushed reply; `ourSign` is `TENCENT_SMS_SIGN_NAME`. */
export function replyEventFromCallback(body: ReplyCallbackBody, receivedAt: Date, ourSign: string): InboundEventInput {
  return replyEvent(toE164(body.nationcode, body.mobile), body.text, body.time, body.extend || null, isForeignSignature(body.sign, ourSign), receivedAt);
}

/** An `sms_reply` inbox event for a pulled reply, or null when it lacks the essentials; `ourSign` is `TENCENT_SMS_SIGN_NAME`. */
export function replyEventFromPull(item: PullSmsReplyStatus, receivedAt: Date, ourSign: string): InboundEventInput | null {
  if (!(item.PhoneNumber || item.SubscriberNumber) || item.ReplyContent === undefined || item.ReplyTime === undefined) return null;
  const phone = item.PhoneNumber ? toE164(undefined, item.PhoneNumber) : toE164(item.CountryCode, item.SubscriberNumber!);
  return replyEvent(phone, item.ReplyContent, item.ReplyTime, item.ExtendCode || null, isForeignSignature(item.SignName, ourSign), receivedAt);
}

function statusEvent(payload: SmsStatusPayload, receivedAt: Date): InboundEventInput {
  const failed = payload.status === 'FAILED';
  const invalidNumber = failed && payload.reportCode !== null && UNALLOCATED_NUMBER_REPORT_CODES.has(payload.reportCode);
  return {
    source: TENCENT_SMS_SOURCE,
    // Reference §5.1: sid + mobile (+ report_status) identifies a report; Tencent retries twice.
    dedupeKey: `status:${payload.providerMessageId}:${payload.phoneE164}:${payload.status}`,
    kind: 'sms_status',
    payload: { ...payload, invalidNumber },
    receivedAt,
  };
}

function replyEvent(phoneE164: string, text: string, unixSeconds: number, replyCode: string | null, foreignSignature: boolean, receivedAt: Date): InboundEventInput {
  const payload: SmsReplyEventPayload = {
    phoneE164,
    text,
    receivedAt: unixSeconds > 0 ? new Date(unixSeconds * 1000).toISOString() : receivedAt.toISOString(),
    replyCode,
    foreignSignature,
  };
  return {
    source: TENCENT_SMS_SOURCE,
    // Reference §5.2: mobile + time + text; the text is hashed to keep the key short.
    dedupeKey: `reply:${phoneE164}:${unixSeconds}:${createHash('sha256').update(text).digest('hex').slice(0, 32)}`,
    kind: 'sms_reply',
    payload: { ...payload },
    receivedAt,
  };
}

/**
 * E.164 from Tencent's `nationcode` + `mobile` (or an already international number). A number that
 * does not parse keeps its digits, so the event is still recorded (and later rejected as unknown).
 */
export function toE164(nationcode: string | undefined, mobile: string): string {
  const raw = mobile.trim();
  const candidate = raw.startsWith('+') ? raw : `+${(nationcode || '86').replace(/\D/g, '')}${raw.replace(/\D/g, '')}`;
  try {
    return normalizePhone(candidate).e164;
  } catch {
    return `+${candidate.replace(/\D/g, '')}`;
  }
}

/** `YYYY-MM-DD HH:mm:ss` in Beijing time (Tencent gives no zone; docs/protocols/tencent-sms.md §9) → ISO-8601 UTC. */
export function beijingTimeToIso(text: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/.exec(text.trim());
  if (!m) return null;
  const date = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}+08:00`);
  return isInstantInRange(date) ? date.toISOString() : null;
}
