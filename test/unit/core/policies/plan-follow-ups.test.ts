import { describe, expect, it } from 'vitest';
import { planFollowUps, type PlannedFollowUp } from '../../../../bot/core/policies/plan-follow-ups.js';
import { contactRulesFor, dueWithinDeadline } from '../../../../bot/core/policies/contact-window.js';
import type { CaseFacts } from '../../../../bot/core/model.js';
import { loadCalendar } from '../../../../bot/loaders/load-calendar.js';
import { exampleOrg, shippedPolicy } from '../../../support/org-snapshot.js';

const TZ = 'Asia/Shanghai';
const P4 = shippedPolicy('P4');
const P7 = shippedPolicy('P7');

function discharge(overrides: Partial<CaseFacts> = {}): CaseFacts {
  return {
    id: 'case-p4',
    type: 'discharge',
    externalId: 'ZY-1',
    occurredAt: new Date('2026-11-03T15:30:00+08:00'),
    closedAt: null,
    departmentId: 'cardiology',
    responsibleStaffId: 'hushi.li',
    attributes: { severity: 'normal' },
    milestones: {},
    ...overrides,
  };
}

function complaint(overrides: Partial<CaseFacts> = {}): CaseFacts {
  return {
    id: 'case-p7',
    type: 'property_complaint',
    externalId: 'TS-1',
    occurredAt: new Date('2026-11-02T09:10:00+08:00'),
    closedAt: null,
    departmentId: 'service-centre',
    responsibleStaffId: 'zhuli.wu',
    attributes: { severity: 'general' },
    milestones: { handled: new Date('2026-11-05T14:00:00+08:00') },
    ...overrides,
  };
}

function step(planned: readonly PlannedFollowUp[], key: string): PlannedFollowUp {
  const found = planned.find((p) => p.step === key);
  if (!found) throw new Error(`no planned step ${key}; got ${planned.map((p) => p.step).join(', ')}`);
  return found;
}

