// P8 房地产销售客户回访 (seed 002 制度 10): the real pack, the real calendar, a sales centre.
import { describe, expect, it } from 'vitest';
import type { CaseFacts } from '../../../../bot/core/model.js';
import { at, buildOrg, examples, facts, factsFromBody, keys, loadPack, plan, step, type OrgSpec } from './packs-b-helpers.js';

const P8 = loadPack('P8');

// 锦城置业: the company (总经理), its sales centre (销售经理 = department head) and two consultants.
const ESTATE: OrgSpec = {
  departments: [
    { code: 'estate', parent: null, head: 'zong.he' },
    { code: 'estate-sales', parent: 'estate', head: 'jingli.lin' },
  ],
  staff: [
    { id: 'zong.he', department: 'estate', roles: ['manager'] },
    { id: 'jingli.lin', department: 'estate-sales', roles: ['department_head', 'supervisor'], supervisor: 'zong.he' },
    { id: 'guwen.chen', department: 'estate-sales', roles: ['sales_consultant'], supervisor: 'jingli.lin' },
    { id: 'guwen.liu', department: 'estate-sales', roles: ['sales_consultant'], supervisor: 'jingli.lin' },
  ],
};
const org = buildOrg(ESTATE);

function inboundCall(occurredAt: string, attributes: Record<string, unknown> = {}): CaseFacts {
  return facts({
    type: 'estate_inbound_call',
    externalId: 'LD-1',
    occurredAt: at(occurredAt),
    departmentId: 'estate-sales',
    responsibleStaffId: 'guwen.chen',
    attributes: { ...attributes },
  });
}

function visit(occurredAt: string, attributes: Record<string, unknown>): CaseFacts {
  return facts({
    type: 'estate_visit',
    externalId: 'LF-1',
    occurredAt: at(occurredAt),
    departmentId: 'estate-sales',
    responsibleStaffId: 'guwen.liu',
    attributes: { ...attributes },
  });
}

function purchase(occurredAt: string, milestones: Record<string, Date> = {}): CaseFacts {
  return facts({
    type: 'estate_purchase',
    externalId: 'CJ-1',
    occurredAt: at(occurredAt),
    departmentId: 'estate-sales',
    responsibleStaffId: 'guwen.chen',
    attributes: {},
    milestones,
  });
}

describe('P8 pack', () => {
  it('declares the three real-estate case types and the call windows of the seed', () => {
    // 第五条 3「一般来说，上午10:00-11:30，下午3:30-5:00，是较好的约电时间」
    expect(P8.id).toBe('P8');
    expect(P8.caseTypes).toEqual(['estate_inbound_call', 'estate_visit', 'estate_purchase']);
    expect(P8.contact?.windows).toEqual([
      {
        name: '全年 all year',
        months: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
        times: [
          { from: '10:00', to: '11:30' },
          { from: '15:30', to: '17:00' },
        ],
      },
    ]);
    expect(P8.contact?.avoidPublicHolidays).toBeUndefined();
    expect(P8.oneOpenPerCase).toBe(true);
  });
});

