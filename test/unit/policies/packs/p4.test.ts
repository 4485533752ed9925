// P4 出院病人回访 (seeds 000 第四篇/第五篇, 002 制度19) — the existing templates/policies/P4.yaml, planned
// for the example bodies in templates/policies/examples with the real calendar and the example hospital.
import { describe, expect, it } from 'vitest';
import { exampleOrg } from '../../../support/org-snapshot.js';
import { exampleCase, loadPack, plan, step } from './pack-helpers.js';

const P4 = loadPack('P4');
const hospital = exampleOrg();

describe('P4 discharge (examples/P4-discharge.json)', () => {
  it('phones a normal discharge from day 7 09:00 to day 15 23:59, by the responsible nurse', () => {
    // 000 第四篇 3「一般出院病人，出院7-15天内由其责任护士或主管医生进行电话回访」
    const { planned, waiting } = plan(P4, exampleCase('P4-discharge', {}, hospital), hospital);

    expect(step(planned, 'phone')).toMatchObject({
      action: 'STAFF_TASK',
      earliestAt: new Date('2026-11-10T09:00:00+08:00'),
      dueAt: new Date('2026-11-10T09:00:00+08:00'),
      deadlineAt: new Date('2026-11-18T23:59:00+08:00'),
      assigneeId: 'hushi.li',
      assigneeRule: 'responsible',
      maxAttempts: 3,
    });
    expect(planned.map((p) => p.step)).toEqual(['phone', 'survey']);
    expect(waiting).toEqual([]);
  });

  it('sends the satisfaction survey on day 3 at 10:00, answerable until day 13 20:00', () => {
    // 000 第五篇 4「辅以…问卷调查」
    const { planned } = plan(P4, exampleCase('P4-discharge', {}, hospital), hospital);

    expect(step(planned, 'survey')).toMatchObject({
      action: 'CUSTOMER_SURVEY',
      channel: 'wechat',
      surveyKey: 'satisfaction-5',
      earliestAt: new Date('2026-11-06T10:00:00+08:00'),
      deadlineAt: new Date('2026-11-16T20:00:00+08:00'),
      assigneeId: null,
    });
  });
});

describe('P4 serious discharge on the eve of National Day (examples/P4-discharge-serious.json)', () => {
  it('phones within 5 calendar days even over the holiday (days, not working days)', () => {
    // 002 制度19「病情严重者5天内，其他10天内」 — the seed counts days; P4 has no holiday rule (only 002 制度21's clinic does).
    const { planned } = plan(P4, exampleCase('P4-discharge-serious', {}, hospital), hospital);

    expect(planned.map((p) => p.step)).toEqual(['phone_serious', 'survey']);
    expect(step(planned, 'phone_serious')).toMatchObject({
      earliestAt: new Date('2026-10-01T09:00:00+08:00'),
      dueAt: new Date('2026-10-01T09:00:00+08:00'),
      deadlineAt: new Date('2026-10-05T23:59:00+08:00'),
      assigneeId: 'hushi.zhou',
      assigneeRule: 'responsible',
    });
    expect(step(planned, 'survey')).toMatchObject({
      earliestAt: new Date('2026-10-03T10:00:00+08:00'),
      deadlineAt: new Date('2026-10-13T20:00:00+08:00'),
    });
  });

  it('falls back to the head nurse, then the department head, when the nurse has left', () => {
    // 「由其责任护士或主管医生进行电话回访」, supervised by the head nurse and the department head.
    const body = exampleCase('P4-discharge-serious', {}, hospital);

    expect(step(plan(P4, body, exampleOrg({ inactive: ['hushi.zhou'] })).planned, 'phone_serious')).toMatchObject({
      assigneeId: 'hushizhang.chen',
      assigneeRule: 'supervisor',
    });
    expect(step(plan(P4, body, exampleOrg({ inactive: ['hushi.zhou', 'hushizhang.chen'] })).planned, 'phone_serious')).toMatchObject({
      assigneeId: 'kezhuren.wang',
      assigneeRule: 'department_head',
    });
  });
});
