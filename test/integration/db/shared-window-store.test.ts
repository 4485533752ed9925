// Reservations of shared windows made at the same moment (the dispatcher's concurrent sends) share one
// upsert (bot/db/shared-window-store.ts): each must end as if it had been made alone, in the order made.
import { expect, it } from 'vitest';
import type { SharedWindow } from '../../../bot/core/ports/shared-windows.js';
import { PrismaSharedWindows } from '../../../bot/db/shared-window-store.js';
import { describeEachDatabase } from '../../support/db.js';
import { storeContext } from '../../support/service.js';

describeEachDatabase('shared window reservations', (db) => {
  const now = new Date('2026-11-10T10:00:00.000Z');
  const later = (ms: number) => new Date(now.getTime() + ms);

  /** The same reservations, each key prefixed; answers in order. */
  type Reserve = (key: string, holder: string, until: Date, at: Date, force?: boolean) => Promise<SharedWindow & { taken: boolean }>;
  function reservations(reserve: Reserve, prefix: string) {
    const k = (key: string) => `${prefix}:${key}`;
    return [
      // Held by another until after now: refused.
      () => reserve(k('held'), 'y', later(30_000), now),
      // Ended at now exactly: free.
      () => reserve(k('ended'), 'y', later(30_000), now),
      // A new key, then a second holder for it, then the first again (its end moves).
      () => reserve(k('new'), 'a', later(30_000), now),
      () => reserve(k('new'), 'b', later(30_000), now),
      () => reserve(k('new'), 'a', later(40_000), now),
      // Another moment, at which the held window has ended.
      () => reserve(k('held'), 'z', later(60_000), later(20_000)),
      () => reserve(k('other'), 'c', later(30_000), now),
      // Forced: taken whoever holds it.
      () => reserve(k('other'), 'd', later(50_000), now, true),
    ];
  }

  async function seed(windows: PrismaSharedWindows, prefix: string): Promise<void> {
    await windows.reserve(`${prefix}:held`, 'x', later(10_000), now);
    await windows.reserve(`${prefix}:ended`, 'x', now, new Date(now.getTime() - 60_000));
  }

  it('reserves concurrent windows as one by one, a key reserved twice in the same moment and a forced reservation included', async () => {
    const windows = new PrismaSharedWindows(storeContext(db()));
    const reserve: Reserve = (key, holder, until, at, force) => windows.reserve(key, holder, until, at, force ? { force } : {});
    await seed(windows, 'alone');
    await seed(windows, 'together');
    const alone = [];
    for (const call of reservations(reserve, 'alone')) alone.push(await call());
    expect(alone.map((w) => [w.holder, w.taken, w.until.toISOString()])).toEqual([
      ['x', false, later(10_000).toISOString()],
      ['y', true, later(30_000).toISOString()],
      ['a', true, later(30_000).toISOString()],
      ['a', false, later(30_000).toISOString()],
      ['a', true, later(40_000).toISOString()],
      ['z', true, later(60_000).toISOString()],
      ['c', true, later(30_000).toISOString()],
      ['d', true, later(50_000).toISOString()],
    ]);
    const together = await Promise.all(reservations(reserve, 'together').map((call) => call()));
    expect(together).toEqual(alone);
    for (const key of ['held', 'ended', 'new', 'other']) expect(await windows.read(`together:${key}`)).toEqual(await windows.read(`alone:${key}`));
  });
});
