import type { Huifang } from '../bot/huifang.js';
import { sendWeeklyDigests } from '../bot/core/digests/send-weekly-digests.js';

/**
 * Every 5 minutes: from HUIFANG_DIGEST_SCHEDULE (default Monday 09:00) until the end of the week, each
 * manager without this week's digest gets it (catch-up after downtime); the outbox key
 * `digest:<staffId>:<ISO week>` makes repeated ticks and several replicas send one.
 */
export const schedule = '0 */5 * * * *';

export async function run(app: Huifang) {
  return sendWeeklyDigests(
    {
      clock: app.clock,
      timeZone: app.config.timezone,
      publicBaseUrl: app.config.publicBaseUrl,
      links: app.deps.links,
      digests: app.deps.digests,
      templates: app.deps.templates,
      calendar: app.deps.calendar,
    },
    app.config.digestSchedule,
  );
}