describe('P4 discharge planning', () => {
  it('phones a normal discharge from day 7 09:00 until day 15 23:59, by the responsible nurse', () => {
    // 「一般出院病人，出院7-15天内由其责任护士或主管医生进行电话回访」 (000 第四篇 3)
    const { planned, waiting } = planFollowUps(P4, discharge(), exampleOrg(), TZ);

    const phone = step(planned, 'phone');
    expect(phone).toMatchObject({
      action: 'STAFF_TASK',
      channel: 'wecom',
      earliestAt: new Date('2026-11-10T09:00:00+08:00'),
      dueAt: new Date('2026-11-10T09:00:00+08:00'),
      deadlineAt: new Date('2026-11-18T23:59:00+08:00'),
      assigneeId: 'hushi.li',
      assigneeRule: 'responsible',
      maxAttempts: 3,
    });
    expect(planned.map((p) => p.step)).not.toContain('phone_serious');
    expect(waiting).toEqual([]);
  });

  it('counts days on the Shanghai calendar, not the UTC one', () => {
    // 「出院7-15天内」: a discharge at 00:30 local on 11-04 is still 11-03 in UTC, but day 7 is 11-11.
    const { planned } = planFollowUps(P4, discharge({ occurredAt: new Date('2026-11-04T00:30:00+08:00') }), exampleOrg(), TZ);

    expect(step(planned, 'phone').earliestAt).toEqual(new Date('2026-11-11T09:00:00+08:00'));
    expect(step(planned, 'phone').deadlineAt).toEqual(new Date('2026-11-19T23:59:00+08:00'));
  });

  it('phones a serious discharge within 5 days instead, starting the next morning', () => {
    // 「病情严重者5天内，其他10天内」 (002 制度19)
    const { planned } = planFollowUps(P4, discharge({ attributes: { severity: 'serious' } }), exampleOrg(), TZ);

    const serious = step(planned, 'phone_serious');
    expect(serious).toMatchObject({
      action: 'STAFF_TASK',
      earliestAt: new Date('2026-11-04T09:00:00+08:00'),
      deadlineAt: new Date('2026-11-08T23:59:00+08:00'),
      assigneeId: 'hushi.li',
    });
    expect(planned.map((p) => p.step)).not.toContain('phone');
  });

  it('sends the satisfaction survey on day 3 at 10:00 (WeChat first, SMS otherwise)', () => {
    // 「辅以…问卷调查」 (000 第五篇 4)
    const { planned } = planFollowUps(P4, discharge(), exampleOrg(), TZ);

    expect(step(planned, 'survey')).toMatchObject({
      action: 'CUSTOMER_SURVEY',
      channel: 'wechat',
      earliestAt: new Date('2026-11-06T10:00:00+08:00'),
      dueAt: new Date('2026-11-06T10:00:00+08:00'),
      deadlineAt: new Date('2026-11-16T20:00:00+08:00'),
      assigneeId: null,
      surveyKey: 'satisfaction-5',
      maxAttempts: 1,
    });
  });

  it('falls back to the supervisor (head nurse) when the responsible nurse has left', () => {
    // 「由其责任护士或主管医生进行电话回访」 — a vacant responsible nurse must not leave the patient without a call.
    const { planned } = planFollowUps(P4, discharge(), exampleOrg({ inactive: ['hushi.li'] }), TZ);

    expect(step(planned, 'phone')).toMatchObject({ assigneeId: 'hushizhang.chen', assigneeRule: 'supervisor' });
  });

  it('falls back to the department head when neither the responsible nurse nor her supervisor is active', () => {
    const { planned } = planFollowUps(P4, discharge(), exampleOrg({ inactive: ['hushi.li', 'hushizhang.chen'] }), TZ);

    expect(step(planned, 'phone')).toMatchObject({ assigneeId: 'kezhuren.wang', assigneeRule: 'department_head' });
  });

  it('assigns the department head when the case names no responsible nurse', () => {
    const { planned } = planFollowUps(P4, discharge({ responsibleStaffId: null }), exampleOrg(), TZ);

    expect(step(planned, 'phone')).toMatchObject({ assigneeId: 'kezhuren.wang', assigneeRule: 'department_head' });
  });

  it('still phones a discharge whose source system sent no severity (every discharged patient is followed up)', () => {
    // POLICIES.md P4: "Every discharged patient gets a phone follow-up"; 「一般出院病人，出院7-15天内…电话回访」:
    // a patient not flagged serious is an ordinary (一般) one.
    const { planned } = planFollowUps(P4, discharge({ attributes: {} }), exampleOrg(), TZ);

    const staffTasks = planned.filter((p) => p.action === 'STAFF_TASK');
    expect(staffTasks).toHaveLength(1);
    expect(staffTasks[0]).toMatchObject({ earliestAt: new Date('2026-11-10T09:00:00+08:00'), assigneeId: 'hushi.li' });
  });

  it('plans the same follow-ups for the same facts (deterministic re-planning)', () => {
    const org = exampleOrg();
    expect(planFollowUps(P4, discharge(), org, TZ)).toEqual(planFollowUps(P4, discharge(), org, TZ));
  });
});

