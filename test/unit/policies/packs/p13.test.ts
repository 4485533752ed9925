// P13 供水客户回访 (seed 004): the real pack, the real calendar (2025 National Day, 2026 Spring Festival
// with its make-up Saturdays 14 and 28 February), a water company with customer service, pipe network and works.
import { describe, expect, it } from 'vitest';
import type { CaseFacts } from '../../../../bot/core/model.js';
import { applyOffset, resolveRule } from '../../../../bot/core/policies/plan-follow-ups.js';
import { at, buildOrg, calendar, examples, facts, factsFromBody, keys, loadPack, plan, step, type OrgSpec } from './packs-b-helpers.js';

const P13 = loadPack('P13');

// 水务公司 (分管副总) — 客服部 (客服专员, 热线员), 管网部 (维修), 工程公司 (报装施工).
const WATER: OrgSpec = {
  departments: [
    { code: 'shuiwu', parent: null, head: 'fuzong.cao' },
    { code: 'kefu', parent: 'shuiwu', head: 'jingli.su' },
    { code: 'guanwang', parent: 'shuiwu', head: 'jingli.pan' },
    { code: 'gongcheng', parent: 'shuiwu', head: 'jingli.dong' },
  ],
  staff: [
    { id: 'fuzong.cao', department: 'shuiwu', roles: ['manager'] },
    { id: 'jingli.su', department: 'kefu', roles: ['department_head'], supervisor: 'fuzong.cao' },
    { id: 'kefu.jiang', department: 'kefu', roles: ['customer_service'], supervisor: 'jingli.su' },
    { id: 'rexian.tao', department: 'kefu', roles: ['hotline_operator'], supervisor: 'jingli.su' },
    { id: 'jingli.pan', department: 'guanwang', roles: ['department_head'], supervisor: 'fuzong.cao' },
    { id: 'weixiu.yu', department: 'guanwang', roles: ['repair'], supervisor: 'jingli.pan' },
    { id: 'jingli.dong', department: 'gongcheng', roles: ['department_head'], supervisor: 'fuzong.cao' },
    { id: 'shigong.lu', department: 'gongcheng', roles: ['engineer'], supervisor: 'jingli.dong' },
  ],
};
const org = buildOrg(WATER);

// Cases are filed under the responsible department (the works company, the pipe network); key customers under 客服部.
const RESPONSIBLE_DEPARTMENT: Record<string, string> = { water_connection: 'gongcheng', water_hotline_transfer: 'guanwang', water_hotline_repair: 'guanwang', water_key_customer: 'kefu' };

function waterCase(type: string, occurredAt: string, responsibleStaffId: string | null, milestones: Record<string, Date> = {}, departmentId = RESPONSIBLE_DEPARTMENT[type]!): CaseFacts {
  return facts({ type, externalId: `${type}-1`, occurredAt: at(occurredAt), departmentId, responsibleStaffId, attributes: { caseType: type }, milestones });
}

describe('P13 calendar facts the tests rely on', () => {
  it('has the 2025 National Day and 2026 Spring Festival schedules', () => {
    const cal = calendar();
    expect(['2025-09-28', '2025-10-01', '2025-10-08', '2025-10-09', '2025-10-11'].map((d) => cal.dayInfo(d).kind)).toEqual([
      'makeup_workday',
      'holiday',
      'holiday',
      'workday',
      'makeup_workday',
    ]);
    expect(['2026-02-14', '2026-02-15', '2026-02-23', '2026-02-24', '2026-02-28'].map((d) => cal.dayInfo(d).kind)).toEqual([
      'makeup_workday',
      'holiday',
      'holiday',
      'workday',
      'makeup_workday',
    ]);
  });
});

