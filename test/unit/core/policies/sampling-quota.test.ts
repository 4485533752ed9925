import { describe, expect, it } from 'vitest';
import { claimQuotaSlots } from '../../../../bot/core/policies/sampling-quota.js';
import { quotaPeriod, topUpOpen, topUpOrder } from '../../../../bot/core/policies/quota-top-up.js';
import { decideSampling, quotaMark } from '../../../../bot/core/policies/sampling.js';
import { planFollowUps, type PlannedFollowUp } from '../../../../bot/core/policies/plan-follow-ups.js';
import type { SamplingRule } from '../../../../bot/core/policies/types.js';
import type { CaseFacts } from '../../../../bot/core/model.js';
import { exampleOrg, shippedPolicy } from '../../../support/org-snapshot.js';

const TZ = 'Asia/Shanghai';
const at = (s: string) => new Date(s);

describe('quota keys: the week from Monday or the calendar month, per scope', () => {
  const base = { policyId: 'P12', step: 'spot_check', departmentId: 'branch-7', assigneeId: 'kefu.gao', timeZone: TZ };

  it.each([
    ['2026-03-09T09:00:00+08:00', '2026-03-09'], // Monday
    ['2026-03-15T23:59:00+08:00', '2026-03-09'], // Sunday night, still that week
    ['2026-03-16T00:00:00+08:00', '2026-03-16'],
    ['2026-03-15T16:30:00Z', '2026-03-16'], // 00:30 on Monday in Shanghai
  ])('a follow-up from %s counts in the week from %s', (earliest, monday) => {
    expect(quotaMark({ max: 3, per: 'week', by: 'all' }, { ...base, earliestAt: at(earliest) }).key).toBe(`P12|spot_check|*|${monday}`);
  });

  it('counts a month by its calendar month, and by department or assignee when the pack says so', () => {
    const earliestAt = at('2026-03-31T23:00:00+08:00');
    expect(quotaMark({ max: 2, per: 'month', by: 'department' }, { ...base, earliestAt })).toEqual({ key: 'P12|spot_check|branch-7|2026-03', max: 2, label: 'month 2026-03, department branch-7' });
    expect(quotaMark({ max: 2, per: 'month', by: 'assignee' }, { ...base, earliestAt }).key).toBe('P12|spot_check|kefu.gao|2026-03');
    expect(quotaMark({ max: 2, per: 'month', by: 'assignee' }, { ...base, assigneeId: null, earliestAt }).key).toBe('P12|spot_check|-|2026-03');
  });
});

describe('claiming quota places', () => {
  const P12 = shippedPolicy('P12');
  const org = exampleOrg();
  const delivery = (externalId: string): CaseFacts => ({
    id: `case-${externalId}`,
    type: 'express_delivery',
    externalId,
    occurredAt: at('2026-03-09T18:00:00+08:00'),
    closedAt: null,
    departmentId: null,
    responsibleStaffId: null,
    attributes: {},
    milestones: {},
  });
  const planned = (externalId: string): PlannedFollowUp[] => planFollowUps(P12, delivery(externalId), org, { timeZone: TZ }).planned;

  it('gives the next free place, and turns the follow-up SKIPPED with its reason once the week is full', async () => {
    const held = new Map([['P12|spot_check|*|2026-03-09', 2]]);
    const store = { countQuotaSlots: async (key: string) => held.get(key) ?? 0 };

    const [third, fourth] = await claimQuotaSlots(store, [...planned('YDQ000069'), ...planned('YDQ000103')]);

    expect(third).toMatchObject({ quotaSlot: 'P12|spot_check|*|2026-03-09#3', sampling: { kept: true } });
    expect(third!.sampling.reason).toBe('fixed rate: sampled at 2 % (draw 0.0087 < 0.02); within a quota of 3 (week from 2026-03-09, all): place 3 of 3');
    expect(fourth).toMatchObject({ quotaSlot: null, sampling: { kept: false } });
    expect(fourth!.sampling.reason).toMatch(/within a quota of 3 \(week from 2026-03-09, all\): full, 3 of 3 taken$/);
  });

  it('leaves a case the draw passes over without a place and without counting', async () => {
    let counted = 0;
    const [f] = await claimQuotaSlots({ countQuotaSlots: async () => ++counted }, planned('YDQ000001'));
    expect(f).toMatchObject({ sampling: { kept: false } });
    expect(f!.sampling.quota).toBeUndefined();
    expect(counted).toBe(0);
  });

  it('never lets a mandatory category take a place', () => {
    const rule: SamplingRule = { mandatory: [{ complaint: [true] }], rate: 0.02, quota: { max: 3, per: 'week', by: 'all' } };
    const withMandatory = { ...P12, sampling: rule };
    const [f] = planFollowUps(withMandatory, { ...delivery('YDQ000001'), attributes: { complaint: true } }, org, { timeZone: TZ }).planned;
    expect(f!.sampling).toEqual({ kept: true, reason: 'mandatory category (complaint ∈ {true}): 100 %', rate: 1 });
  });
});