describe('P7 complaint planning', () => {
  it('waits for the complaint to be handled before planning the follow-up', () => {
    // 「投诉处理完毕后3天内回访，回访率100%」 (002 制度22)
    const { planned, waiting } = planFollowUps(P7, complaint({ milestones: {} }), exampleOrg(), TZ);

    expect(planned).toEqual([]);
    expect(waiting).toEqual([{ step: 'complaint_followup', anchor: 'milestone:handled' }]);
  });

  it('pushes the follow-up when the complaint is handled, due within 3 days (23:59)', () => {
    // 「投诉处理完毕后3天内回访」
    const { planned, waiting } = planFollowUps(P7, complaint(), exampleOrg(), TZ);

    expect(waiting).toEqual([]);
    expect(step(planned, 'complaint_followup')).toMatchObject({
      action: 'STAFF_TASK',
      earliestAt: new Date('2026-11-05T14:00:00+08:00'),
      dueAt: new Date('2026-11-05T14:00:00+08:00'),
      deadlineAt: new Date('2026-11-08T23:59:00+08:00'),
    });
  });

  it.each([
    ['major', 'jingli.zhao', 'manager'],
    ['important', 'zhuguan.sun', 'department_head'],
    ['general', 'zhuli.wu', 'responsible'],
  ])('assigns a %s complaint to %s (%s)', (severity, assignee, rule) => {
    // 「一般投诉由物业助理回访，重要投诉由部门主管回访，重大投诉由经理回访」 (003)
    const { planned } = planFollowUps(P7, complaint({ attributes: { severity } }), exampleOrg(), TZ);

    expect(step(planned, 'complaint_followup')).toMatchObject({ assigneeId: assignee, assigneeRule: rule });
  });

  it('never assigns the person complained about, even when they are the responsible assistant', () => {
    // 「一般投诉由物业助理回访」, and the person complained about must not handle it (003).
    const { planned } = planFollowUps(P7, complaint({ attributes: { severity: 'general', subjectStaffId: 'zhuli.wu' } }), exampleOrg(), TZ);

    const followUp = step(planned, 'complaint_followup');
    expect(followUp.assigneeId).not.toBe('zhuli.wu');
    expect(followUp).toMatchObject({ assigneeId: 'zhuli.zheng', assigneeRule: 'role:property_assistant' });
  });

  it('passes over the manager of a major complaint about the manager', () => {
    // 「重大投诉由经理回访」 — unless the manager is the one complained about.
    const { planned } = planFollowUps(P7, complaint({ attributes: { severity: 'major', subjectStaffId: 'jingli.zhao' } }), exampleOrg(), TZ);

    expect(step(planned, 'complaint_followup')).toMatchObject({ assigneeId: 'zhuguan.sun', assigneeRule: 'department_head' });
  });

  it('passes over the supervisor of an important complaint about the supervisor', () => {
    // 「重要投诉由部门主管回访」 — unless the supervisor is the one complained about.
    const { planned } = planFollowUps(P7, complaint({ attributes: { severity: 'important', subjectStaffId: 'zhuguan.sun' } }), exampleOrg(), TZ);

    const followUp = step(planned, 'complaint_followup');
    expect(followUp.assigneeId).not.toBe('zhuguan.sun');
    expect(followUp.assigneeId).toBe('jingli.zhao');
  });
});

describe('a due time is never after its own deadline', () => {
  const policyWithWindows = {
    ...P4,
    contact: { windows: [{ name: 'all year', months: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], times: [{ from: '10:00', to: '11:30' }, { from: '15:30', to: '17:00' }] }] },
    steps: [{ ...P4.steps.find((s) => s.key === 'phone')!, unless: undefined, earliest: { amount: 0, unit: 'hours' as const }, earliestAtLocalTime: undefined, deadline: { amount: 0, unit: 'days' as const }, deadlineAtLocalTime: '23:59' }],
  };

  it('is due at its earliest time when no contact window is left before the deadline (002 制度10 第一条「当日来电客户当日电话回访」)', () => {
    const { planned } = planFollowUps(policyWithWindows, discharge({ occurredAt: new Date('2026-11-03T20:00:00+08:00') }), exampleOrg(), TZ);

    expect(planned[0]).toMatchObject({ earliestAt: new Date('2026-11-03T20:00:00+08:00'), dueAt: new Date('2026-11-03T20:00:00+08:00'), deadlineAt: new Date('2026-11-03T23:59:00+08:00') });
  });

  it('moves into the window when one opens before the deadline (第五条「上午10:00-11:30，下午3:30-5:00」)', () => {
    const { planned } = planFollowUps(policyWithWindows, discharge({ occurredAt: new Date('2026-11-03T12:00:00+08:00') }), exampleOrg(), TZ);

    expect(planned[0]!.dueAt).toEqual(new Date('2026-11-03T15:30:00+08:00'));
  });

  it('keeps a public-holiday rule too, unless it would miss the deadline', () => {
    const holidayPolicy = { ...policyWithWindows, contact: { avoidPublicHolidays: true } };
    // 2026-10-01 is National Day: a same-day follow-up is due that day all the same.
    const { planned } = planFollowUps(holidayPolicy, discharge({ occurredAt: new Date('2026-10-01T09:00:00+08:00') }), exampleOrg(), TZ);

    expect(planned[0]!.dueAt).toEqual(new Date('2026-10-01T09:00:00+08:00'));
  });
});