describe('P8 inbound callers (第一条)', () => {
  it('calls a caller logged at 12:00 back the same day, due at 15:30 (the afternoon window)', () => {
    // 第一条 1「当日来电客户当日电话回访」; 第五条 3「上午10:00-11:30，下午3:30-5:00」
    const { planned, waiting } = plan(P8, inboundCall('2026-03-10T12:00:00+08:00', { quality: 'normal' }), org);

    expect(keys(planned)).toEqual(['inbound_same_day']);
    expect(step(planned, 'inbound_same_day')).toMatchObject({
      action: 'STAFF_TASK',
      channel: 'wecom',
      earliestAt: at('2026-03-10T12:00:00+08:00'),
      dueAt: at('2026-03-10T15:30:00+08:00'),
      deadlineAt: at('2026-03-10T23:59:00+08:00'),
      assigneeId: 'guwen.chen',
      assigneeRule: 'responsible',
      maxAttempts: 2,
    });
    expect(waiting).toEqual([]);
  });

  it.each([
    ['2026-03-10T09:20:00+08:00', '2026-03-10T10:00:00+08:00'],
    ['2026-03-10T10:45:00+08:00', '2026-03-10T10:45:00+08:00'],
    ['2026-03-10T11:30:00+08:00', '2026-03-10T15:30:00+08:00'],
    ['2026-03-10T16:59:00+08:00', '2026-03-10T16:59:00+08:00'],
  ])('a call logged at %s is due at %s (inside 10:00–11:30 / 15:30–17:00)', (logged, due) => {
    // 第五条 3「上午10:00-11:30，下午3:30-5:00，是较好的约电时间」 (a window ends before its end minute)
    const { planned } = plan(P8, inboundCall(logged), org);

    expect(step(planned, 'inbound_same_day').dueAt).toEqual(at(due));
  });

  it.each(['2026-03-10T17:30:00+08:00', '2026-03-10T20:00:00+08:00'])('calls a caller logged at %s back the same evening: the same-day deadline wins over the preferred hours', (logged) => {
    // 第一条 1「当日来电客户当日电话回访」 over 第五条 3「上午10:00-11:30，下午3:30-5:00，是较好的约电时间」:
    // no window is left that day, and a due time is never after its own deadline.
    const { planned } = plan(P8, inboundCall(logged), org);

    expect(step(planned, 'inbound_same_day')).toMatchObject({
      earliestAt: at(logged),
      dueAt: at(logged),
      deadlineAt: at('2026-03-10T23:59:00+08:00'),
    });
  });

  it('still waits for the window when it opens before the deadline (a good prospect logged at 20:00 is called again at 10:00 the next day)', () => {
    // 第一条 2「优质来电客户三日内再次电话邀约」: the preferred hours hold whenever they can.
    const { planned } = plan(P8, inboundCall('2026-03-10T20:00:00+08:00', { quality: 'good' }), org);

    expect(step(planned, 'inbound_recall').dueAt).toEqual(at('2026-03-11T10:00:00+08:00'));
  });

  it('calls a good prospect again within 3 days, then weekly until they visit (at most 52 weeks)', () => {
    // 第一条 2「优质来电客户三日内再次电话邀约」; 3「优质来电客户三日内邀约后，每周定期电话邀约，直到其来访」
    const { planned } = plan(P8, inboundCall('2026-03-10T12:00:00+08:00', { quality: 'good' }), org);

    expect(step(planned, 'inbound_recall')).toMatchObject({
      earliestAt: at('2026-03-11T10:00:00+08:00'),
      dueAt: at('2026-03-11T10:00:00+08:00'),
      deadlineAt: at('2026-03-13T23:59:00+08:00'),
      assigneeId: 'guwen.chen',
    });
    const weekly = planned.filter((p) => p.step.startsWith('inbound_weekly_'));
    expect(weekly).toHaveLength(52);
    expect(weekly[0]).toMatchObject({
      step: 'inbound_weekly_1',
      title: '优质来电客户每周邀约（第1次）',
      earliestAt: at('2026-03-18T10:00:00+08:00'),
      dueAt: at('2026-03-18T10:00:00+08:00'),
      deadlineAt: at('2026-03-24T23:59:00+08:00'),
    });
    expect(weekly[11]).toMatchObject({
      step: 'inbound_weekly_12',
      earliestAt: at('2026-06-03T10:00:00+08:00'),
      deadlineAt: at('2026-06-09T23:59:00+08:00'),
    });
  });

  it('plans no weekly invitation after the caller has visited (repeat.until: milestone:visited)', () => {
    // 第一条 3「每周定期电话邀约，直到其来访」
    const facts = inboundCall('2026-03-10T12:00:00+08:00', { quality: 'good' });
    const visited = { ...facts, milestones: { visited: at('2026-04-01T10:00:00+08:00') } };

    const weekly = keys(plan(P8, visited, org).planned).filter((k) => k.startsWith('inbound_weekly_'));

    // The third invitation opens at 10:00 on the day of the visit: not after it, so it stays.
    expect(weekly).toEqual(['inbound_weekly_1', 'inbound_weekly_2', 'inbound_weekly_3']);
    expect(keys(plan(P8, { ...facts, milestones: { visited: at('2026-03-10T18:00:00+08:00') } }, org).planned)).toEqual(['inbound_same_day', 'inbound_recall']);
  });

  it('assigns another consultant when the responsible one has left', () => {
    // 「当日来电客户当日电话回访」 — the call must not be lost with the consultant.
    const { planned } = plan(P8, inboundCall('2026-03-10T12:00:00+08:00'), buildOrg(ESTATE, ['guwen.chen']));

    expect(step(planned, 'inbound_same_day')).toMatchObject({ assigneeId: 'guwen.liu', assigneeRule: 'role:sales_consultant' });
  });

  it('selects the steps by the case type itself: the source system need not send attributes.caseType', () => {
    const bare = { ...inboundCall('2026-03-10T12:00:00+08:00'), attributes: {} };

    expect(plan(P8, bare, org).planned.map((p) => p.step)).toEqual(plan(P8, inboundCall('2026-03-10T12:00:00+08:00'), org).planned.map((p) => p.step));
    expect(plan(P8, bare, org).planned.length).toBeGreaterThan(0);
  });
});

