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