describe('dueWithinDeadline (also used for a retry after 未接通)', () => {
  const rules = { windows: [{ name: 'all year', months: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], times: [{ from: '10:00', to: '11:30' }, { from: '15:30', to: '17:00' }] }] };
  const ctx = { timeZone: TZ };

  it('retries a same-day call at 18:30 that evening rather than the next morning after its 23:59 deadline', () => {
    expect(dueWithinDeadline(new Date('2026-03-10T18:30:00+08:00'), new Date('2026-03-10T23:59:00+08:00'), rules, ctx)).toEqual(new Date('2026-03-10T18:30:00+08:00'));
  });

  it('moves a retry into the next window when the deadline is later', () => {
    expect(dueWithinDeadline(new Date('2026-03-10T18:30:00+08:00'), new Date('2026-03-13T23:59:00+08:00'), rules, ctx)).toEqual(new Date('2026-03-11T10:00:00+08:00'));
  });

  it('leaves a retry that is already past its deadline in the window (it is overdue either way)', () => {
    expect(dueWithinDeadline(new Date('2026-03-11T08:00:00+08:00'), new Date('2026-03-10T23:59:00+08:00'), rules, ctx)).toEqual(new Date('2026-03-11T10:00:00+08:00'));
  });
});

describe('offsets before the anchor and compound offsets; anchors on the latest milestone and on a completion', () => {
  const base = P4.steps.find((s) => s.key === 'phone')!;
  const withStep = (step: Partial<typeof base>) => ({ ...P4, contact: undefined, steps: [{ ...base, unless: undefined, earliestAtLocalTime: undefined, deadlineAtLocalTime: undefined, ...step }] });

  it('counts back from a milestone for a reminder before use (002 制度6 七 1 a「游客购买产品使用前的温馨提示」)', () => {
    const policy = withStep({ anchor: { kind: 'milestone', name: 'starts' }, earliest: { amount: -2, unit: 'days' }, earliestAtLocalTime: '09:00', deadline: { amount: -1, unit: 'hours' } });
    const { planned } = planFollowUps(policy, discharge({ milestones: { starts: new Date('2026-11-20T08:00:00+08:00') } }), exampleOrg(), TZ);

    expect(planned[0]).toMatchObject({ earliestAt: new Date('2026-11-18T09:00:00+08:00'), deadlineAt: new Date('2026-11-20T07:00:00+08:00') });
  });

  it('never starts a reminder before the case itself (bought the evening before the trip)', () => {
    const policy = withStep({ anchor: { kind: 'milestone', name: 'starts' }, earliest: { amount: -2, unit: 'days' }, deadline: { amount: 0, unit: 'hours' } });
    const { planned } = planFollowUps(policy, discharge({ occurredAt: new Date('2026-11-19T20:00:00+08:00'), milestones: { starts: new Date('2026-11-20T08:00:00+08:00') } }), exampleOrg(), TZ);

    expect(planned[0]).toMatchObject({ earliestAt: new Date('2026-11-19T20:00:00+08:00'), deadlineAt: new Date('2026-11-20T08:00:00+08:00') });
  });

  it('adds "1 months + 7 days" part after part: 31 January → 28 February → 7 March (002 制度11「设备安装调试后一个月」)', () => {
    const policy = withStep({ earliest: { amount: 1, unit: 'months' }, deadline: { amount: 1, unit: 'months', plus: [{ amount: 7, unit: 'days' }] }, deadlineAtLocalTime: '23:59' });
    const { planned } = planFollowUps(policy, discharge({ occurredAt: new Date('2026-01-31T15:00:00+08:00') }), exampleOrg(), TZ);

    expect(planned[0]).toMatchObject({ earliestAt: new Date('2026-02-28T15:00:00+08:00'), deadlineAt: new Date('2026-03-07T23:59:00+08:00') });
  });

  it('anchors on the latest of several milestones, and waits while one is missing (002 制度4「整体工程竣工、客户交纳全部工程款且办理完相关保修手续后10日内」)', () => {
    const policy = withStep({
      anchor: { kind: 'latest', of: [{ kind: 'milestone', name: 'completed' }, { kind: 'milestone', name: 'final_payment' }] },
      earliest: { amount: 0, unit: 'hours' },
      deadline: { amount: 10, unit: 'days' },
    });
    const both = planFollowUps(policy, discharge({ milestones: { completed: new Date('2026-11-05T10:00:00+08:00'), final_payment: new Date('2026-11-08T16:00:00+08:00') } }), exampleOrg(), TZ);
    const one = planFollowUps(policy, discharge({ milestones: { completed: new Date('2026-11-05T10:00:00+08:00') } }), exampleOrg(), TZ);

    expect(both.planned[0]).toMatchObject({ earliestAt: new Date('2026-11-08T16:00:00+08:00'), deadlineAt: new Date('2026-11-18T16:00:00+08:00') });
    expect(one.planned).toEqual([]);
    expect(one.waiting).toEqual([{ step: 'phone', anchor: 'latestOf(milestone:completed, milestone:final_payment)' }]);
  });

  it('anchors on the actual completion of an earlier step (000 第一篇 3「第一次验收回访结束后，半年后再安排第二次回访」)', () => {
    const policy = { ...P4, contact: undefined, steps: [base, { ...base, key: 'second', anchor: { kind: 'completed' as const, key: 'phone' }, earliest: { amount: 6, unit: 'months' as const }, deadline: { amount: 7, unit: 'months' as const } }] };
    const waiting = planFollowUps(policy, discharge(), exampleOrg(), TZ);
    const done = planFollowUps(policy, discharge(), exampleOrg(), { timeZone: TZ, completedSteps: new Map([['phone', new Date('2026-11-12T10:20:00+08:00')]]) });

    expect(waiting.waiting).toEqual([{ step: 'second', anchor: 'completed:phone' }]);
    expect(step(done.planned, 'second')).toMatchObject({ earliestAt: new Date('2027-05-12T09:00:00+08:00'), deadlineAt: new Date('2027-06-12T23:59:00+08:00') });
  });
});

