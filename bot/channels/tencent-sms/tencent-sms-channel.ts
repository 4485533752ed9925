import type { SendSmsRequest, SendStatus } from 'tencentcloud-sdk-nodejs-sms/tencentcloud/services/sms/v20210111/sms_models.js';
import { ChannelError } from '../../core/errors.js';
import type { InterruptedSendCheck, MessageChannel, SendRequest, SendResult } from '../../core/messages.js';
import { maskPhone } from '../../core/phone.js';
import type { TencentSmsConfig } from '../../config.js';
import type { Logger } from '../../logger.js';
import { channelErrorFromCode, channelErrorFromSdk } from './channel-errors.js';
import { createTencentSmsClient, type TencentSmsApi } from './sms-client.js';

const PROVIDER = 'tencent-sms';

/** `SessionContext` must stay below 512 bytes (docs/protocols/tencent-sms.md §2.1). */
const SESSION_CONTEXT_MAX_BYTES = 511;

export interface TencentSmsChannelOptions {
  client: TencentSmsApi;
  /** `SmsSdkAppId`. */
  sdkAppId: string;
  /** The approved signature text, without 【】. */
  signName: string;
  /** Approved `TemplateId` per message template key (`TENCENT_SMS_TEMPLATES`). */
  templates: Readonly<Record<string, string>>;
  /** Send the survey's reply code as `ExtendCode` (`TENCENT_SMS_EXTEND_CODE`; only once Tencent enabled it) [false]. */
  extendCode?: boolean;
  /**
   * How long after an interrupted send a missing delivery report still means "wait", in ms
   * (`TENCENT_SMS_RECONCILE_WAIT_SECONDS`) [{@link TENCENT_SMS_RECONCILE_WAIT_MS}]; after it, "unknown".
   */
  reconcileWaitMs?: number;
  logger?: Logger;
}

/** Default of `TENCENT_SMS_RECONCILE_WAIT_SECONDS`: carriers report most SMS within minutes. */
export const TENCENT_SMS_RECONCILE_WAIT_MS = 600_000;

/** How often an interrupted send is checked again while its report may still come. */
export const TENCENT_SMS_RECONCILE_RECHECK_MS = 60_000;

/**
 * Customer SMS through Tencent Cloud SMS `SendSms` (port `MessageChannel`; docs/protocols/tencent-sms.md §2–§3): one number
 * per request, the message's approved template (its key mapped to a `TemplateId` by
 * `TENCENT_SMS_TEMPLATES`) with the ordered parameters, the survey's reply code as `ExtendCode` when
 * `TENCENT_SMS_EXTEND_CODE` says Tencent enabled it, and the outbox idempotency key as `SessionContext`.
 *
 * `send` resolves with the `SerialNo` (the `sid` of later delivery reports) when Tencent accepted the
 * number, and otherwise throws a `ChannelError` classified by `error-codes.ts`: frequency limits are
 * `rate_limited` with the window's wait, a malformed or blacklisted number is `permanent` with code
 * `INVALID_NUMBER` (the outbox marks the phone invalid), account, signature, template and key problems
 * are `auth` (an operator must act; the message waits), SDK and network failures are `retryable`.
 * Tencent does not deduplicate, so a lost answer is not retried blindly: a timeout or a connection lost
 * mid-request throws with `outcomeUnknown` (`channel-errors.ts`), and that send, like one a crash
 * interrupted, is looked up first by {@link TencentSmsChannel.checkInterruptedSend}.
 */
export class TencentSmsChannel implements MessageChannel {
  readonly name = PROVIDER;
  readonly #client: TencentSmsApi;
  readonly #sdkAppId: string;
  readonly #signName: string;
  readonly #templates: Readonly<Record<string, string>>;
  readonly #extendCode: boolean;
  readonly #reconcileWaitMs: number;
  readonly #log: Logger | undefined;

  constructor(options: TencentSmsChannelOptions) {
    this.#reconcileWaitMs = options.reconcileWaitMs ?? TENCENT_SMS_RECONCILE_WAIT_MS;
    this.#extendCode = options.extendCode ?? false;
    this.#client = options.client;
    this.#sdkAppId = options.sdkAppId;
    this.#signName = options.signName;
    this.#templates = options.templates;
    this.#log = options.logger;
  }

