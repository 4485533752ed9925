// P12 快递签收抽查回访 (seed 002 制度 12): the real pack, the real calendar, a delivery point.
import { describe, expect, it } from 'vitest';
import type { CaseFacts } from '../../../../bot/core/model.js';
import { at, buildOrg, examples, facts, factsFromBody, keys, loadPack, plan, step, type OrgSpec } from './packs-b-helpers.js';

const P12 = loadPack('P12');

// 网点 (负责人) with its customer-service / quality staff, and the delivery team (派送部) with a courier.
const EXPRESS: OrgSpec = {
  departments: [
    { code: 'wangdian', parent: null, head: 'wangdian.zhou' },
    { code: 'paisong', parent: 'wangdian', head: 'zuzhang.yang' },
  ],
  staff: [
    { id: 'wangdian.zhou', department: 'wangdian', roles: ['manager', 'department_head'] },
    { id: 'kefu.wu', department: 'wangdian', roles: ['customer_service'], supervisor: 'wangdian.zhou' },
    { id: 'kefu.deng', department: 'wangdian', roles: ['customer_service'], supervisor: 'wangdian.zhou' },
    { id: 'zhijian.cai', department: 'wangdian', roles: ['quality_inspector'], supervisor: 'wangdian.zhou' },
    { id: 'zuzhang.yang', department: 'paisong', roles: ['department_head', 'supervisor'], supervisor: 'wangdian.zhou' },
    { id: 'kuaidi.xiao', department: 'paisong', roles: ['courier'], supervisor: 'zuzhang.yang' },
  ],
};
const org = buildOrg(EXPRESS);

function delivery(n: number, signedAt = '2026-03-06T18:40:00+08:00', courier = 'kuaidi.xiao'): CaseFacts {
  return facts({
    type: 'express_delivery',
    externalId: `YD${4300000000000 + n}`,
    occurredAt: at(signedAt),
    departmentId: 'paisong',
    responsibleStaffId: courier,
  });
}

describe('P12 random checks of signed orders', () => {
  it('draws 2 % of the signed orders as candidates for a quota of 2 to 3 a week', () => {
    // 「每周将安排2~3次对客户的电话回访，主要是对快件已正常签收的快递订单客户进行随机抽查」: the quota's places
    // are counted in the database (test/integration/core/policies/sampling-quota.test.ts).
    expect(P12.sampling).toEqual({ rate: 0.02, quota: { min: 2, max: 3, per: 'week', by: 'all' }, salt: 'P12-express-delivery' });
    // At 500 signed orders a week, about 10 candidates a week: more than the 3 places.
    let kept = 0;
    for (let i = 0; i < 10_000; i++) if (step(plan(P12, delivery(i), org).planned, 'spot_check').sampling.kept) kept++;
    expect(kept).toBeGreaterThanOrEqual(160);
    expect(kept).toBeLessThanOrEqual(240);
  });

  it('gives the same order the same decision whenever it is planned (deterministic, auditable)', () => {
    for (let i = 0; i < 300; i++) {
      const first = step(plan(P12, delivery(i), org).planned, 'spot_check').sampling;
      const again = step(plan(P12, delivery(i, '2026-03-07T09:00:00+08:00'), org).planned, 'spot_check').sampling;
      expect(again).toEqual(first);
      expect(first.kept).toBe(first.draw! < 0.02);
      expect(first.reason).toMatch(first.kept ? /^fixed rate: sampled at 2 % \(draw 0\.\d{4} < 0\.02\); within a quota of 3 \(week from 2026-03-\d\d, all\)$/ : /^fixed rate: sampled at 2 % \(draw 0\.\d{4} ≥ 0\.02\)$/);
    }
  });

  it('checks a sampled order from 09:00 the day after signing until day 7, never by the courier who delivered it', () => {
    // 「抽查的资料涉及是否本人签收、快递业务员是否着…统一工作服…是否送货上门…态度是否良好」
    const { planned } = plan(P12, delivery(1), org);

    expect(keys(planned)).toEqual(['spot_check']);
    const check = step(planned, 'spot_check');
    expect(check).toMatchObject({
      earliestAt: at('2026-03-07T09:00:00+08:00'),
      dueAt: at('2026-03-07T09:00:00+08:00'),
      deadlineAt: at('2026-03-13T23:59:00+08:00'),
      // One of the two clerks, chosen by a stable hash of the case id (the same on every re-plan).
      assigneeId: 'kefu.wu',
      assigneeRule: 'role:customer_service',
    });
    // A customer-service clerk who delivered the parcel herself does not check her own delivery.
    for (const clerk of ['kefu.wu', 'kefu.deng']) {
      const own = step(plan(P12, delivery(1, '2026-03-06T18:40:00+08:00', clerk), org).planned, 'spot_check');
      expect(own.assigneeId).toBe(clerk === 'kefu.wu' ? 'kefu.deng' : 'kefu.wu');
    }
    // Nobody in customer service: the quality inspector.
    const noClerks = step(plan(P12, delivery(1), buildOrg(EXPRESS, ['kefu.wu', 'kefu.deng'])).planned, 'spot_check');
    expect(noClerks).toMatchObject({ assigneeId: 'zhijian.cai', assigneeRule: 'role:quality_inspector' });
  });
});

describe('P12 examples', () => {
  it('every example is a valid POST /api/v1/cases body of express_delivery', () => {
    const found = examples('P12');
    expect(found.map((e) => e.file)).toEqual(['P12-delivery.json']);
    const { planned } = plan(P12, factsFromBody(found[0]!.body, org), org);
    expect(keys(planned)).toEqual(['spot_check']);
    expect(planned[0]!.assigneeId).not.toBe('kuaidi.xiao');
  });
});
