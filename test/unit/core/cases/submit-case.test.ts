// submitCase over the in-memory stores: the policy's follow-ups are planned with the case, and a
// repeated post — the source system's retry — creates nothing new.
import { beforeEach, describe, expect, it } from 'vitest';
import { activateDueFollowUps } from '../../../../bot/core/follow-ups/activate-due-follow-ups.js';
import { createMemoryService, type MemoryService } from '../../../support/memory-service.js';
import { dischargeBody } from '../../../support/builders.js';

describe('submitCase', () => {
  let app: MemoryService;
  beforeEach(async () => {
    app = await createMemoryService({ start: '2026-11-03T16:00:00+08:00' });
  });

  it('plans the discharge policy’s phone call and survey, assigned and timed as P4 says', async () => {
    const result = await app.submit(dischargeBody({ externalId: 'ZY-1' }));

    expect(result).toMatchObject({ created: true, followUpsAdded: 2 });
    const [kase] = app.rows('case');
    expect(kase).toMatchObject({ id: result.caseId, type: 'discharge', externalId: 'ZY-1', policyId: 'P4', status: 'OPEN' });
    const followUps = app.rows('followUp').map((f) => ({ step: f.step, action: f.action, status: f.status, assigneeId: f.assigneeId, dueAt: f.dueAt, deadlineAt: f.deadlineAt }));
    expect(followUps).toEqual([
      {
        step: 'phone',
        action: 'STAFF_TASK',
        status: 'SCHEDULED',
        assigneeId: app.staff.get('hushi.li'),
        dueAt: new Date('2026-11-10T09:00:00+08:00'),
        deadlineAt: new Date('2026-11-18T23:59:00+08:00'),
      },
      { step: 'survey', action: 'CUSTOMER_SURVEY', status: 'SCHEDULED', assigneeId: null, dueAt: new Date('2026-11-06T10:00:00+08:00'), deadlineAt: new Date('2026-11-16T20:00:00+08:00') },
    ]);
    expect(app.rows('audit').filter((a) => a.action === 'case.created')).toHaveLength(1);
    expect(app.rows('outbox')).toEqual([]);
  });

  it('says which attribute no step names when nothing applies: a gynaecology diagnosis outside 002 制度21\'s table', async () => {
    const clinic = (externalId: string, diagnosis: string) =>
      dischargeBody({ type: 'outpatient', externalId, attributes: { clinic: 'gynaecology', diagnosis } });
    const unknown = await app.submit(clinic('MZ-1', '子宫内膜炎'));
    const known = await app.submit(clinic('MZ-2', '人流术后'));

    expect(unknown).toMatchObject({ created: true, followUpsAdded: 0, noStepApplies: ['diagnosis'] });
    expect(known.noStepApplies).toBeUndefined();
    expect(known.followUpsAdded).toBe(3);
  });

  it('creates nothing new when the same case is posted again, in a row or at once', async () => {
    const body = dischargeBody();
    const first = await app.submit(body);
    const [again, atOnceA, atOnceB] = [await app.submit(body), ...(await Promise.all([app.submit(body), app.submit(body)]))];

    for (const r of [again, atOnceA, atOnceB]) expect(r).toEqual({ caseId: first.caseId, created: false, followUpsAdded: 0 });
    expect(app.rows('case')).toHaveLength(1);
    expect(app.rows('followUp')).toHaveLength(2);
    expect(app.rows('customer').filter((c) => c.externalId === body.customer.externalId)).toHaveLength(1);
    expect(app.rows('audit').map((a) => a.action)).toEqual(['case.created']);
  });

  it('adds the follow-up a new milestone unlocks, once', async () => {
    const complaint = {
      type: 'property_complaint',
      externalId: 'TS-1',
      occurredAt: '2026-11-02T09:10:00+08:00',
      department: 'service-centre',
      responsibleStaff: 'zhuli.wu',
      customer: { externalId: 'O-0101', name: '陈静', phone: '+8613900000101' },
      attributes: { severity: 'general' },
    };
    const opened = await app.submit(complaint);
    expect(opened).toMatchObject({ created: true, followUpsAdded: 0 });

    const handled = { ...complaint, milestones: { handled: '2026-11-05T14:00:00+08:00' } };
    const results = [await app.submit(handled), await app.submit(handled)];

    expect(results.map((r) => r.followUpsAdded)).toEqual([1, 0]);
    expect(app.rows('followUp')).toMatchObject([{ caseId: opened.caseId, step: 'complaint_followup', status: 'SCHEDULED', dueAt: new Date('2026-11-05T14:00:00+08:00') }]);
  });

  it('cancels the open follow-ups of a case posted again as closed, and sends nothing for them', async () => {
    const body = dischargeBody();
    const { caseId } = await app.submit(body);

    expect(await app.submit({ ...body, closedAt: '2026-11-04T08:00:00+08:00' })).toEqual({ caseId, created: false, followUpsAdded: 0 });
    app.clock.set('2026-11-20T09:00:00+08:00');
    await activateDueFollowUps(app.deps);

    expect(app.rows('case')[0]).toMatchObject({ status: 'CLOSED' });
    expect(app.rows('followUp').map((f) => [f.step, f.status, f.outcomeNote])).toEqual([
      ['phone', 'CANCELLED', 'CASE_CLOSED'],
      ['survey', 'CANCELLED', 'CASE_CLOSED'],
    ]);
    expect(app.rows('outbox')).toEqual([]);
  });

  it('refuses an unknown case type and changes nothing', async () => {
    await expect(app.submit({ ...dischargeBody(), type: 'no_such_type' })).rejects.toMatchObject({ code: 'UNKNOWN_CASE_TYPE' });
    expect(app.rows('case')).toEqual([]);
  });
});
