import { expect, it } from 'vitest';
import { UlidGenerator } from '../../../bot/clocks.js';
import { PrismaGreetingStore } from '../../../bot/db/greeting-store.js';
import { createPrismaClient } from '../../../bot/db/client.js';
import { describeEachDatabase } from '../../support/db.js';

const EVERY = 15 * 60_000;
const t = (minutes: number) => new Date(Date.UTC(2027, 1, 6, 1, minutes));

// The planning mark of a campaign's day lives in the database: a second replica (its own client) or a
// restarted process sees it, so the audience is read once per interval, not once per process.
describeEachDatabase('greeting planning runs', (db) => {
  const store = () => new PrismaGreetingStore({ prisma: db().prisma, capabilities: db().capabilities, ids: new UlidGenerator() });

  it('lets one replica plan a day, then nobody until the interval has passed', async () => {
    const replica = createPrismaClient(db().url);
    try {
      const other = new PrismaGreetingStore({ prisma: replica.prisma, capabilities: replica.capabilities, ids: new UlidGenerator() });
      expect(await store().claimPlanningRun('owners', '2027-02-06', t(0), EVERY)).toEqual({ previous: null, coveredAt: null });
      expect(await other.claimPlanningRun('owners', '2027-02-06', t(1), EVERY)).toBeNull();
      expect(await store().claimPlanningRun('owners', '2027-02-06', t(14), EVERY)).toBeNull();
      // Another day or another campaign is planned on its own.
      expect(await other.claimPlanningRun('owners', '2027-02-07', t(1), EVERY)).toEqual({ previous: null, coveredAt: null });
      expect(await other.claimPlanningRun('patients', '2027-02-06', t(1), EVERY)).toEqual({ previous: null, coveredAt: null });
      expect(await other.claimPlanningRun('owners', '2027-02-06', t(15), EVERY)).toEqual({ previous: t(0), coveredAt: null });
    } finally {
      await replica.close();
    }
  });

  it('plans again at once after a failed planning released its claim, and when the clock went back', async () => {
    const s = store();
    const claim = await s.claimPlanningRun('clinic', '2027-02-06', t(0), EVERY);
    expect(claim).toEqual({ previous: null, coveredAt: null });
    await s.releasePlanningRun('clinic', '2027-02-06', t(0), claim!.previous);
    expect(await s.claimPlanningRun('clinic', '2027-02-06', t(1), EVERY)).toEqual({ previous: null, coveredAt: null });
    // A release after a later claim restores the earlier mark.
    expect(await s.claimPlanningRun('clinic', '2027-02-06', t(20), EVERY)).toEqual({ previous: t(1), coveredAt: null });
    await s.releasePlanningRun('clinic', '2027-02-06', t(20), t(1));
    expect(await s.claimPlanningRun('clinic', '2027-02-06', t(10), EVERY)).toBeNull();
    // A clock set back (before the mark) plans again.
    expect(await s.claimPlanningRun('clinic', '2027-02-06', t(0), EVERY)).toEqual({ previous: t(1), coveredAt: null });
  });
});
