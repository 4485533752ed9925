import type { NewAuditEntry } from '../records.js';

/** The audit log: who did what to which entity, and when. Entries are only ever added. */
export interface AuditLog {
  /** Adds one entry on its own (for events no other change records, e.g. a page viewed). */
  record(entry: NewAuditEntry): Promise<void>;
}
