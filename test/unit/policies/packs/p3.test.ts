// P3 琴行学生回访 (seed 000 第三篇) — templates/policies/P3.yaml against the real calendar.
import { describe, expect, it } from 'vitest';
import { exampleCase, loadPack, plan, step, tradeOrg } from './pack-helpers.js';

const P3 = loadPack('P3');

describe('P3 pack', () => {
  it('is one case per student and term, every student followed up', () => {
    expect(P3.id).toBe('P3');
    expect(P3.caseTypes).toEqual(['piano_term']);
    expect(P3.sampling).toBeUndefined();
    expect(P3.escalation).toEqual({ dissatisfiedTo: ['department_head', 'manager'], deadline: { amount: 7, unit: 'days' } });
  });
});

describe('P3 term follow-ups of a student under 10 (examples/P3-term.json, age 8)', () => {
  it('has the teacher call the family once every half term', () => {
    // 2「每个老师管理自己学生日常练习情况，对每名学生每半学期进行一次电话回访」
    const { planned } = plan(P3, exampleCase('P3-term'));

    expect(step(planned, 'half_term_call_1')).toMatchObject({
      action: 'STAFF_TASK',
      earliestAt: new Date('2026-04-26T11:00:00+08:00'),
      dueAt: new Date('2026-04-26T11:00:00+08:00'),
      deadlineAt: new Date('2026-05-03T23:59:00+08:00'),
      assigneeId: 'laoshi.lin',
      assigneeRule: 'responsible',
    });
    expect(step(planned, 'half_term_call_2')).toMatchObject({
      earliestAt: new Date('2026-06-28T11:00:00+08:00'),
      deadlineAt: new Date('2026-07-05T23:59:00+08:00'),
      assigneeId: 'laoshi.lin',
      assigneeRule: 'responsible',
    });
  });

  it('has the school call the parent for the 1–5 score of the teacher at the end of term, not the teacher', () => {
    // 1「年龄在10岁以下的学生直接致电给家长让其评分…评分1-5分」
    const { planned, waiting } = plan(P3, exampleCase('P3-term'));

    expect(step(planned, 'term_score_parent_call')).toMatchObject({
      action: 'STAFF_TASK',
      channel: 'wecom',
      earliestAt: new Date('2026-06-28T11:00:00+08:00'),
      deadlineAt: new Date('2026-07-05T23:59:00+08:00'),
      assigneeId: 'qiantai.tang',
      assigneeRule: 'role:customer_service',
      surveyKey: null,
    });
    expect(step(planned, 'term_score_parent_call').instructions).toContain('1-5分');
    expect(planned.map((p) => p.step)).toEqual(['half_term_call_1', 'half_term_call_2', 'term_score_parent_call']);
    expect(waiting.map((w) => w.step)).toEqual(['absence_1_contact', 'absence_2_teacher_call', 'absence_3_charge']);
  });

  it('never lets the scored teacher collect the score: a front-desk teacher’s own student goes to the head of the shop', () => {
    // 「让学生对老师做一次评分」: the teacher being scored must not ask for the score.
    const { planned } = plan(P3, exampleCase('P3-term', { responsibleStaff: 'qiantai.tang' }));

    expect(step(planned, 'term_score_parent_call')).toMatchObject({ assigneeId: 'dianzhang.chu', assigneeRule: 'department_head' });
    expect(step(planned, 'half_term_call_1')).toMatchObject({ assigneeId: 'qiantai.tang', assigneeRule: 'responsible' });
  });

  it('falls back to the head of the shop when the front desk has left', () => {
    const { planned } = plan(P3, exampleCase('P3-term'), tradeOrg({ inactive: ['qiantai.tang'] }));

    expect(step(planned, 'term_score_parent_call')).toMatchObject({ assigneeId: 'dianzhang.chu', assigneeRule: 'department_head' });
  });
});

