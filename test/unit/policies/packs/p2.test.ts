// P2 供电客户回访 (seed 000 第二篇 + seed 001) — templates/policies/P2.yaml against the real calendar
// (chinese-days: 2025 国庆 Oct 1–8 off, Sep 28 and Oct 11 worked; 2026 春节 Feb 15–23 off, Feb 14 and Feb 28 worked).
import { describe, expect, it } from 'vitest';
import type { CaseFacts } from '../../../../bot/core/model.js';
import { decideSampling } from '../../../../bot/core/policies/sampling.js';
import { calendar, exampleCase, loadPack, plan, step, tradeOrg } from './pack-helpers.js';

const P2 = loadPack('P2');

/** Every business for which 001 第五条 says 「必须逐户回访」, with the milestone its step waits for. */
const MANDATORY_BUSINESS: readonly { business: string; milestones: Record<string, string> }[] = [
  { business: 'new_install', milestones: { meter_archived: '2026-06-02T10:00:00+08:00' } },
  { business: 'capacity_change', milestones: { meter_archived: '2026-06-02T10:00:00+08:00' } },
  { business: 'fault_repair', milestones: { repair_archived: '2026-06-02T10:00:00+08:00' } },
  { business: 'complaint_phone', milestones: { handled: '2026-06-02T10:00:00+08:00' } },
  { business: 'complaint_written', milestones: {} },
  { business: 'report_written', milestones: {} },
];

describe('P2 pack', () => {
  it('is one case type whose steps are chosen by the business attribute', () => {
    expect(P2.id).toBe('P2');
    expect(P2.caseTypes).toEqual(['power_service']);
    expect(P2.sampling).toBeUndefined();
    expect(P2.steps.map((s) => s.key)).toEqual([
      'business_acceptance_call',
      'fault_repair_call',
      'fault_repair_call_disaster',
      'complaint_call',
      'written_complaint_reply',
      'written_report_reply',
      'large_customer_visit',
      'lianxinka_card',
      'general_call',
    ]);
  });
});

describe('P2 business acceptance: 7 working days after the meter installation is archived', () => {
  it('skips the National Day week and counts the make-up Saturday 11 October (archived 2025-09-30, examples/P2-new-install.json)', () => {
    // 001 第十四条「业务受理：在装表接电完成归档后的7个工作日内，完成客户回访工作」
    // Oct 1–8 are holidays; working days: Oct 9, 10, 11 (Sat, 调休), 13, 14, 15, 16.
    expect(calendar.dayInfo('2025-10-11')).toMatchObject({ kind: 'makeup_workday', isWorkingDay: true });
    const { planned, waiting } = plan(P2, exampleCase('P2-new-install'));

    expect(planned).toHaveLength(1);
    expect(step(planned, 'business_acceptance_call')).toMatchObject({
      action: 'STAFF_TASK',
      earliestAt: new Date('2025-09-30T16:20:00+08:00'),
      dueAt: new Date('2025-09-30T16:20:00+08:00'),
      deadlineAt: new Date('2025-10-16T23:59:00+08:00'),
      assigneeId: 'kefu.sun',
      assigneeRule: 'role:customer_service',
      sampling: { kept: true, rate: 1 },
    });
    expect(waiting).toEqual([]);
  });

  it('counts both National Day make-up days (Sun 28 Sep and Sat 11 Oct) when archived on Friday 26 September 2025', () => {
    // 「7个工作日内」: Sep 28 (Sun, 调休), 29, 30, Oct 9, 10, 11 (Sat, 调休), 13.
    const { planned } = plan(P2, exampleCase('P2-new-install', { milestones: { meter_archived: '2025-09-26T17:00:00+08:00' } }));

    expect(step(planned, 'business_acceptance_call').deadlineAt).toEqual(new Date('2025-10-13T23:59:00+08:00'));
  });

  it('counts both Spring Festival make-up Saturdays (14 and 28 February 2026) when archived on 12 February 2026', () => {
    // 「7个工作日内」: Feb 13, 14 (Sat, 调休), [15–23 春节], 24, 25, 26, 27, 28 (Sat, 调休).
    expect(calendar.dayInfo('2026-02-14')).toMatchObject({ kind: 'makeup_workday', isWorkingDay: true });
    expect(calendar.dayInfo('2026-02-28')).toMatchObject({ kind: 'makeup_workday', isWorkingDay: true });
    const { planned } = plan(P2, exampleCase('P2-new-install', { externalId: 'YK-2026-02-0031', milestones: { meter_archived: '2026-02-12T11:00:00+08:00' } }));

    expect(step(planned, 'business_acceptance_call')).toMatchObject({
      earliestAt: new Date('2026-02-12T11:00:00+08:00'),
      deadlineAt: new Date('2026-02-28T23:59:00+08:00'),
    });
  });

  it('waits for the archive milestone before planning the call', () => {
    const { planned, waiting } = plan(P2, exampleCase('P2-new-install', { dropMilestones: ['meter_archived'] }));

    expect(planned).toEqual([]);
    expect(waiting).toEqual([{ step: 'business_acceptance_call', anchor: 'milestone:meter_archived' }]);
  });
});