describe('P8 visitors (第二条)', () => {
  it('calls a key A visitor the same day, within 3 days, then every 3 days (at most 90 days)', () => {
    // 第二条(一) 1「当日A、B类来访客户，当日电话回访」; 2「A、B类来访客户三日内，再次电话回访」;
    // 3「A、B类客户定期回访，重点客户每三天电话回访」
    const { planned } = plan(P8, visit('2026-03-14T16:20:00+08:00', { grade: 'A', attention: 'key' }), org);

    expect(step(planned, 'visit_same_day')).toMatchObject({
      earliestAt: at('2026-03-14T16:20:00+08:00'),
      dueAt: at('2026-03-14T16:20:00+08:00'),
      deadlineAt: at('2026-03-14T23:59:00+08:00'),
      assigneeId: 'guwen.liu',
    });
    expect(step(planned, 'visit_recall')).toMatchObject({
      earliestAt: at('2026-03-15T10:00:00+08:00'),
      deadlineAt: at('2026-03-17T23:59:00+08:00'),
    });
    const key = planned.filter((p) => p.step.startsWith('visit_key_every_3_days_'));
    expect(key).toHaveLength(30);
    expect(key[0]).toMatchObject({ earliestAt: at('2026-03-18T10:00:00+08:00'), deadlineAt: at('2026-03-20T23:59:00+08:00') });
    expect(key[9]).toMatchObject({ step: 'visit_key_every_3_days_10', earliestAt: at('2026-04-14T10:00:00+08:00'), deadlineAt: at('2026-04-16T23:59:00+08:00') });
    expect(keys(planned).some((k) => k.startsWith('visit_weekly'))).toBe(false);
  });

  it('calls a hesitant B visitor weekly after the 3-day call instead', () => {
    // 第二条(一) 3「部分有抗性客户每周回访，持续其对项目的印象」
    const { planned } = plan(P8, visit('2026-03-14T16:20:00+08:00', { grade: 'B', attention: 'resistant' }), org);

    const weekly = planned.filter((p) => p.step.startsWith('visit_weekly_'));
    expect(weekly).toHaveLength(52);
    expect(weekly[0]).toMatchObject({ earliestAt: at('2026-03-22T10:00:00+08:00'), dueAt: at('2026-03-22T10:00:00+08:00'), deadlineAt: at('2026-03-28T23:59:00+08:00') });
    expect(keys(planned).some((k) => k.startsWith('visit_key'))).toBe(false);
  });

  it('calls a C visitor weekly from the visit, with no same-day call', () => {
    // 第二条(一) 4「C类客户，视客户每周安排回访，持续其对项目的感受」
    const { planned } = plan(P8, visit('2026-03-14T16:20:00+08:00', { grade: 'C' }), org);

    expect(planned.every((p) => p.step.startsWith('visit_c_weekly_'))).toBe(true);
    expect(planned).toHaveLength(52);
    const bought = { ...visit('2026-03-14T16:20:00+08:00', { grade: 'C' }), milestones: { purchased: at('2026-04-01T12:00:00+08:00') } };
    expect(keys(plan(P8, bought, org).planned)).toEqual(['visit_c_weekly_1', 'visit_c_weekly_2']);
    expect(step(planned, 'visit_c_weekly_1')).toMatchObject({
      earliestAt: at('2026-03-21T16:20:00+08:00'),
      dueAt: at('2026-03-21T16:20:00+08:00'),
      deadlineAt: at('2026-03-27T23:59:00+08:00'),
    });
  });

  it.each(['D', 'special'])('plans no call for a %s visitor (greetings only, a later feature)', (grade) => {
    // 第二条(一) 5「D类客户在重要节点及节日给予祝福，多以信息形式维护」;
    // 第二条(二) 1「只在项目重要节点时…告知…平时不要过于频繁的打扰客户」
    expect(plan(P8, visit('2026-03-14T16:20:00+08:00', { grade }), org)).toEqual({ planned: [], waiting: [] });
  });
});

