import type { Huifang } from '../bot/huifang.js';
import { markOverdueFollowUps } from '../bot/core/escalation/escalate-follow-up.js';

/**
 * Every minute: staff tasks past their deadline become OVERDUE and escalate (the assignee is told);
 * unanswered surveys past their deadline end as NO_RESPONSE and their links expire.
 */
export const schedule = '17 * * * * *';

export async function run(app: Huifang) {
  const tasks = await markOverdueFollowUps(app.deps);
  const surveys = await app.deps.surveys.expireSurveys(app.clock.now());
  return { ...tasks, ...surveys };
}