describe('P2 fault repair: 24 hours after the repair is archived (48 in a natural disaster)', () => {
  it('gives a repair archived at 23:59 local exactly 24 hours: 23:59 the next day, 15:59 UTC (examples/P2-fault-repair.json)', () => {
    // 001 第十五条「供电抢修：在抢修任务结束归档后的24小时内，完成客户回访工作」
    const { planned } = plan(P2, exampleCase('P2-fault-repair'));
    const call = step(planned, 'fault_repair_call');

    expect(call).toMatchObject({
      earliestAt: new Date('2026-03-10T23:59:00+08:00'),
      dueAt: new Date('2026-03-10T23:59:00+08:00'),
      deadlineAt: new Date('2026-03-11T23:59:00+08:00'),
      assigneeId: 'kefu.sun',
      assigneeRule: 'role:customer_service',
    });
    expect(call.earliestAt.toISOString()).toBe('2026-03-10T15:59:00.000Z');
    expect(call.deadlineAt.toISOString()).toBe('2026-03-11T15:59:00.000Z');
    expect(planned.map((p) => p.step)).toEqual(['fault_repair_call']);
  });

  it('counts exact hours, seconds included, not calendar days', () => {
    const { planned } = plan(P2, exampleCase('P2-fault-repair', { milestones: { repair_archived: '2026-03-10T23:59:30+08:00' } }));

    expect(step(planned, 'fault_repair_call').deadlineAt).toEqual(new Date('2026-03-11T23:59:30+08:00'));
  });

  it('extends to 48 hours when a natural disaster caused wide outages', () => {
    // 001 第十五条「特殊情况（与自然灾害造成大面积故障时）可延长至48小时内完成」
    const { planned } = plan(P2, exampleCase('P2-fault-repair', { attributes: { naturalDisaster: true } }));

    expect(planned.map((p) => p.step)).toEqual(['fault_repair_call_disaster']);
    expect(step(planned, 'fault_repair_call_disaster')).toMatchObject({
      earliestAt: new Date('2026-03-10T23:59:00+08:00'),
      deadlineAt: new Date('2026-03-12T23:59:00+08:00'),
    });
  });
});

