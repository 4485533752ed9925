import type { CaseRecord, FollowUpRecord, NewAuditEntry } from '../records.js';
import type { PlannedFollowUp } from '../policies/plan-follow-ups.js';
import type { FollowUpMove } from '../policies/diff-plan.js';
import type { CustomerInput } from './customers.js';

export interface CaseInput {
  type: string;
  externalId: string;
  occurredAt: Date;
  closedAt: Date | null;
  departmentId: string | null;
  responsibleStaffId: string | null;
  attributes: Record<string, unknown>;
  milestones: Record<string, Date>;
}

/** What {@link CaseStore.createCase} writes for one new case. */
export interface NewCase {
  id: string;
  policyId: string;
  customerId: string;
  case: CaseInput;
  followUps: (PlannedFollowUp & { id: string })[];
  audit: NewAuditEntry;
}

/** Cases and the follow-ups planned for them. */
export interface CaseStore {
  findCase(type: string, externalId: string): Promise<CaseRecord | null>;
  findCaseById(id: string): Promise<CaseRecord | null>;
  /** The cases with these (type, external id) keys that exist (a few queries for a whole batch). */
  findCases(keys: readonly { type: string; externalId: string }[]): Promise<CaseRecord[]>;
  /** Ids of a policy's open cases that have SCHEDULED follow-ups, ordered by id, after `afterId`. */
  listCasesToReplan(policyId: string, afterId: string | null, limit: number): Promise<string[]>;
  /**
   * Cases of a policy whose event falls in [from, to) — the population tiered sampling is based on; with
   * `createdAtMost`, only those stored at or before it (the month's cases up to a given one).
   */
  countCasesOfPolicy(policyId: string, from: Date, to: Date, createdAtMost?: Date): Promise<number>;
  /**
   * Follow-ups holding a place of a sampling quota: those whose `quotaSlot` starts with `<key>#`
   * (bot/core/policies/sampling-quota.ts). Places are unique, so two replicas never hold the same one.
   */
  countQuotaSlots(key: string): Promise<number>;
  /**
   * Follow-ups of a step the draw passed over that could still top up a quota: SKIPPED, holding no place,
   * earliest time in [from, to), deadline after `now`, of an open case whose customer has not opted out
   * and is not deceased (bot/core/policies/quota-top-up.ts). Occurrences of a repeated step (`<step>_<n>`) count.
   */
  listQuotaTopUpCandidates(input: { policyId: string; step: string; from: Date; to: Date; now: Date }): Promise<QuotaTopUpCandidate[]>;
  /**
   * Turns a SKIPPED follow-up holding no place into a SCHEDULED one holding `slot`, with its new sampling
   * decision (JSON). `slot-taken`: another follow-up holds that place (unique); `gone`: it is no longer
   * SKIPPED or already holds a place. The audit entry is written with it, only when taken.
   */
  takeQuotaSlot(followUpId: string, slot: string, sampling: string, audit: NewAuditEntry): Promise<'taken' | 'slot-taken' | 'gone'>;
  listFollowUpsOfCase(caseId: string): Promise<FollowUpRecord[]>;
  /**
   * Creates the case and its follow-ups atomically. Returns `created: false` (and writes nothing)
   * when a case with the same type and external id already exists — concurrent posts create one case.
   */
  createCase(input: NewCase): Promise<{ created: boolean; caseId: string }>;
  /**
   * Creates new customers, then new cases with their follow-ups and audit entries, in one transaction
   * with multi-row inserts. All or nothing: false (and nothing written) when a unique key is already
   * taken (a case or customer created meanwhile), so the caller can take them one by one.
   *
   * With `after` (the write of the rows before these), the rows commit only once `after` has resolved true;
   * when it resolves false, nothing is written and the answer is false. A store may write the rows meanwhile
   * (PostgreSQL, in its own transaction, so that two chunks are inserted at once) or wait for `after` first.
   */
  createCases(input: { customers: { id: string; customer: CustomerInput }[]; cases: NewCase[] }, after?: Promise<boolean>): Promise<boolean>;
  /**
   * Updates attributes/milestones/closure and adds the follow-ups for steps the case does not have
   * yet (unique per case and step; concurrent updates add each step once). Returns how many it added.
   */
  updateCase(input: {
    caseId: string;
    case: CaseInput;
    addFollowUps: (PlannedFollowUp & { id: string })[];
    /** Scheduled follow-ups to move (compare-and-set on version; a changed row is left alone). */
    moveFollowUps?: FollowUpMove[];
    /** Scheduled follow-ups the plan no longer contains. */
    cancelFollowUps?: { id: string; version: number }[];
    cancelOpenFollowUps: boolean;
    audit: NewAuditEntry;
  }): Promise<{ added: number; moved: number; cancelled: number }>;
  /** The customer's cases of the given types that occurred at or after `since`. */
  listRecentCasesOfCustomer(customerId: string, types: readonly string[], since: Date): Promise<CaseRecord[]>;
  /** The same for several customers at once (one query per few hundred customers). */
  listRecentCasesOfCustomers(customerIds: readonly string[], types: readonly string[], since: Date): Promise<CaseRecord[]>;
}

/** A follow-up the draw passed over, as the quota top-up sees it. */
export interface QuotaTopUpCandidate {
  followUpId: string;
  caseType: string;
  externalId: string;
  departmentId: string | null;
  assigneeId: string | null;
  earliestAt: Date;
  /** Its stored sampling decision (JSON). */
  sampling: string;
}
