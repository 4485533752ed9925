import { beforeAll, expect, it } from 'vitest';
import { FakeClock } from '../../../../bot/clocks.js';
import type { Huifang } from '../../../../bot/huifang.js';
import type { CaseBody } from '../../../../bot/cases/case-body.js';
import { runJob } from '../../../../jobs/run-job.js';
import { describeEachDatabase } from '../../../support/db.js';
import { createTestService, seedOrganisation, sharedDbClient } from '../../../support/service.js';
import { startReplicaProcess } from '../../../support/replica.js';
import { submit, uniquePhone } from '../../../support/builders.js';

// 002 制度12「每周将安排2~3次对客户的电话回访」 (P12: `quota: { min: 2, max: 3, per: week, by: all }` over a 2 %
// draw). Of YDQ005000–YDQ005299 the draw picks YDQ005019, YDQ005083, YDQ005157, YDQ005192 and YDQ005256 only.
const ids = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `YDQ00${from + i}`);

describeEachDatabase('topping a weekly quota up to its minimum (P12), job top-up-quotas', (db) => {
  let app: Huifang;
  const clock = new FakeClock('2026-04-06T20:00:00+08:00');

  beforeAll(async () => {
    await seedOrganisation(db());
    app = createTestService(db().url, sharedDbClient(db()), clock);
  });

  const delivery = (externalId: string, occurredAt: string): CaseBody => ({
    type: 'express_delivery',
    externalId,
    occurredAt,
    customer: { externalId: `KH-${externalId}`, name: '收件人', phone: uniquePhone() },
    attributes: {},
  });

  const spotChecks = (externalIds: readonly string[]) =>
    db().prisma.followUp.findMany({ where: { step: 'spot_check', case: { type: 'express_delivery', externalId: { in: [...externalIds] } } }, include: { case: true } });
  const placesOf = (monday: string) => db().prisma.followUp.findMany({ where: { quotaSlot: { startsWith: `P12|spot_check|*|${monday}#` } }, include: { case: true }, orderBy: { quotaSlot: 'asc' } });

  it('tops a quiet week with 1 of 20 orders drawn up to 2 checks from Friday, and not before', async () => {
    // Signed on Monday 6 April: checked from Tuesday, deadline Monday 13 April 23:59.
    const week = ids(5000, 5019);
    for (const id of week) await submit(app, delivery(id, '2026-04-06T18:00:00+08:00'));
    expect((await spotChecks(week)).filter((f) => f.status === 'SCHEDULED').map((f) => f.case.externalId)).toEqual(['YDQ005019']);

    clock.set('2026-04-09T12:00:00+08:00'); // Thursday: the top-up has not begun
    expect(await runJob(app, 'top-up-quotas')).toEqual({ quotasBelowMin: 0, toppedUp: 0 });
    expect(await placesOf('2026-04-06')).toHaveLength(1);

    clock.set('2026-04-10T00:37:00+08:00'); // Friday
    expect(await runJob(app, 'top-up-quotas')).toEqual({ quotasBelowMin: 1, toppedUp: 1 });
    const places = await placesOf('2026-04-06');
    expect(places.map((f) => f.quotaSlot)).toEqual(['P12|spot_check|*|2026-04-06#1', 'P12|spot_check|*|2026-04-06#2']);
    const topped = places[1]!;
    expect(topped.status).toBe('SCHEDULED');
    expect(topped.case.externalId).not.toBe('YDQ005019');
    expect(JSON.parse(topped.sampling)).toMatchObject({
      kept: true,
      reason: expect.stringMatching(/^fixed rate: sampled at 2 % \(draw 0\.\d{4} ≥ 0\.02\); topped up to the quota's minimum of 2 \(week from 2026-04-06, all\): place 2 of 3$/),
      quota: { key: 'P12|spot_check|*|2026-04-06', max: 3 },
    });
    expect(await db().prisma.auditLog.findMany({ where: { action: 'follow_up.quota_topped_up' }, select: { entityId: true, details: true } })).toEqual([
      { entityId: topped.id, details: expect.stringContaining('"quotaSlot":"P12|spot_check|*|2026-04-06#2"') },
    ]);
    expect((await spotChecks(week)).filter((f) => f.status === 'SKIPPED')).toHaveLength(18);

    // The next run finds the minimum met: nothing more is taken.
    clock.set('2026-04-11T09:37:00+08:00');
    expect(await runJob(app, 'top-up-quotas')).toEqual({ quotasBelowMin: 0, toppedUp: 0 });
    expect(await placesOf('2026-04-06')).toHaveLength(2);
  });

  it('leaves a week with 3 drawn orders alone', async () => {
    const week = ['YDQ005083', 'YDQ005157', 'YDQ005192', ...ids(5100, 5104)];
    clock.set('2026-04-13T20:00:00+08:00');
    for (const id of week) await submit(app, delivery(id, '2026-04-13T18:00:00+08:00'));
    clock.set('2026-04-17T10:37:00+08:00'); // Friday

    expect(await runJob(app, 'top-up-quotas')).toEqual({ quotasBelowMin: 0, toppedUp: 0 });
    expect((await placesOf('2026-04-13')).map((f) => f.case.externalId).sort()).toEqual(['YDQ005083', 'YDQ005157', 'YDQ005192']);
    expect((await spotChecks(week)).filter((f) => f.status === 'SKIPPED')).toHaveLength(5);
  });

  it('takes exactly the missing places when two replicas top up the same week at once', async () => {
    // None of these ten is drawn: the week has no check until the top-up.
    const week = ids(5200, 5209);
    clock.set('2026-04-20T20:00:00+08:00');
    for (const id of week) await submit(app, delivery(id, '2026-04-20T18:00:00+08:00'));
    clock.set('2026-04-24T09:37:00+08:00'); // Friday
    const replica = startReplicaProcess(db().url, clock.now(), { kind: 'top-up-quotas' });
    await replica.ready;

    const [local, remote] = await Promise.all([runJob(app, 'top-up-quotas'), replica.go()]);

    expect(remote.error).toBeUndefined();
    const toppedUp = (local as { toppedUp: number }).toppedUp + (remote.result as { toppedUp: number }).toppedUp;
    expect(toppedUp).toBe(2);
    const places = await placesOf('2026-04-20');
    expect(places.map((f) => f.quotaSlot)).toEqual(['P12|spot_check|*|2026-04-20#1', 'P12|spot_check|*|2026-04-20#2']);
    expect(places.every((f) => f.status === 'SCHEDULED')).toBe(true);
    expect((await spotChecks(week)).filter((f) => f.status === 'SCHEDULED')).toHaveLength(2);
  });
});
