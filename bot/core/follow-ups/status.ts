import { DomainError } from '../errors.js';
import type { FollowUpOutcome, FollowUpStatus } from '../model.js';

/**
 * The follow-up status machine.
 *
 *   SCHEDULED ──activate──► ACTIVE ──outcome──► DONE | UNREACHABLE
 *       ▲                     │  └──deadline──► OVERDUE ──outcome──► DONE | UNREACHABLE
 *       └──failed attempt─────┘        (late outcomes still count, as late)
 *   SCHEDULED | ACTIVE | OVERDUE ──► CANCELLED (case closed, customer opted out …)
 *   SKIPPED: left out by sampling; never contacted.
 */
export const FOLLOW_UP_TRANSITIONS: Readonly<Record<FollowUpStatus, readonly FollowUpStatus[]>> = {
  SCHEDULED: ['ACTIVE', 'CANCELLED'],
  ACTIVE: ['DONE', 'UNREACHABLE', 'OVERDUE', 'SCHEDULED', 'CANCELLED'],
  OVERDUE: ['DONE', 'UNREACHABLE', 'SCHEDULED', 'CANCELLED'],
  DONE: [],
  UNREACHABLE: [],
  CANCELLED: [],
  SKIPPED: [],
};

/** Statuses in which a follow-up still waits for an outcome. */
export const OPEN_STATUSES: readonly FollowUpStatus[] = ['SCHEDULED', 'ACTIVE', 'OVERDUE'];

export function isTerminal(status: FollowUpStatus): boolean {
  return FOLLOW_UP_TRANSITIONS[status].length === 0;
}

export function assertTransition(from: FollowUpStatus, to: FollowUpStatus): void {
  if (!FOLLOW_UP_TRANSITIONS[from].includes(to)) {
    throw new DomainError('INVALID_TRANSITION', `A follow-up cannot go from ${from} to ${to}`, { from, to });
  }
}

/** What a staff member reported with a task-card button. */
export type StaffAction = 'satisfied' | 'dissatisfied' | 'unreachable' | 'reschedule' | 'concern';

/** `concern`: the patient was reached and reported a worrying condition (only on policies that enable MEDICAL_CONCERN). */
export const STAFF_ACTIONS: readonly StaffAction[] = ['satisfied', 'dissatisfied', 'unreachable', 'reschedule', 'concern'];

/**
 * What an outcome recorded, as the card update and the reply name it (the wording is in
 * templates/messages `task_card.wecom.outcomes`).
 */
export type RecordedOutcome = 'satisfied' | 'dissatisfied' | 'concern' | 'unreachable_retry' | 'unreachable_final' | 'rescheduled';

/** The follow-up fields an outcome decision needs. */
export interface OutcomeSubject {
  status: FollowUpStatus;
  attempts: number;
  maxAttempts: number;
  deadlineAt: Date;
}

/** The state change an outcome leads to. */
export interface OutcomeDecision {
  status: FollowUpStatus;
  outcome: FollowUpOutcome | null;
  attempts: number;
  /** When set, the follow-up is re-activated (a new card is pushed) at this instant. */
  nextDueAt: Date | null;
  /** Whether the outcome must be escalated (dissatisfied answer). */
  escalate: boolean;
  /** What was recorded, for the card update. */
  recorded: RecordedOutcome;
}

/**
 * Decides the effect of a staff action on an open follow-up. Pure; the caller applies it with a
 * compare-and-set on the follow-up's version so a double tap or a replayed callback changes state once.
 */
export function decideStaffOutcome(
  subject: OutcomeSubject,
  action: StaffAction,
  now: Date,
  retryAfterMs: number,
): OutcomeDecision {
  if (subject.status !== 'ACTIVE' && subject.status !== 'OVERDUE') {
    throw new DomainError('FOLLOW_UP_NOT_OPEN', `The follow-up is ${subject.status}; nothing to record`, { status: subject.status });
  }
  switch (action) {
    case 'satisfied':
      return { status: 'DONE', outcome: 'SATISFIED', attempts: subject.attempts + 1, nextDueAt: null, escalate: false, recorded: 'satisfied' };
    case 'dissatisfied':
      return { status: 'DONE', outcome: 'DISSATISFIED', attempts: subject.attempts + 1, nextDueAt: null, escalate: true, recorded: 'dissatisfied' };
    case 'concern':
      // Reached; what matters is the condition, which escalates as MEDICAL_CONCERN (not a satisfaction answer).
      return { status: 'DONE', outcome: null, attempts: subject.attempts + 1, nextDueAt: null, escalate: false, recorded: 'concern' };
    case 'unreachable': {
      const attempts = subject.attempts + 1;
      if (attempts >= subject.maxAttempts) {
        return { status: 'UNREACHABLE', outcome: 'UNREACHABLE', attempts, nextDueAt: null, escalate: false, recorded: 'unreachable_final' };
      }
      return {
        status: 'SCHEDULED',
        outcome: null,
        attempts,
        nextDueAt: new Date(now.getTime() + retryAfterMs),
        escalate: false,
        recorded: 'unreachable_retry',
      };
    }
    case 'reschedule':
      return {
        status: 'SCHEDULED',
        outcome: null,
        attempts: subject.attempts,
        nextDueAt: new Date(now.getTime() + retryAfterMs),
        escalate: false,
        recorded: 'rescheduled',
      };
  }
}
