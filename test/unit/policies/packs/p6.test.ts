// P6 汽车维修回访 (seed 002 客户回访制度 3) — templates/policies/P6.yaml against the real calendar.
import { describe, expect, it } from 'vitest';
import { exampleCase, loadPack, plan, step, tradeOrg } from './pack-helpers.js';

const P6 = loadPack('P6');

describe('P6 pack', () => {
  it('claims paid repairs, warranty repairs and registrations, all followed up', () => {
    // 2「回访对象：所有与修理厂（服务站）发生联系，包括：有偿修理、保用修理、登记定保的客户」
    expect(P6.id).toBe('P6');
    expect(P6.caseTypes).toEqual(['vehicle_paid_repair', 'vehicle_warranty_repair', 'vehicle_registration']);
    expect(P6.sampling).toBeUndefined();
    // 5「…及时向修理厂分管领导汇报，落实职责人，做好妥善处理，并再次回访客户」
    expect(P6.escalation.dissatisfiedTo).toEqual(['department_head', 'manager']);
  });
});

describe('P6 within 10 days after the service', () => {
  it('counts days on the Shanghai calendar: a paid repair at 00:30 local (16:30 UTC the day before) (examples/P6-paid-repair.json)', () => {
    // 3(1)「在修理厂（服务站）做过有偿修理后10日内」
    const facts = exampleCase('P6-paid-repair');
    expect(facts.occurredAt.toISOString()).toBe('2026-03-31T16:30:00.000Z');
    const { planned } = plan(P6, facts);

    expect(planned).toHaveLength(1);
    expect(step(planned, 'service_call')).toMatchObject({
      action: 'STAFF_TASK',
      earliestAt: new Date('2026-04-02T09:00:00+08:00'),
      dueAt: new Date('2026-04-02T09:00:00+08:00'),
      deadlineAt: new Date('2026-04-11T23:59:00+08:00'),
      assigneeId: 'huifangyuan.bai',
      assigneeRule: 'role:followup_officer',
      maxAttempts: 3,
      sampling: { kept: true, rate: 1 },
    });
  });

  it('counts calendar days through National Day for a warranty repair (examples/P6-warranty-repair.json)', () => {
    // 3(2)「在修理厂（服务站）做过保用服务后10日内」
    const { planned } = plan(P6, exampleCase('P6-warranty-repair'));

    expect(step(planned, 'service_call')).toMatchObject({
      earliestAt: new Date('2026-09-26T09:00:00+08:00'),
      deadlineAt: new Date('2026-10-05T23:59:00+08:00'),
      assigneeId: 'huifangyuan.bai',
    });
  });

  it('takes a registration at 23:59 local (15:59 UTC) as that local day, into the next year (examples/P6-registration.json)', () => {
    // 3(3)「在修理厂（服务站）进行登记后10日内」
    const facts = exampleCase('P6-registration');
    expect(facts.occurredAt.toISOString()).toBe('2026-12-22T15:59:00.000Z');
    const { planned } = plan(P6, facts);

    expect(step(planned, 'service_call')).toMatchObject({
      earliestAt: new Date('2026-12-23T09:00:00+08:00'),
      deadlineAt: new Date('2027-01-01T23:59:00+08:00'),
    });
    expect(step(planned, 'service_call').deadlineAt.toISOString()).toBe('2027-01-01T15:59:00.000Z');
  });

  it('gives the call to the station head when the dedicated officer is away', () => {
    // 1「回访工作安排专人负责，专职回访员」
    const { planned } = plan(P6, exampleCase('P6-paid-repair'), tradeOrg({ inactive: ['huifangyuan.bai'] }));

    expect(step(planned, 'service_call')).toMatchObject({ assigneeId: 'zhanzhang.qin', assigneeRule: 'department_head' });
  });
});