describe('P3 term score of students aged 10 and over', () => {
  it('sends the 1–5 scoring survey when the last lesson ends, answerable until 23:59 that day', () => {
    // 1「其他学生直接在每月末的最后一节课结束后当场评分。评分1-5分」
    const { planned } = plan(P3, exampleCase('P3-term', { attributes: { age: 12 } }));

    expect(step(planned, 'term_score_survey')).toMatchObject({
      action: 'CUSTOMER_SURVEY',
      channel: 'wechat',
      surveyKey: 'satisfaction-5',
      earliestAt: new Date('2026-06-28T11:00:00+08:00'),
      dueAt: new Date('2026-06-28T11:00:00+08:00'),
      deadlineAt: new Date('2026-06-28T23:59:00+08:00'),
      assigneeId: null,
      maxAttempts: 1,
    });
    expect(planned.map((p) => p.step)).not.toContain('term_score_parent_call');
  });

  it('draws the line at 10: 9 → call the parent, 10 → survey', () => {
    // 「年龄在10岁以下」
    const nine = plan(P3, exampleCase('P3-term', { attributes: { age: 9 } })).planned.map((p) => p.step);
    const ten = plan(P3, exampleCase('P3-term', { attributes: { age: 10 } })).planned.map((p) => p.step);

    expect(nine).toContain('term_score_parent_call');
    expect(nine).not.toContain('term_score_survey');
    expect(ten).toContain('term_score_survey');
    expect(ten).not.toContain('term_score_parent_call');
  });

  it('counts any age below 10 as under 10, including a half year (9.5 → call the parent)', () => {
    // 「年龄在10岁以下的学生直接致电给家长让其评分」: age < 10, not a list of whole ages.
    const nineAndAHalf = plan(P3, exampleCase('P3-term', { attributes: { age: 9.5 } })).planned.map((p) => p.step);

    expect(nineAndAHalf).toContain('term_score_parent_call');
    expect(nineAndAHalf).not.toContain('term_score_survey');
  });
});

describe('P3 calling days: the 1st to the 30th of the month', () => {
  it('moves a call from the 31st to 09:00 on the 1st, but lets a same-day score survey go out on the 31st (its deadline wins)', () => {
    // p.s.「回访可在每月1-30号进行」
    const { planned } = plan(P3, exampleCase('P3-term', { attributes: { age: 12 }, milestones: { half_term: '2026-05-31T11:00:00+08:00', term_end: '2026-08-31T11:00:00+08:00' } }));

    expect(step(planned, 'half_term_call_1')).toMatchObject({
      earliestAt: new Date('2026-05-31T11:00:00+08:00'),
      dueAt: new Date('2026-06-01T09:00:00+08:00'),
      deadlineAt: new Date('2026-06-07T23:59:00+08:00'),
    });
    expect(step(planned, 'term_score_survey')).toMatchObject({ dueAt: new Date('2026-08-31T11:00:00+08:00'), deadlineAt: new Date('2026-08-31T23:59:00+08:00') });
  });

  it('calls on the 30th as on any other day', () => {
    const { planned } = plan(P3, exampleCase('P3-term', { milestones: { half_term: '2026-04-30T11:00:00+08:00', term_end: '2026-06-28T11:00:00+08:00' } }));

    expect(step(planned, 'half_term_call_1').dueAt).toEqual(new Date('2026-04-30T11:00:00+08:00'));
  });
});

describe('P3 unannounced absences (examples/P3-absence.json)', () => {
  it('1st: the school contacts at once; 2nd: the teacher calls; 3rd: one lesson is charged', () => {
    // 3「当次课程没来上的学生琴行要马上联系协调；两次课程没来上的学生本科目老师要电话询问原因，并作协调；
    //   三次课程没来上的学生直接记课一节并作协调」
    const { planned, waiting } = plan(P3, exampleCase('P3-absence'));

    expect(step(planned, 'absence_1_contact')).toMatchObject({
      earliestAt: new Date('2026-03-22T15:00:00+08:00'),
      deadlineAt: new Date('2026-03-23T15:00:00+08:00'),
      assigneeId: 'qiantai.tang',
      assigneeRule: 'role:customer_service',
    });
    expect(step(planned, 'absence_2_teacher_call')).toMatchObject({
      earliestAt: new Date('2026-04-12T15:00:00+08:00'),
      deadlineAt: new Date('2026-04-13T23:59:00+08:00'),
      assigneeId: 'laoshi.lin',
      assigneeRule: 'responsible',
    });
    expect(step(planned, 'absence_3_charge')).toMatchObject({
      earliestAt: new Date('2026-05-17T15:00:00+08:00'),
      deadlineAt: new Date('2026-05-18T23:59:00+08:00'),
      assigneeId: 'qiantai.tang',
    });
    // Age 13 and no term end yet: the end-of-term steps wait for it.
    expect(waiting).toEqual([
      { step: 'half_term_call_2', anchor: 'milestone:term_end' },
      { step: 'term_score_survey', anchor: 'milestone:term_end' },
    ]);
  });

  it('plans only the absences that happened', () => {
    const { planned, waiting } = plan(P3, exampleCase('P3-absence', { dropMilestones: ['absence_2', 'absence_3'] }));

    expect(planned.map((p) => p.step)).toEqual(['half_term_call_1', 'absence_1_contact']);
    expect(waiting.map((w) => w.step)).toEqual(['half_term_call_2', 'term_score_survey', 'absence_2_teacher_call', 'absence_3_charge']);
  });
});
