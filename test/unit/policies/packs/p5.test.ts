// P5 装饰工程回访 (seed 002 客户回访制度 4) — templates/policies/P5.yaml against the real calendar.
import { describe, expect, it } from 'vitest';
import { exampleCase, loadPack, plan, step, tradeOrg } from './pack-helpers.js';

const P5 = loadPack('P5');

/** [key, earliest, deadline] of every planned follow-up, in +08:00 strings compared as instants. */
function schedule(planned: readonly { step: string; earliestAt: Date; deadlineAt: Date }[]) {
  return planned.map((p) => [p.step, p.earliestAt.getTime(), p.deadlineAt.getTime()]);
}
const row = (key: string, earliest: string, deadline: string) => [key, new Date(earliest).getTime(), new Date(deadline).getTime()];

describe('P5 pack', () => {
  it('follows up every project (the 90 % coverage target is a report, not a sample)', () => {
    // 「每个在施工程至少回访3次（施工阶段2次，竣工后1次），回访率到达…90%」
    expect(P5.id).toBe('P5');
    expect(P5.caseTypes).toEqual(['decoration_project']);
    expect(P5.sampling).toBeUndefined();
    expect(P5.steps.every((s) => s.excludeResponsible === true)).toBe(true);
  });
});

describe('P5 construction follow-ups (examples/P5-decoration-project.json)', () => {
  it('calls about 10 days after the start, within 3 days of the mid-payment and within 10 days of completion', () => {
    // 「前期回访：一般为工程开工后10日左右」「中期回访：客户交纳工程中期款后3日内」
    // 「竣工回访：整体工程竣工、客户交纳全部工程款且办理完相关保修手续后10日内」
    const { planned, waiting } = plan(P5, exampleCase('P5-decoration-project'));

    expect(step(planned, 'early_call')).toMatchObject({
      earliestAt: new Date('2025-08-12T09:00:00+08:00'),
      dueAt: new Date('2025-08-12T09:00:00+08:00'),
      deadlineAt: new Date('2025-08-16T23:59:00+08:00'),
      assigneeId: 'kefu.fang',
      assigneeRule: 'role:customer_service',
      sampling: { kept: true, rate: 1 },
    });
    expect(step(planned, 'mid_call')).toMatchObject({
      earliestAt: new Date('2025-09-12T17:45:00+08:00'),
      deadlineAt: new Date('2025-09-15T23:59:00+08:00'),
      assigneeId: 'kefu.fang',
    });
    expect(step(planned, 'completion_call')).toMatchObject({
      earliestAt: new Date('2025-11-01T09:00:00+08:00'),
      deadlineAt: new Date('2025-11-10T23:59:00+08:00'),
      assigneeId: 'kefu.fang',
    });
    expect(waiting).toEqual([]);
  });

  it('never assigns the project manager whose work the call checks', () => {
    // 「施工期间向客户询问对设计师、巡检、项目经理的各阶段工作是否满意」
    const pmIsHead = exampleCase('P5-decoration-project', { responsibleStaff: 'gongcheng.jingli' });
    const { planned } = plan(P5, pmIsHead, tradeOrg({ inactive: ['kefu.fang'] }));

    for (const p of planned) expect(p).toMatchObject({ assigneeId: 'deco.zong', assigneeRule: 'department_head' });
  });

  it('waits for the mid-payment and completion before planning their calls and the warranty', () => {
    const { planned, waiting } = plan(P5, exampleCase('P5-decoration-project', { dropMilestones: ['mid_payment', 'completed', 'final_payment', 'warranty_signed'] }));

    expect(planned.map((p) => p.step)).toEqual(['early_call']);
    expect(waiting).toEqual([
      { step: 'mid_call', anchor: 'milestone:mid_payment' },
      { step: 'completion_call', anchor: 'latestOf(milestone:completed, milestone:final_payment, milestone:warranty_signed)' },
      { step: 'warranty_call', anchor: 'latestOf(milestone:completed, milestone:final_payment, milestone:warranty_signed)' },
    ]);
  });

  it('counts the completion call from the latest of completion, final payment and warranty formalities', () => {
    // 「竣工回访：整体工程竣工、客户交纳全部工程款且办理完相关保修手续后10日内」
    const latestIsWarranty = plan(
      P5,
      exampleCase('P5-decoration-project', { milestones: { completed: '2025-10-28T16:00:00+08:00', final_payment: '2025-10-30T10:00:00+08:00', warranty_signed: '2025-11-04T15:00:00+08:00' } }),
    );
    expect(step(latestIsWarranty.planned, 'completion_call')).toMatchObject({
      earliestAt: new Date('2025-11-05T09:00:00+08:00'),
      deadlineAt: new Date('2025-11-14T23:59:00+08:00'),
    });
    expect(step(latestIsWarranty.planned, 'warranty_call_1').earliestAt).toEqual(new Date('2026-02-04T09:00:00+08:00'));

    // Built and paid, but the warranty formalities are not done yet: nothing is planned from completion.
    const unpaid = plan(P5, exampleCase('P5-decoration-project', { dropMilestones: ['warranty_signed'] }));
    expect(unpaid.planned.map((p) => p.step)).toEqual(['early_call', 'mid_call']);
    expect(unpaid.waiting.map((w) => w.step)).toEqual(['completion_call', 'warranty_call']);
  });
});