describe('P13 connections (三 1)', () => {
  it.each([
    // completed                        deadline (end of the 2nd working day after)   due (a working day)
    ['2025-09-30T15:00:00+08:00', '2025-10-10T23:59:00+08:00', '2025-09-30T15:00:00+08:00'], // Tue before National Day: 1–8 Oct off → Thu 9, Fri 10
    ['2025-09-26T10:00:00+08:00', '2025-09-29T23:59:00+08:00', '2025-09-26T10:00:00+08:00'], // Fri: make-up Sunday 28 Sep, Mon 29
    ['2025-10-09T11:00:00+08:00', '2025-10-11T23:59:00+08:00', '2025-10-09T11:00:00+08:00'], // Thu after: Fri 10, make-up Saturday 11 Oct
    ['2025-10-03T09:30:00+08:00', '2025-10-10T23:59:00+08:00', '2025-10-09T09:00:00+08:00'], // finished during the holiday: called on Thu 9 (working days only)
    ['2026-02-13T17:00:00+08:00', '2026-02-24T23:59:00+08:00', '2026-02-13T17:00:00+08:00'], // Fri before Spring Festival: make-up Sat 14, then Tue 24
    ['2026-02-26T08:00:00+08:00', '2026-02-28T23:59:00+08:00', '2026-02-26T08:00:00+08:00'], // Thu: Fri 27, make-up Saturday 28 Feb
  ])('connection completed %s → phone follow-up due by %s, on a working day', (completed, deadline, due) => {
    // 「用水手续办理结束后，要在2个工作日内对通水时间、进度控制、工程质量、文明施工和服务态度五个方面进行电话回访」
    const { planned } = plan(P13, waterCase('water_connection', completed, 'shigong.lu'), org);

    expect(keys(planned)).toEqual(['connection_followup']);
    expect(step(planned, 'connection_followup')).toMatchObject({
      earliestAt: at(completed),
      dueAt: at(due),
      deadlineAt: at(deadline),
      assigneeId: 'kefu.jiang',
      assigneeRule: 'nearest:customer_service',
    });
  });

  it('makes the second follow-up within 2 working days after the rectification', () => {
    // 「已制定整改措施、完成整改任务的，要及时进行二次回访，告知客户问题的整改进度和整改结果」
    const withoutRectification = plan(P13, waterCase('water_connection', '2025-09-30T15:00:00+08:00', 'shigong.lu'), org);
    expect(withoutRectification.waiting).toEqual([{ step: 'connection_second', anchor: 'milestone:rectified' }]);

    const { planned } = plan(P13, waterCase('water_connection', '2025-09-30T15:00:00+08:00', 'shigong.lu', { rectified: at('2025-10-10T16:00:00+08:00') }), org);
    expect(step(planned, 'connection_second')).toMatchObject({
      earliestAt: at('2025-10-10T16:00:00+08:00'),
      deadlineAt: at('2025-10-13T23:59:00+08:00'), // make-up Sat 11 Oct, then Mon 13
    });
  });

  it('never assigns the person whose work is checked, even if they hold the customer-service role, nor the head of the department checked', () => {
    // 「对通水时间、进度控制、工程质量、文明施工和服务态度五个方面进行电话回访」 — the builder does not rate himself.
    const { planned } = plan(P13, waterCase('water_connection', '2025-09-30T15:00:00+08:00', 'kefu.jiang'), org);

    expect(step(planned, 'connection_followup')).toMatchObject({ assigneeId: null, assigneeRule: 'unassigned: no active staff for nearest:customer_service' });
  });

  it('finds the callers in the sibling customer-service department, whichever department the case is filed under', () => {
    // 三 2(3)「客服部将汇报责任部门」: 客服部 calls about the responsible department's work.
    for (const departmentId of ['gongcheng', 'guanwang', 'kefu', 'shuiwu']) {
      const { planned } = plan(P13, waterCase('water_connection', '2025-09-30T15:00:00+08:00', 'shigong.lu', {}, departmentId), org);
      expect(step(planned, 'connection_followup').assigneeId, departmentId).toBe('kefu.jiang');
    }
  });
});

describe('P13 hotline (三 2)', () => {
  it.each([
    // received                          deadline (end of the 3rd working day after)   due (a working day)
    ['2026-02-13T16:00:00+08:00', '2026-02-25T23:59:00+08:00', '2026-02-13T16:00:00+08:00'], // Fri: make-up Sat 14, Tue 24, Wed 25
    ['2026-02-16T10:00:00+08:00', '2026-02-26T23:59:00+08:00', '2026-02-24T09:00:00+08:00'], // during the holiday: called on Tue 24
    ['2026-02-26T09:00:00+08:00', '2026-03-02T23:59:00+08:00', '2026-02-26T09:00:00+08:00'], // Thu: Fri 27, make-up Sat 28, Mon 2 Mar
    ['2025-09-29T18:00:00+08:00', '2025-10-10T23:59:00+08:00', '2025-09-29T18:00:00+08:00'], // Mon before National Day: Tue 30, Thu 9, Fri 10
  ])('12345 transfer received %s → follow-up due by %s, on a working day', (received, deadline, due) => {
    // 「对12345政务服务热线等上级部门转办件，客服专员需在接到转办件后3个工作日内对客户进行回访」
    const { planned } = plan(P13, waterCase('water_hotline_transfer', received, 'weixiu.yu'), org);

    expect(keys(planned)).toEqual(['transfer_followup']);
    expect(step(planned, 'transfer_followup')).toMatchObject({
      earliestAt: at(received),
      dueAt: at(due),
      deadlineAt: at(deadline),
      assigneeId: 'kefu.jiang',
    });
  });

  it.each([
    // dispatched                        next day 09:00 …                 … 23:59
    ['2026-02-14T23:59:00+08:00', '2026-02-15T09:00:00+08:00', '2026-02-15T23:59:00+08:00'], // 23:59 is still the 14th
    ['2026-02-15T00:00:00+08:00', '2026-02-16T09:00:00+08:00', '2026-02-16T23:59:00+08:00'], // 00:00 is already the 15th
    ['2025-12-31T23:59:00+08:00', '2026-01-01T09:00:00+08:00', '2026-01-01T23:59:00+08:00'], // over the new year (a holiday)
    ['2026-01-31T16:00:00+08:00', '2026-02-01T09:00:00+08:00', '2026-02-01T23:59:00+08:00'], // over a month end
  ])('hotline repair dispatched %s → called back the next day from %s to %s', (dispatched, earliest, deadline) => {
    // 「对热线派单的报修件，热线员需在派单次日对客户进行回访」 — the 24-hour hotline calls on holidays too.
    const { planned } = plan(P13, waterCase('water_hotline_repair', dispatched, 'weixiu.yu'), org);

    expect(keys(planned)).toEqual(['repair_followup']);
    expect(step(planned, 'repair_followup')).toMatchObject({
      earliestAt: at(earliest),
      dueAt: at(earliest),
      deadlineAt: at(deadline),
      assigneeId: 'rexian.tao',
      assigneeRule: 'nearest:hotline_operator',
    });
  });
});

