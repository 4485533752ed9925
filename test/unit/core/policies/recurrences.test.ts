import { describe, expect, it } from 'vitest';
import { MAX_OCCURRENCES, phaseEnd, planFollowUps } from '../../../../bot/core/policies/plan-follow-ups.js';
import type { CaseFacts } from '../../../../bot/core/model.js';
import type { PolicyDefinition, PolicyStep } from '../../../../bot/core/policies/types.js';
import { exampleOrg, shippedPolicy } from '../../../support/org-snapshot.js';

const TZ = 'Asia/Shanghai';
const at = (s: string) => new Date(s);

function withStep(step: Partial<PolicyStep>): PolicyDefinition {
  const P4 = shippedPolicy('P4');
  const base = P4.steps.find((s) => s.key === 'phone')!;
  return { ...P4, steps: [{ ...base, key: 'weekly', when: undefined, unless: undefined, earliest: { amount: 0, unit: 'hours' }, earliestAtLocalTime: undefined, deadline: { amount: 6, unit: 'days' }, deadlineAtLocalTime: undefined, ...step }] };
}

const facts = (overrides: Partial<CaseFacts> = {}): CaseFacts => ({
  id: 'case-1',
  type: 'discharge',
  externalId: 'ZY-1',
  occurredAt: at('2026-03-02T10:00:00+08:00'),
  closedAt: null,
  departmentId: 'cardiology',
  responsibleStaffId: 'hushi.li',
  attributes: {},
  milestones: {},
  ...overrides,
});

const steps = (policy: PolicyDefinition, f: CaseFacts) => planFollowUps(policy, f, exampleOrg(), TZ).planned.map((p) => p.step);

describe('a recurrence that ends at a milestone (repeat.until)', () => {
  const weekly = withStep({ repeat: { phases: [{ every: { amount: 7, unit: 'days' }, until: { amount: 28, unit: 'days' } }], until: { kind: 'milestone', name: 'visited' } } });

  it('plans every occurrence while the milestone is not recorded', () => {
    expect(steps(weekly, facts())).toEqual(['weekly_1', 'weekly_2', 'weekly_3', 'weekly_4']);
  });

  it('keeps an occurrence whose earliest time is the milestone itself, and none after it', () => {
    expect(steps(weekly, facts({ milestones: { visited: at('2026-03-16T10:00:00+08:00') } }))).toEqual(['weekly_1', 'weekly_2']);
    expect(steps(weekly, facts({ milestones: { visited: at('2026-03-16T09:59:00+08:00') } }))).toEqual(['weekly_1']);
    expect(steps(weekly, facts({ milestones: { visited: at('2026-03-03T09:00:00+08:00') } }))).toEqual([]);
  });

  it('ignores other milestones', () => {
    expect(steps(weekly, facts({ milestones: { purchased: at('2026-03-03T09:00:00+08:00') } }))).toHaveLength(4);
  });
});

describe('a recurrence whose length comes from the case', () => {
  const months = { attribute: 'warrantyMonths', unit: 'months' as const, otherwise: { amount: 12, unit: 'months' as const }, atMost: { amount: 10, unit: 'years' as const } };

  it.each([
    [30, 30],
    [30.9, 30],
    ['30', 12],
    [0, 12],
    [-6, 12],
    [Number.NaN, 12],
    [undefined, 12],
    [600, 120],
  ])('reads warrantyMonths %s as %s months', (value, expected) => {
    const end = phaseEnd(months, { warrantyMonths: value });
    expect(end!.unit === 'years' ? end!.amount * 12 : end!.amount).toBe(expected);
  });

  it('plans no occurrence without a usable value and no otherwise', () => {
    const { otherwise: _otherwise, ...strict } = months;
    expect(phaseEnd(strict, { warrantyMonths: 'two years' })).toBeNull();
    const policy = withStep({ repeat: { phases: [{ every: { amount: 6, unit: 'months' }, until: strict }] } });
    expect(steps(policy, facts({ attributes: {} }))).toEqual([]);
    expect(steps(policy, facts({ attributes: { warrantyMonths: 18 } }))).toEqual(['weekly_1', 'weekly_2', 'weekly_3']);
  });

  it(`never plans more than ${MAX_OCCURRENCES} occurrences, whatever the case says`, () => {
    const policy = withStep({ repeat: { phases: [{ every: { amount: 1, unit: 'days' }, until: { attribute: 'days', unit: 'days' } }] } });
    expect(steps(policy, facts({ attributes: { days: 1_000_000 } }))).toHaveLength(MAX_OCCURRENCES);
  });
});
