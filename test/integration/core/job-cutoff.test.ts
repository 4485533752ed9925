// A job cut off at the shutdown deadline (core/cutoff.ts) hands back what it claimed and has not
// started on, so the next claim takes it at once instead of after the lease. The cut-off here comes
// while the claim statement itself runs (the worst moment: the release has to wait for it).
import { beforeAll, expect, it } from 'vitest';
import { FakeClock } from '../../../bot/clocks.js';
import { activateDueFollowUps } from '../../../bot/core/follow-ups/activate-due-follow-ups.js';
import { JobCutoff, type CutoffResult, type JobCutoffSignal } from '../../../bot/core/cutoff.js';
import type { Huifang } from '../../../bot/huifang.js';
import { describeEachDatabase } from '../../support/db.js';
import { createTestService, seedOrganisation, sharedDbClient } from '../../support/service.js';
import { insertDueFollowUps, staffTextMessage } from '../../support/builders.js';
import { dispatchOutbox } from '../../../bot/core/outbox/dispatch-outbox.js';

/** A real cut-off that fires as the job registers its first claim, i.e. while that claim runs. */
function cutOffDuringFirstClaim(): { cutoff: JobCutoffSignal; result: () => Promise<CutoffResult> | undefined } {
  const real = new JobCutoff();
  let fired: Promise<CutoffResult> | undefined;
  return {
    cutoff: {
      signal: real.signal,
      hold: (what, release) => {
        const letGo = real.hold(what, release);
        fired ??= real.cutOff();
        return letGo;
      },
    },
    result: () => fired,
  };
}

describeEachDatabase('a job cut off at the shutdown deadline', (db) => {
  const clock = new FakeClock('2026-11-10T09:00:00+08:00');
  let app: Huifang;
  let nurseId: string;
  let wardId: string;

  beforeAll(async () => {
    const staff = await seedOrganisation(db());
    nurseId = staff.get('hushi.li')!;
    wardId = (await db().prisma.department.findUniqueOrThrow({ where: { code: 'cardiology' } })).id;
    app = createTestService(db().url, sharedDbClient(db()), clock);
  });

  it('activates nothing of the claimed batch and hands it back: the next run activates it at once, each once', async () => {
    const ids = await insertDueFollowUps(db().prisma, { count: 30, dueAt: clock.now(), assigneeId: nurseId, departmentId: wardId });
    const cut = cutOffDuringFirstClaim();
    const summary = await activateDueFollowUps(app.deps, { cutoff: cut.cutoff });
    expect(await cut.result()).toEqual({ released: { followUps: 30 }, failed: [] });
    expect(summary).toMatchObject({ activated: 0 });
    const rows = await db().prisma.followUp.findMany({ where: { id: { in: ids } } });
    for (const f of rows) expect(f).toMatchObject({ status: 'SCHEDULED', leaseExpiresAt: null, version: 0 });
    expect(await db().prisma.outboxMessage.count({ where: { followUpId: { in: ids } } })).toBe(0);

    // Same moment, well inside the lease the claim had set (ACTIVATION_LEASE_MS).
    expect(await activateDueFollowUps(app.deps)).toMatchObject({ claimed: 30, activated: 30 });
    const keys = (await db().prisma.outboxMessage.findMany({ where: { followUpId: { in: ids } }, select: { idempotencyKey: true } })).map((m) => m.idempotencyKey);
    expect(keys.sort()).toEqual(ids.map((id) => `fu:${id}:1`).sort());
  });

  it('hands back the outbox messages of a claim it started no send of', async () => {
    const keys = Array.from({ length: 5 }, (_, i) => `cutoff:${clock.now().getTime()}:${i}`);
    await app.deps.outbox.enqueue(keys.map((k) => staffTextMessage(k, nurseId, 'hushi.li', clock.now())));
    const cut = cutOffDuringFirstClaim();
    const summary = await dispatchOutbox(app.deps, { channels: app.channels, jitter: () => 0.5, cutoff: cut.cutoff });
    expect(summary).toMatchObject({ sent: 0 });
    expect((await cut.result())?.released.outbox).toBeGreaterThanOrEqual(5);
    const rows = await db().prisma.outboxMessage.findMany({ where: { idempotencyKey: { in: keys } } });
    for (const m of rows) expect(m).toMatchObject({ status: 'PENDING', claimToken: null, leaseExpiresAt: null, sendStartedAt: null, attempts: 0 });
  });
});
