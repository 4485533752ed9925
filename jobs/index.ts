import type { Huifang } from '../bot/huifang.js';
import * as activateDueFollowUps from './activate-due-follow-ups.js';
import * as dispatchOutbox from './dispatch-outbox.js';
import * as markOverdue from './mark-overdue.js';
import * as processInbox from './process-inbox.js';

/** A cron job: `schedule` is a node-cron expression (seconds field first) in the business timezone. */
export interface JobDefinition {
  schedule: string;
  run(app: Huifang): Promise<object>;
}

/** Every job by name; the name is the file name and the log name (STYLE naming). */
export const jobs: Readonly<Record<string, JobDefinition>> = {
  'activate-due-follow-ups': activateDueFollowUps,
  'mark-overdue': markOverdue,
  'dispatch-outbox': dispatchOutbox,
  'process-inbox': processInbox,
};

/** Order in which one "tick" runs every job (demo, `jobs run all`): decide, then send. */
export const TICK_ORDER = ['process-inbox', 'mark-overdue', 'activate-due-follow-ups', 'dispatch-outbox'] as const;
