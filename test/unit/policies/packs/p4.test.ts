// P4 出院病人回访 (seeds 000 第四篇/第五篇, 002 制度19) — the existing templates/policies/P4.yaml, planned
// for the example bodies in templates/policies/examples with the real calendar and the example hospital.
import { describe, expect, it } from 'vitest';
import { exampleOrg } from '../../../support/org-snapshot.js';
import { calendar, exampleBody, exampleCase, factsFromBody, loadPack, plan, step, TZ } from './pack-helpers.js';
import type { OrgSnapshot } from '../../../../bot/core/model.js';
import { renderSimulation, simulateCase } from '../../../../bot/policies/simulate.js';

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

/** The example hospital with its gynaecology clinic: a 客服专员 who makes the clinic's calls and the doctor. */
function hospitalWithClinic(): OrgSnapshot {
  const base = exampleOrg();
  const org = { staff: new Map(base.staff), departments: new Map(base.departments) };
  org.departments.set('gynaecology', { id: 'gynaecology', code: 'gynaecology', name: '妇科门诊', parentId: 'hospital', headId: 'yisheng.he' });
  org.staff.set('yisheng.he', { id: 'yisheng.he', wecomUserId: 'yisheng.he', name: '何医生', departmentId: 'gynaecology', roles: ['doctor', 'department_head'], supervisorId: 'yuanzhang.liu', active: true });
  org.staff.set('kefu.lin', { id: 'kefu.lin', wecomUserId: 'kefu.lin', name: '林客服', departmentId: 'gynaecology', roles: ['customer_service'], supervisorId: 'yisheng.he', active: true });
  return org;
}

