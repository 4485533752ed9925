// The failed-authentication limiter with its counts shared through the database (RateCounter rows), as
// replicas and a restarted process use it.
import { expect, it } from 'vitest';
import { FAILED_AUTH_KEY, FAILED_AUTH_WINDOW_MS, FailedAuthLimiter } from '../../../bot/http/failed-auth.js';
import { PrismaRateCounters } from '../../../bot/db/console-auth-store.js';
import { describeEachDatabase } from '../../support/db.js';
import { storeContext } from '../../support/service.js';

describeEachDatabase('failed authentications counted for every replica', (db) => {
  let run = 0;
  const replica = (errors: unknown[] = []) => new FailedAuthLimiter(3, FAILED_AUTH_WINDOW_MS, { counters: new PrismaRateCounters(storeContext(db())), onError: (err) => errors.push(err) });

  it('blocks an address on a replica that saw one failure, once the replicas together reached the limit', async () => {
    const address = `203.0.113.${++run}`;
    // 10:02 in a 15-minute window that started at 10:00 (UTC).
    const now = Date.parse('2026-12-07T10:02:00Z');
    const a = replica();
    const b = replica();
    a.fail(address, now);
    a.fail(address, now + 1_000);
    await a.settled();
    expect(a.retryAfterSeconds(address, now + 2_000)).toBe(0);
    // Replica B has seen none of these: its first failure brings the shared count to the limit.
    expect(b.retryAfterSeconds(address, now + 2_000)).toBe(0);
    b.fail(address, now + 2_000);
    await b.settled();
    // Blocked until the window ends (10:15).
    expect(b.retryAfterSeconds(address, now + 3_000)).toBe((Date.parse('2026-12-07T10:15:00Z') - (now + 3_000)) / 1000);
    expect(b.retryAfterSeconds(`${address}0`, now + 3_000)).toBe(0);
    expect(await db().prisma.rateCounter.findMany({ where: { key: `${FAILED_AUTH_KEY}${address}` }, select: { count: true } })).toEqual([{ count: 3 }]);
  });

  it('lets a restarted process learn the block from the database with its first failure, also from the previous window', async () => {
    const address = `198.51.100.${++run}`;
    const before = replica();
    const now = Date.parse('2026-12-07T10:14:00Z');
    for (let i = 0; i < 3; i++) before.fail(address, now + i * 1_000);
    await before.settled();
    // A process started at 10:20 (the next window) knows nothing of them until the address fails there.
    const errors: unknown[] = [];
    const restarted = replica(errors);
    const later = Date.parse('2026-12-07T10:20:00Z');
    expect(restarted.retryAfterSeconds(address, later)).toBe(0);
    restarted.fail(address, later);
    await restarted.settled();
    // 3 in the previous window (10:00–10:15) and 1 in this one: blocked until this window ends (10:30).
    expect(restarted.retryAfterSeconds(address, later)).toBe((Date.parse('2026-12-07T10:30:00Z') - later) / 1000);
    expect(errors).toEqual([]);
  });
});
