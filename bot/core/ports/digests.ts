import type { NewOutboxMessage } from '../records.js';
import type { DigestInput } from '../digests/build-digest.js';

/** A manager who receives the weekly digest and the monthly report. */
export interface DigestRecipient {
  staffId: string;
  wecomUserId: string;
  name: string;
  /** The department whose subtree the digest covers: the one they head, else their own department. */
  rootDepartmentId: string;
  /** Why they receive it: they are `Department.head`, or they hold a role in `MANAGER_ROLES` (bot/core/digests/send-weekly-digests.ts). */
  basis: 'head' | 'role';
  /**
   * Also an administrator of the console (an active account with role `admin` linked to this staff
   * member): their digest carries the administrators' notices, such as next year's missing holiday schedule.
   * Absent when not.
   */
  administrator?: true;
}

/** What the weekly digest needs from storage (implemented by `PrismaDigestStore` in bot/db). */
export interface DigestStore {
  /** Active department heads and active staff with a manager-level role; one entry per staff member. */
  listDigestRecipients(): Promise<DigestRecipient[]>;
  /** Which of these outbox idempotency keys exist already. */
  existingOutboxKeys(keys: readonly string[]): Promise<Set<string>>;
  /** What `buildDigest` needs for the recipient's subtree and the period `[from, to)`: counts, and the rows it lists. */
  loadDigestInput(recipient: DigestRecipient, options: { from: Date; to: Date; asOf: Date; timeZone: string }): Promise<DigestInput>;
  /**
   * The same for many recipients at once, in their order: the whole organisation is counted per department
   * with a few grouped queries and shared out by subtree (each input equals `loadDigestInput`'s).
   */
  loadDigestInputs(recipients: readonly DigestRecipient[], options: { from: Date; to: Date; asOf: Date; timeZone: string }): Promise<DigestInput[]>;
  /**
   * Inserts the message unless a row with its idempotency key exists, also when another process
   * inserts the same key at the same moment; true when this call inserted it.
   */
  enqueueOnce(message: NewOutboxMessage): Promise<boolean>;
  /** `enqueueOnce` for many messages (one transaction per chunk when no key races); the keys this call inserted. */
  enqueueEachOnce(messages: readonly NewOutboxMessage[]): Promise<Set<string>>;
}

