// 002 制度21 in P4 (mandatory contact rules: 「节假日不进行回访」「25-27日对未接通的号码再次回访」): a retry after an
// unanswered call never lands on a public holiday nor after its deadline — the deadline moves with it, on each database.
import { beforeAll, expect, it } from 'vitest';
import { FakeClock } from '../../../../bot/clocks.js';
import type { Huifang } from '../../../../bot/huifang.js';
import { describeEachDatabase } from '../../../support/db.js';
import { createTestService, seedOrganisation, sharedDbClient } from '../../../support/service.js';
import { dischargeBody, submit, tapCard } from '../../../support/builders.js';
import { activateDueFollowUps } from '../../../../bot/core/follow-ups/activate-due-follow-ups.js';

describeEachDatabase('retries under mandatory contact rules', (db) => {
  let app: Huifang;
  const clock = new FakeClock('2026-09-23T10:30:00+08:00');

  beforeAll(async () => {
    await seedOrganisation(db());
    app = createTestService(db().url, sharedDbClient(db()), clock);
  });

  it('moves the retry of a day-7 call unanswered on 30 September past National Day, with its deadline', async () => {
    const body = dischargeBody({ type: 'outpatient', occurredAt: '2026-09-23T10:20:00+08:00', attributes: { clinic: 'gynaecology', diagnosis: '人流术后' } });
    const { caseId } = await submit(app, body);
    const call = async () => db().prisma.followUp.findUniqueOrThrow({ where: { caseId_step: { caseId, step: 'gyn16_call2' } } });
    // Day 7 is 30 September: after the 25th, so the days of the month give way to the deadline; summer hours.
    expect(await call()).toMatchObject({ dueAt: new Date('2026-09-30T14:30:00+08:00'), deadlineAt: new Date('2026-09-30T23:59:00+08:00') });
    clock.set('2026-09-30T14:30:00+08:00');
    await activateDueFollowUps(app.deps);
    const active = await call();
    expect(active.status).toBe('ACTIVE');

    clock.set('2026-09-30T15:00:00+08:00');
    const tap = await tapCard(app, { wecomUserId: 'hushi.li', key: `unreachable:${active.id}:${active.activations}` });

    expect(tap.result).toMatchObject({ status: 'PROCESSED', result: { status: 'recorded' } });
    // A day later is 1 October (National Day, 1–7 October): the next allowed moment is 8 October at 14:00
    // (winter hours); the same-day deadline moves to that day.
    expect(await call()).toMatchObject({
      status: 'SCHEDULED',
      attempts: 1,
      dueAt: new Date('2026-10-08T14:00:00+08:00'),
      deadlineAt: new Date('2026-10-08T23:59:00+08:00'),
    });
  });
});
