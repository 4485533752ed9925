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
import { processPendingInbound, type InboundHandler } from '../../../bot/core/inbox/process-inbound.js';
import { inboundHandlers } from '../../../bot/inbound/handlers.js';
import { CountingChannel } from '../../support/test-channels.js';

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

  it('hands back the next round it claimed ahead when the deadline comes during the last send of a round', async () => {
    // What earlier tests handed back goes first, so that the rounds below hold these messages only.
    await dispatchOutbox(app.deps, { channels: app.channels, jitter: () => 0.5 });
    const keys = Array.from({ length: 30 }, (_, i) => `cutoff-ahead:${clock.now().getTime()}:${i}`);
    await app.deps.outbox.enqueue(keys.map((k) => staffTextMessage(k, nurseId, 'hushi.li', clock.now())));
    const real = new JobCutoff();
    let fired: Promise<CutoffResult> | undefined;
    let started = 0;
    // The first round's last send (20th) waits until the next round's claim is in the database, then the deadline comes.
    const channel = new (class extends CountingChannel {
      override async send(request: Parameters<CountingChannel['send']>[0]) {
        if (++started === 20) {
          for (let poll = 0; poll < 2_000; poll++) {
            const held = await db().prisma.outboxMessage.findMany({ where: { idempotencyKey: { in: keys }, status: 'SENDING' }, select: { claimToken: true } });
            if (new Set(held.map((m) => m.claimToken)).size >= 2) break;
            await new Promise((resolve) => setTimeout(resolve, 5));
          }
          fired = real.cutOff();
          await fired;
        }
        return super.send(request);
      }
    })();
    const cutApp = createTestService(db().url, sharedDbClient(db()), clock, { channels: { wecom: channel, sms: channel, wechat: channel } });
    const summary = await dispatchOutbox(cutApp.deps, { channels: cutApp.channels, jitter: () => 0.5, batchSize: 20, concurrency: 4, cutoff: real });

    expect(summary).toMatchObject({ claimed: 20, sent: 20, lostLease: 0 });
    expect((await fired)?.released.outbox).toBe(10);
    const rows = await db().prisma.outboxMessage.findMany({ where: { idempotencyKey: { in: keys } } });
    expect(rows.filter((m) => m.status === 'SENT')).toHaveLength(20);
    for (const m of rows.filter((r) => r.status !== 'SENT')) expect(m).toMatchObject({ status: 'PENDING', claimToken: null, leaseExpiresAt: null, sendStartedAt: null, attempts: 0 });

    // Same moment: the next run sends the 10 handed back at once, each once.
    expect(await dispatchOutbox(cutApp.deps, { channels: cutApp.channels, jitter: () => 0.5 })).toMatchObject({ sent: 10 });
    expect(new Set(channel.sends.map((s) => s.idempotencyKey))).toEqual(new Set(keys));
    expect(channel.sends).toHaveLength(30);
  });

  it('hands back the inbox events of its batch it has not started: the next drain handles them at once, each once', async () => {
    const keys = Array.from({ length: 10 }, (_, i) => `cutoff-inbox-${i}`);
    for (const [i, key] of keys.entries()) {
      // An SMS reply from a number no customer has: handled as a logged rejection, nothing else.
      await app.deps.inbox.recordInbound({
        id: `cutoff-inbox-event-${i}`,
        source: 'tencent-sms',
        dedupeKey: key,
        kind: 'sms_reply',
        payload: { phoneE164: '+8613900000000', text: '5', receivedAt: clock.now().toISOString() },
        receivedAt: new Date(clock.now().getTime() + i),
      });
    }
    // The deadline passes while the third event is being handled (one worker: one after the other).
    const real = new JobCutoff();
    let handled = 0;
    let fired: Promise<CutoffResult> | undefined;
    const cuttingHandlers: Record<string, InboundHandler> = {
      ...inboundHandlers,
      sms_reply: async (deps, event) => {
        handled++;
        if (handled === 3) fired = real.cutOff();
        return inboundHandlers.sms_reply!(deps, event);
      },
    };
    const results = await processPendingInbound(app.deps, cuttingHandlers, 200, 1, real);
    expect(results.map((r) => r.status)).toEqual(['REJECTED', 'REJECTED', 'REJECTED']);
    expect(await fired).toEqual({ released: { inbox: 7 }, failed: [] });
    const rows = await db().prisma.inboundEvent.findMany({ where: { dedupeKey: { in: keys } }, orderBy: { receivedAt: 'asc' } });
    expect(rows.slice(0, 3).map((r) => [r.status, r.attempts])).toEqual(Array.from({ length: 3 }, () => ['REJECTED', 1]));
    // The seven not started: waiting, no lease, and the attempt the claim counted taken back.
    for (const r of rows.slice(3)) expect(r).toMatchObject({ status: 'RECEIVED', leaseExpiresAt: null, attempts: 0 });

    // Same moment, well inside the lease the claim had set (INBOUND_LEASE_MS): handled now, each once.
    const again = await processPendingInbound(app.deps, inboundHandlers);
    expect(again.map((r) => r.eventId).sort()).toEqual(rows.slice(3).map((r) => r.id).sort());
    const after = await db().prisma.inboundEvent.findMany({ where: { dedupeKey: { in: keys } } });
    for (const r of after) expect(r).toMatchObject({ status: 'REJECTED', attempts: 1 });
  });

  it('hands back a whole inbox batch when the deadline comes during its claim', async () => {
    const keys = Array.from({ length: 4 }, (_, i) => `cutoff-inbox-claim-${i}`);
    for (const [i, key] of keys.entries()) {
      await app.deps.inbox.recordInbound({
        id: `cutoff-inbox-claim-event-${i}`,
        source: 'tencent-sms',
        dedupeKey: key,
        kind: 'sms_reply',
        payload: { phoneE164: '+8613900000000', text: '4', receivedAt: clock.now().toISOString() },
        receivedAt: clock.now(),
      });
    }
    const cut = cutOffDuringFirstClaim();
    expect(await processPendingInbound(app.deps, inboundHandlers, 200, 1, cut.cutoff)).toEqual([]);
    expect(await cut.result()).toEqual({ released: { inbox: 4 }, failed: [] });
    const rows = await db().prisma.inboundEvent.findMany({ where: { dedupeKey: { in: keys } } });
    for (const r of rows) expect(r).toMatchObject({ status: 'RECEIVED', leaseExpiresAt: null, attempts: 0 });
  });
});
