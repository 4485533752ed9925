import type { Huifang } from '../bot/huifang.js';
import { sendDueReminders } from '../bot/core/follow-ups/reminders.js';

/** Every minute: a WeCom reminder to the assignee of each task card still unanswered at its reminder time. */
export const schedule = '27 * * * * *';

export async function run(app: Huifang) {
  return sendDueReminders(app.deps);
}
