import type { Huifang } from '../bot/huifang.js';
import type { InboundEventInput } from '../bot/core/ports/inbox.js';
import type { TencentSmsConfig } from '../bot/config.js';
import { createTencentSmsClient, type TencentSmsApi } from '../bot/channels/tencent-sms/sms-client.js';
import { replyEventFromPull, statusEventFromPull } from '../bot/channels/tencent-sms/reports.js';

/** Every minute, off the other jobs' marks. */
export const schedule = '41 * * * * *';

/** Records per pull request: Tencent's maximum (docs/protocols/tencent-sms.md §6). */
export const PULL_LIMIT = 100;
/** Pull requests per kind and run; a backlog beyond this is fetched by the next runs. */
export const MAX_PULLS_PER_RUN = 20;

const clients = new WeakMap<TencentSmsConfig, TencentSmsApi>();

/**
 * Fallback for accounts without callbacks (`TENCENT_SMS_CALLBACK_KEY` unset): pulls delivery reports
 * (`PullSmsSendStatus`) and customer replies (`PullSmsReplyStatus`) and feeds them to the inbox as the
 * callbacks would, under the same dedupe keys. Does nothing unless Tencent SMS is the live SMS channel
 * and callbacks are off. Tencent's pull queues hand each record out once, so each record is recorded in
 * the inbox before the next pull; the pull APIs must be enabled for the account by Tencent support.
 */
export async function run(app: Huifang) {
  const config = app.config.tencentSms;
  const summary = { statuses: 0, replies: 0, duplicates: 0, skipped: 0 };
  if (!config || config.callbackKey !== null || app.config.channels.sms !== 'tencent') return summary;
  let client = clients.get(config);
  if (!client) clients.set(config, (client = createTencentSmsClient(config)));
  const log = app.logger.child({ job: 'pull-sms-reports' });

  const record = async (events: (InboundEventInput | null)[], counter: 'statuses' | 'replies') => {
    for (const event of events) {
      if (!event) {
        summary.skipped++;
        continue;
      }
      const received = await app.receive(event);
      if (received.duplicate) summary.duplicates++;
      else summary[counter]++;
    }
  };

  for (let pull = 0; pull < MAX_PULLS_PER_RUN; pull++) {
    const response = await client.PullSmsSendStatus({ Limit: PULL_LIMIT, SmsSdkAppId: config.sdkAppId });
    const set = response.PullSmsSendStatusSet ?? [];
    await record(set.map((item) => statusEventFromPull(item, app.clock.now())), 'statuses');
    if (set.length < PULL_LIMIT) break;
  }
  for (let pull = 0; pull < MAX_PULLS_PER_RUN; pull++) {
    const response = await client.PullSmsReplyStatus({ Limit: PULL_LIMIT, SmsSdkAppId: config.sdkAppId });
    const set = response.PullSmsReplyStatusSet ?? [];
    await record(set.map((item) => replyEventFromPull(item, app.clock.now())), 'replies');
    if (set.length < PULL_LIMIT) break;
  }
  if (summary.skipped > 0) log.warn({ skipped: summary.skipped }, 'pulled sms records without the documented fields were skipped');
  return summary;
}
