import type { FollowUpContext, NewAuditEntry, NewEscalation, NewOutboxMessage } from '../records.js';

/**
 * Deadlines and reminders of staff tasks (WeCom cards). Every change is a compare-and-set on the
 * follow-up (`version`, or the reminder time itself), so two replicas running the same job act once.
 */
export interface StaffTaskStore {
  /** ACTIVE staff tasks whose deadline has passed, earliest first. */
  listNewlyOverdue(now: Date, limit: number): Promise<FollowUpContext[]>;
  /** Marks them OVERDUE (compare-and-set on version) with their escalations and notices; returns the follow-ups it marked, and whether each one's escalation was new. */
  commitOverdue(items: { followUpId: string; version: number; now: Date; escalation: NewEscalation | null; outbox: NewOutboxMessage[]; audit: NewAuditEntry[] }[]): Promise<{ applied: { followUpId: string; escalationOpened: boolean }[]; skipped: number }>;
  /** ACTIVE follow-ups whose reminder time has come. */
  listDueReminders(now: Date, limit: number): Promise<FollowUpContext[]>;
  /** Clears each reminder time and enqueues its reminder, once (a replica that lost the race adds nothing). */
  commitReminders(items: { followUpId: string; outbox: NewOutboxMessage[]; audit: NewAuditEntry }[]): Promise<number>;
}
