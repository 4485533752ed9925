import { beforeAll, expect, it } from 'vitest';
import { FakeClock } from '../../../../bot/clocks.js';
import type { Huifang } from '../../../../bot/huifang.js';
import { describeEachDatabase } from '../../../support/db.js';
import { createTestService, seedOrganisation, sharedDbClient } from '../../../support/service.js';
import { startReplicaProcess } from '../../../support/replica.js';
import type { SubmitCaseResult } from '../../../../bot/core/cases/submit-case.js';
import { dischargeBody, submit } from '../../../support/builders.js';
import { activateDueFollowUps } from '../../../../bot/core/follow-ups/activate-due-follow-ups.js';

describeEachDatabase('submitCase idempotency', (db) => {
  let app: Huifang;
  const clock = new FakeClock('2026-11-03T16:00:00+08:00');

  beforeAll(async () => {
    await seedOrganisation(db());
    app = createTestService(db().url, sharedDbClient(db()), clock);
  });

  async function rowsFor(externalId: string) {
    const cases = await db().prisma.case.findMany({ where: { type: 'discharge', externalId } });
    const followUps = await db().prisma.followUp.findMany({ where: { caseId: { in: cases.map((c) => c.id) } } });
    return { cases, followUps };
  }

  it('creates one case and one set of follow-ups when the same case is posted twice in a row', async () => {
    const body = dischargeBody();

    const first = await submit(app, body);
    const second = await submit(app, body);

    expect(first).toMatchObject({ created: true, followUpsAdded: 2 });
    expect(second).toEqual({ caseId: first.caseId, created: false, followUpsAdded: 0 });
    const { cases, followUps } = await rowsFor(body.externalId);
    expect(cases).toHaveLength(1);
    expect(followUps.map((f) => f.step).sort()).toEqual(['phone', 'survey']);
  });

  it('creates one case and one set of follow-ups when the same case is posted twice at once', async () => {
    const body = dischargeBody();

    const results = await Promise.all([submit(app, body), submit(app, body)]);

    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.caseId)).size).toBe(1);
    expect(results.map((r) => r.followUpsAdded).sort()).toEqual([0, 2]);
    const { cases, followUps } = await rowsFor(body.externalId);
    expect(cases).toHaveLength(1);
    expect(followUps).toHaveLength(2);
    const customers = await db().prisma.customer.findMany({ where: { externalId: body.customer.externalId! } });
    expect(customers).toHaveLength(1);
  });

  it('creates one case when two service replicas receive the same case at once', async () => {
    const body = dischargeBody();
    const replica = startReplicaProcess(db().url, clock.now(), { kind: 'submit', body, times: 2 });
    await replica.ready;

    const [local, remote] = await Promise.all([Promise.all([submit(app, body), submit(app, body)]), replica.go()]);

    expect(remote.error).toBeUndefined();
    const results = [...local, ...(remote.result as SubmitCaseResult[])];
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.caseId)).size).toBe(1);
    const { cases, followUps } = await rowsFor(body.externalId);
    expect(cases).toHaveLength(1);
    expect(followUps).toHaveLength(2);
    const audits = await db().prisma.auditLog.count({ where: { action: 'case.created', entityId: cases[0]!.id } });
    expect(audits).toBe(1);
  });

  it('adds the follow-up a new milestone unlocks, once, when a complaint is re-posted as handled', async () => {
    const body = {
      type: 'property_complaint',
      externalId: `TS-${Date.now()}`,
      occurredAt: '2026-11-02T09:10:00+08:00',
      department: 'service-centre',
      responsibleStaff: 'zhuli.wu',
      customer: { externalId: 'O-0101', name: '陈静', phone: '+8613900000101' },
      attributes: { severity: 'general' },
    };
    const opened = await submit(app, body);
    expect(opened).toMatchObject({ created: true, followUpsAdded: 0 });

    const handled = { ...body, milestones: { handled: '2026-11-05T14:00:00+08:00' } };
    const results = await Promise.all([submit(app, handled), submit(app, handled)]);
    const again = await submit(app, handled);

    expect(results.map((r) => r.followUpsAdded).reduce((a, b) => a + b, 0)).toBe(1);
    expect(again.followUpsAdded).toBe(0);
    const followUps = await db().prisma.followUp.findMany({ where: { caseId: opened.caseId } });
    expect(followUps).toHaveLength(1);
    expect(followUps[0]).toMatchObject({ step: 'complaint_followup', status: 'SCHEDULED', dueAt: new Date('2026-11-05T14:00:00+08:00') });
  });

  it('cancels the open follow-ups of a case re-posted as closed, and sends nothing for them', async () => {
    const body = dischargeBody();
    const { caseId } = await submit(app, body);

    const closed = await submit(app, { ...body, closedAt: '2026-11-04T08:00:00+08:00' });
    const again = await submit(app, { ...body, closedAt: '2026-11-04T08:00:00+08:00' });
    clock.set('2026-11-20T09:00:00+08:00');
    await activateDueFollowUps(app.deps);

    expect(closed).toEqual({ caseId, created: false, followUpsAdded: 0 });
    expect(again.followUpsAdded).toBe(0);
    expect(await db().prisma.case.findUniqueOrThrow({ where: { id: caseId } })).toMatchObject({ status: 'CLOSED' });
    const followUps = await db().prisma.followUp.findMany({ where: { caseId } });
    expect(followUps.map((f) => [f.status, f.outcomeNote])).toEqual([
      ['CANCELLED', 'CASE_CLOSED'],
      ['CANCELLED', 'CASE_CLOSED'],
    ]);
    expect(await db().prisma.outboxMessage.count({ where: { followUpId: { in: followUps.map((f) => f.id) } } })).toBe(0);
  });
});
