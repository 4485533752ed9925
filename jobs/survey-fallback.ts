import type { Huifang } from '../bot/huifang.js';
import { fallBackUnopenedSurveys } from '../bot/core/surveys/fall-back-unopened-surveys.js';

/** Every five minutes: WeChat survey invitations not opened within their wait go out on the next channel of their chain (客户联系, SMS). */
export const schedule = '41 */5 * * * *';

export async function run(app: Huifang) {
  const summary = await fallBackUnopenedSurveys(app.deps);
  if (summary.enqueued > 0) app.logger.info(summary, 'survey invitations not opened on WeChat: next channel queued');
  return summary;
}
