// P10 居家家政服务回访 (seed 002 制度 18): the real pack, the real calendar, a property management office.
import { describe, expect, it } from 'vitest';
import type { CaseFacts } from '../../../../bot/core/model.js';
import { at, buildOrg, examples, facts, factsFromBody, keptShare, keys, loadPack, plan, step, type OrgSpec } from './packs-b-helpers.js';

const P10 = loadPack('P10');

// xx管理处 under the property company: 客服主管 (head), 保洁班长, 控制中心, 客服专员 and two home-service workers.
const HOME: OrgSpec = {
  departments: [
    { code: 'wuye', parent: null, head: 'jingli.feng' },
    { code: 'guanlichu', parent: 'wuye', head: 'zhuguan.he' },
  ],
  staff: [
    { id: 'jingli.feng', department: 'wuye', roles: ['manager'] },
    { id: 'zhuguan.he', department: 'guanlichu', roles: ['department_head', 'supervisor'], supervisor: 'jingli.feng' },
    { id: 'banzhang.tang', department: 'guanlichu', roles: ['cleaning_lead'], supervisor: 'zhuguan.he' },
    { id: 'zhongxin.xu', department: 'guanlichu', roles: ['control_centre'], supervisor: 'zhuguan.he' },
    { id: 'kefu.ye', department: 'guanlichu', roles: ['customer_service'], supervisor: 'zhuguan.he' },
    { id: 'ayi.wang', department: 'guanlichu', roles: ['service_worker'], supervisor: 'banzhang.tang' },
    { id: 'shifu.liu', department: 'guanlichu', roles: ['service_worker', 'repair'], supervisor: 'zhongxin.xu' },
  ],
};
const org = buildOrg(HOME);

function household(n: number, attributes: Record<string, unknown> = { serviceKind: 'cleaning' }, occurredAt = '2026-03-02T10:00:00+08:00'): CaseFacts {
  return facts({
    type: 'home_service',
    externalId: `HH-${String(n).padStart(5, '0')}-2026-03`,
    occurredAt: at(occurredAt),
    departmentId: 'guanlichu',
    responsibleStaffId: 'ayi.wang',
    attributes,
  });
}

describe('P10 monthly phone sample (tiers by households served)', () => {
  it.each([
    [350, 0.1],
    [150, 0.2],
    [50, 0.3],
    [null, 0.3],
  ])('%s households served so far this month → keeps %s of 10,000 synthetic households (±0.5 pp)', (population, rate) => {
    // 「以当月提供过家政服务的户数为计算依据，300户以上的抽样比例不低于10%；100户-300户的抽样比例不低于20%；100户以下的抽样比例不低于30%」
    // (the month not counted, as in a simulation → the highest rate, 30 %)
    const share = keptShare(P10, org, 10_000, (i) => household(i), 'phone_sample', population);

    expect(Math.abs(share - rate)).toBeLessThanOrEqual(0.005);
    const decision = step(plan(P10, household(1), org, population).planned, 'phone_sample').sampling;
    expect(decision.rate).toBe(rate);
  });

  it.each([
    [301, 0.1],
    [300, 0.2],
    [100, 0.2],
    [99, 0.3],
    [0, 0.3],
  ])('puts %s households in the %s tier', (population, rate) => {
    // 「300户以上…10%；100户-300户…20%；100户以下…30%」: 300 and 100 belong to the 100–300 tier.
    expect(step(plan(P10, household(7), org, population).planned, 'phone_sample').sampling.rate).toBe(rate);
  });

  it('gives the same household the same decision twice, whatever day of the month it is posted', () => {
    // 「以户为单位」: one case per household and month, sampled deterministically.
    for (let i = 0; i < 200; i++) {
      const first = step(plan(P10, household(i), org, 150).planned, 'phone_sample').sampling;
      const again = step(plan(P10, household(i, { serviceKind: 'cleaning' }, '2026-03-20T16:00:00+08:00'), org, 150).planned, 'phone_sample').sampling;
      expect(again).toEqual(first);
    }
  });

  it('records why a household was or was not sampled', () => {
    const decisions = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => step(plan(P10, household(i), org, 150).planned, 'phone_sample').sampling);

    expect(decisions.some((d) => d.kept) && decisions.some((d) => !d.kept)).toBe(true);
    for (const d of decisions) {
      expect(d.reason).toMatch(/^current month's population so far 150 > 99: sampled at 20 % \(draw 0\.\d{4} [<≥] 0\.2\)$/);
      expect(d.kept).toBe(d.draw! < 0.2);
    }
  });

  it('phones the next day from 09:00 until the end of the month served, by the cleaning lead (居家) or the control centre (维修), never the worker', () => {
    // 「居家家政服务，由保洁班长每月对当月家政服务对象（以户为单位）进行电话抽样回访。维修家政服务，由控制中心每月…进行电话抽样回访」
    const cleaning = step(plan(P10, household(1), org, 150).planned, 'phone_sample');
    expect(cleaning).toMatchObject({
      title: '居家服务电话抽样回访',
      earliestAt: at('2026-03-03T09:00:00+08:00'),
      dueAt: at('2026-03-03T09:00:00+08:00'),
      deadlineAt: at('2026-03-31T23:59:00+08:00'),
      assigneeId: 'banzhang.tang',
      assigneeRule: 'role:cleaning_lead',
    });
    const repair = step(plan(P10, { ...household(2, { serviceKind: 'repair' }), responsibleStaffId: 'shifu.liu' }, org, 150).planned, 'phone_sample');
    expect(repair).toMatchObject({ assigneeId: 'zhongxin.xu', assigneeRule: 'role:control_centre' });
    // The cleaning lead served the household herself: she does not check her own work.
    const own = step(plan(P10, { ...household(3), responsibleStaffId: 'banzhang.tang' }, org, 150).planned, 'phone_sample');
    expect(own).toMatchObject({ assigneeId: 'kefu.ye', assigneeRule: 'role:customer_service' });
  });

  it('ends every phone sample with the month served: February ends on the 28th, a household first served on the 28th gets the next day only', () => {
    // 「每月对当月家政服务对象…进行电话抽样回访」: the deadline is the end of the case's month, not a week later.
    const february = step(plan(P10, household(4, { serviceKind: 'cleaning' }, '2026-02-10T15:00:00+08:00'), org, 150).planned, 'phone_sample');
    expect(february.deadlineAt).toEqual(at('2026-02-28T23:59:00+08:00'));
    const lastDay = step(plan(P10, household(5, { serviceKind: 'cleaning' }, '2026-02-28T15:00:00+08:00'), org, 150).planned, 'phone_sample');
    expect(lastDay).toMatchObject({ earliestAt: at('2026-03-01T09:00:00+08:00'), deadlineAt: at('2026-03-01T09:00:00+08:00') });
  });
});

