import type { Huifang } from '../bot/huifang.js';
import { fallBackUnopenedSurveys } from '../bot/core/surveys/fall-back-unopened-surveys.js';

/** Every five minutes: WeChat survey invitations not opened within their wait go out again by SMS. */
export const schedule = '41 */5 * * * *';

export async function run(app: Huifang) {
  const summary = await fallBackUnopenedSurveys(app.deps);
  if (summary.enqueued > 0) app.logger.info(summary, 'survey invitations not opened on WeChat: SMS queued');
  return summary;
}
