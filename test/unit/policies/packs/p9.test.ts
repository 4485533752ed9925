// P9 旅游会员客户回访 (seed 002 制度 6 and 9): the real pack, the real calendar, a travel company.
import { describe, expect, it } from 'vitest';
import type { CaseFacts } from '../../../../bot/core/model.js';
import { at, buildOrg, examples, facts, factsFromBody, keys, loadPack, plan, step, type OrgSpec } from './packs-b-helpers.js';

const P9 = loadPack('P9');

// 马上游: the company (总经理), the tourist service department (游客服务专员) and the partner development department (创客开发专员).
const TRAVEL: OrgSpec = {
  departments: [
    { code: 'mashangyou', parent: null, head: 'zong.ma' },
    { code: 'ms-visitor', parent: 'mashangyou', head: 'zhuguan.zhang' },
    { code: 'ms-maker', parent: 'mashangyou', head: 'zhuguan.wang' },
  ],
  staff: [
    { id: 'zong.ma', department: 'mashangyou', roles: ['manager'] },
    { id: 'zhuguan.zhang', department: 'ms-visitor', roles: ['department_head', 'supervisor'], supervisor: 'zong.ma' },
    { id: 'kefu.li', department: 'ms-visitor', roles: ['customer_service'], supervisor: 'zhuguan.zhang' },
    { id: 'kefu.zhao', department: 'ms-visitor', roles: ['customer_service'], supervisor: 'zhuguan.zhang' },
    { id: 'zhuguan.wang', department: 'ms-maker', roles: ['department_head'], supervisor: 'zong.ma' },
    { id: 'kaifa.sun', department: 'ms-maker', roles: ['account_manager'], supervisor: 'zhuguan.wang' },
  ],
};
const org = buildOrg(TRAVEL);

function productUse(purchasedAt: string, usedAt?: string, startsAt?: string): CaseFacts {
  return facts({
    type: 'travel_product_use',
    externalId: 'DD-1',
    occurredAt: at(purchasedAt),
    departmentId: 'ms-visitor',
    responsibleStaffId: 'kefu.li',
    attributes: {},
    milestones: { ...(usedAt ? { used: at(usedAt) } : {}), ...(startsAt ? { starts: at(startsAt) } : {}) },
  });
}

function complaint(occurredAt: string, subjectStaffId: string): CaseFacts {
  return facts({
    type: 'travel_complaint',
    externalId: 'TS-1',
    occurredAt: at(occurredAt),
    departmentId: 'ms-visitor',
    responsibleStaffId: 'kefu.li',
    attributes: { subjectStaffId },
  });
}

describe('P9 pack', () => {
  it('uses the preferred call windows 09:00–11:00 and 15:00–17:00 all year', () => {
    // 制度6 三 2(2)「不打扰客户，上午09:00-11:00，下午15:00—17:00为宜」
    expect(P9.caseTypes).toEqual(['travel_product_use', 'travel_partner', 'travel_complaint']);
    expect(P9.contact?.windows?.[0]?.times).toEqual([
      { from: '09:00', to: '11:00' },
      { from: '15:00', to: '17:00' },
    ]);
    expect(P9.contact?.windows?.[0]?.months).toHaveLength(12);
    // 制度9 第三条「顾客回访率≥80%」: every case is followed up.
    expect(P9.sampling).toBeUndefined();
  });
});

describe('P9 tourists (制度6 七 1)', () => {
  it('reminds the tourist before use: from 09:00 two days before the trip starts until it starts', () => {
    // 「a、游客购买产品使用前的温馨提示」: a negative offset counts back from milestones.starts.
    const { planned } = plan(P9, productUse('2026-01-05T20:15:00+08:00', undefined, '2026-01-27T07:00:00+08:00'), org);

    expect(step(planned, 'pre_use_reminder')).toMatchObject({
      earliestAt: at('2026-01-25T09:00:00+08:00'),
      dueAt: at('2026-01-25T09:00:00+08:00'),
      deadlineAt: at('2026-01-27T07:00:00+08:00'),
      assigneeId: 'kefu.li',
      assigneeRule: 'responsible',
    });
  });

  it('reminds at once, inside the windows, a tourist who buys the day before the trip', () => {
    // 「使用前的温馨提示」 with 「上午09:00-11:00，下午15:00—17:00为宜」: 20:15 → 09:00 next morning, before the 14:00 start.
    const { planned } = plan(P9, productUse('2026-01-05T20:15:00+08:00', undefined, '2026-01-06T14:00:00+08:00'), org);

    expect(step(planned, 'pre_use_reminder')).toMatchObject({ dueAt: at('2026-01-06T09:00:00+08:00'), deadlineAt: at('2026-01-06T14:00:00+08:00') });
  });

  it('waits for the start and the use before the reminder, satisfaction and needs follow-ups', () => {
    const { planned, waiting } = plan(P9, productUse('2026-01-05T20:15:00+08:00'), org);

    expect(keys(planned)).toEqual([]);
    expect(waiting).toEqual([
      { step: 'pre_use_reminder', anchor: 'milestone:starts' },
      { step: 'satisfaction', anchor: 'milestone:used' },
      { step: 'needs', anchor: 'milestone:used' },
    ]);
  });

  it('surveys satisfaction within 3 days after use: used at 12:00 → due 15:00 (the afternoon window)', () => {
    // 「b、游客购买产品使用后三天内的体验满意度回访」; 「上午09:00-11:00，下午15:00—17:00为宜」
    const { planned } = plan(P9, productUse('2026-01-05T20:15:00+08:00', '2026-01-31T12:00:00+08:00'), org);

    expect(step(planned, 'satisfaction')).toMatchObject({
      earliestAt: at('2026-01-31T12:00:00+08:00'),
      dueAt: at('2026-01-31T15:00:00+08:00'),
      deadlineAt: at('2026-02-03T23:59:00+08:00'),
      assigneeId: 'kefu.li',
    });
  });

  it('moves a use ending at 17:30 to 09:00 the next morning', () => {
    // 「上午09:00-11:00，下午15:00—17:00为宜」
    const { planned } = plan(P9, productUse('2026-01-05T20:15:00+08:00', '2026-01-31T17:30:00+08:00'), org);

    expect(step(planned, 'satisfaction')).toMatchObject({
      dueAt: at('2026-02-01T09:00:00+08:00'),
      deadlineAt: at('2026-02-03T23:59:00+08:00'),
    });
  });

  it('follows up needs one month after a use on 31 January: 28 February 2026, until a week later (1 months + 7 days)', () => {
    // 「c、游客购买产品使用1个月后的再次需求回访」 — 31 Jan + 1 month is the last day of February.
    const { planned } = plan(P9, productUse('2026-01-05T20:15:00+08:00', '2026-01-31T12:00:00+08:00'), org);

    expect(step(planned, 'needs')).toMatchObject({
      earliestAt: at('2026-02-28T09:00:00+08:00'),
      dueAt: at('2026-02-28T09:00:00+08:00'),
      deadlineAt: at('2026-03-07T23:59:00+08:00'),
    });
  });
});

