import type { NewAuditEntry } from '../records.js';

/** A day entered in the console: next year's State Council schedule, or a local closure. */
export interface CalendarEntryRecord {
  /** Local date YYYY-MM-DD. */
  date: string;
  kind: 'holiday' | 'workday' | 'closure';
  name: string;
  createdAt: Date;
  createdBy: string | null;
}

/** The calendar days added in the console; the working-day calendar overlays them on the shipped data. */
export interface CalendarEntryStore {
  listCalendarEntries(): Promise<CalendarEntryRecord[]>;
  /** Adds or replaces the entry of a date, audited. */
  putCalendarEntry(entry: CalendarEntryRecord, audit: NewAuditEntry): Promise<void>;
  /** Removes the entry of a date (false when there was none), audited. */
  removeCalendarEntry(date: string, audit: NewAuditEntry): Promise<boolean>;
  /**
   * Writes `put` (each replacing the entry of its date) and removes the entries of `remove`, with one
   * audit entry, in one transaction: all of it or nothing (a year imported by `huifang calendar import`).
   */
  changeCalendarEntries(change: { put: readonly CalendarEntryRecord[]; remove: readonly string[] }, audit: NewAuditEntry): Promise<void>;
}

export interface ComplaintKeywordRecord {
  id: string;
  topic: string;
  keyword: string;
  createdAt: Date;
}

/** The complaint-topic dictionary of the satisfaction page, edited by administrators. */
export interface ComplaintKeywordStore {
  listComplaintKeywords(): Promise<ComplaintKeywordRecord[]>;
  /** Adds a keyword to a topic; false when the keyword is already in the dictionary. */
  addComplaintKeyword(entry: ComplaintKeywordRecord & { createdBy: string | null }, audit: NewAuditEntry): Promise<boolean>;
  removeComplaintKeyword(id: string, audit: NewAuditEntry): Promise<boolean>;
}

/** The last run of each job, whichever replica ran it (the settings page shows them). */
export interface JobRunStore {
  /** Records a finished run (one write per run); a failure also counts towards the failures of its local day. */
  recordJobRun(job: string, run: { startedAt: Date; finishedAt: Date }, outcome: { ok: true; summary: string } | { ok: false; error: string; day: string }): Promise<void>;
}
