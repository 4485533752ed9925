import type { Huifang } from '../bot/huifang.js';
import type { TencentSmsConfig } from '../bot/config.js';
import { createTencentSmsReportPuller, TENCENT_SMS_PULL_MAX_LIMIT, type TencentSmsReportPuller } from '../bot/channels/tencent-sms/pull-reports.js';

/** Every minute, off the other jobs' marks. */
export const schedule = '41 * * * * *';

/** Records per pull request: Tencent's maximum (docs/protocols/tencent-sms.md §6). */
export const PULL_LIMIT = TENCENT_SMS_PULL_MAX_LIMIT;
/** Pull requests per kind and run; a backlog beyond this is fetched by the next runs. */
export const MAX_PULLS_PER_RUN = 20;

const pullers = new WeakMap<TencentSmsConfig, TencentSmsReportPuller>();

/**
 * Fallback for accounts without callbacks (`TENCENT_SMS_CALLBACK_KEY` unset): pulls delivery reports
 * and customer replies and feeds them to the inbox as the callbacks would, under the same dedupe keys.
 * Does nothing unless Tencent SMS is the live SMS channel and callbacks are off. Tencent's pull queues
 * hand each record out once, so each batch is recorded in the inbox before the next pull.
 */
export async function run(app: Huifang) {
  const config = app.config.tencentSms;
  const summary = { statuses: 0, replies: 0, duplicates: 0, skipped: 0 };
  if (!config || config.callbackKey !== null || app.config.channels.sms !== 'tencent') return summary;
  let puller = pullers.get(config);
  if (!puller) pullers.set(config, (puller = createTencentSmsReportPuller(config, { limit: PULL_LIMIT })));
  const log = app.logger.child({ job: 'pull-sms-reports' });

  for (const kind of ['statuses', 'replies'] as const) {
    for (let pull = 0; pull < MAX_PULLS_PER_RUN; pull++) {
      const batch = await puller.pull(kind, app.clock.now());
      summary.skipped += batch.skipped;
      for (const event of batch.events) {
        const received = await app.receive(event);
        if (received.duplicate) summary.duplicates++;
        else summary[kind]++;
      }
      if (!batch.hasMore) break;
    }
  }
  if (summary.skipped > 0) log.warn({ skipped: summary.skipped }, 'pulled sms records without the documented fields were skipped');
  return summary;
}