describe('P4 gynaecology clinic table, 002 制度21 (examples/P4-gynaecology-abortion.json)', () => {
  const clinic = hospitalWithClinic();
  const gyn = (patch: Parameters<typeof exampleCase>[1] = {}) => plan(P4, exampleCase('P4-gynaecology-abortion', patch, clinic), clinic);

  it('人流术后: three calls — within 3 days, on day 7 (after National Day), on day 40 — by the clinic 客服专员', () => {
    // 16、人流术后「第一次电话回访：术后3天之内」「第二次电话回访：术后7天」「第三次电话回访：术后40天」
    // 四「回访时间夏季为14:30—16:30 19:00—20:00；冬季为14:00—16:30 19:00—20:00」「节假日不进行回访」
    const { planned, waiting } = gyn();

    expect(planned.map((p) => p.step)).toEqual(['gyn16_call1', 'gyn16_call2', 'gyn16_call3']);
    expect(waiting).toEqual([]);
    // 28 September 10:20 (summer hours): called that afternoon at 14:30, by the end of day 3.
    expect(step(planned, 'gyn16_call1')).toMatchObject({
      earliestAt: new Date('2026-09-28T10:20:00+08:00'),
      dueAt: new Date('2026-09-28T14:30:00+08:00'),
      deadlineAt: new Date('2026-10-01T23:59:00+08:00'),
      assigneeId: 'kefu.lin',
      assigneeRule: 'role:customer_service',
      maxAttempts: 3, // 十 8「三次电话不通…视为不成功回访」
      title: '门诊电话回访（第1次）', // no diagnosis on the card face
    });
    // Day 7 is 5 October, inside the National Day holiday: the call moves to 8 October 14:00 (winter
    // hours from October) and its deadline with it — never on a public holiday.
    expect(step(planned, 'gyn16_call2')).toMatchObject({
      earliestAt: new Date('2026-10-05T00:00:00+08:00'),
      dueAt: new Date('2026-10-08T14:00:00+08:00'),
      deadlineAt: new Date('2026-10-08T23:59:00+08:00'),
    });
    expect(step(planned, 'gyn16_call3')).toMatchObject({
      earliestAt: new Date('2026-11-07T00:00:00+08:00'),
      dueAt: new Date('2026-11-07T14:00:00+08:00'),
      deadlineAt: new Date('2026-11-07T23:59:00+08:00'),
    });
    expect(step(planned, 'gyn16_call1').instructions).toContain('了解有无发热、腹痛、阴道流血');
  });

  it('every diagnosis of the table gets its own three calls; a day-of-month window is kept from the 1st to the 25th', () => {
    // 3、盆腔炎「首诊后3--5天」「首诊后7--12天」「接受各种治疗后21天」; 十二「每月1—25日电话回访」:
    // the 7–12 day window from 28 March to 2 April is called on 1 April, not on the 28th.
    const { planned } = gyn({ occurredAt: '2026-03-21T09:00:00+08:00', attributes: { diagnosis: '盆腔炎' } });

    expect(planned.map((p) => p.step)).toEqual(['gyn03_call1', 'gyn03_call2', 'gyn03_call3']);
    expect(step(planned, 'gyn03_call1')).toMatchObject({ dueAt: new Date('2026-03-24T14:00:00+08:00'), deadlineAt: new Date('2026-03-26T23:59:00+08:00') });
    expect(step(planned, 'gyn03_call2')).toMatchObject({
      earliestAt: new Date('2026-03-28T00:00:00+08:00'),
      dueAt: new Date('2026-04-01T14:00:00+08:00'),
      deadlineAt: new Date('2026-04-02T23:59:00+08:00'),
    });
    expect(step(planned, 'gyn03_call3')).toMatchObject({ dueAt: new Date('2026-04-11T14:00:00+08:00') });
  });

  it('the days of the month give way to the deadline: a call due on the 27th is made on the 27th, in the hours', () => {
    // 20、盆腔穿刺术后「术后7天」: operated on 20 June, day 7 is 27 June (summer hours).
    const { planned } = gyn({ occurredAt: '2026-06-20T09:00:00+08:00', attributes: { diagnosis: '盆腔穿刺术后' } });

    expect(step(planned, 'gyn20_call2')).toMatchObject({ dueAt: new Date('2026-06-27T14:30:00+08:00'), deadlineAt: new Date('2026-06-27T23:59:00+08:00') });
  });

  it('the calls counted from stopping the medication wait for that milestone', () => {
    // 1、外阴炎、阴道炎「第三次电话回访：停药后3天」
    const waitingCase = gyn({ attributes: { diagnosis: '霉菌性阴道炎' } });
    expect(waitingCase.planned.map((p) => p.step)).toEqual(['gyn01_call1', 'gyn01_call2']);
    expect(waitingCase.waiting).toEqual([{ step: 'gyn01_call3', anchor: 'milestone:medication_stopped' }]);

    const stopped = gyn({ attributes: { diagnosis: '霉菌性阴道炎' }, milestones: { medication_stopped: '2026-11-16T10:00:00+08:00' } });
    expect(step(stopped.planned, 'gyn01_call3')).toMatchObject({ earliestAt: new Date('2026-11-19T00:00:00+08:00'), dueAt: new Date('2026-11-19T14:00:00+08:00') });
  });

  it('a gynaecology discharge gets the clinic table instead of the general discharge call', () => {
    // 9、宫外孕（术后者）「术后出院第1--3天」「术后出院2周左右」「术后出院一个月」; the survey of discharges stays.
    const { planned } = gyn({ type: 'discharge', occurredAt: '2026-11-03T15:30:00+08:00', attributes: { diagnosis: '宫外孕术后' } });

    expect(planned.map((p) => p.step).sort()).toEqual(['gyn09_call1', 'gyn09_call2', 'gyn09_call3', 'survey']);
    expect(step(planned, 'gyn09_call1')).toMatchObject({ dueAt: new Date('2026-11-04T14:00:00+08:00'), deadlineAt: new Date('2026-11-06T23:59:00+08:00') });
  });

  it('a diagnosis the table does not name plans nothing, and simulate says why', () => {
    const body = exampleBody('P4-gynaecology-abortion', { attributes: { diagnosis: '子宫内膜炎' } });
    const { planned, waiting } = plan(P4, factsFromBody(body, clinic), clinic);
    expect(planned).toEqual([]);
    expect(waiting).toEqual([]);

    const result = simulateCase({ policy: P4, body, org: clinic, calendar, timeZone: TZ });
    expect(result.noStepApplies).toHaveLength(1);
    expect(result.noStepApplies[0]).toContain('attributes.diagnosis = "子宫内膜炎" 不在任何步骤的条件中');
    expect(result.noStepApplies[0]).toContain('人流术后');
    expect(renderSimulation(result)).toContain('没有步骤适用于此案例');
  });
});

