import type {
  CalendarEntryRecord,
  CalendarEntryStore,
  ComplaintKeywordRecord,
  ComplaintKeywordStore,
  JobRunStore,
} from '../core/ports/console-admin.js';
import type { NewAuditEntry } from '../core/records.js';
import type { PrismaClient } from './client.js';
import type { StoreContext } from './store-context.js';
import { TX_OPTIONS } from './store-context.js';
import { isUniqueViolation } from './rows.js';
import { insertAudit } from './writes.js';

/** The calendar days kept in the database (console 日历, `huifang calendar import`), by date. */
export async function readCalendarEntries(prisma: PrismaClient): Promise<CalendarEntryRecord[]> {
  const rows = await prisma.calendarEntry.findMany({ orderBy: { date: 'asc' } });
  return rows.map((r) => ({ ...r, kind: r.kind as CalendarEntryRecord['kind'] }));
}

/** The console's administrative data over Prisma: calendar entries, complaint topics, job runs. */
export class PrismaConsoleAdminStore implements CalendarEntryStore, ComplaintKeywordStore, JobRunStore {
  constructor(private readonly db: StoreContext) {}

  listCalendarEntries(): Promise<CalendarEntryRecord[]> {
    return readCalendarEntries(this.db.prisma);
  }

  async putCalendarEntry(entry: CalendarEntryRecord, audit: NewAuditEntry): Promise<void> {
    await this.db.prisma.$transaction(async (tx) => {
      await tx.calendarEntry.upsert({ where: { date: entry.date }, create: entry, update: { kind: entry.kind, name: entry.name, createdAt: entry.createdAt, createdBy: entry.createdBy } });
      await insertAudit(tx, this.db.ids, [audit]);
    }, TX_OPTIONS);
  }

  async removeCalendarEntry(date: string, audit: NewAuditEntry): Promise<boolean> {
    return this.db.prisma.$transaction(async (tx) => {
      const { count } = await tx.calendarEntry.deleteMany({ where: { date } });
      if (count === 1) await insertAudit(tx, this.db.ids, [audit]);
      return count === 1;
    }, TX_OPTIONS);
  }

  async changeCalendarEntries(change: { put: readonly CalendarEntryRecord[]; remove: readonly string[] }, audit: NewAuditEntry): Promise<void> {
    await this.db.prisma.$transaction(async (tx) => {
      if (change.remove.length > 0) await tx.calendarEntry.deleteMany({ where: { date: { in: [...change.remove] } } });
      for (const entry of change.put) {
        await tx.calendarEntry.upsert({ where: { date: entry.date }, create: entry, update: { kind: entry.kind, name: entry.name, createdAt: entry.createdAt, createdBy: entry.createdBy } });
      }
      await insertAudit(tx, this.db.ids, [audit]);
    }, TX_OPTIONS);
  }

  async listComplaintKeywords(): Promise<ComplaintKeywordRecord[]> {
    return this.db.prisma.complaintKeyword.findMany({ orderBy: [{ topic: 'asc' }, { keyword: 'asc' }], select: { id: true, topic: true, keyword: true, createdAt: true } });
  }

  async addComplaintKeyword(entry: ComplaintKeywordRecord & { createdBy: string | null }, audit: NewAuditEntry): Promise<boolean> {
    try {
      await this.db.prisma.$transaction(async (tx) => {
        await tx.complaintKeyword.create({ data: entry });
        await insertAudit(tx, this.db.ids, [audit]);
      }, TX_OPTIONS);
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  async removeComplaintKeyword(id: string, audit: NewAuditEntry): Promise<boolean> {
    return this.db.prisma.$transaction(async (tx) => {
      const { count } = await tx.complaintKeyword.deleteMany({ where: { id } });
      if (count === 1) await insertAudit(tx, this.db.ids, [audit]);
      return count === 1;
    }, TX_OPTIONS);
  }

  async recordJobRun(job: string, run: { startedAt: Date; finishedAt: Date }, outcome: { ok: true; summary: string } | { ok: false; error: string; day: string }): Promise<void> {
    const at = run.finishedAt;
    if (outcome.ok) {
      const data = { lastStartedAt: run.startedAt, lastFinishedAt: at, lastStatus: 'ok', lastSummary: outcome.summary.slice(0, 500) };
      await this.db.prisma.jobRun.upsert({ where: { job }, create: { job, ...data }, update: data });
      return;
    }
    const error = outcome.error.slice(0, 500);
    await this.db.prisma.$transaction(async (tx) => {
      const row = await tx.jobRun.findUnique({ where: { job } });
      const failures = row?.failureDay === outcome.day ? row.failuresOnDay + 1 : 1;
      const data = { lastStartedAt: run.startedAt, lastFinishedAt: at, lastStatus: 'failed', lastError: error, lastFailedAt: at, failureDay: outcome.day, failuresOnDay: failures };
      await tx.jobRun.upsert({ where: { job }, create: { job, ...data }, update: data });
    }, TX_OPTIONS);
  }
}