describe('days of the month and the end of the month', () => {
  const base = P4.steps.find((s) => s.key === 'phone')!;
  const withStep = (step: Partial<typeof base>, contact?: typeof P4.contact) => ({ ...P4, contact, steps: [{ ...base, unless: undefined, earliestAtLocalTime: undefined, deadlineAtLocalTime: undefined, ...step }] });

  it('contacts only on the 1st to the 25th: a call due on the 26th waits for the 1st (002 制度21「每月1-25日电话回访」)', () => {
    const policy = withStep({ earliest: { amount: 0, unit: 'hours' }, deadline: { amount: 10, unit: 'days' } }, { daysOfMonth: { from: 1, to: 25 } });
    const { planned } = planFollowUps(policy, discharge({ occurredAt: new Date('2026-11-26T10:00:00+08:00') }), exampleOrg(), TZ);

    expect(planned[0]).toMatchObject({ dueAt: new Date('2026-12-01T09:00:00+08:00'), deadlineAt: new Date('2026-12-06T10:00:00+08:00') });
  });

  it('ends by the end of the anchor\'s month, 23:59 on its last day (002 制度18「每月对当月家政服务对象…进行电话抽样回访」)', () => {
    const policy = withStep({ earliest: { amount: 0, unit: 'hours' }, deadline: { amount: 0, unit: 'months', endOfMonth: true } });
    const february = planFollowUps(policy, discharge({ occurredAt: new Date('2028-02-03T10:00:00+08:00') }), exampleOrg(), TZ);
    const december = planFollowUps(policy, discharge({ occurredAt: new Date('2026-12-31T22:00:00+08:00') }), exampleOrg(), TZ);

    expect(february.planned[0]!.deadlineAt).toEqual(new Date('2028-02-29T23:59:00+08:00'));
    expect(december.planned[0]!.deadlineAt).toEqual(new Date('2026-12-31T23:59:00+08:00'));
  });
});

