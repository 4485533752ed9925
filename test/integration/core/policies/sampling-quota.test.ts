import { beforeAll, expect, it } from 'vitest';
import { FakeClock } from '../../../../bot/clocks.js';
import type { Huifang } from '../../../../bot/huifang.js';
import type { CaseBody } from '../../../../bot/cases/case-body.js';
import type { SubmitCaseResult } from '../../../../bot/core/cases/submit-case.js';
import { describeEachDatabase } from '../../../support/db.js';
import { createTestService, seedOrganisation, sharedDbClient } from '../../../support/service.js';
import { startReplicaProcess } from '../../../support/replica.js';
import { submit, uniquePhone } from '../../../support/builders.js';

// 002 制度12「每周将安排2~3次对客户的电话回访…随机抽查」 (P12: `quota: { min: 2, max: 3, per: week, by: all }` over a
// 2 % draw). The external ids below are orders the draw picks (draw < 0.02), YDQ000001 one it does not.
const CANDIDATES = ['YDQ000069', 'YDQ000103', 'YDQ000131', 'YDQ000161', 'YDQ000276', 'YDQ000410'];

describeEachDatabase('sampling by a weekly quota (P12), counted in the database', (db) => {
  let app: Huifang;
  const clock = new FakeClock('2026-03-09T20:00:00+08:00');

  beforeAll(async () => {
    await seedOrganisation(db());
    app = createTestService(db().url, sharedDbClient(db()), clock);
  });

  function delivery(externalId: string, occurredAt: string): CaseBody {
    return {
      type: 'express_delivery',
      externalId,
      occurredAt,
      customer: { externalId: `KH-${externalId}`, name: '收件人', phone: uniquePhone() },
      attributes: {},
    };
  }

  const spotCheck = async (externalId: string) => {
    const kase = await db().prisma.case.findUniqueOrThrow({ where: { type_externalId: { type: 'express_delivery', externalId } } });
    return db().prisma.followUp.findUniqueOrThrow({ where: { caseId_step: { caseId: kase.id, step: 'spot_check' } } });
  };

  it('keeps at most 3 candidates a week when four arrive at once, one of them through another replica', async () => {
    // Signed on Monday 9 March: checked from Tuesday 10 March, in the week from 2026-03-09.
    const [a, b, c, d] = CANDIDATES.slice(0, 4).map((id) => delivery(id, '2026-03-09T18:00:00+08:00'));
    const replica = startReplicaProcess(db().url, clock.now(), { kind: 'submit', body: d!, times: 1 });
    await replica.ready;

    const [local, remote] = await Promise.all([Promise.all([submit(app, a!), submit(app, b!), submit(app, c!)]), replica.go()]);

    expect(remote.error).toBeUndefined();
    expect([...local, ...(remote.result as SubmitCaseResult[])].every((r) => r.created)).toBe(true);
    const rows = await Promise.all(CANDIDATES.slice(0, 4).map(spotCheck));
    expect(rows.filter((f) => f.status === 'SCHEDULED')).toHaveLength(3);
    const skipped = rows.filter((f) => f.status === 'SKIPPED');
    expect(skipped).toHaveLength(1);
    expect(JSON.parse(skipped[0]!.sampling).reason).toMatch(/within a quota of 3 \(week from 2026-03-09, all\): full, 3 of 3 taken$/);
    expect(rows.filter((f) => f.quotaSlot !== null).map((f) => f.quotaSlot).sort()).toEqual([1, 2, 3].map((n) => `P12|spot_check|*|2026-03-09#${n}`));
  });

  it('starts a new quota on Monday, never lets a case the draw passes over take a place, and keeps a re-post as it was', async () => {
    const next = delivery(CANDIDATES[4]!, '2026-03-15T12:00:00+08:00'); // Sunday: checked from Monday 16 March
    const notDrawn = delivery('YDQ000001', '2026-03-15T12:00:00+08:00');

    await submit(app, next);
    await submit(app, notDrawn);
    const again = await submit(app, next);

    expect(again.followUpsAdded).toBe(0);
    expect(await spotCheck(CANDIDATES[4]!)).toMatchObject({ status: 'SCHEDULED', quotaSlot: 'P12|spot_check|*|2026-03-16#1' });
    expect(await spotCheck('YDQ000001')).toMatchObject({ status: 'SKIPPED', quotaSlot: null });
    expect(await db().prisma.followUp.count({ where: { quotaSlot: { startsWith: 'P12|spot_check|*|2026-03-16#' } } })).toBe(1);
  });
});