describe('P2 complaints and reports', () => {
  it('replies to a written complaint within 5 working days of receipt, across the Spring Festival (examples/P2-complaint-written.json)', () => {
    // 001 第十六条「在接到函件后的5-10个工作日（投诉5个工作日、举报10个工作日）内，完成客户复函工作」
    // Received Fri 13 Feb 2026: Feb 14 (Sat, 调休), [15–23 春节], 24, 25, 26, 27.
    const { planned } = plan(P2, exampleCase('P2-complaint-written'));

    expect(planned.map((p) => p.step)).toEqual(['written_complaint_reply']);
    expect(step(planned, 'written_complaint_reply')).toMatchObject({
      earliestAt: new Date('2026-02-13T10:00:00+08:00'),
      deadlineAt: new Date('2026-02-27T23:59:00+08:00'),
      assigneeId: 'yingxiao.wu',
      assigneeRule: 'role:customer_service',
    });
  });

  it('never assigns the reply to the person complained about', () => {
    // POLICIES.md cross-cutting: 「never the person complained about」
    const { planned } = plan(P2, exampleCase('P2-complaint-written', { subjectStaff: 'yingxiao.wu' }));

    expect(step(planned, 'written_complaint_reply')).toMatchObject({ assigneeId: 'yingxiao.zhuren', assigneeRule: 'department_head' });
  });

  it('replies to a written report within 10 working days (examples/P2-report-written.json)', () => {
    // 「举报10个工作日」: Feb 14, 24, 25, 26, 27, 28 (Sat, 调休), Mar 2, 3, 4, 5.
    const { planned } = plan(P2, exampleCase('P2-report-written'));

    expect(planned.map((p) => p.step)).toEqual(['written_report_reply']);
    expect(step(planned, 'written_report_reply')).toMatchObject({
      earliestAt: new Date('2026-02-13T15:30:00+08:00'),
      deadlineAt: new Date('2026-03-05T23:59:00+08:00'),
    });
  });

  it('calls a phone complainant within 5 working days after handling, across May Day 2026 and its make-up Saturday 9 May', () => {
    // 001 第五条「投诉客户…必须逐户回访」, 第六条「电话投诉客户…可实行电话回访」 (5 working days: this pack's parameter)
    // Handled Thu 30 Apr: [May 1–5 劳动节], May 6, 7, 8, 9 (Sat, 调休), 11.
    const { planned } = plan(
      P2,
      exampleCase('P2-fault-repair', {
        externalId: 'TS-2026-04-0912',
        attributes: { business: 'complaint_phone' },
        dropMilestones: ['repair_archived'],
        milestones: { handled: '2026-04-30T10:00:00+08:00' },
      }),
    );

    expect(step(planned, 'complaint_call')).toMatchObject({
      earliestAt: new Date('2026-04-30T10:00:00+08:00'),
      deadlineAt: new Date('2026-05-11T23:59:00+08:00'),
    });
  });
});

describe('P2 mandatory categories and the 10 % sample of other customers', () => {
  it('follows up every mandatory business at 100 %, whatever the external id', () => {
    // 001 第五条「对于新装及变更业务客户、投诉客户、故障报修客户…必须逐户回访」
    for (const { business, milestones } of MANDATORY_BUSINESS) {
      for (let i = 0; i < 50; i++) {
        const { planned } = plan(P2, exampleCase('P2-report-written', { externalId: `M-${business}-${i}`, attributes: { business }, milestones }));
        expect(planned, business).toHaveLength(1);
        expect(planned[0]!.sampling, business).toEqual({ kept: true, reason: 'every case is followed up (100 %)', rate: 1 });
      }
    }
  });

  it('always follows up a deputy, even where the draw would sample an ordinary customer out (examples/P2-key-customer.json)', () => {
    // 001 第五条「人大政协代表、新闻媒体、行风社会监督员和领导接待日及行风坐标热线中的受理者等重点回访客户必须逐户回访」
    // 第六条「人大政协代表和新闻媒体…采取回函回复」 → the account manager of 营销部 (第九条).
    const { planned } = plan(P2, exampleCase('P2-key-customer'));

    expect(step(planned, 'general_call')).toMatchObject({
      earliestAt: new Date('2026-04-08T14:00:00+08:00'),
      deadlineAt: new Date('2026-04-22T23:59:00+08:00'),
      assigneeId: 'yingxiao.zhou',
      assigneeRule: 'role:account_manager',
      sampling: {
        kept: true,
        rate: 1,
        reason: 'mandatory category (customerCategory ∈ {deputy, cppcc, media, conduct_supervisor, hotline, reception_day}): 100 %',
      },
    });
    const ordinary = plan(P2, exampleCase('P2-key-customer', { dropAttributes: ['customerCategory'] }));
    expect(step(ordinary.planned, 'general_call')).toMatchObject({
      assigneeId: 'yingxiao.wu',
      assigneeRule: 'role:customer_service',
      sampling: { kept: false, rate: 0.1, reason: 'customerType=residential: sampled at 10 % (draw 0.9958 ≥ 0.1)' },
    });
  });

  it('keeps media, supervisors, hotline and reception-day callers at 100 % too', () => {
    for (const customerCategory of ['cppcc', 'media', 'conduct_supervisor', 'hotline', 'reception_day']) {
      const { planned } = plan(P2, exampleCase('P2-key-customer', { attributes: { customerCategory } }));
      expect(step(planned, 'general_call').sampling, customerCategory).toMatchObject({ kept: true, rate: 1 });
    }
  });

  it('samples other customers at 10 %: within ±0.5 pp over 10,000 cases', () => {
    // 001 第五条「其他客户可做抽样回访，抽样客户应兼顾各用电类型，抽样比例不低于10%」
    // The draw planFollowUps makes for the step (policy id:step key); the first 200 are also planned.
    const base = exampleCase('P2-key-customer', { dropAttributes: ['customerCategory'] });
    const rule = P2.steps.find((s) => s.key === 'general_call')!.sampling;
    let kept = 0;
    for (let i = 1; i <= 10_000; i++) {
      const customerType = i % 2 ? 'residential' : 'non_residential';
      const facts = { ...base, externalId: `ZX-2026-04-${String(i).padStart(5, '0')}`, attributes: { ...base.attributes, customerType } };
      const decision = decideSampling(rule, 'P2:general_call', facts);
      if (i <= 200) expect(step(plan(P2, facts).planned, 'general_call').sampling).toEqual(decision);
      if (decision.kept) kept++;
    }
    expect(Math.abs(kept / 10_000 - 0.1)).toBeLessThanOrEqual(0.005);
  });
});