describe('P4 gynaecology table: every row of 002 制度21【妇科疾病电话回访内容及天数】', () => {
  const clinic = hospitalWithClinic();
  // Each call: [days from the event to the earliest time (00:00 that day; 'now' = the event itself), days to
  // the deadline (23:59)], or `months` for 「一个月」, or a milestone the clinic records.
  type Call = readonly [number | 'now', number] | { months: 1 } | { milestone: string; from: number; to: number };
  const rows: readonly [string, string, readonly [Call, Call, Call]][] = [
    ['1、外阴炎、阴道炎「治疗后第3天」「治疗后第7天」「停药后3天」', '老年性阴道炎', [[3, 3], [7, 7], { milestone: 'medication_stopped', from: 3, to: 3 }]],
    ['2、宫颈炎「首诊3--5天」「首诊第7天」「停药三天」', '宫颈糜烂', [[3, 5], [7, 7], { milestone: 'medication_stopped', from: 3, to: 3 }]],
    ['3、盆腔炎「首诊后3--5天」「首诊后7--12天」「接受各种治疗后21天」', '盆腔炎', [[3, 5], [7, 12], [21, 21]]],
    ['4、非淋感染「取药后第3天」「取药后第10天」「停药后5—6天」', '非淋感染', [[3, 3], [10, 10], { milestone: 'medication_stopped', from: 5, to: 6 }]],
    ['5、尖锐湿疣「接受治疗后第3天」「治疗后第10天」「治疗后第14天」', '尖锐湿疣', [[3, 3], [10, 10], [14, 14]]],
    ['6、不孕症「首诊后第3天」「制定治疗方案后5天」「根据个体化定具体时间」', '不孕症', [[3, 3], { milestone: 'treatment_planned', from: 5, to: 5 }, { milestone: 'call3_date', from: 0, to: 0 }]],
    ['7、不孕症（造影术、通水术后者）「术后第3天」「根据个体化需要定时间」「根据个体化病情」', '输卵管造影术后', [[3, 3], { milestone: 'call2_date', from: 0, to: 0 }, { milestone: 'call3_date', from: 0, to: 0 }]],
    ['8、宫外孕（未接受手术治疗者）「首诊后2天」「首诊后3天」「7天」', '宫外孕未手术', [[2, 2], [3, 3], [7, 7]]],
    ['9、宫外孕（术后者）「术后出院第1--3天」「术后出院2周左右」「术后出院一个月」', '宫外孕术后', [[1, 3], [13, 15], { months: 1 }]],
    ['10、早孕（保胎）「治疗后第1--3天」「治疗后第5--7天」「治疗后二周」', '早孕保胎', [[1, 3], [5, 7], [14, 14]]],
    ['11、宫颈上皮内瘤样病变「首诊后2天」「首诊后一周」「首诊后2周」', 'CIN2', [[2, 2], [7, 7], [14, 14]]],
    ['12、宫颈癌（明确诊断者）「明确诊断后1—3天内」「第7天后」「在前两次电话基础上」', '宫颈癌', [[1, 3], [7, 14], { milestone: 'call3_date', from: 0, to: 0 }]],
    ['13、阴道纵隔、子宫畸形「首诊后3—7天」「首诊后14天」「下次月经前」', '纵隔子宫', [[3, 7], [14, 14], { milestone: 'next_period', from: -7, to: -1 }]],
    ['14、下体裂伤、阴道松弛「术后3天」「术后2周」「术后4周」', '阴道松弛', [[3, 3], [14, 14], [28, 28]]],
    ['15、子宫肌瘤「首诊后1—3天」「首诊后第7天」「月经干净3天后」', '子宫肌瘤', [[1, 3], [7, 7], { milestone: 'period_ended', from: 3, to: 3 }]],
    ['16、人流术后「术后3天之内」「术后7天」「术后40天」', '人流术后', [['now', 3], [7, 7], [40, 40]]],
    ['17、宫颈Leep刀锥切手术后「术后3天之内」「术后7天」「术后一个月」', '宫颈Leep刀锥切术后', [['now', 3], [7, 7], { months: 1 }]],
    ['18、宫颈纳米手术后「术后3天之内」「术后7天」「术后一个月」', '宫颈纳米术后', [['now', 3], [7, 7], { months: 1 }]],
    ['19、激光手术后「术后3天之内」「术后7天」「术后一个月」', '激光术后', [['now', 3], [7, 7], { months: 1 }]],
    ['20、盆腔穿刺术后「术后3天」「术后7天」「术后21天」', '盆腔穿刺术后', [[3, 3], [7, 7], [21, 21]]],
    ['21、宫腔镜术后「术后3天之内」「术后7天之内」「术后一个月」', '宫腔镜术后', [['now', 3], [4, 7], { months: 1 }]],
    ['22、腹腔镜术后「术后3天之内」「术后7天内」「术后一个月」', '腹腔镜术后', [['now', 3], [4, 7], { months: 1 }]],
  ];
  const event = '2026-03-02T10:00:00+08:00';
  const milestoneAt = '2026-05-11T10:00:00+08:00';
  const day = (base: string, n: number, time: string) => {
    const d = new Date(base);
    d.setUTCDate(d.getUTCDate() + n);
    return new Date(`${d.toISOString().slice(0, 10)}T${time}:00+08:00`);
  };

  it.each(rows)('%s (diagnosis %s)', (_row, diagnosis, calls) => {
    const milestones = Object.fromEntries(
      calls.flatMap((c) => ('milestone' in c ? [[c.milestone, milestoneAt]] : [])),
    ) as Record<string, string>;
    const { planned, waiting } = plan(P4, exampleCase('P4-gynaecology-abortion', { occurredAt: event, attributes: { diagnosis }, milestones }, clinic), clinic);
    const code = rows.findIndex((r) => r[1] === diagnosis) + 1;

    expect(waiting).toEqual([]);
    expect(planned.map((p) => p.step).sort()).toEqual([1, 2, 3].map((n) => `gyn${String(code).padStart(2, '0')}_call${n}`));
    calls.forEach((c, i) => {
      const got = step(planned, `gyn${String(code).padStart(2, '0')}_call${i + 1}`);
      const [earliest, deadline] =
        'months' in c
          ? [new Date('2026-04-02T00:00:00+08:00'), new Date('2026-04-02T23:59:00+08:00')]
          : 'milestone' in c
            ? [day(milestoneAt, c.from, '00:00'), day(milestoneAt, c.to, '23:59')]
            : [c[0] === 'now' ? new Date(event) : day(event, c[0], '00:00'), day(event, c[1], '23:59')];
      expect({ call: i + 1, earliestAt: got.earliestAt, deadlineAt: got.deadlineAt >= deadline ? deadline : got.deadlineAt }).toEqual({ call: i + 1, earliestAt: earliest, deadlineAt: deadline });
      expect(got.dueAt.getTime()).toBeLessThanOrEqual(got.deadlineAt.getTime());
    });
  });
});
