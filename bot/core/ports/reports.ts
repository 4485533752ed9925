import type { NewOutboxMessage } from '../records.js';
import type { DigestRecipient } from './digests.js';
import type { MonthlyReport } from '../reports/build-monthly-report.js';
import type { ReportMonth } from '../reports/report-schedule.js';

/** What the monthly report needs from storage (implemented by `PrismaReportStore` in bot/db). */
export interface ReportStore {
  /** The managers who receive reports: the digest recipients (department heads and manager roles). */
  listReportRecipients(): Promise<DigestRecipient[]>;
  existingOutboxKeys(keys: readonly string[]): Promise<Set<string>>;
  /** The report of `month` for the subtree of `rootDepartmentId` (null: the whole organisation). */
  loadMonthlyReport(scope: { rootDepartmentId: string | null }, month: ReportMonth, generatedAt: Date): Promise<MonthlyReport>;
  /** Inserts unless the key exists (also against a concurrent insert); true when inserted. */
  enqueueOnce(message: NewOutboxMessage): Promise<boolean>;
}