describe('P2 large customers: at least one visit a year', () => {
  it('plans a visit within the plan year for a 110 kV customer (examples/P2-large-customer.json)', () => {
    // 001 第五条「35KV及以上的大电力客户每年回访不少于一次」; 第六条「可采取走访或座谈会的形式」
    const { planned } = plan(P2, exampleCase('P2-large-customer'));

    expect(planned.map((p) => p.step)).toEqual(['large_customer_visit']);
    expect(step(planned, 'large_customer_visit')).toMatchObject({
      earliestAt: new Date('2026-01-01T00:00:00+08:00'),
      deadlineAt: new Date('2027-01-01T00:00:00+08:00'),
      assigneeId: 'yingxiao.zhou',
      assigneeRule: 'role:account_manager',
      sampling: { kept: true, rate: 1 },
    });
  });

  it('uses the 35 kV threshold of 001 (000 says 10 kV: an organisation parameter)', () => {
    const at35 = plan(P2, exampleCase('P2-large-customer', { attributes: { voltageKv: 35 } }));
    const at10 = plan(P2, exampleCase('P2-large-customer', { attributes: { voltageKv: 10 } }));

    expect(at35.planned.map((p) => p.step)).toEqual(['large_customer_visit']);
    expect(at10.planned).toEqual([]);
    expect(at10.waiting).toEqual([]);
  });

  it('visits every customer at 35 kV and above, whatever the voltage class (1100 kV UHV, 63 kV)', () => {
    // 001 第五条「35KV及以上的大电力客户每年回访不少于一次」: a comparison, not a list of voltage classes.
    for (const voltageKv of [63, 1100]) {
      expect(plan(P2, exampleCase('P2-large-customer', { attributes: { voltageKv } })).planned.map((p) => p.step)).toEqual(['large_customer_visit']);
    }
    expect(plan(P2, exampleCase('P2-large-customer', { attributes: { voltageKv: 34.5 } })).planned).toEqual([]);
  });
});

