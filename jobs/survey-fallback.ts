import type { Huifang } from '../bot/huifang.js';
import { fallBackUnopenedSurveys } from '../bot/core/surveys/fall-back-unopened-surveys.js';

/**
 * Every five minutes: survey invitations not opened within their wait — WeChat invitations, and 客户联系
 * messages the member sent — go out on the next channel of their chain (客户联系, WeChat, SMS).
 */
export const schedule = '41 */5 * * * *';

export async function run(app: Huifang) {
  const summary = await fallBackUnopenedSurveys(app.deps);
  if (summary.enqueued > 0) app.logger.info(summary, 'survey invitations not opened: next channel queued');
  return summary;
}
