// P11 设备售后回访 (seed 002 制度 11 and 13): the real pack, the real calendar, an after-sales department.
import { describe, expect, it } from 'vitest';
import type { CaseFacts } from '../../../../bot/core/model.js';
import { at, buildOrg, examples, facts, factsFromBody, keys, loadPack, plan, step, type OrgSpec } from './packs-b-helpers.js';

const P11 = loadPack('P11');

// 设备公司 (总经理) and its after-sales department (主管 = head, two engineers, one customer-service clerk).
const EQUIPMENT: OrgSpec = {
  departments: [
    { code: 'shebei', parent: null, head: 'zong.qin' },
    { code: 'shouhou', parent: 'shebei', head: 'zhuguan.lu' },
  ],
  staff: [
    { id: 'zong.qin', department: 'shebei', roles: ['manager'] },
    { id: 'zhuguan.lu', department: 'shouhou', roles: ['department_head', 'supervisor'], supervisor: 'zong.qin' },
    { id: 'gongcheng.ma', department: 'shouhou', roles: ['engineer'], supervisor: 'zhuguan.lu' },
    { id: 'gongcheng.hu', department: 'shouhou', roles: ['engineer'], supervisor: 'zhuguan.lu' },
    { id: 'kefu.xie', department: 'shouhou', roles: ['customer_service'], supervisor: 'zhuguan.lu' },
  ],
};
const org = buildOrg(EQUIPMENT);

function installation(occurredAt: string, attributes: Record<string, unknown> = {}): CaseFacts {
  return facts({
    type: 'equipment_installation',
    externalId: 'AZ-1',
    occurredAt: at(occurredAt),
    departmentId: 'shouhou',
    responsibleStaffId: 'gongcheng.ma',
    attributes: { ...attributes },
  });
}

function complaint(subjectStaffId: string, handled?: string): CaseFacts {
  return facts({
    type: 'equipment_complaint',
    externalId: 'TS-1',
    occurredAt: at('2026-05-06T09:40:00+08:00'),
    departmentId: 'shouhou',
    responsibleStaffId: 'zhuguan.lu',
    attributes: { subjectStaffId },
    milestones: handled ? { handled: at(handled) } : {},
  });
}

describe('P11 installation (制度11, 制度13 二 2)', () => {
  it('follows up one month after an installation on 31 January: from 28 February 2026 09:00 to 7 March (1 months + 7 days)', () => {
    // 制度11「设备安装调试后一个月，主要是了解设备运行情况」; 制度13「项目验收后第一个月进行首次回访」
    const { planned } = plan(P11, installation('2026-01-31T15:00:00+08:00'), org);

    expect(step(planned, 'install_first_month')).toMatchObject({
      earliestAt: at('2026-02-28T09:00:00+08:00'),
      dueAt: at('2026-02-28T09:00:00+08:00'),
      deadlineAt: at('2026-03-07T23:59:00+08:00'),
      assigneeId: 'gongcheng.ma',
      assigneeRule: 'responsible',
    });
  });

  it('visits every half year during a default 12-month warranty: at 6 and 12 months', () => {
    // 制度13「保修期内至少半年回访一次，保修期外进行不定期回访」 (no warranty length given → 12 months)
    const { planned } = plan(P11, installation('2026-01-31T15:00:00+08:00'), org);

    expect(keys(planned)).toEqual(['install_first_month', 'warranty_1', 'warranty_2']);
    expect(step(planned, 'warranty_1')).toMatchObject({
      title: '保修期内半年回访（第1次）',
      earliestAt: at('2026-07-31T09:00:00+08:00'),
      deadlineAt: at('2026-08-14T23:59:00+08:00'),
    });
    expect(step(planned, 'warranty_2')).toMatchObject({
      title: '保修期内半年回访（第2次）',
      earliestAt: at('2027-01-31T09:00:00+08:00'),
      deadlineAt: at('2027-02-14T23:59:00+08:00'),
    });
  });

  it.each([
    [24, 4, '2028-01-31T09:00:00+08:00'],
    [30, 5, '2028-07-31T09:00:00+08:00'],
    [36, 6, '2029-01-31T09:00:00+08:00'],
    [60, 10, '2031-01-31T09:00:00+08:00'],
  ])('repeats until the end of a %s-month warranty (%s visits, the last on %s): the length comes from the case', (months, count, last) => {
    // 制度13「保修期内至少半年回访一次」: every 6 months until warrantyMonths months after acceptance.
    const { planned } = plan(P11, installation('2026-01-31T15:00:00+08:00', { warrantyMonths: months }), org);

    const visits = planned.filter((p) => p.step.startsWith('warranty_'));
    expect(visits.map((v) => v.step)).toEqual(Array.from({ length: count }, (_, i) => `warranty_${i + 1}`));
    expect(visits[count - 1]!.earliestAt).toEqual(at(last));
  });

  it('keeps every visit inside the warranty: 15 months → 6 and 12; 59 → up to 54; a textual or missing length → 12 months; at most 120 months', () => {
    const visitsFor = (months: unknown) => keys(plan(P11, installation('2026-01-31T15:00:00+08:00', { warrantyMonths: months }), org).planned).filter((k) => k.startsWith('warranty'));

    expect(visitsFor(15)).toEqual(['warranty_1', 'warranty_2']);
    expect(visitsFor(18)).toEqual(['warranty_1', 'warranty_2', 'warranty_3']);
    expect(visitsFor(59)).toHaveLength(9);
    expect(visitsFor('24')).toEqual(['warranty_1', 'warranty_2']);
    expect(visitsFor(undefined)).toEqual(['warranty_1', 'warranty_2']);
    expect(visitsFor(0)).toEqual(['warranty_1', 'warranty_2']);
    expect(visitsFor(1200)).toHaveLength(20);
  });

  it('counts every half year from the acceptance date, not from the previous visit (31 Aug → 28 Feb → 31 Aug)', () => {
    // 「保修期内至少半年回访一次」 — no drift after a short February.
    const { planned } = plan(P11, installation('2026-08-31T10:00:00+08:00'), org);

    expect(step(planned, 'install_first_month')).toMatchObject({ earliestAt: at('2026-09-30T09:00:00+08:00'), deadlineAt: at('2026-10-07T23:59:00+08:00') });
    expect(step(planned, 'warranty_1').earliestAt).toEqual(at('2027-02-28T09:00:00+08:00'));
    expect(step(planned, 'warranty_2').earliestAt).toEqual(at('2027-08-31T09:00:00+08:00'));
  });
});

