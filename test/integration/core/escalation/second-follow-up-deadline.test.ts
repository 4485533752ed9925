// The second follow-up after an escalation (P6 002 制度3 5「做好妥善处理，并再次回访客户，告之处理结果」; P5 「对处理结果
//进行跟踪回访」): its deadline counts from when it may first be made, and neither its due time nor a retry after an
// unanswered call is ever after that deadline — the deadline wins, on each database.
import { beforeAll, expect, it } from 'vitest';
import { FakeClock } from '../../../../bot/clocks.js';
import type { Huifang } from '../../../../bot/huifang.js';
import { describeEachDatabase } from '../../../support/db.js';
import { createTestService, seedOrganisation, sharedDbClient } from '../../../support/service.js';
import { dischargeBody, submit, tapCard } from '../../../support/builders.js';
import { activateDueFollowUps } from '../../../../bot/core/follow-ups/activate-due-follow-ups.js';
import { resolveEscalation } from '../../../../bot/core/escalation/act-on-escalation.js';

describeEachDatabase('second follow-up after an escalation: the deadline wins', (db) => {
  let app: Huifang;
  const clock = new FakeClock('2026-11-02T10:00:00+08:00');

  beforeAll(async () => {
    await seedOrganisation(db());
    app = createTestService(db().url, sharedDbClient(db()), clock);
  });

  it('is due within 3 working days of the resolution, and its last retry comes before that deadline', async () => {
    // A paid repair handed back on Monday 2 November 2026; the service call from Tuesday 09:00.
    const body = dischargeBody({ type: 'vehicle_paid_repair', occurredAt: '2026-11-02T10:00:00+08:00', attributes: {} });
    const { caseId } = await submit(app, body);
    const call = await db().prisma.followUp.findUniqueOrThrow({ where: { caseId_step: { caseId, step: 'service_call' } } });
    clock.set('2026-11-03T09:00:00+08:00');
    await activateDueFollowUps(app.deps);
    const active = await db().prisma.followUp.findUniqueOrThrow({ where: { id: call.id } });
    const assignee = await db().prisma.staff.findUniqueOrThrow({ where: { id: active.assigneeId! } });
    clock.set('2026-11-03T10:00:00+08:00');
    await tapCard(app, { wecomUserId: assignee.wecomUserId, key: `dissatisfied:${call.id}:${active.activations}` });
    const escalation = await db().prisma.escalation.findFirstOrThrow({ where: { followUpId: call.id } });
    const owner = await db().prisma.staff.findUniqueOrThrow({ where: { id: escalation.ownerId! } });

    // Resolved on Thursday 5 November at 21:00: one working day later is Friday 21:00, after office hours, so
    // from Monday 9 November 08:30; within 3 working days from then: Thursday 12 November, 23:59.
    clock.set('2026-11-05T21:00:00+08:00');
    const resolved = await resolveEscalation(app.deps, { escalationId: escalation.id, level: escalation.level, wecomUserId: owner.wecomUserId, inboundEventId: null, note: '已返修并致歉。' });
    expect(resolved).toMatchObject({ status: 'resolved' });
    const second = () => db().prisma.followUp.findUniqueOrThrow({ where: { caseId_step: { caseId, step: `esc2_${escalation.id}` } } });
    expect(await second()).toMatchObject({
      status: 'SCHEDULED',
      earliestAt: new Date('2026-11-09T08:30:00+08:00'),
      dueAt: new Date('2026-11-09T08:30:00+08:00'),
      deadlineAt: new Date('2026-11-12T23:59:00+08:00'),
    });

    // Unanswered on the last day at 15:00: a retry a working day later would pass the deadline. It comes
    // halfway to it instead, the same evening.
    clock.set('2026-11-12T15:00:00+08:00');
    await activateDueFollowUps(app.deps);
    const pushed = await second();
    expect(pushed.status).toBe('ACTIVE');
    const callee = await db().prisma.staff.findUniqueOrThrow({ where: { id: pushed.assigneeId! } });
    await tapCard(app, { wecomUserId: callee.wecomUserId, key: `unreachable:${pushed.id}:${pushed.activations}` });

    const retry = await second();
    expect(retry).toMatchObject({ status: 'SCHEDULED', attempts: 1, deadlineAt: new Date('2026-11-12T23:59:00+08:00') });
    expect(retry.dueAt).toEqual(new Date('2026-11-12T19:29:30+08:00'));
  });
});
