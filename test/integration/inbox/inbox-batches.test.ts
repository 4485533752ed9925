// The inbox under concurrent webhooks: group commit of the events that arrive together (one insert, each
// caller answered with its own outcome) and batched processing (one claim per batch), on both databases,
// with replicas that drain the same inbox at once.
import { beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../bot/clocks.js';
import type { Huifang } from '../../../bot/huifang.js';
import type { InboundEventInput, InboxStore } from '../../../bot/core/ports/inbox.js';
import { groupCommitInbox } from '../../../bot/inbound/inbox-group-commit.js';
import { inboundHandlers } from '../../../bot/inbound/handlers.js';
import { INBOUND_CLAIM_BATCH, INBOUND_MAX_ATTEMPTS, processPendingInbound } from '../../../bot/core/inbox/process-inbound.js';
import { describeEachDatabase } from '../../support/db.js';
import { createTestService, seedOrganisation, sharedDbClient, storeContext } from '../../support/service.js';
import { PrismaInboxStore } from '../../../bot/db/inbox-store.js';
import { recordBatchSizes } from '../../support/batch-sizes.js';
import { startReplicaProcess } from '../../support/replica.js';

describeEachDatabase('inbox batches', (db) => {
  let app: Huifang;
  const clock = new FakeClock('2026-12-07T09:00:00+08:00');

  beforeAll(async () => {
    await seedOrganisation(db());
    app = createTestService(db().url, sharedDbClient(db()), clock);
  });

  /** An SMS reply from a number no customer has: its handler rejects it (UNKNOWN_NUMBER) without side effects. */
  const reply = (key: string): InboundEventInput => ({
    source: 'tencent-sms',
    dedupeKey: key,
    kind: 'sms_reply',
    payload: { phoneE164: '+8613900000000', text: '5', receivedAt: clock.now().toISOString() },
    receivedAt: clock.now(),
  });

  /** The inbox store with its batch calls counted (a test wrapper around the port, not a mock). */
  const counting = (store: InboxStore) => {
    const calls = { recordInbound: 0, recordInboundBatch: [] as number[], claimInbound: 0, claimInboundBatch: 0 };
    const wrapped: InboxStore = Object.assign(Object.create(store) as InboxStore, {
      recordInbound: (e: Parameters<InboxStore['recordInbound']>[0]) => (calls.recordInbound++, store.recordInbound(e)),
      recordInboundBatch: (events: Parameters<InboxStore['recordInboundBatch']>[0]) => (calls.recordInboundBatch.push(events.length), store.recordInboundBatch(events)),
      claimInbound: (...args: Parameters<InboxStore['claimInbound']>) => (calls.claimInbound++, store.claimInbound(...args)),
      claimInboundBatch: (...args: Parameters<InboxStore['claimInboundBatch']>) => (calls.claimInboundBatch++, store.claimInboundBatch(...args)),
    });
    return { calls, store: wrapped };
  };

  describe('group commit', () => {
    it('records concurrent events with one insert and answers each caller with its own outcome, replays included', async () => {
      const earlier = await app.deps.inbox.recordInbound({ ...reply('gc-0'), id: 'gc-event-0' });
      expect(earlier).toEqual({ id: 'gc-event-0', duplicate: false });
      const { calls, store } = counting(app.deps.inbox);
      const record = groupCommitInbox(store);
      const keys = [...Array.from({ length: 20 }, (_, i) => `gc-${i + 1}`), 'gc-3', 'gc-0'];
      const answers = await Promise.all(keys.map((key, i) => record({ ...reply(key), id: `gc-event-${i + 1}` })));

      expect(calls.recordInboundBatch).toEqual([22]);
      expect(calls.recordInbound).toBe(0);
      expect(answers.slice(0, 20)).toEqual(Array.from({ length: 20 }, (_, i) => ({ id: `gc-event-${i + 1}`, duplicate: false })));
      // A replay within the same batch is the first event's duplicate; one of an event recorded before is that event's.
      expect(answers[20]).toEqual({ id: 'gc-event-3', duplicate: true });
      expect(answers[21]).toEqual({ id: 'gc-event-0', duplicate: true });
      const rows = await db().prisma.inboundEvent.findMany({ where: { dedupeKey: { startsWith: 'gc-' } }, select: { id: true, dedupeKey: true, status: true } });
      expect(rows).toHaveLength(21);
      expect(new Set(rows.map((r) => r.dedupeKey)).size).toBe(21);
      expect(rows.every((r) => r.status === 'RECEIVED')).toBe(true);
    });

    it('answers a lone event without waiting for company, and one the database refuses fails only its own caller', async () => {
      const { calls, store } = counting(app.deps.inbox);
      const record = groupCommitInbox(store);
      expect(await record({ ...reply('gc-alone'), id: 'gc-alone' })).toEqual({ id: 'gc-alone', duplicate: false });
      expect(calls).toMatchObject({ recordInbound: 1, recordInboundBatch: [] });
      // Same primary key as an existing event, another dedupe key: neither recorded nor a duplicate, an error for its caller alone.
      const answers = await Promise.allSettled([record({ ...reply('gc-ok-1'), id: 'gc-ok-1' }), record({ ...reply('gc-clash'), id: 'gc-alone' }), record({ ...reply('gc-ok-2'), id: 'gc-ok-2' })]);
      expect(answers.map((a) => (a.status === 'fulfilled' ? a.value : 'rejected'))).toEqual([{ id: 'gc-ok-1', duplicate: false }, 'rejected', { id: 'gc-ok-2', duplicate: false }]);
      expect(calls.recordInboundBatch).toEqual([3]);
      expect(await db().prisma.inboundEvent.count({ where: { dedupeKey: { in: ['gc-ok-1', 'gc-ok-2', 'gc-clash'] } } })).toBe(2);
    });

    it("commits each event's counter hit with it, new or duplicate, and none when the statement is refused", async () => {
      const windowStart = clock.now();
      const hit = (name: string) => ({ key: `gc-hit:${name}`, windowStart });
      const count = (name: string) => app.console.rateCounters.count(`gc-hit:${name}`, windowStart);
      const record = groupCommitInbox(app.deps.inbox);
      const answers = await Promise.all([
        record({ ...reply('gc-hit-1'), id: 'gc-hit-1', counterHit: hit('a') }),
        record({ ...reply('gc-hit-2'), id: 'gc-hit-2', counterHit: hit('a') }),
        record({ ...reply('gc-hit-1'), id: 'gc-hit-3', counterHit: hit('b') }),
        record({ ...reply('gc-hit-4'), id: 'gc-hit-4' }),
      ]);
      expect(answers).toEqual([
        { id: 'gc-hit-1', duplicate: false },
        { id: 'gc-hit-2', duplicate: false },
        { id: 'gc-hit-1', duplicate: true },
        { id: 'gc-hit-4', duplicate: false },
      ]);
      // Two hits on one key in one batch add up; the duplicate's hit counts too.
      expect([await count('a'), await count('b')]).toEqual([2, 1]);
      // A lone event (recorded on its own, not by the batch statement) commits its hit as well.
      expect(await record({ ...reply('gc-hit-5'), id: 'gc-hit-5', counterHit: hit('a') })).toEqual({ id: 'gc-hit-5', duplicate: false });
      expect(await count('a')).toBe(3);
      // A statement the database refuses (a NOT NULL column left empty) records no event and adds no hit.
      const refused = [
        { ...reply('gc-hit-6'), id: 'gc-hit-6', counterHit: hit('c') },
        { ...reply('gc-hit-7'), source: null as unknown as string, id: 'gc-hit-7', counterHit: hit('c') },
      ];
      await expect(app.deps.inbox.recordInboundBatch(refused)).rejects.toThrow();
      expect(await count('c')).toBe(0);
      expect(await db().prisma.inboundEvent.count({ where: { id: { in: ['gc-hit-6', 'gc-hit-7'] } } })).toBe(0);
    });

    it('receives concurrent webhook events through the group commit and the drain handles each once, after the answers', async () => {
      const events = Array.from({ length: 12 }, (_, i) => reply(`drain-${i % 10}`));
      const received = await Promise.all(events.map((e) => app.receive(e, { wait: false })));
      expect(received.filter((r) => r.duplicate)).toHaveLength(2);
      expect(received.every((r) => r.processing === null)).toBe(true);
      expect(received[10]!.id).toBe(received[0]!.id);
      await app.inboxDrain!.idle();
      const rows = await db().prisma.inboundEvent.findMany({ where: { dedupeKey: { startsWith: 'drain-' } } });
      expect(rows).toHaveLength(10);
      expect(rows.map((r) => [r.status, r.attempts, JSON.parse(r.result ?? '{}').code])).toEqual(Array.from({ length: 10 }, () => ['REJECTED', 1, 'UNKNOWN_NUMBER']));
    });
  });

  it('leaves the webhook events of a process without a drain (--role web) to the drain of another', async () => {
    await app.inboxDrain!.idle();
    const web = createTestService(db().url, sharedDbClient(db()), clock, { inboxDrain: false });
    expect(web.inboxDrain).toBeNull();
    const received = await Promise.all([web.receive(reply('web-1'), { wait: false }), web.receive(reply('web-2'), { wait: false })]);
    expect(received.map((r) => [r.duplicate, r.processing])).toEqual([
      [false, null],
      [false, null],
    ]);
    const statuses = () => db().prisma.inboundEvent.findMany({ where: { dedupeKey: { startsWith: 'web-' } }, orderBy: { dedupeKey: 'asc' }, select: { status: true, attempts: true } });
    expect(await statuses()).toEqual([
      { status: 'RECEIVED', attempts: 0 },
      { status: 'RECEIVED', attempts: 0 },
    ]);
    // The jobs process's drain, poked by its once-a-second look (bot/main.ts), handles them.
    app.inboxDrain!.poke();
    await app.inboxDrain!.idle();
    expect(await statuses()).toEqual([
      { status: 'REJECTED', attempts: 1 },
      { status: 'REJECTED', attempts: 1 },
    ]);
  });

  describe('batched processing', () => {
    it('claims the waiting events with one statement per batch, oldest first, and handles each once', async () => {
      await app.inboxDrain!.idle();
      await processPendingInbound(app.deps, inboundHandlers);
      const count = INBOUND_CLAIM_BATCH + 5;
      for (let i = 0; i < count; i++) {
        clock.advance(1);
        await app.deps.inbox.recordInbound({ ...reply(`batch-${String(i).padStart(3, '0')}`), id: `batch-event-${String(i).padStart(3, '0')}` });
      }
      const { calls, store } = counting(app.deps.inbox);
      const results = await processPendingInbound({ ...app.deps, inbox: store }, inboundHandlers);
      expect(results.map((r) => r.eventId)).toEqual(Array.from({ length: count }, (_, i) => `batch-event-${String(i).padStart(3, '0')}`));
      expect(results.every((r) => r.status === 'REJECTED')).toBe(true);
      // Two batches (50 + 5), and no claim per event.
      expect(calls).toMatchObject({ claimInboundBatch: 2, claimInbound: 0 });
      expect(await processPendingInbound(app.deps, inboundHandlers)).toEqual([]);
    });

    it('keeps backoff and DEAD through the batch claim: a failing event waits for its next attempt', async () => {
      await processPendingInbound(app.deps, inboundHandlers);
      await app.deps.inbox.recordInbound({ source: 'test', dedupeKey: 'boom-batch', kind: 'boom', payload: {}, receivedAt: clock.now(), id: 'boom-batch' });
      const boom = {
        boom: async () => {
          throw new Error('the handler crashed');
        },
      };
      const statuses: string[] = [];
      for (let attempt = 1; attempt <= INBOUND_MAX_ATTEMPTS; attempt++) {
        const [result] = await processPendingInbound(app.deps, boom);
        statuses.push(result!.status);
        // Not again before its next attempt is due.
        expect(await processPendingInbound(app.deps, boom)).toEqual([]);
        clock.advance(2 * 3_600_000);
      }
      expect(statuses).toEqual([...Array.from({ length: INBOUND_MAX_ATTEMPTS - 1 }, () => 'FAILED'), 'DEAD']);
      expect(await processPendingInbound(app.deps, boom)).toEqual([]);
      expect(await db().prisma.inboundEvent.findUniqueOrThrow({ where: { id: 'boom-batch' } })).toMatchObject({ status: 'DEAD', attempts: INBOUND_MAX_ATTEMPTS });
    });

    it('claims the oldest waiting events of both kinds first: new ones and failed ones due again, past leased and spent ones', async () => {
      await processPendingInbound(app.deps, inboundHandlers);
      const ids = ['new-1', 'failed-due', 'new-2', 'failed-later', 'new-leased', 'failed-spent', 'new-3'].map((name) => `claim-order-${name}`);
      for (const id of ids) {
        clock.advance(1);
        await app.deps.inbox.recordInbound({ ...reply(id), id });
      }
      const now = clock.now();
      const set = (name: string, data: { status?: string; attempts?: number; nextAttemptAt?: Date | null; leaseExpiresAt?: Date }) =>
        db().prisma.inboundEvent.update({ where: { id: `claim-order-${name}` }, data });
      await set('failed-due', { status: 'FAILED', attempts: 1, nextAttemptAt: new Date(now.getTime() - 1) });
      await set('failed-later', { status: 'FAILED', attempts: 1, nextAttemptAt: new Date(now.getTime() + 60_000) });
      await set('new-leased', { leaseExpiresAt: new Date(now.getTime() + 60_000) });
      await set('failed-spent', { status: 'FAILED', attempts: INBOUND_MAX_ATTEMPTS, nextAttemptAt: null });
      const first = await app.deps.inbox.claimInboundBatch(now, 60_000, 3, INBOUND_MAX_ATTEMPTS);
      expect(first.map((e) => e.id)).toEqual(['claim-order-new-1', 'claim-order-failed-due', 'claim-order-new-2']);
      expect(first.map((e) => e.attempts)).toEqual([1, 2, 1]);
      const second = await app.deps.inbox.claimInboundBatch(now, 60_000, 3, INBOUND_MAX_ATTEMPTS);
      expect(second.map((e) => e.id)).toEqual(['claim-order-new-3']);
      expect(await app.deps.inbox.claimInboundBatch(now, 60_000, 3, INBOUND_MAX_ATTEMPTS)).toEqual([]);
      // Leave nothing waiting for the tests after this one.
      await db().prisma.inboundEvent.updateMany({ where: { id: { in: ids } }, data: { status: 'REJECTED', leaseExpiresAt: null } });
    });

    it('records the outcomes of events handled at once with one statement, each as alone; a missing event fails only its caller', async () => {
      const at = clock.now();
      const next = new Date(at.getTime() + 120_000);
      const outcomes = [
        ['PROCESSED', { status: 'replied', listed: 2 }, undefined, undefined],
        ['REJECTED', { code: 'UNKNOWN_NUMBER' }, 'no customer has this number', undefined],
        ['FAILED', {}, 'the database went away', next],
        ['DEAD', {}, 'the database went away again', undefined],
      ] as const;
      const finishAll = async (prefix: string, store: InboxStore, together: boolean) => {
        const ids = outcomes.map((_, i) => `${prefix}-${i}`);
        for (const id of ids) await store.recordInbound({ ...reply(id), id });
        const finish = (id: string, [status, result, error, nextAttemptAt]: (typeof outcomes)[number]) => store.finishInbound(id, status, at, { ...result }, error, nextAttemptAt);
        if (together) {
          const answers = await Promise.allSettled([...ids.map((id, i) => finish(id, outcomes[i]!)), finish(`${prefix}-missing`, outcomes[0])]);
          expect(answers.map((a) => a.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected']);
          expect((answers[4] as PromiseRejectedResult).reason).toMatchObject({ code: 'P2025' });
        } else for (const [i, id] of ids.entries()) await finish(id, outcomes[i]!);
        const rows = await db().prisma.inboundEvent.findMany({ where: { id: { in: ids } }, orderBy: { id: 'asc' } });
        return rows.map(({ id, dedupeKey, receivedAt, ...row }) => row);
      };
      const alone = await finishAll('finish-alone', new PrismaInboxStore(storeContext(db())), false);
      const batched = new PrismaInboxStore(storeContext(db()));
      const batches = recordBatchSizes(batched, 'finishInboundBatch');
      expect(await finishAll('finish-together', batched, true)).toEqual(alone);
      expect(batches).toEqual([5]);
      expect(alone.map((r) => [r.status, r.error, r.nextAttemptAt, r.leaseExpiresAt])).toEqual([
        ['PROCESSED', null, null, null],
        ['REJECTED', 'no customer has this number', null, null],
        ['FAILED', 'the database went away', next, null],
        ['DEAD', 'the database went away again', null, null],
      ]);
      expect(JSON.parse(alone[0]!.result!)).toEqual({ status: 'replied', listed: 2 });
    });

    it('lets replicas drain one inbox at once: every event is handled exactly once', async () => {
      await processPendingInbound(app.deps, inboundHandlers);
      const count = 120;
      const events = Array.from({ length: count }, (_, i) => ({ ...reply(`replica-${i}`), id: `replica-event-${String(i).padStart(3, '0')}` }));
      await app.deps.inbox.recordInboundBatch(events.slice(0, 60));
      await app.deps.inbox.recordInboundBatch(events.slice(60));
      const replicas = [0, 1].map(() => startReplicaProcess(db().url, clock.now(), { kind: 'process-inbox', limit: count }));
      await Promise.all(replicas.map((r) => r.ready));
      // This process handles its batches four at a time, the replicas one by one.
      const [mine, ...theirs] = await Promise.all([processPendingInbound(app.deps, inboundHandlers, count, 4), ...replicas.map((r) => r.go())]);
      const handled = [
        ...mine!.map((r) => r.eventId),
        ...theirs.flatMap((r) => {
          expect(r.ok, r.error).toBe(true);
          return (r.result as { eventId: string }[]).map((x) => x.eventId);
        }),
      ];
      expect(handled.sort()).toEqual(events.map((e) => e.id).sort());
      const rows = await db().prisma.inboundEvent.findMany({ where: { dedupeKey: { startsWith: 'replica-' } }, select: { status: true, attempts: true } });
      expect(rows).toHaveLength(count);
      expect(rows.every((r) => r.status === 'REJECTED' && r.attempts === 1)).toBe(true);
    });
  });
});