describe('P11 maintenance (制度13 二 3)', () => {
  it('follows up one month after maintenance on 31 March: 30 April 09:00 to 7 May', () => {
    // 「设备维护并交客户正常使用后第一个月进行维护回访」
    const maintenance = facts({
      type: 'equipment_maintenance',
      externalId: 'WH-1',
      occurredAt: at('2026-03-31T11:00:00+08:00'),
      departmentId: 'shouhou',
      responsibleStaffId: 'gongcheng.hu',
      attributes: {},
    });
    const { planned } = plan(P11, maintenance, org);

    expect(keys(planned)).toEqual(['maintenance_first_month']);
    expect(step(planned, 'maintenance_first_month')).toMatchObject({
      earliestAt: at('2026-04-30T09:00:00+08:00'),
      deadlineAt: at('2026-05-07T23:59:00+08:00'),
      assigneeId: 'gongcheng.hu',
    });
  });
});

describe('P11 complaints (制度13 二 4)', () => {
  it('waits until the complaint is handled', () => {
    // 「处理客户投诉后及时对客户进行回访」
    expect(plan(P11, complaint('gongcheng.hu'), org)).toEqual({ planned: [], waiting: [{ step: 'complaint_followup', anchor: 'milestone:handled' }] });
  });

  it('follows up after every handled complaint within 2 days, by customer service, never the engineer complained about', () => {
    // 「处理客户投诉后及时对客户进行回访，表达歉意，了解客户对处理方式与结果的态度和意见」
    const { planned } = plan(P11, complaint('gongcheng.hu', '2026-05-08T16:00:00+08:00'), org);

    expect(step(planned, 'complaint_followup')).toMatchObject({
      earliestAt: at('2026-05-08T16:00:00+08:00'),
      dueAt: at('2026-05-08T16:00:00+08:00'),
      deadlineAt: at('2026-05-10T23:59:00+08:00'),
      assigneeId: 'kefu.xie',
      assigneeRule: 'role:customer_service',
    });
    const aboutClerk = step(plan(P11, complaint('kefu.xie', '2026-05-08T16:00:00+08:00'), org).planned, 'complaint_followup');
    expect(aboutClerk).toMatchObject({ assigneeId: 'zhuguan.lu', assigneeRule: 'department_head' });
  });
});

describe('P11 examples', () => {
  it('every example is a valid POST /api/v1/cases body of a P11 case type, and plans follow-ups', () => {
    const found = examples('P11');
    expect(found.map((e) => e.file)).toEqual(['P11-complaint.json', 'P11-installation.json', 'P11-maintenance.json']);
    for (const { file, body } of found) {
      expect(P11.caseTypes, file).toContain(body.type);
      expect(plan(P11, factsFromBody(body, org), org).planned.length, file).toBeGreaterThan(0);
    }
    const installationExample = found.find((e) => e.file === 'P11-installation.json')!;
    expect(keys(plan(P11, factsFromBody(installationExample.body, org), org).planned)).toEqual([
      'install_first_month',
      'warranty_1',
      'warranty_2',
      'warranty_3',
      'warranty_4',
    ]);
  });
});
