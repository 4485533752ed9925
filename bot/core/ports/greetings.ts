import type { NewOutboxMessage } from '../records.js';
import type { ExistingGreeting, NewGreetingRow } from '../greetings/plan-greetings.js';
import type { GreetingCustomer } from '../greetings/eligibility.js';

/** Which customers greeting planning reads; both narrowings together mean customers matching both. */
export interface GreetingCustomerQuery {
  /** Only customers whose birthday (`YYYY-MM-DD` or `MM-DD`) may fall on one of these month-days (`MM-DD`). */
  birthdays?: readonly string[];
  /** Only customers created or changed, or with a case opened or changed, at or after this instant. */
  changedSince?: Date;
}

/** A PLANNED `GreetingDelivery` row the greeting use cases act on. */
export interface GreetingRow {
  id: string;
  campaign: string;
  occasionKey: string;
  customerId: string;
  status: string;
  skipReason: string | null;
  channel: string | null;
  segment: string | null;
  scheduledAt: Date;
  outboxMessageId: string | null;
}

/** A row with its outbox message's state, for reconciliation and reports. */
export interface GreetingRowWithOutbox extends GreetingRow {
  outbox: { id: string; status: string; lastErrorCode: string | null; sentAt: Date | null; channel: string } | null;
}

/**
 * Greeting deliveries: one row per customer and occasion (unique on occasionKey + customerId, whatever
 * the campaign), PLANNED → SENT | SKIPPED | FAILED. Every transition is a compare-and-set on the row's
 * status (and outbox id), so several replicas running the planner at once change each row once.
 */
export interface GreetingStore {
  /**
   * Claims the planning of one campaign's send day: true when the day was never planned, or last
   * planned at least `everyMs` before `now` (or after it: a clock set back plans again). Shared by
   * every replica and kept across restarts; null when the day is not due or another replica claimed
   * it first. Otherwise says when the day was planned before (null: never), and when the last run that
   * completed was claimed (`coveredAt`, null: none completed): customers unchanged since then are planned.
   */
  claimPlanningRun(campaign: string, sendDate: string, now: Date, everyMs: number): Promise<{ previous: Date | null; coveredAt: Date | null } | null>;
  /** Undoes this claim (made at `claimedAt`) after a failed planning, so the next run plans at once. */
  releasePlanningRun(campaign: string, sendDate: string, claimedAt: Date, previous: Date | null): Promise<void>;
  /** Records that the run claimed at `claimedAt` planned every customer (moves `coveredAt` forward only). */
  completePlanningRun(campaign: string, sendDate: string, claimedAt: Date): Promise<void>;
  /**
   * Customers with what eligibility needs, with the types of their OPEN cases, in id order: every one,
   * or narrowed by `query`. A narrowed list may hold more customers than asked (the caller decides
   * exactly), never fewer.
   */
  listCustomers(query?: GreetingCustomerQuery): Promise<GreetingCustomer[]>;
  /** Customers by id, fresh (for the check just before a greeting is handed to the outbox). */
  findCustomers(ids: readonly string[]): Promise<Map<string, GreetingCustomer>>;
  /** Rows of these occasion keys, any campaign; only those of `customerIds` when given. */
  findByOccasions(occasionKeys: readonly string[], customerIds?: readonly string[]): Promise<ExistingGreeting[]>;
  /** Inserts planned and skipped rows; a row another planner inserted first is left alone. Counts what this call inserted. */
  insertRows(campaign: string, rows: readonly NewGreetingRow[], now: Date): Promise<{ planned: number; skipped: number }>;
  /** PLANNED rows not yet handed to the outbox, due by `dueBy`, earliest first. */
  listDueUnqueued(dueBy: Date, limit: number): Promise<GreetingRow[]>;
  /** PLANNED rows already in the outbox, with their outbox message's state. */
  listQueued(dueBy: Date, limit: number): Promise<GreetingRowWithOutbox[]>;
  /** Rows of one campaign and occasion (or all of the occasion when `campaign` is null), with outbox state. */
  listForReport(occasionKey: string, campaign: string | null): Promise<GreetingRowWithOutbox[]>;
  /** Occasion keys a campaign has rows for, newest first, with counts. */
  listOccasionKeys(campaign: string): Promise<{ occasionKey: string; rows: number }[]>;
  /**
   * Hands a PLANNED row to the outbox: inserts the message and links it to the row in one transaction,
   * guarded on the row still being PLANNED and unqueued. False when another planner got there first.
   */
  enqueue(row: GreetingRow, channel: string, message: NewOutboxMessage, now: Date): Promise<boolean>;
  /** Ends a PLANNED row (compare-and-set on status and outbox id). */
  finish(row: GreetingRow, status: 'SENT' | 'SKIPPED' | 'FAILED', skipReason: string | null, now: Date): Promise<boolean>;
  /**
   * Cancels a greeting still waiting in the outbox once its window has closed; false when the dispatcher
   * has it or its send was begun and is being reconciled (`sendStartedAt` set).
   */
  cancelPending(outboxId: string, now: Date): Promise<boolean>;
}
