import type { Huifang } from '../bot/huifang.js';
import type { JobCutoffSignal } from '../bot/core/cutoff.js';
import { activateDueFollowUps } from '../bot/core/follow-ups/activate-due-follow-ups.js';

/** Every minute: due follow-ups become task cards and survey invitations in the outbox. */
export const schedule = '7 * * * * *';

export async function run(app: Huifang, cutoff?: JobCutoffSignal) {
  return activateDueFollowUps(app.deps, cutoff ? { cutoff } : {});
}