describe('P5 warranty recurrence: quarterly in year 1, half-yearly in year 2, yearly after', () => {
  it('plans 4 + 2 + 3 calls from the completion on 31 October 2025; 31 January + 1 month ends on 28 February', () => {
    // 「质保期回访频率：一年内客户每季度电话回访一次；两年内客户每半年电话回访一次；两年以上客户每一年电话回访一次」
    const { planned } = plan(P5, exampleCase('P5-decoration-project'));
    const warranty = planned.filter((p) => p.step.startsWith('warranty_call_'));

    expect(schedule(warranty)).toEqual([
      row('warranty_call_1', '2026-01-31T09:00:00+08:00', '2026-02-28T23:59:00+08:00'),
      row('warranty_call_2', '2026-04-30T09:00:00+08:00', '2026-05-30T23:59:00+08:00'),
      row('warranty_call_3', '2026-07-31T09:00:00+08:00', '2026-08-31T23:59:00+08:00'),
      row('warranty_call_4', '2026-10-31T09:00:00+08:00', '2026-11-30T23:59:00+08:00'),
      row('warranty_call_5', '2027-04-30T09:00:00+08:00', '2027-05-30T23:59:00+08:00'),
      row('warranty_call_6', '2027-10-31T09:00:00+08:00', '2027-11-30T23:59:00+08:00'),
      row('warranty_call_7', '2028-10-31T09:00:00+08:00', '2028-11-30T23:59:00+08:00'),
      row('warranty_call_8', '2029-10-31T09:00:00+08:00', '2029-11-30T23:59:00+08:00'),
      row('warranty_call_9', '2030-10-31T09:00:00+08:00', '2030-11-30T23:59:00+08:00'),
    ]);
    expect(warranty.map((p) => p.title)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => `质保期电话回访（第${n}次）`));
    for (const p of warranty) expect(p).toMatchObject({ assigneeId: 'kefu.fang', action: 'STAFF_TASK', sampling: { kept: true } });
  });

  it('counts every occurrence from the completion, so a project completed on 29 February 2024 keeps the 29th where it exists', () => {
    // Leap day: +3/+6/+9 months → 29th; +1 year → 28 Feb 2025; +2 years → 28 Feb 2026; +4 years → 29 Feb 2028.
    const { planned } = plan(
      P5,
      exampleCase('P5-decoration-project', {
        occurredAt: '2023-11-20T08:30:00+08:00',
        milestones: { mid_payment: '2024-01-10T10:00:00+08:00', completed: '2024-02-29T15:00:00+08:00', final_payment: '2024-02-29T15:00:00+08:00', warranty_signed: '2024-02-29T15:00:00+08:00' },
      }),
    );

    expect(step(planned, 'completion_call')).toMatchObject({
      earliestAt: new Date('2024-03-01T09:00:00+08:00'),
      deadlineAt: new Date('2024-03-10T23:59:00+08:00'),
    });
    expect(schedule(planned.filter((p) => p.step.startsWith('warranty_call_')))).toEqual([
      row('warranty_call_1', '2024-05-29T09:00:00+08:00', '2024-06-29T23:59:00+08:00'),
      row('warranty_call_2', '2024-08-29T09:00:00+08:00', '2024-09-29T23:59:00+08:00'),
      row('warranty_call_3', '2024-11-29T09:00:00+08:00', '2024-12-29T23:59:00+08:00'),
      row('warranty_call_4', '2025-02-28T09:00:00+08:00', '2025-03-28T23:59:00+08:00'),
      row('warranty_call_5', '2025-08-29T09:00:00+08:00', '2025-09-29T23:59:00+08:00'),
      row('warranty_call_6', '2026-02-28T09:00:00+08:00', '2026-03-28T23:59:00+08:00'),
      row('warranty_call_7', '2027-02-28T09:00:00+08:00', '2027-03-28T23:59:00+08:00'),
      row('warranty_call_8', '2028-02-29T09:00:00+08:00', '2028-03-29T23:59:00+08:00'),
      row('warranty_call_9', '2029-02-28T09:00:00+08:00', '2029-03-28T23:59:00+08:00'),
    ]);
  });

  it('gives every project at least three calls (two during construction, one after completion)', () => {
    // 「每个在施工程至少回访3次（施工阶段2次，竣工后1次）」
    const { planned } = plan(P5, exampleCase('P5-decoration-project'));

    expect(planned.filter((p) => ['early_call', 'mid_call', 'completion_call'].includes(p.step))).toHaveLength(3);
    expect(planned).toHaveLength(12);
  });
});
