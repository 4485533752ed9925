import type { PullSmsReplyStatus, PullSmsSendStatus } from 'tencentcloud-sdk-nodejs-sms/tencentcloud/services/sms/v20210111/sms_models.js';
import type { InboundEventInput } from '../../core/ports/inbox.js';
import type { TencentSmsConfig } from '../../config.js';
import { channelErrorFromSdk } from './channel-errors.js';
import { replyEventFromPull, statusEventFromPull } from './reports.js';
import { createTencentSmsClient, type TencentSmsApi } from './sms-client.js';

/** Records per pull request at most: Tencent's maximum `Limit` (docs/protocols/tencent-sms.md §6). */
export const TENCENT_SMS_PULL_MAX_LIMIT = 100;

/** What to pull: delivery reports (`PullSmsSendStatus`) or customer replies (`PullSmsReplyStatus`). */
export type TencentSmsPullKind = 'statuses' | 'replies';

/** One pull request's records as inbox events. */
export interface PulledSmsBatch {
  /** `sms_status` or `sms_reply` events, in Tencent's order, under the callbacks' dedupe keys. */
  events: InboundEventInput[];
  /** Records without the documented fields, left out. */
  skipped: number;
  /** The batch was full: more records may be waiting in Tencent's queue. */
  hasMore: boolean;
}

export interface TencentSmsReportPullerOptions {
  client: TencentSmsApi;
  /** `SmsSdkAppId`. */
  sdkAppId: string;
  /** Records per request, 1 to {@link TENCENT_SMS_PULL_MAX_LIMIT} [the maximum]. */
  limit?: number;
  /** Our signature (`TENCENT_SMS_SIGN_NAME`): replies under another are not answers to us. */
  signName: string;
}

/**
 * Pulls delivery reports and customer replies for accounts without push callbacks (docs/protocols/tencent-sms.md §6), and
 * turns them into the same inbox events as the callbacks (`reports.ts`).
 *
 * Tencent's pull queues hand each record out once: a record is gone from Tencent as soon as a batch is
 * answered, so the caller must record a batch's events before it pulls the next one. The pull APIs must
 * be enabled for the account by Tencent support; failures are thrown as classified `ChannelError`s.
 */
export class TencentSmsReportPuller {
  readonly #client: TencentSmsApi;
  readonly #sdkAppId: string;
  readonly #limit: number;
  readonly #signName: string;

  constructor(options: TencentSmsReportPullerOptions) {
    const limit = options.limit ?? TENCENT_SMS_PULL_MAX_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > TENCENT_SMS_PULL_MAX_LIMIT) {
      throw new RangeError(`Tencent SMS pull limit must be an integer from 1 to ${TENCENT_SMS_PULL_MAX_LIMIT}, not ${limit}`);
    }
    this.#client = options.client;
    this.#sdkAppId = options.sdkAppId;
    this.#limit = limit;
    this.#signName = options.signName;
  }

  /** The next batch of `kind`, its events received at `receivedAt`. */
  async pull(kind: TencentSmsPullKind, receivedAt: Date): Promise<PulledSmsBatch> {
    const request = { Limit: this.#limit, SmsSdkAppId: this.#sdkAppId };
    if (kind === 'statuses') {
      const records = (await sdkCall(() => this.#client.PullSmsSendStatus(request))).PullSmsSendStatusSet ?? [];
      return this.#batch(records, (record: PullSmsSendStatus) => statusEventFromPull(record, receivedAt));
    }
    const records = (await sdkCall(() => this.#client.PullSmsReplyStatus(request))).PullSmsReplyStatusSet ?? [];
    return this.#batch(records, (record: PullSmsReplyStatus) => replyEventFromPull(record, receivedAt, this.#signName));
  }

  #batch<T>(records: readonly T[], toEvent: (record: T) => InboundEventInput | null): PulledSmsBatch {
    const events = records.map(toEvent).filter((event): event is InboundEventInput => event !== null);
    return { events, skipped: records.length - events.length, hasMore: records.length >= this.#limit };
  }
}

/** The SDK call's answer, or what it threw as a classified `ChannelError`. */
async function sdkCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw channelErrorFromSdk(error);
  }
}

/** The puller for the configured account (per-request timeout as for sending). */
export function createTencentSmsReportPuller(config: TencentSmsConfig, options: { limit?: number; timeoutSeconds?: number } = {}): TencentSmsReportPuller {
  const client = createTencentSmsClient(config, options.timeoutSeconds === undefined ? {} : { timeoutSeconds: options.timeoutSeconds });
  return new TencentSmsReportPuller({ client, sdkAppId: config.sdkAppId, signName: config.signName, ...(options.limit === undefined ? {} : { limit: options.limit }) });
}