describe('step-level and mandatory contact rules', () => {
  const base = P4.steps.find((s) => s.key === 'phone')!;
  const holidayRules = { avoidPublicHolidays: true, windows: [{ name: 'all', months: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], times: [{ from: '14:00', to: '16:30' }] }] };
  // A call on day 7 only: 5 October 2026 is inside the National Day holiday (1–7 October).
  const dayCall = { ...base, unless: undefined, when: undefined, earliest: { amount: 7, unit: 'days' as const }, earliestAtLocalTime: '00:00', deadline: { amount: 7, unit: 'days' as const }, deadlineAtLocalTime: '23:59' };
  const withCalendar = { timeZone: TZ, calendar: loadCalendar().calendar };
  const onTheEve = discharge({ occurredAt: new Date('2026-09-28T10:00:00+08:00') });

  it('a step\'s own rules replace the policy\'s for that step only', () => {
    const policy = { ...P4, contact: undefined, steps: [{ ...dayCall, key: 'clinic', contact: { ...holidayRules, mandatory: true } }, { ...dayCall, key: 'ward' }] };
    const { planned } = planFollowUps(policy, onTheEve, exampleOrg(), withCalendar);

    expect(step(planned, 'clinic').dueAt).toEqual(new Date('2026-10-08T14:00:00+08:00'));
    expect(step(planned, 'ward').dueAt).toEqual(new Date('2026-10-05T00:00:00+08:00'));
    expect(contactRulesFor(policy, 'clinic')).toMatchObject({ mandatory: true });
    expect(contactRulesFor(policy, 'ward')).toBeUndefined();
  });

  it('mandatory rules move the call and its deadline after the holiday; as a preference the deadline wins', () => {
    // 002 制度21「节假日不进行回访」 vs a preference: without `mandatory` no window is left before the
    // deadline, so the call is due at its earliest time, on the holiday.
    const mandatory = planFollowUps({ ...P4, contact: { ...holidayRules, mandatory: true }, steps: [dayCall] }, onTheEve, exampleOrg(), withCalendar);
    const preference = planFollowUps({ ...P4, contact: holidayRules, steps: [dayCall] }, onTheEve, exampleOrg(), withCalendar);

    expect(mandatory.planned[0]).toMatchObject({ dueAt: new Date('2026-10-08T14:00:00+08:00'), deadlineAt: new Date('2026-10-08T23:59:00+08:00') });
    expect(preference.planned[0]).toMatchObject({ dueAt: new Date('2026-10-05T00:00:00+08:00'), deadlineAt: new Date('2026-10-05T23:59:00+08:00') });
  });

  it('under mandatory rules the days of the month give way to the deadline, the hours do not', () => {
    const rules = { ...holidayRules, mandatory: true, daysOfMonth: { from: 1, to: 25 } };
    const { planned } = planFollowUps({ ...P4, contact: rules, steps: [dayCall] }, discharge({ occurredAt: new Date('2026-06-20T09:00:00+08:00') }), exampleOrg(), withCalendar);

    expect(planned[0]).toMatchObject({ dueAt: new Date('2026-06-27T14:00:00+08:00'), deadlineAt: new Date('2026-06-27T23:59:00+08:00') });
  });
});
