// P7 物业投诉回访 (seeds 002 制度22, 003) — the existing templates/policies/P7.yaml, planned for
// examples/P7-complaint.json with the real calendar and the example property company.
import { describe, expect, it } from 'vitest';
import { exampleOrg } from '../../../support/org-snapshot.js';
import { exampleCase, loadPack, plan, step } from './pack-helpers.js';

const P7 = loadPack('P7');
const estate = exampleOrg();

describe('P7 complaint follow-up (examples/P7-complaint.json)', () => {
  it('follows up within 3 days after the complaint is handled, by the property assistant', () => {
    // 002 制度22「投诉处理完毕后3天内回访，回访率100%」; 003「一般投诉由物业助理回访」
    const { planned, waiting } = plan(P7, exampleCase('P7-complaint', {}, estate), estate);

    expect(planned).toHaveLength(1);
    expect(step(planned, 'complaint_followup')).toMatchObject({
      earliestAt: new Date('2026-11-05T14:00:00+08:00'),
      dueAt: new Date('2026-11-05T14:00:00+08:00'),
      deadlineAt: new Date('2026-11-08T23:59:00+08:00'),
      assigneeId: 'zhuli.wu',
      assigneeRule: 'responsible',
      sampling: { kept: true, rate: 1, reason: 'every case is followed up (100 %)' },
    });
    expect(waiting).toEqual([]);
  });

  it('waits until the complaint is handled', () => {
    const { planned, waiting } = plan(P7, exampleCase('P7-complaint', { dropMilestones: ['handled'] }, estate), estate);

    expect(planned).toEqual([]);
    expect(waiting).toEqual([{ step: 'complaint_followup', anchor: 'milestone:handled' }]);
  });

  it('never gives the follow-up to the assistant complained about', () => {
    // POLICIES.md: 「never the person complained about」 — the other property assistant takes it.
    const { planned } = plan(P7, exampleCase('P7-complaint', { subjectStaff: 'zhuli.wu' }, estate), estate);

    expect(step(planned, 'complaint_followup')).toMatchObject({ assigneeId: 'zhuli.zheng', assigneeRule: 'role:property_assistant' });
  });

  it('escalates the assignee with the severity: important → supervisor, major → manager', () => {
    // 003「重要投诉由部门主管回访，重大投诉由经理回访」
    const important = plan(P7, exampleCase('P7-complaint', { attributes: { severity: 'important' } }, estate), estate);
    const major = plan(P7, exampleCase('P7-complaint', { attributes: { severity: 'major' } }, estate), estate);

    expect(step(important.planned, 'complaint_followup')).toMatchObject({ assigneeId: 'zhuguan.sun', assigneeRule: 'department_head' });
    expect(step(major.planned, 'complaint_followup')).toMatchObject({ assigneeId: 'jingli.zhao', assigneeRule: 'manager' });
  });
});

describe('P7 repairs (examples/P7-repair.json)', () => {
  it('calls one to two months after the repair is completed, by the area property assistant, 30 % sampled', () => {
    // 002 制度22「维修工程的回访，应在完成维修工程一个月后，两个月内进行」「维修服务…的回访率要求分别达到30%」;
    // 003 1.4「维修工程处理完毕后一个月内进行回访，回访率达30%，具体由责任区物业助理负责」
    const { planned } = plan(P7, exampleCase('P7-repair', {}, estate), estate);

    expect(step(planned, 'repair_followup')).toMatchObject({
      earliestAt: new Date('2026-11-14T09:00:00+08:00'),
      deadlineAt: new Date('2026-12-14T23:59:00+08:00'),
      assigneeId: 'zhuli.wu',
      sampling: { kept: true, rate: 0.3 },
    });
    expect(planned.map((p) => p.step).sort()).toEqual(['repair_followup', 'repair_spot_check']);
  });

  it('draws about 30 % of repairs for the call and, independently, 5 % for the monthly work-order check', () => {
    // 002 制度16 第7条「每月抽查派工单的5%，由维修主管和服务中心主管进行电话回访」
    let kept = 0;
    let checked = 0;
    for (let i = 0; i < 1000; i++) {
      const { planned } = plan(P7, exampleCase('P7-repair', { externalId: `WX-${i}` }, estate), estate);
      if (step(planned, 'repair_followup').sampling.kept) kept += 1;
      if (step(planned, 'repair_spot_check').sampling.kept) checked += 1;
    }
    expect(kept).toBeGreaterThan(250);
    expect(kept).toBeLessThan(350);
    expect(checked).toBeGreaterThan(25);
    expect(checked).toBeLessThan(80);
    const { planned } = plan(P7, exampleCase('P7-repair', {}, estate), estate);
    // The check is by the service-centre head, within the month the repair was completed.
    expect(step(planned, 'repair_spot_check')).toMatchObject({ assigneeId: 'zhuguan.sun', deadlineAt: new Date('2026-10-31T23:59:00+08:00') });
  });

  it('waits until the repair is completed', () => {
    const { planned, waiting } = plan(P7, exampleCase('P7-repair', { dropMilestones: ['completed'] }, estate), estate);
    expect(planned).toEqual([]);
    expect(waiting.map((w) => w.step).sort()).toEqual(['repair_followup', 'repair_spot_check']);
  });
});

describe('P7 community activities (examples/P7-community-activity.json)', () => {
  it('follows up within one month after the activity, 10 % of households, by the property assistant', () => {
    // 003 1.5「组织文体活动结束后一个月内进行回访，回访率达10%，具体由社区文化文员（物业助理）负责」
    const { planned } = plan(P7, exampleCase('P7-community-activity', {}, estate), estate);

    expect(planned).toHaveLength(1);
    expect(step(planned, 'activity_followup')).toMatchObject({
      earliestAt: new Date('2026-11-21T17:00:00+08:00'),
      deadlineAt: new Date('2026-12-21T23:59:00+08:00'),
      assigneeId: 'zhuli.zheng',
      sampling: { kept: true, rate: 0.1 },
    });
  });
});

describe('P7 full surveys in July and January (examples/P7-full-survey.json)', () => {
  it('sends every household of the round a questionnaire, answerable to the end of the month', () => {
    // 002 制度17「全面回访每年进行两次，定在七月和来年的元月份进行，采取问卷形式」
    const january = plan(P7, exampleCase('P7-full-survey', {}, estate), estate);
    expect(january.planned).toHaveLength(1);
    expect(step(january.planned, 'full_survey')).toMatchObject({
      action: 'CUSTOMER_SURVEY',
      surveyKey: 'satisfaction-5',
      earliestAt: new Date('2027-01-04T09:00:00+08:00'),
      deadlineAt: new Date('2027-01-31T23:59:00+08:00'),
      sampling: { kept: true },
    });
    const july = plan(P7, exampleCase('P7-full-survey', { externalId: 'QM-2026-07-O-0101', occurredAt: '2026-07-01T09:00:00+08:00' }, estate), estate);
    expect(step(july.planned, 'full_survey').deadlineAt).toEqual(new Date('2026-07-31T23:59:00+08:00'));
  });

  it('keeps each duty to its own case type: a complaint gets no survey, repair or activity call', () => {
    const { planned } = plan(P7, exampleCase('P7-complaint', {}, estate), estate);
    expect(planned.map((p) => p.step)).toEqual(['complaint_followup']);
  });
});