describe('P8 buyers (第三条)', () => {
  it('congratulates a buyer the same day and then calls every half month (15 days) for a year', () => {
    // 第三条 1「成交客户当日电话回访，表示恭喜」; 2「定期回访，每半月以电话或信息形式回访客户」
    const { planned, waiting } = plan(P8, purchase('2026-01-31T15:00:00+08:00'), org);

    expect(step(planned, 'purchase_same_day')).toMatchObject({
      earliestAt: at('2026-01-31T15:00:00+08:00'),
      dueAt: at('2026-01-31T15:30:00+08:00'),
      deadlineAt: at('2026-01-31T23:59:00+08:00'),
      assigneeId: 'guwen.chen',
    });
    const fortnightly = planned.filter((p) => p.step.startsWith('purchase_fortnightly_'));
    expect(fortnightly).toHaveLength(24);
    expect(fortnightly[0]).toMatchObject({ earliestAt: at('2026-02-15T15:00:00+08:00'), dueAt: at('2026-02-15T15:30:00+08:00'), deadlineAt: at('2026-02-22T23:59:00+08:00') });
    expect(fortnightly[1]).toMatchObject({ earliestAt: at('2026-03-02T15:00:00+08:00') });
    expect(fortnightly[23]).toMatchObject({ step: 'purchase_fortnightly_24', earliestAt: at('2027-01-26T15:00:00+08:00') });
    expect(waiting).toEqual([
      { step: 'purchase_topped_out', anchor: 'milestone:toppedOut' },
      { step: 'purchase_handover', anchor: 'milestone:handover' },
    ]);
  });

  it('calls a buyer when the building is topped out', () => {
    // 第三条 3「重要节点以电话或信息回访客户，尤其是工程节点，通知其项目最新进度」; 第四条 2「如开盘、SP活动、封顶、交房」
    const { planned } = plan(P8, purchase('2026-01-31T15:00:00+08:00', { toppedOut: at('2026-06-18T08:30:00+08:00') }), org);

    expect(step(planned, 'purchase_topped_out')).toMatchObject({
      title: '工程节点回访（封顶）',
      earliestAt: at('2026-06-18T08:30:00+08:00'),
      dueAt: at('2026-06-18T10:00:00+08:00'),
      deadlineAt: at('2026-06-21T23:59:00+08:00'),
    });
  });
});

describe('P8 examples', () => {
  it('every example is a valid POST /api/v1/cases body of a P8 case type, and plans follow-ups', () => {
    const found = examples('P8');
    expect(found.map((e) => e.file)).toEqual(['P8-inbound-call.json', 'P8-purchase.json', 'P8-visit-grade-a.json']);
    for (const { file, body } of found) {
      expect(P8.caseTypes, file).toContain(body.type);
      expect(body.occurredAt, file).toMatch(/\+08:00$/);
      expect(plan(P8, factsFromBody(body, org), org).planned.length, file).toBeGreaterThan(0);
    }
  });
});
