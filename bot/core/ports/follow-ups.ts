import type { ChannelName, FollowUpOutcome, FollowUpStatus, Satisfaction } from '../model.js';
import type { FollowUpContext, NewAuditEntry, NewEscalation, NewOutboxMessage } from '../records.js';

/** Follow-ups: activation when due, outcomes, and what staff have open. */
export interface FollowUpStore {
  /**
   * Leases up to `limit` SCHEDULED follow-ups with `dueAt <= now` whose lease is free, for `leaseMs`.
   * Atomic across processes (SKIP LOCKED on PostgreSQL, one conditional UPDATE on SQLite).
   */
  claimDueFollowUps(now: Date, leaseMs: number, limit: number): Promise<FollowUpContext[]>;
  /**
   * Hands back a claim not committed (a job cut off at the shutdown deadline): the lease of those of
   * `followUpIds` still SCHEDULED and leased until exactly `leaseUntil` (the claim's `now + leaseMs`)
   * is cleared in one statement, so the next claim takes them at once. Resolves with how many.
   */
  releaseFollowUpClaim(followUpIds: readonly string[], leaseUntil: Date, now: Date): Promise<number>;
  /**
   * Applies activations in one transaction: each row is updated only if its version is unchanged
   * (compare-and-set); outbox rows, surveys and audit entries are inserted only for rows that changed.
   * A follow-up appears at most once per call, and the activations of one call share one `now`: those
   * activated as planned (no `reassignTo`) are stamped `activatedAt` with the first one's `now`; the
   * outbox rows' `createdAt` is the first activation's `now`.
   */
  commitActivations(
    activations: {
      followUpId: string;
      version: number;
      /** DEFERRED keeps it SCHEDULED with a later `deferTo` (one open per case, contact caps). */
      status: 'ACTIVE' | 'CANCELLED' | 'DEFERRED';
      deferTo?: Date;
      /** A new assignee when the planned one is no longer active (left, deactivated). */
      reassignTo?: { staffId: string; rule: string };
      /** When the assignee is reminded if the task is still unanswered (staff tasks). */
      remindAt?: Date | null;
      outcomeNote: string | null;
      now: Date;
      survey: {
        id: string;
        token: string;
        surveyKey: string;
        expiresAt: Date;
        /** The channel the invitation goes out on first (`SurveyInstance.channel`). */
        channel?: ChannelName;
        /**
         * When the survey is also invited by SMS: candidate reply codes, tried in order; the first one
         * no survey holds becomes `SurveyInstance.replyCode` and the `replyCode` of this survey's
         * `survey_invite` outbox messages (the store sets it on them).
         */
        replyCodes?: readonly string[];
      } | null;
      outbox: NewOutboxMessage[];
      audit: NewAuditEntry;
    }[],
  ): Promise<{ applied: number; skipped: number }>;
  findFollowUpContext(followUpId: string): Promise<FollowUpContext | null>;
  /** Other follow-ups of the case that are pushed and not answered (ACTIVE or OVERDUE). */
  countOpenSiblings(caseId: string, exceptId: string): Promise<number>;
  /** Follow-ups of the customer under a policy activated at or after `since`. */
  countCustomerContacts(customerId: string, policyId: string, since: Date): Promise<number>;
  /**
   * {@link countOpenSiblings} for a whole batch in one read: per case, its follow-ups that are pushed and not
   * answered (ACTIVE or OVERDUE). A case with none is absent. (A claimed follow-up is SCHEDULED, so it never counts
   * itself.)
   */
  countOpenByCase(caseIds: readonly string[]): Promise<Map<string, number>>;
  /** {@link countCustomerContacts} for a whole batch in one read: per customer; a customer with none is absent. */
  countContactsByCustomer(customerIds: readonly string[], policyId: string, since: Date): Promise<Map<string, number>>;
  /** Applies an outcome with compare-and-set on `version`; returns false when the row had changed. */
  applyOutcome(input: {
    followUpId: string;
    version: number;
    status: FollowUpStatus;
    outcome: FollowUpOutcome | null;
    outcomeNote: string | null;
    outcomeById: string | null;
    attempts: number;
    nextDueAt: Date | null;
    /** With `nextDueAt`: the deadline moved with a retry that mandatory contact rules held back (else unchanged). */
    nextDeadlineAt?: Date | null;
    completedAt: Date | null;
    outbox: NewOutboxMessage[];
    escalation: NewEscalation | null;
    audit: NewAuditEntry[];
    /**
     * Answers a staff member took during the call (the 详情 form), recorded in the same transaction:
     * the follow-up's SurveyInstance (the existing one, else a new one with `newSurvey`) becomes
     * ANSWERED with one SurveyResponse.
     */
    surveyAnswer?: StaffSurveyAnswer | null;
  }): Promise<boolean>;
  /**
   * Gives open follow-ups to another staff member, each a compare-and-set on its version (a row that
   * changed meanwhile is left alone). With `reactivate`, a task whose card was already pushed (ACTIVE
   * or OVERDUE) goes back to SCHEDULED, due at `at`, so the activation job pushes a new card to the new
   * assignee; the old card's taps are refused as stale. Returns the ids it changed.
   */
  reassignFollowUps(items: { followUpId: string; version: number; assigneeId: string; reactivate: boolean; audit: NewAuditEntry }[], at: Date): Promise<string[]>;
  /** A staff member's open follow-ups (ACTIVE, OVERDUE, and SCHEDULED due before `dueBefore`), earliest deadline first. */
  listOpenForAssignee(staffId: string, dueBefore: Date, limit: number): Promise<FollowUpContext[]>;
}

/** Answers recorded with a staff outcome (see `FollowUpStore.applyOutcome`). */
export interface StaffSurveyAnswer {
  /** Used only when the follow-up has no SurveyInstance yet (`@@unique([followUpId])`: never a second one). */
  newSurvey: { id: string; token: string; surveyKey: string; customerId: string; expiresAt: Date };
  response: {
    id: string;
    channel: string;
    rawText: string | null;
    answers: Record<string, unknown>;
    score: number | null;
    satisfaction: Satisfaction | null;
    inboundEventId: string | null;
    receivedAt: Date;
  };
}
