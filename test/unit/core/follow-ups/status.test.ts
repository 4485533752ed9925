import { describe, expect, it } from 'vitest';
import {
  assertTransition,
  decideStaffOutcome,
  FOLLOW_UP_TRANSITIONS,
  isTerminal,
  OPEN_STATUSES,
  STAFF_ACTIONS,
  type OutcomeSubject,
} from '../../../../bot/core/follow-ups/status.js';
import { DomainError } from '../../../../bot/core/errors.js';
import type { FollowUpStatus } from '../../../../bot/core/model.js';
import { FakeClock } from '../../../../bot/clocks.js';

const DAY = 86_400_000;
const clock = new FakeClock('2026-11-10T09:30:00+08:00');

function active(overrides: Partial<OutcomeSubject> = {}): OutcomeSubject {
  return { status: 'ACTIVE', attempts: 0, maxAttempts: 3, deadlineAt: new Date('2026-11-18T23:59:00+08:00'), ...overrides };
}

function domainCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof DomainError) return err.code;
    throw err;
  }
  return undefined;
}

describe('decideStaffOutcome', () => {
  it('records a satisfied call as DONE / SATISFIED without escalation', () => {
    expect(decideStaffOutcome(active(), 'satisfied', clock.now(), DAY)).toEqual({
      status: 'DONE',
      outcome: 'SATISFIED',
      attempts: 1,
      nextDueAt: null,
      escalate: false,
      recorded: 'satisfied',
    });
  });

  it('records a dissatisfied call as DONE / DISSATISFIED and asks for escalation', () => {
    expect(decideStaffOutcome(active(), 'dissatisfied', clock.now(), DAY)).toMatchObject({
      status: 'DONE',
      outcome: 'DISSATISFIED',
      attempts: 1,
      escalate: true,
    });
  });

  it('retries an unreachable patient after the retry delay, then gives up on the third failed call', () => {
    // 「三次未接通 = 回访不成功」 (002 制度21)
    const now = clock.now();
    const first = decideStaffOutcome(active({ attempts: 0 }), 'unreachable', now, DAY);
    expect(first).toMatchObject({ status: 'SCHEDULED', outcome: null, attempts: 1, nextDueAt: new Date(now.getTime() + DAY), escalate: false });

    const second = decideStaffOutcome(active({ attempts: first.attempts }), 'unreachable', now, DAY);
    expect(second).toMatchObject({ status: 'SCHEDULED', outcome: null, attempts: 2 });

    const third = decideStaffOutcome(active({ attempts: second.attempts }), 'unreachable', now, DAY);
    expect(third).toMatchObject({ status: 'UNREACHABLE', outcome: 'UNREACHABLE', attempts: 3, nextDueAt: null, escalate: false });
  });

  it('gives up at once when the policy allows a single attempt', () => {
    expect(decideStaffOutcome(active({ maxAttempts: 1 }), 'unreachable', clock.now(), DAY)).toMatchObject({ status: 'UNREACHABLE', attempts: 1 });
  });

  it('reschedules without counting a failed attempt', () => {
    const now = clock.now();
    expect(decideStaffOutcome(active({ attempts: 1 }), 'reschedule', now, 2 * DAY)).toMatchObject({
      status: 'SCHEDULED',
      outcome: null,
      attempts: 1,
      nextDueAt: new Date(now.getTime() + 2 * DAY),
    });
  });

  it('accepts a late outcome on an OVERDUE follow-up', () => {
    expect(decideStaffOutcome(active({ status: 'OVERDUE' }), 'satisfied', clock.now(), DAY)).toMatchObject({ status: 'DONE', outcome: 'SATISFIED' });
  });

  it.each(['SCHEDULED', 'DONE', 'UNREACHABLE', 'CANCELLED', 'SKIPPED'] as FollowUpStatus[])('refuses any outcome on a %s follow-up', (status) => {
    for (const action of STAFF_ACTIONS) {
      expect(domainCode(() => decideStaffOutcome(active({ status }), action, clock.now(), DAY))).toBe('FOLLOW_UP_NOT_OPEN');
    }
  });

  it('only ever decides transitions the status machine allows', () => {
    for (const status of ['ACTIVE', 'OVERDUE'] as const) {
      for (const action of STAFF_ACTIONS) {
        for (const attempts of [0, 1, 2]) {
          const decision = decideStaffOutcome(active({ status, attempts }), action, clock.now(), DAY);
          expect(() => assertTransition(status, decision.status)).not.toThrow();
        }
      }
    }
  });
});

describe('follow-up status machine', () => {
  it('moves SCHEDULED only to ACTIVE or CANCELLED', () => {
    expect(() => assertTransition('SCHEDULED', 'ACTIVE')).not.toThrow();
    expect(() => assertTransition('SCHEDULED', 'CANCELLED')).not.toThrow();
    expect(domainCode(() => assertTransition('SCHEDULED', 'DONE'))).toBe('INVALID_TRANSITION');
    expect(domainCode(() => assertTransition('SCHEDULED', 'OVERDUE'))).toBe('INVALID_TRANSITION');
  });

  it('lets an ACTIVE follow-up become overdue, and an overdue one still be done', () => {
    expect(() => assertTransition('ACTIVE', 'OVERDUE')).not.toThrow();
    expect(() => assertTransition('OVERDUE', 'DONE')).not.toThrow();
    expect(domainCode(() => assertTransition('OVERDUE', 'ACTIVE'))).toBe('INVALID_TRANSITION');
  });

  it('never leaves a terminal status', () => {
    for (const status of ['DONE', 'UNREACHABLE', 'CANCELLED', 'SKIPPED'] as FollowUpStatus[]) {
      expect(isTerminal(status)).toBe(true);
      for (const to of Object.keys(FOLLOW_UP_TRANSITIONS) as FollowUpStatus[]) {
        expect(domainCode(() => assertTransition(status, to))).toBe('INVALID_TRANSITION');
      }
    }
  });

  it('calls exactly the non-terminal statuses open', () => {
    const nonTerminal = (Object.keys(FOLLOW_UP_TRANSITIONS) as FollowUpStatus[]).filter((s) => !isTerminal(s));
    expect([...OPEN_STATUSES].sort()).toEqual(nonTerminal.sort());
  });
});