  async send(request: SendRequest): Promise<SendResult> {
    const m = request.message;
    if (m.kind !== 'survey_invite' && m.kind !== 'customer_notice') {
      throw new ChannelError(PROVIDER, 'permanent', 'UNSUPPORTED_MESSAGE', `Tencent SMS carries customer messages only, not ${m.kind}`);
    }
    const phone = m.to.phoneE164;
    if (!phone) throw new ChannelError(PROVIDER, 'permanent', 'NO_ADDRESS', 'The customer has no phone number');
    const templateId = this.#templates[m.templateKey];
    if (!templateId) {
      throw new ChannelError(
        PROVIDER,
        'permanent',
        'TEMPLATE_NOT_CONFIGURED',
        `No approved Tencent template for message template "${m.templateKey}": register it in the SMS console (README, Connecting Tencent Cloud SMS) and add ${m.templateKey}=<TemplateId> to TENCENT_SMS_TEMPLATES`,
      );
    }
    // An extend code Tencent has not enabled for the account is refused or dropped (docs/protocols/tencent-sms.md §2.1).
    const replyCode = this.#extendCode && m.kind === 'survey_invite' ? m.replyCode : null;
    const body: SendSmsRequest = {
      PhoneNumberSet: [phone],
      SmsSdkAppId: this.#sdkAppId,
      SignName: this.#signName,
      TemplateId: templateId,
      TemplateParamSet: [...m.params],
      ...(replyCode ? { ExtendCode: replyCode } : {}),
      ...(Buffer.byteLength(request.idempotencyKey) <= SESSION_CONTEXT_MAX_BYTES ? { SessionContext: request.idempotencyKey } : {}),
    };

    let statuses: SendStatus[];
    try {
      statuses = (await this.#client.SendSms(body)).SendStatusSet ?? [];
    } catch (error) {
      throw channelErrorFromSdk(error);
    }
    // Per-number results come back with HTTP 200 and are never thrown by the SDK (docs/protocols/tencent-sms.md §2.2).
    const status = statuses.find((s) => s.PhoneNumber === phone) ?? (statuses.length === 1 ? statuses[0] : undefined);
    if (!status) throw new ChannelError(PROVIDER, 'retryable', 'NO_SEND_STATUS', 'Tencent answered SendSms without a status for the number');
    const code = status.Code ?? '';
    if (code === 'Ok') {
      if (!status.SerialNo) throw new ChannelError(PROVIDER, 'retryable', 'NO_SERIAL_NO', 'Tencent accepted the SMS without a SerialNo');
      this.#log?.debug({ outboxId: request.messageId, phone: maskPhone(phone), serialNo: status.SerialNo, fee: status.Fee }, 'tencent sms accepted');
      return { providerMessageId: status.SerialNo };
    }
    throw channelErrorFromCode(code, status.Message);
  }

  /**
   * Tencent does not deduplicate, so an SMS whose send was interrupted is looked up instead of sent
   * again: `PullSmsSendStatusByPhoneNumber` (docs/protocols/tencent-sms.md §6) lists the number's
   * delivery reports since the attempt began, and one carrying this message's `SessionContext` (the
   * outbox idempotency key) proves Tencent sent it. None yet: wait while a report may still come
   * (`reconcileWaitMs`), then "unknown" — a person decides. A message Tencent would refuse anyway (no
   * number, no template) is safe to send again: it fails as before.
   */
  async checkInterruptedSend(request: SendRequest, startedAt: Date, now: Date): Promise<InterruptedSendCheck> {
    const m = request.message;
    const phone = m.kind === 'survey_invite' || m.kind === 'customer_notice' ? m.to.phoneE164 : undefined;
    if (!phone || (m.kind !== 'survey_invite' && m.kind !== 'customer_notice') || !this.#templates[m.templateKey]) {
      return { verdict: 'resend', evidence: 'Tencent would refuse this message before sending it' };
    }
    if (Buffer.byteLength(request.idempotencyKey) > SESSION_CONTEXT_MAX_BYTES) {
      return { verdict: 'unknown', evidence: 'the message was sent without a SessionContext, so no report can name it' };
    }
    let records;
    try {
      const answer = await this.#client.PullSmsSendStatusByPhoneNumber({
        // A minute either side: Tencent's clock and ours may differ a little.
        BeginTime: Math.floor(startedAt.getTime() / 1000) - 60,
        EndTime: Math.ceil(now.getTime() / 1000) + 60,
        Offset: 0,
        Limit: 100,
        PhoneNumber: phone,
        SmsSdkAppId: this.#sdkAppId,
      });
      records = answer.PullSmsSendStatusSet ?? [];
    } catch (error) {
      throw channelErrorFromSdk(error);
    }
    const report = records.find((r) => r.SessionContext === request.idempotencyKey);
    if (report) {
      this.#log?.info({ outboxId: request.messageId, phone: maskPhone(phone), serialNo: report.SerialNo }, 'tencent sms interrupted send found in delivery reports');
      return { verdict: 'sent', providerMessageId: report.SerialNo || null, evidence: `Tencent delivery report ${report.SerialNo ?? ''} (${report.ReportStatus ?? ''}) carries this message's SessionContext` };
    }
    const waitedMs = now.getTime() - startedAt.getTime();
    if (waitedMs < this.#reconcileWaitMs) {
      return {
        verdict: 'wait',
        until: new Date(Math.min(now.getTime() + TENCENT_SMS_RECONCILE_RECHECK_MS, startedAt.getTime() + this.#reconcileWaitMs)),
        evidence: `no Tencent delivery report names it yet (${records.length} report(s) for the number since the attempt)`,
      };
    }
    return {
      verdict: 'unknown',
      evidence: `no Tencent delivery report names it ${Math.round(waitedMs / 1000)} s after the interrupted attempt: it was probably never sent, but a carrier may report late`,
    };
  }
}

/** Options of {@link createTencentSmsChannel} besides the configuration. */
export interface CreateTencentSmsChannelOptions {
  logger?: Logger;
  /** Per-request timeout in seconds [10]. */
  timeoutSeconds?: number;
}

/** The Tencent SMS customer channel for the configured account (composition root helper). */
export function createTencentSmsChannel(config: TencentSmsConfig, options: CreateTencentSmsChannelOptions = {}): TencentSmsChannel {
  const logger = options.logger?.child({ provider: PROVIDER });
  if (!config.templates.survey_invite) {
    logger?.error(
      { configured: Object.keys(config.templates) },
      'TENCENT_SMS_TEMPLATES has no survey_invite=<TemplateId>: survey invitations by SMS will fail until the approved template id is set',
    );
  }
  return new TencentSmsChannel({
    client: createTencentSmsClient(config, options.timeoutSeconds === undefined ? {} : { timeoutSeconds: options.timeoutSeconds }),
    sdkAppId: config.sdkAppId,
    signName: config.signName,
    templates: config.templates,
    extendCode: config.extendCode,
    reconcileWaitMs: config.reconcileWaitMs,
    ...(logger ? { logger } : {}),
  });
}
