import type { Huifang } from '../bot/huifang.js';
import { sendMonthlyReports } from '../bot/core/reports/send-monthly-reports.js';

/**
 * Every 5 minutes: from this month's report send time (HUIFANG_REPORT_SCHEDULE, default the first working
 * day at 09:00, never at or after HUIFANG_REPORT_DEADLINE) until the month ends, each manager without last
 * month's report summary gets it; the outbox key `report:<staffId>:<YYYY-MM>` makes it exactly once.
 */
export const schedule = '30 */5 * * * *';

export async function run(app: Huifang) {
  return sendMonthlyReports(
    {
      clock: app.clock,
      timeZone: app.config.timezone,
      publicBaseUrl: app.config.publicBaseUrl,
      links: app.deps.links,
      calendar: app.deps.calendar,
      reports: app.deps.reports,
      templates: app.deps.templates,
    },
    app.config.reportSchedule,
    app.config.reportDeadline,
  );
}