describe('tiers on the current month (002 制度18「以当月提供过家政服务的户数为计算依据」)', () => {
  const rule: SamplingRule = { tiers: [{ above: 300, rate: 0.1 }, { above: 99, rate: 0.2 }, { above: -1, rate: 0.3 }], population: 'current month', salt: 'P10-home-service' };
  const facts = { type: 'home_service', externalId: 'HH-0528-2026-03', attributes: {} }; // draw 0.1160

  it.each([
    [1, 0.3, true],
    [99, 0.3, true],
    [100, 0.2, true],
    [300, 0.2, true],
    [301, 0.1, false],
  ])('the household counted %s in its month is sampled at %s', (population, rate, kept) => {
    // The previous month's count is ignored: the tiers count the month itself.
    const decision = decideSampling(rule, 'P10', facts, { currentMonthPopulation: population, previousMonthPopulation: 5000 });
    expect(decision).toMatchObject({ rate, kept });
    expect(decision.reason).toMatch(new RegExp(`^current month's population so far ${population} > `));
  });

  it('takes the highest rate when the month is not counted (a simulation)', () => {
    expect(decideSampling(rule, 'P10', facts, {})).toMatchObject({ rate: 0.3, reason: expect.stringMatching(/^no current-month population known, highest tier rate/) });
  });
});

describe('topping a quota up to its minimum', () => {
  it('opens the top-up on Friday 00:00 of the week by default, or topUpDaysBefore days before the period ends', () => {
    const week = { min: 2, max: 3, per: 'week', by: 'all' } as const;
    expect(quotaPeriod('week', at('2026-03-12T10:00:00+08:00'), TZ)).toEqual({ start: at('2026-03-09T00:00:00+08:00'), end: at('2026-03-16T00:00:00+08:00') });
    expect(quotaPeriod('month', at('2026-12-31T23:00:00+08:00'), TZ)).toEqual({ start: at('2026-12-01T00:00:00+08:00'), end: at('2027-01-01T00:00:00+08:00') });
    expect(topUpOpen(week, at('2026-03-12T23:59:00+08:00'), TZ)).toBe(false); // Thursday
    expect(topUpOpen(week, at('2026-03-13T00:00:00+08:00'), TZ)).toBe(true); // Friday
    expect(topUpOpen({ ...week, topUpDaysBefore: 1 }, at('2026-03-14T12:00:00+08:00'), TZ)).toBe(false); // Saturday
    expect(topUpOpen({ ...week, topUpDaysBefore: 1 }, at('2026-03-15T00:00:00+08:00'), TZ)).toBe(true); // Sunday
    expect(topUpOpen({ max: 3, per: 'week', by: 'all' }, at('2026-03-15T12:00:00+08:00'), TZ)).toBe(false); // no min
  });

  it('offers the passed-over follow-ups in an order that is random but the same on every run, and differs by quota', () => {
    const candidates = Array.from({ length: 20 }, (_, i) => ({ followUpId: `fu-${i}`, caseType: 'express_delivery', externalId: `YDQ1${String(i).padStart(5, '0')}` }));
    const order = topUpOrder('P12|spot_check|*|2026-03-09', candidates).map((c) => c.followUpId);
    expect(topUpOrder('P12|spot_check|*|2026-03-09', [...candidates].reverse()).map((c) => c.followUpId)).toEqual(order);
    expect([...order].sort()).toEqual(candidates.map((c) => c.followUpId).sort());
    expect(order).not.toEqual(candidates.map((c) => c.followUpId)); // not the order of arrival
    expect(topUpOrder('P12|spot_check|*|2026-03-16', candidates).map((c) => c.followUpId)).not.toEqual(order);
  });
});
