import type { Clock } from '../clock.js';
import type { WorkingCalendar } from '../calendar/working-calendar.js';
import type { LinkSigner } from '../ports/links.js';
import type { NewOutboxMessage } from '../records.js';
import type { ReportStore } from '../ports/reports.js';
import type { MessageTemplates } from '../templates/catalogue.js';
import type { MonthlyReport, ReportLinks } from './build-monthly-report.js';
import { buildReportDocument } from './report-document.js';
import { dueReportMonth, type MonthlyDeadline, type MonthlySendSchedule, type ReportMonth } from './report-schedule.js';
import { staffOutbox } from '../outbox/staff-message.js';

/** The files a report link can serve; each is generated on demand from the database. */
export const REPORT_FILES = ['xlsx', 'staff-csv', 'departments-csv', 'types-csv', 'trend-png'] as const;
export type ReportFile = (typeof REPORT_FILES)[number];

/** Scope segment of a link covering the whole organisation. */
export const WHOLE_ORGANISATION = '*';

export interface SendMonthlyReportsDeps {
  clock: Clock;
  timeZone: string;
  publicBaseUrl: string;
  links: LinkSigner;
  calendar: Pick<WorkingCalendar, 'isWorkingDay'>;
  reports: ReportStore;
  /** The summary's wording (`monthly_report`). */
  templates: Pick<MessageTemplates, 'monthlyReport'>;
}

export interface SendMonthlyReportsResult {
  /** The reported month, or null before this month's send time. */
  month: ReportMonth | null;
  recipients: number;
  enqueued: number;
  alreadySent: number;
}

/** Outbox key of a manager's report for a month: at most one per manager per month. */
export function reportOutboxKey(staffId: string, month: ReportMonth): string {
  return `report:${staffId}:${month}`;
}

/** Id inside a signed download link: `<YYYY-MM>~<root department id or *>~<file>`. */
export function reportLinkId(month: ReportMonth, rootDepartmentId: string | null, file: ReportFile): string {
  return `${month}~${rootDepartmentId ?? WHOLE_ORGANISATION}~${file}`;
}

/** Splits a verified download-link id; null when it is not one. */
export function parseReportLinkId(id: string): { month: ReportMonth; rootDepartmentId: string | null; file: ReportFile } | null {
  const m = /^(\d{4}-(?:0[1-9]|1[0-2]))~(\*|[A-Za-z0-9_-]{1,64})~([a-z-]+)$/.exec(id);
  if (!m || !(REPORT_FILES as readonly string[]).includes(m[3]!)) return null;
  // Months Huifang can hold at all (bot/inbound-text.ts): year 0000 is not a date on every database.
  const year = Number(m[1]!.slice(0, 4));
  if (year < 1900 || year > 2999) return null;
  return { month: m[1]!, rootDepartmentId: m[2] === WHOLE_ORGANISATION ? null : m[2]!, file: m[3] as ReportFile };
}

/** The signed download links of a manager's report. */
export async function signReportLinks(deps: Pick<SendMonthlyReportsDeps, 'links' | 'publicBaseUrl'>, month: ReportMonth, rootDepartmentId: string | null): Promise<ReportLinks> {
  const url = async (file: ReportFile) => `${deps.publicBaseUrl}/r/${await deps.links.sign('report', reportLinkId(month, rootDepartmentId, file))}`;
  return { xlsx: await url('xlsx'), staffCsv: await url('staff-csv'), departmentsCsv: await url('departments-csv'), chart: await url('trend-png') };
}

/**
 * Sends each manager the previous month's report summary — totals, the per-staff satisfaction bands and
 * signed download links (`GET /r/:signed`, files generated on demand, so replicas share no disk) — once
 * this month's send time has come ({@link dueReportMonth}: by default the first working day at 09:00,
 * moved to the 1st when that would miss the deadline). Later ticks in the month catch up; the outbox key
 * {@link reportOutboxKey} makes it exactly one message per manager and month.
 */
export async function sendMonthlyReports(
  deps: SendMonthlyReportsDeps,
  schedule: MonthlySendSchedule,
  deadline: MonthlyDeadline,
): Promise<SendMonthlyReportsResult> {
  const now = deps.clock.now();
  const due = dueReportMonth(now, schedule, deadline, deps.calendar, deps.timeZone);
  if (!due) return { month: null, recipients: 0, enqueued: 0, alreadySent: 0 };
  const recipients = await deps.reports.listReportRecipients();
  const existing = await deps.reports.existingOutboxKeys(recipients.map((r) => reportOutboxKey(r.staffId, due.month)));
  let enqueued = 0;
  let alreadySent = 0;
  for (const r of recipients) {
    const key = reportOutboxKey(r.staffId, due.month);
    if (existing.has(key)) {
      alreadySent++;
      continue;
    }
    const report = await deps.reports.loadMonthlyReport({ rootDepartmentId: r.rootDepartmentId }, due.month, now);
    const links = await signReportLinks(deps, due.month, r.rootDepartmentId);
    const document = buildReportDocument(report, links, deps.templates, { deadlineAt: due.deadlineAt });
    const inserted = await deps.reports.enqueueOnce(staffOutbox({ id: r.staffId, wecomUserId: r.wecomUserId }, key, { kind: 'staff_document', document }, now, null));
    if (inserted) enqueued++;
    else alreadySent++;
  }
  return { month: due.month, recipients: recipients.length, enqueued, alreadySent };
}
