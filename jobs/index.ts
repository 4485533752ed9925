import type { Huifang } from '../bot/huifang.js';
import type { JobCutoffSignal } from '../bot/core/cutoff.js';
import * as activateDueFollowUps from './activate-due-follow-ups.js';
import * as dispatchOutbox from './dispatch-outbox.js';
import * as markOverdue from './mark-overdue.js';
import * as sendReminders from './send-reminders.js';
import * as climbEscalations from './climb-escalations.js';
import * as processInbox from './process-inbox.js';
import * as surveyFallback from './survey-fallback.js';
import * as pullSmsReports from './pull-sms-reports.js';
import * as sendWeeklyDigests from './send-weekly-digests.js';
import * as sendMonthlyReports from './send-monthly-reports.js';
import * as syncWecomContacts from './sync-wecom-contacts.js';
import * as collectWecomContactResults from './collect-wecom-contact-results.js';
import * as planGreetings from './plan-greetings.js';
import * as reloadCalendar from './reload-calendar.js';
import * as topUpQuotas from './top-up-quotas.js';

/** A cron job: `schedule` is a node-cron expression (seconds field first) in the business timezone. */
export interface JobDefinition {
  schedule: string;
  /** `cutoff`: the shutdown deadline's (jobs that hold claims stop and hand them back; core/cutoff.ts). */
  run(app: Huifang, cutoff?: JobCutoffSignal): Promise<object>;
}

/** Every job by name; the name is the file name and the log name (STYLE naming). */
export const jobs: Readonly<Record<string, JobDefinition>> = {
  'activate-due-follow-ups': activateDueFollowUps,
  'mark-overdue': markOverdue,
  'send-reminders': sendReminders,
  'climb-escalations': climbEscalations,
  'dispatch-outbox': dispatchOutbox,
  'process-inbox': processInbox,
  'survey-fallback': surveyFallback,
  // Only active with Tencent SMS live and no callback key (it then pulls what callbacks would push).
  'pull-sms-reports': pullSmsReports,
  'send-weekly-digests': sendWeeklyDigests,
  'send-monthly-reports': sendMonthlyReports,
  // Only with HUIFANG_WECOM_CONTACT_SYNC=1 and WeCom configured.
  'sync-wecom-contacts': syncWecomContacts,
  // Only with WECOM_CUSTOMER_CONTACT=1 and WeCom live: outcomes of 客户联系 messages, and their fallbacks.
  'collect-wecom-contact-results': collectWecomContactResults,
  // Holiday and birthday greetings of the enabled campaigns in templates/campaigns.
  'plan-greetings': planGreetings,
  // Calendar days entered in the console (日历), laid over the shipped calendar.
  'reload-calendar': reloadCalendar,
  // Sampling quotas with a `min` (P12 「每周…2~3次」): topped up near the end of their period.
  'top-up-quotas': topUpQuotas,
};

/** Order in which one "tick" runs every job (demo, `jobs run all`): decide, then send. */
export const TICK_ORDER = ['reload-calendar', 'pull-sms-reports', 'process-inbox', 'mark-overdue', 'send-reminders', 'climb-escalations', 'top-up-quotas', 'activate-due-follow-ups', 'send-weekly-digests', 'send-monthly-reports', 'survey-fallback', 'collect-wecom-contact-results', 'plan-greetings', 'dispatch-outbox'] as const;