describe('P10 door visits', () => {
  it.each(['new_contract', 'new_worker', 'complained_worker'])('visits every %s household at the door, never by phone (100 %)', (reason) => {
    // 「对签定《居家服务协议书》的顾客，必须采用上门方式回访，尤其包括以下三种情况：a.新签定《居家服务协议书》的顾客；
    // b.新的家政服务人员提供的服务；c.上次服务曾被投诉过的家政服务人员提供的服务」
    let kept = 0;
    for (let i = 0; i < 1_000; i++) {
      const { planned } = plan(P10, household(i, { serviceKind: 'cleaning', doorVisitReason: reason }), org, 350);
      expect(keys(planned)).toEqual(['door_visit']);
      if (planned[0]!.sampling.kept) kept++;
    }
    expect(kept).toBe(1_000);
    const visit = step(plan(P10, household(1, { serviceKind: 'cleaning', doorVisitReason: reason }), org, 350).planned, 'door_visit');
    expect(visit).toMatchObject({
      title: '居家服务上门回访',
      earliestAt: at('2026-03-03T09:00:00+08:00'),
      deadlineAt: at('2026-03-09T23:59:00+08:00'),
      assigneeId: 'kefu.ye',
      assigneeRule: 'role:customer_service',
      sampling: { kept: true, rate: 1, reason: 'mandatory category (doorVisitReason ∈ {new_contract, new_worker, complained_worker}): 100 %' },
    });
  });

  it('takes several reasons at once as separate attributes (anyOf): a new contract served by a worker complained about before', () => {
    // 「a.新签定《居家服务协议书》的顾客；b.新的家政服务人员提供的服务；c.上次服务曾被投诉过的家政服务人员提供的服务」
    const visit = step(plan(P10, household(1, { serviceKind: 'cleaning', newContract: true, complainedWorker: true }), org, 350).planned, 'door_visit');
    expect(visit.sampling).toEqual({ kept: true, rate: 1, reason: 'mandatory category (newContract ∈ {true}): 100 %' });
    expect(keys(plan(P10, household(2, { serviceKind: 'cleaning', newWorker: true }), org, 350).planned)).toEqual(['door_visit']);
    expect(keys(plan(P10, household(3, { serviceKind: 'cleaning', newWorker: false }), org, 100).planned)).not.toContain('door_visit');
  });

  it('visits other contract customers at the door too, but only when sampled', () => {
    // 「对签定《居家服务协议书》的顾客，必须采用上门方式回访」 — the sample rate still applies to them.
    const share = keptShare(P10, org, 10_000, (i) => household(i, { serviceKind: 'repair', doorVisitReason: 'contract' }), 'door_visit', 150);

    expect(Math.abs(share - 0.2)).toBeLessThanOrEqual(0.005);
    expect(keys(plan(P10, household(1, { serviceKind: 'repair', doorVisitReason: 'contract' }), org, 150).planned)).toEqual(['door_visit']);
  });
});

describe('P10 examples', () => {
  it('every example is a valid POST /api/v1/cases body of home_service and plans one follow-up', () => {
    const found = examples('P10');
    expect(found.map((e) => e.file)).toEqual(['P10-household-new-worker.json', 'P10-household-phone.json']);
    const byFile = Object.fromEntries(found.map(({ file, body }) => [file, plan(P10, factsFromBody(body, org), org, 150).planned]));
    expect(keys(byFile['P10-household-new-worker.json']!)).toEqual(['door_visit']);
    expect(byFile['P10-household-new-worker.json']![0]!.sampling.kept).toBe(true);
    expect(keys(byFile['P10-household-phone.json']!)).toEqual(['phone_sample']);
    expect(byFile['P10-household-phone.json']![0]!.assigneeId).toBe('zhongxin.xu');
  });
});
