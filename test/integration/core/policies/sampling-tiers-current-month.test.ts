import { beforeAll, expect, it } from 'vitest';
import { FakeClock } from '../../../../bot/clocks.js';
import type { Huifang } from '../../../../bot/huifang.js';
import type { CaseBody } from '../../../../bot/cases/case-body.js';
import { describeEachDatabase } from '../../../support/db.js';
import { createTestService, seedOrganisation, sharedDbClient } from '../../../support/service.js';
import { submit, uniquePhone } from '../../../support/builders.js';

// 002 制度18「以当月提供过家政服务的户数为计算依据，300户以上…不低于10%；100户-300户…不低于20%；100户以下…不低于30%」
// (P10: `tiers` with `population: current month`): each household is sampled at the tier of the month's
// households so far, itself included, in order of arrival.
describeEachDatabase('sampling tiers on the current month (P10)', (db) => {
  let app: Huifang;
  const clock = new FakeClock('2026-05-31T20:00:00+08:00');

  beforeAll(async () => {
    await seedOrganisation(db());
    app = createTestService(db().url, sharedDbClient(db()), clock);
  });

  function household(n: number, occurredAt: string): CaseBody {
    const month = occurredAt.slice(0, 7);
    return {
      type: 'home_service',
      externalId: `HH-T${n}-${month}`,
      occurredAt,
      customer: { externalId: `HH-T${n}`, name: '住户', phone: uniquePhone() },
      attributes: { serviceKind: 'cleaning' },
    };
  }

  const reasonOf = async (externalId: string) => {
    const kase = await db().prisma.case.findUniqueOrThrow({ where: { type_externalId: { type: 'home_service', externalId } } });
    const f = await db().prisma.followUp.findUniqueOrThrow({ where: { caseId_step: { caseId: kase.id, step: 'phone_sample' } } });
    return (JSON.parse(f.sampling) as { reason: string }).reason;
  };

  it('counts the households of the case\'s own month that arrived up to it, and keeps a case\'s decision when it is posted again', async () => {
    const may = [1, 2, 3].map((n) => household(n, `2026-05-0${n}T10:00:00+08:00`));
    const june = household(4, '2026-06-01T10:00:00+08:00');
    for (const body of [may[0]!, may[1]!, june, may[2]!]) await submit(app, body);
    // The first household is posted again with a new attribute: it stays the first of May.
    await submit(app, { ...may[0]!, attributes: { serviceKind: 'cleaning', room: '3栋502' } });

    expect(await reasonOf('HH-T1-2026-05')).toMatch(/^current month's population so far 1 > -1: sampled at 30 %/);
    expect(await reasonOf('HH-T2-2026-05')).toMatch(/^current month's population so far 2 > -1/);
    expect(await reasonOf('HH-T3-2026-05')).toMatch(/^current month's population so far 3 > -1/);
    expect(await reasonOf('HH-T4-2026-06')).toMatch(/^current month's population so far 1 > -1/);
  });
});
