// A step anchored on the actual completion of an earlier one (P1, seed 000 第一篇 3「第一次验收回访结束后，
// 半年后再安排第二次回访」) is written when the first call is recorded done — on each database.
import { beforeAll, expect, it } from 'vitest';
import { FakeClock } from '../../../../bot/clocks.js';
import type { Huifang } from '../../../../bot/huifang.js';
import { describeEachDatabase } from '../../../support/db.js';
import { createTestService, seedOrganisation, sharedDbClient } from '../../../support/service.js';
import { dischargeBody, submit, tapCard } from '../../../support/builders.js';
import { activateDueFollowUps } from '../../../../bot/core/follow-ups/activate-due-follow-ups.js';

describeEachDatabase('steps planned on completion', (db) => {
  let app: Huifang;
  let staff: Map<string, string>;
  const clock = new FakeClock('2026-03-18T17:00:00+08:00');

  beforeAll(async () => {
    staff = await seedOrganisation(db());
    app = createTestService(db().url, sharedDbClient(db()), clock);
  });

  it('writes P1’s half-year call when the first call is recorded done, once, from the moment it was made', async () => {
    // The example organisation has no follow-up officer: the department head calls, never the project lead.
    const body = dischargeBody({ type: 'project_acceptance', occurredAt: '2026-03-18T16:40:00+08:00', attributes: { project: '华东站' } });
    const { caseId } = await submit(app, body);
    const steps = () => db().prisma.followUp.findMany({ where: { caseId }, orderBy: { sequence: 'asc' } });
    expect((await steps()).map((f) => f.step).sort()).toEqual(['acceptance_call', 'third_year_call']);

    const first = (await steps()).find((f) => f.step === 'acceptance_call')!;
    clock.set('2026-03-19T09:00:00+08:00');
    await activateDueFollowUps(app.deps);
    clock.set('2026-03-24T15:10:00+08:00');
    const tap = await tapCard(app, { wecomUserId: 'kezhuren.wang', key: `satisfied:${first.id}:1` });
    expect(tap.result).toMatchObject({ status: 'PROCESSED', result: { status: 'recorded' } });

    const second = (await steps()).filter((f) => f.step === 'half_year_call');
    expect(second).toHaveLength(1);
    expect(second[0]).toMatchObject({
      status: 'SCHEDULED',
      earliestAt: new Date('2026-09-24T09:00:00+08:00'),
      dueAt: new Date('2026-09-24T09:00:00+08:00'),
      deadlineAt: new Date('2026-10-24T23:59:00+08:00'),
      assigneeId: staff.get('kezhuren.wang'),
    });
    // The same case posted again keeps the one half-year call where it is.
    await submit(app, body);
    expect((await steps()).filter((f) => f.step === 'half_year_call').map((f) => f.earliestAt)).toEqual([new Date('2026-09-24T09:00:00+08:00')]);
  });
});