describe('P2 “连心卡”: 10 % of non-residential and 1 % of residential customers of the month', () => {
  // 001 第十七条「每次抽样量为当月非居民电力客户的10%和居民客户的1%…全过程历时一个月完成」
  const card = (externalId: string, customerType?: string): CaseFacts =>
    exampleCase('P2-lianxinka', { externalId, ...(customerType ? { attributes: { customerType } } : { dropAttributes: ['customerType'] }) });

  it('sends the card survey at the start of the campaign, answerable for one month (examples/P2-lianxinka.json)', () => {
    const { planned } = plan(P2, exampleCase('P2-lianxinka'));

    expect(planned.map((p) => p.step)).toEqual(['lianxinka_card']);
    expect(step(planned, 'lianxinka_card')).toMatchObject({
      action: 'CUSTOMER_SURVEY',
      channel: 'wechat',
      surveyKey: 'satisfaction-5',
      earliestAt: new Date('2026-05-06T09:00:00+08:00'),
      dueAt: new Date('2026-05-06T09:00:00+08:00'),
      deadlineAt: new Date('2026-06-06T09:00:00+08:00'),
      assigneeId: null,
      sampling: { kept: false, rate: 0.1, reason: 'customerType=non_residential: sampled at 10 % (draw 0.5829 ≥ 0.1)' },
    });
  });

  it('decides specific customers by their stratum, and identically on a second planning', () => {
    const decisions = () => ({
      nonResidentialKept: step(plan(P2, card('LXK-2026-05-HH-0000001', 'non_residential')).planned, 'lianxinka_card').sampling,
      sameDrawResidential: step(plan(P2, card('LXK-2026-05-HH-0000001', 'residential')).planned, 'lianxinka_card').sampling,
      residentialKept: step(plan(P2, card('LXK-2026-05-HH-0000050', 'residential')).planned, 'lianxinka_card').sampling,
      residentialOut: step(plan(P2, card('LXK-2026-05-HH-0000003', 'residential')).planned, 'lianxinka_card').sampling,
      unknownType: step(plan(P2, card('LXK-2026-05-HH-0000030')).planned, 'lianxinka_card').sampling,
    });
    const first = decisions();

    expect(first.nonResidentialKept).toMatchObject({ kept: true, rate: 0.1, reason: 'customerType=non_residential: sampled at 10 % (draw 0.0401 < 0.1)' });
    expect(first.sameDrawResidential).toMatchObject({ kept: false, rate: 0.01, reason: 'customerType=residential: sampled at 1 % (draw 0.0401 ≥ 0.01)' });
    expect(first.residentialKept).toMatchObject({ kept: true, rate: 0.01, reason: 'customerType=residential: sampled at 1 % (draw 0.0066 < 0.01)' });
    expect(first.residentialOut).toMatchObject({ kept: false, rate: 0.01, reason: 'customerType=residential: sampled at 1 % (draw 0.3662 ≥ 0.01)' });
    expect(first.unknownType).toMatchObject({ kept: true, rate: 0.1, reason: 'customerType not listed: sampled at 10 % (draw 0.0696 < 0.1)' });
    expect(decisions()).toEqual(first);
  });

  it('keeps 1 % of 10,000 residential and 10 % of 10,000 non-residential customers (±0.5 pp)', () => {
    const base = exampleCase('P2-lianxinka');
    const share = (customerType: string, prefix: string) => {
      let kept = 0;
      for (let i = 1; i <= 10_000; i++) {
        const facts = { ...base, externalId: `LXK-2026-05-${prefix}-${String(i).padStart(7, '0')}`, attributes: { ...base.attributes, customerType } };
        if (step(plan(P2, facts).planned, 'lianxinka_card').sampling.kept) kept++;
      }
      return kept / 10_000;
    };

    expect(Math.abs(share('residential', 'R') - 0.01)).toBeLessThanOrEqual(0.005);
    expect(Math.abs(share('non_residential', 'N') - 0.1)).toBeLessThanOrEqual(0.005);
  });

  it('does not use the organisation for a survey (no assignee), so it plans the same in any organisation', () => {
    expect(plan(P2, card('LXK-2026-05-HH-0000001', 'non_residential'), tradeOrg({ inactive: ['yingxiao.wu', 'kefu.sun'] }))).toEqual(
      plan(P2, card('LXK-2026-05-HH-0000001', 'non_residential')),
    );
  });
});