describe('P9 partners (制度6 七 2)', () => {
  it('plans one door visit and two contacts in the month of a partner, by the developer who owns it', () => {
    // 「开发人员维护自己开发的创客，定期回访创客，每月上门回访不得低于一次，电话、微信沟通不低于2次」
    const month = facts({
      type: 'travel_partner',
      externalId: 'CK-0007-2026-02',
      occurredAt: at('2026-02-01T00:00:00+08:00'),
      departmentId: 'ms-maker',
      responsibleStaffId: 'kaifa.sun',
      attributes: {},
    });
    const { planned } = plan(P9, month, org);

    expect(keys(planned)).toEqual(['partner_visit', 'partner_contact_first_half', 'partner_contact_second_half']);
    expect(step(planned, 'partner_visit')).toMatchObject({
      dueAt: at('2026-02-01T09:00:00+08:00'),
      deadlineAt: at('2026-03-01T00:00:00+08:00'),
      assigneeId: 'kaifa.sun',
    });
    expect(step(planned, 'partner_contact_first_half')).toMatchObject({ dueAt: at('2026-02-01T09:00:00+08:00'), deadlineAt: at('2026-02-15T23:59:00+08:00') });
    expect(step(planned, 'partner_contact_second_half')).toMatchObject({
      earliestAt: at('2026-02-16T00:00:00+08:00'),
      dueAt: at('2026-02-16T09:00:00+08:00'),
      deadlineAt: at('2026-03-01T00:00:00+08:00'),
    });
    // When the developer has left and no other account manager is there, the department head keeps the partner.
    const { planned: reassigned } = plan(P9, month, buildOrg(TRAVEL, ['kaifa.sun']));
    expect(step(reassigned, 'partner_visit')).toMatchObject({ assigneeId: 'zhuguan.wang', assigneeRule: 'department_head' });
  });
});

describe('P9 complaints (制度9 第七条)', () => {
  it('tracks a complaint within 72 hours, due at 09:00 when logged at 18:30, never by the person complained about', () => {
    // 「追踪落实客户投诉处理结果。在72小时内追踪落实结果」
    const { planned } = plan(P9, complaint('2026-04-03T18:30:00+08:00', 'kefu.zhao'), org);

    expect(keys(planned)).toEqual(['complaint_tracking']);
    expect(step(planned, 'complaint_tracking')).toMatchObject({
      earliestAt: at('2026-04-03T18:30:00+08:00'),
      dueAt: at('2026-04-04T09:00:00+08:00'),
      deadlineAt: at('2026-04-06T18:30:00+08:00'),
      assigneeId: 'kefu.li',
      assigneeRule: 'role:customer_service',
    });
    const aboutLi = step(plan(P9, complaint('2026-04-03T18:30:00+08:00', 'kefu.li'), org).planned, 'complaint_tracking');
    expect(aboutLi).toMatchObject({ assigneeId: 'kefu.zhao', assigneeRule: 'role:customer_service' });
  });
});

describe('P9 examples', () => {
  it('every example is a valid POST /api/v1/cases body of a P9 case type, and plans follow-ups', () => {
    const found = examples('P9');
    expect(found.map((e) => e.file)).toEqual(['P9-complaint.json', 'P9-partner-month.json', 'P9-product-use.json']);
    for (const { file, body } of found) {
      expect(P9.caseTypes, file).toContain(body.type);
      expect(plan(P9, factsFromBody(body, org), org).planned.length, file).toBeGreaterThan(0);
    }
    // The complaint example is about kefu.zhao, who is never assigned.
    const complaintExample = found.find((e) => e.file === 'P9-complaint.json')!;
    expect(step(plan(P9, factsFromBody(complaintExample.body, org), org).planned, 'complaint_tracking').assigneeId).toBe('kefu.li');
  });
});