describe('P13 big and special customers (三 3)', () => {
  it('visits at least once in every half year, for two years, by the head of customer service', () => {
    // 「客服部负责人每半年至少对大客户、特殊客户及潜在客户进行用水回访」
    const { planned } = plan(P13, waterCase('water_key_customer', '2026-01-05T09:00:00+08:00', null), org);

    expect(planned.map((p) => [p.step, p.earliestAt.toISOString(), p.deadlineAt.toISOString(), p.assigneeId])).toEqual([
      ['key_customer_first_half', at('2026-01-05T09:00:00+08:00').toISOString(), at('2026-07-05T09:00:00+08:00').toISOString(), 'jingli.su'],
      ['key_customer_1', at('2026-07-05T09:00:00+08:00').toISOString(), at('2027-01-05T09:00:00+08:00').toISOString(), 'jingli.su'],
      ['key_customer_2', at('2027-01-05T09:00:00+08:00').toISOString(), at('2027-07-05T09:00:00+08:00').toISOString(), 'jingli.su'],
      ['key_customer_3', at('2027-07-05T09:00:00+08:00').toISOString(), at('2028-01-05T09:00:00+08:00').toISOString(), 'jingli.su'],
    ]);
  });

  it('keeps half years on month ends (31 Aug → 28 Feb → 31 Aug)', () => {
    const { planned } = plan(P13, waterCase('water_key_customer', '2025-08-31T09:00:00+08:00', null), org);

    expect(step(planned, 'key_customer_first_half').deadlineAt).toEqual(at('2026-02-28T09:00:00+08:00'));
    expect(step(planned, 'key_customer_1').earliestAt).toEqual(at('2026-02-28T09:00:00+08:00'));
    expect(step(planned, 'key_customer_2').earliestAt).toEqual(at('2026-08-31T09:00:00+08:00'));
  });
});

describe('P13 escalation', () => {
  it('sends a dissatisfied answer to the responsible department first, then the deputy general manager', () => {
    // 三 2(3)「客户对服务质量及结果不满意的，客服部将汇报责任部门、公司分管领导按照规定启动责任追究程序」
    // 六 2「回复时效1个工作日」: one working day, so a Friday-afternoon escalation is due Monday afternoon.
    expect(P13.escalation).toEqual({ dissatisfiedTo: ['supervisor', 'department_head', 'manager'], deadline: { amount: 1, unit: 'working_days' } });
    expect(applyOffset(at('2026-11-20T15:00:00+08:00'), P13.escalation.deadline, { timeZone: 'Asia/Shanghai', calendar: calendar() })).toEqual(at('2026-11-23T15:00:00+08:00'));
    const repair = waterCase('water_hotline_repair', '2026-02-14T23:59:00+08:00', 'weixiu.yu');
    expect(resolveRule('supervisor', repair, org, null)?.id).toBe('jingli.pan');
    expect(resolveRule('department_head', repair, org, null)?.id).toBe('jingli.pan');
    expect(resolveRule('manager', repair, org, null)?.id).toBe('fuzong.cao');
  });
});

describe('P13 examples', () => {
  it('every example is a valid POST /api/v1/cases body of a P13 case type', () => {
    const found = examples('P13');
    expect(found.map((e) => e.file)).toEqual(['P13-connection.json', 'P13-hotline-repair.json', 'P13-hotline-transfer.json', 'P13-key-customer.json']);
    const deadlines = Object.fromEntries(
      found.map(({ file, body }) => {
        expect(P13.caseTypes, file).toContain(body.type);
          return [file, plan(P13, factsFromBody(body, org), org).planned[0]!.deadlineAt];
      }),
    );
    expect(deadlines).toEqual({
      'P13-connection.json': at('2025-10-10T23:59:00+08:00'),
      'P13-hotline-repair.json': at('2026-02-15T23:59:00+08:00'),
      'P13-hotline-transfer.json': at('2026-02-25T23:59:00+08:00'),
      'P13-key-customer.json': at('2026-07-05T09:00:00+08:00'),
    });
  });
});
