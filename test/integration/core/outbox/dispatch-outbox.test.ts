import { beforeAll, expect, it } from 'vitest';
import { FakeClock } from '../../../../bot/clocks.js';
import { dispatchOutbox, OUTBOX_LEASE_MS } from '../../../../bot/core/outbox/dispatch-outbox.js';
import { retryDelayMs } from '../../../../bot/core/outbox/backoff.js';
import type { MessageChannel } from '../../../../bot/core/messages.js';
import type { Huifang } from '../../../../bot/huifang.js';
import { jobs } from '../../../../jobs/index.js';
import { describeEachDatabase } from '../../../support/db.js';
import { createReplica, createTestService, seedOrganisation, sharedDbClient } from '../../../support/service.js';
import { startReplicaProcess } from '../../../support/replica.js';
import { dischargeBody, staffTextMessage, submit } from '../../../support/builders.js';
import { CountingChannel, DedupingChannel, GatedChannel, FailingChannel, HangingChannel } from '../../../support/test-channels.js';

const JITTER = 0.5;

describeEachDatabase('outbox dispatch', (db) => {
  // One clock for the file, only ever moved forward, so rows left by one test never become due in
  // another's past.
  const clock = new FakeClock('2026-11-10T09:00:00+08:00');
  let nurse: { id: string; wecomUserId: string };

  beforeAll(async () => {
    const staff = await seedOrganisation(db());
    nurse = { id: staff.get('hushi.li')!, wecomUserId: 'hushi.li' };
  });

  function serviceWith(channel: MessageChannel): Huifang {
    return createTestService(db().url, sharedDbClient(db()), clock, { channels: { wecom: channel, sms: channel, wechat: channel }, jitter: () => JITTER });
  }

  async function enqueue(prefix: string, count: number, options: { maxAttempts?: number } = {}): Promise<string[]> {
    const app = serviceWith(new CountingChannel());
    const messages = Array.from({ length: count }, (_, i) => ({
      ...staffTextMessage(`${prefix}:${i}`, nurse.id, nurse.wecomUserId, clock.now()),
      ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
    }));
    expect(await app.deps.outbox.enqueue(messages)).toBe(count);
    const rows = await db().prisma.outboxMessage.findMany({ where: { idempotencyKey: { startsWith: `${prefix}:` } }, select: { id: true } });
    return rows.map((r) => r.id);
  }

  async function expectEachSentOnce(ids: string[], sendCounts: Map<string, number>): Promise<void> {
    for (const id of ids) expect(sendCounts.get(id) ?? 0, `sends of ${id}`).toBe(1);
    const rows = await db().prisma.outboxMessage.findMany({ where: { id: { in: ids } }, include: { attemptLog: true } });
    expect(rows).toHaveLength(ids.length);
    for (const row of rows) {
      expect(row.status).toBe('SENT');
      expect(row.attemptLog.map((a) => ({ attempt: a.attempt, outcome: a.outcome }))).toEqual([{ attempt: 1, outcome: 'SENT' }]);
    }
  }

  it('sends each message exactly once when two replicas dispatch at the same time', async () => {
    const ids = await enqueue('replicas', 300);
    const replica = startReplicaProcess(db().url, clock.now(), { kind: 'dispatch', batchSize: 20 });
    await replica.ready;
    const local = new CountingChannel();
    const app = serviceWith(local);

    const [summary, remote] = await Promise.all([dispatchOutbox(app.deps, { channels: app.channels, jitter: () => JITTER, batchSize: 20 }), replica.go()]);

    expect(remote.error).toBeUndefined();
    const counts = local.countsById();
    for (const { id } of remote.sent ?? []) counts.set(id, (counts.get(id) ?? 0) + 1);
    await expectEachSentOnce(ids, counts);
    expect(summary.lostLease).toBe(0);
    // Both ran over the same rows at the same time; how the 300 split between them depends on
    // scheduling (on a loaded machine one may take them all), so only the total is asserted.
    expect(remote.sent).toBeDefined();
    expect(local.sends.length + remote.sent!.length).toBe(300);
  });

  it('sends each message exactly once when two instances with their own clients dispatch in one process', async (ctx) => {
    // SQLite allows one writer at a time, and a writer waiting for the lock blocks this process's
    // event loop, so in-process replicas only exist on PostgreSQL (the test above covers SQLite).
    if (db().capabilities.singleWriter) ctx.skip();
    const ids = await enqueue('in-process', 300);
    // The first replica's sends wait until the second has sent one message: both take part, whatever
    // the scheduling, and neither may send what the other claimed.
    let opened!: () => void;
    const second = new (class extends CountingChannel {
      override async send(request: Parameters<CountingChannel['send']>[0]) {
        const result = await super.send(request);
        opened();
        return result;
      }
    })();
    const first = new GatedChannel(new Promise<void>((resolve) => (opened = resolve)));
    const replicaA = createReplica(db(), clock, { channels: { wecom: first, sms: first, wechat: first } });
    const replicaB = createReplica(db(), clock, { channels: { wecom: second, sms: second, wechat: second } });
    try {
      await Promise.all([
        dispatchOutbox(replicaA.deps, { channels: replicaA.channels, jitter: () => JITTER, batchSize: 20 }),
        dispatchOutbox(replicaB.deps, { channels: replicaB.channels, jitter: () => JITTER, batchSize: 20 }),
      ]);
    } finally {
      await Promise.all([replicaA.closeReplica(), replicaB.closeReplica()]);
    }

    const counts = first.countsById();
    for (const [id, n] of second.countsById()) counts.set(id, (counts.get(id) ?? 0) + n);
    await expectEachSentOnce(ids, counts);
    expect(first.sends.length).toBeGreaterThan(0);
    expect(second.sends.length).toBeGreaterThan(0);
  });

  it('resends a message whose dispatcher died after claiming it, once, after the lease, and ignores the dead claim', async () => {
    const [id] = await enqueue('dead-claimer', 1);
    const app = serviceWith(new CountingChannel());
    const claimedAt = clock.now();
    const claimed = await app.deps.outbox.claimOutbox(claimedAt, 60_000, 50, 'dead-dispatcher-token');
    const dead = claimed.find((m) => m.id === id);
    expect(dead).toMatchObject({ attempt: 1, claimToken: 'dead-dispatcher-token' });
    // …and the dispatcher dies here: it never sends and never completes.

    clock.advance(30_000);
    const early = new CountingChannel();
    const beforeLease = serviceWith(early);
    await dispatchOutbox(beforeLease.deps, { channels: beforeLease.channels, jitter: () => JITTER });
    expect(early.sends.filter((s) => s.messageId === id)).toEqual([]);
    expect(await db().prisma.outboxMessage.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: 'SENDING', claimToken: 'dead-dispatcher-token' });

    clock.set(new Date(claimedAt.getTime() + 60_001));
    const late = new CountingChannel();
    const afterLease = serviceWith(late);
    await dispatchOutbox(afterLease.deps, { channels: afterLease.channels, jitter: () => JITTER });
    expect(late.sends.filter((s) => s.messageId === id).map((s) => s.attempt)).toEqual([2]);
    const sent = await db().prisma.outboxMessage.findUniqueOrThrow({ where: { id }, include: { attemptLog: true } });
    expect(sent).toMatchObject({ status: 'SENT', attempts: 2, claimToken: null });
    expect(sent.attemptLog.map((a) => ({ attempt: a.attempt, outcome: a.outcome }))).toEqual([{ attempt: 2, outcome: 'SENT' }]);

    // The dead dispatcher comes back and reports with its old token: nothing changes.
    const stale = await app.deps.outbox.completeOutbox({
      id: id!,
      claimToken: 'dead-dispatcher-token',
      attempt: 1,
      startedAt: claimedAt,
      finishedAt: clock.now(),
      outcome: 'SENT',
      providerMessageId: 'ghost',
    });
    const staleRetry = await app.deps.outbox.completeOutbox({
      id: id!,
      claimToken: 'dead-dispatcher-token',
      attempt: 1,
      startedAt: claimedAt,
      finishedAt: clock.now(),
      outcome: 'RETRY',
      nextAttemptAt: clock.now(),
      errorCode: 'LATE',
      error: 'late',
    });
    expect(stale).toBe(false);
    expect(staleRetry).toBe(false);
    const after = await db().prisma.outboxMessage.findUniqueOrThrow({ where: { id }, include: { attemptLog: true } });
    expect(after).toEqual(sent);
  });

  it('keeps the first result when a dispatcher stuck mid-send finishes after its lease passed to another', async () => {
    const [id] = await enqueue('stuck-sender', 1);
    const hanging = new HangingChannel();
    const stuck = serviceWith(hanging);
    const stuckRun = dispatchOutbox(stuck.deps, { channels: stuck.channels, jitter: () => JITTER });
    await hanging.started;
    expect(hanging.sends.map((s) => s.messageId)).toContain(id);

    clock.advance(OUTBOX_LEASE_MS + 1);
    // A provider that drops duplicates: the interrupted send may go again.
    const healthy = new DedupingChannel();
    const other = serviceWith(healthy);
    await dispatchOutbox(other.deps, { channels: other.channels, jitter: () => JITTER });
    const sentByOther = await db().prisma.outboxMessage.findUniqueOrThrow({ where: { id }, include: { attemptLog: true } });
    expect(sentByOther).toMatchObject({ status: 'SENT', attempts: 2, sendStartedAt: null });

    hanging.release();
    const stuckSummary = await stuckRun;

    expect(stuckSummary.lostLease).toBeGreaterThanOrEqual(1);
    expect(stuckSummary.sent).toBe(0);
    const final = await db().prisma.outboxMessage.findUniqueOrThrow({ where: { id }, include: { attemptLog: true } });
    expect(final).toEqual(sentByOther);
    expect(final.attemptLog).toHaveLength(1);
    expect(final.providerMessageId).toMatch(/^test-/);
  });

  it('never sends blindly again what a dispatcher handed to a provider that cannot tell: a person resends or settles it', async () => {
    const [resent, settled] = await enqueue('interrupted', 2);
    const hanging = new HangingChannel();
    const stuck = serviceWith(hanging);
    // The dispatcher "dies" mid-send: its sends never return (the run is abandoned).
    const stuckRun = dispatchOutbox(stuck.deps, { channels: stuck.channels, jitter: () => JITTER, concurrency: 2 });
    await hanging.started;
    await expect.poll(async () => db().prisma.outboxMessage.count({ where: { id: { in: [resent!, settled!] }, sendStartedAt: { not: null } } })).toBe(2);

    clock.advance(OUTBOX_LEASE_MS + 1);
    const counting = new CountingChannel();
    const other = serviceWith(counting);
    const summary = await dispatchOutbox(other.deps, { channels: other.channels, jitter: () => JITTER });
    expect(summary).toMatchObject({ claimed: 2, uncertain: 2, sent: 0 });
    expect(counting.sends).toHaveLength(0);
    const held = await other.deps.outbox.listUncertain(10);
    expect(held.map((m) => m.id).sort()).toEqual([resent, settled].sort());
    // When the interrupted attempt started stays as the operator's evidence.
    for (const m of held) expect(m.sendStartedAt).toBeInstanceOf(Date);
    const audits = await db().prisma.auditLog.findMany({ where: { action: 'outbox.uncertain', entityId: { in: [resent!, settled!] } } });
    expect(audits).toHaveLength(2);
    // Claimed again later, an UNCERTAIN message stays put.
    clock.advance(OUTBOX_LEASE_MS + 1);
    expect((await dispatchOutbox(other.deps, { channels: other.channels, jitter: () => JITTER })).claimed).toBe(0);

    const at = clock.now();
    const audit = (action: string, entityId: string) => ({ at, actorType: 'SYSTEM' as const, actorId: 'cli', action, entityType: 'OutboxMessage', entityId, details: {} });
    expect(await other.deps.outbox.resolveUncertain(resent!, 'resend', audit('outbox.resend', resent!))).toBe(true);
    expect(await other.deps.outbox.resolveUncertain(settled!, 'settle', audit('outbox.settle', settled!))).toBe(true);
    expect(await other.deps.outbox.resolveUncertain(settled!, 'resend', audit('outbox.resend', settled!))).toBe(false);
    await dispatchOutbox(other.deps, { channels: other.channels, jitter: () => JITTER });
    expect(counting.sends.map((s) => s.messageId)).toEqual([resent]);
    const rows = await db().prisma.outboxMessage.findMany({ where: { id: { in: [resent!, settled!] } }, orderBy: { id: 'asc' } });
    expect(rows.map((r) => [r.id, r.status, r.sendStartedAt])).toEqual(expect.arrayContaining([[resent, 'SENT', null], [settled, 'SENT', null]]));
    hanging.release();
    expect((await stuckRun).lostLease).toBe(2);
  });

  it('records an interrupted send as sent when a delivery report already names it', async () => {
    const [id] = await enqueue('reported', 1);
    const hanging = new HangingChannel();
    const stuck = serviceWith(hanging);
    const stuckRun = dispatchOutbox(stuck.deps, { channels: stuck.channels, jitter: () => JITTER });
    await hanging.started;
    const row = await db().prisma.outboxMessage.findUniqueOrThrow({ where: { id } });
    await stuck.deps.outbox.recordDeliveryReport({ providerMessageId: 'lost-answer', idempotencyKey: row.idempotencyKey, status: 'DELIVERED', error: null, at: clock.now(), invalidNumber: false });

    clock.advance(OUTBOX_LEASE_MS + 1);
    const counting = new CountingChannel();
    const other = serviceWith(counting);
    const summary = await dispatchOutbox(other.deps, { channels: other.channels, jitter: () => JITTER });
    expect(summary).toMatchObject({ claimed: 1, reconciled: 1, sent: 0 });
    expect(counting.sends).toHaveLength(0);
    expect(await db().prisma.outboxMessage.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: 'SENT', sendStartedAt: null });
    hanging.release();
    expect((await stuckRun).lostLease).toBe(1);
  });

  it('retries a retryable failure with backoff and records each attempt, then sends it', async () => {
    const [id] = await enqueue('flaky', 1);
    const flaky = new FailingChannel(2, 'retryable', 'X');
    const app = serviceWith(flaky);
    const sendsOfIt = () => flaky.sends.filter((s) => s.messageId === id).map((s) => s.attempt);
    const row = () => db().prisma.outboxMessage.findUniqueOrThrow({ where: { id }, include: { attemptLog: { orderBy: { attempt: 'asc' } } } });

    const firstAt = clock.now();
    await jobs['dispatch-outbox']!.run(app);
    const firstDelay = retryDelayMs(1, JITTER);
    expect(firstDelay).toBe(22_500);
    expect(await row()).toMatchObject({ status: 'PENDING', attempts: 1, lastErrorCode: 'X', nextAttemptAt: new Date(firstAt.getTime() + firstDelay) });

    clock.set(new Date(firstAt.getTime() + firstDelay - 1));
    await jobs['dispatch-outbox']!.run(app);
    expect(sendsOfIt()).toEqual([1]);

    clock.set(new Date(firstAt.getTime() + firstDelay));
    const secondAt = clock.now();
    await jobs['dispatch-outbox']!.run(app);
    const secondDelay = retryDelayMs(2, JITTER);
    expect(secondDelay).toBe(45_000);
    expect(await row()).toMatchObject({ status: 'PENDING', attempts: 2, nextAttemptAt: new Date(secondAt.getTime() + secondDelay) });

    clock.set(new Date(secondAt.getTime() + secondDelay));
    await jobs['dispatch-outbox']!.run(app);

    expect(sendsOfIt()).toEqual([1, 2, 3]);
    const done = await row();
    expect(done).toMatchObject({ status: 'SENT', attempts: 3, providerMessageId: `ok-${id}-3` });
    expect(done.attemptLog.map((a) => ({ attempt: a.attempt, outcome: a.outcome, errorCode: a.errorCode }))).toEqual([
      { attempt: 1, outcome: 'RETRY', errorCode: 'X' },
      { attempt: 2, outcome: 'RETRY', errorCode: 'X' },
      { attempt: 3, outcome: 'SENT', errorCode: null },
    ]);
  });

  it('gives up at once on a permanent failure', async () => {
    const [id] = await enqueue('permanent', 1);
    const broken = new FailingChannel(99, 'permanent', '81013');
    const app = serviceWith(broken);

    await jobs['dispatch-outbox']!.run(app);
    clock.advanceDays(1);
    await jobs['dispatch-outbox']!.run(app);

    expect(broken.sends.filter((s) => s.messageId === id)).toHaveLength(1);
    const row = await db().prisma.outboxMessage.findUniqueOrThrow({ where: { id }, include: { attemptLog: true } });
    expect(row).toMatchObject({ status: 'DEAD', attempts: 1, lastErrorCode: '81013' });
    expect(row.attemptLog.map((a) => ({ attempt: a.attempt, outcome: a.outcome }))).toEqual([{ attempt: 1, outcome: 'DEAD' }]);
  });

  it('gives up after the last allowed attempt of a retryable failure', async () => {
    const [id] = await enqueue('exhausted', 1, { maxAttempts: 3 });
    const down = new FailingChannel(99, 'retryable', '-1');
    const app = serviceWith(down);

    for (let round = 0; round < 5; round++) {
      await jobs['dispatch-outbox']!.run(app);
      clock.advance(3_600_000);
    }

    expect(down.sends.filter((s) => s.messageId === id).map((s) => s.attempt)).toEqual([1, 2, 3]);
    const row = await db().prisma.outboxMessage.findUniqueOrThrow({ where: { id }, include: { attemptLog: { orderBy: { attempt: 'asc' } } } });
    expect(row.status).toBe('DEAD');
    expect(row.attemptLog.map((a) => a.outcome)).toEqual(['RETRY', 'RETRY', 'DEAD']);
  });

  it('claims the next round while the last sends of a round finish, never holding more than one batch', async () => {
    const ids = await enqueue('ahead', 50);
    const held = () => db().prisma.outboxMessage.findMany({ where: { id: { in: ids }, status: 'SENDING' }, select: { claimToken: true } });
    // Each send notes how many of the messages this dispatcher holds; the last send of the first round
    // (20 messages) waits until the next round's claim is in the database beside its own.
    let mostHeld = 0;
    let claimsSeen = 0;
    let started = 0;
    const channel = new (class extends CountingChannel {
      override async send(request: Parameters<CountingChannel['send']>[0]) {
        const sendNumber = ++started;
        for (let poll = 0; ; poll++) {
          const rows = await held();
          mostHeld = Math.max(mostHeld, rows.length);
          const claims = new Set(rows.map((r) => r.claimToken)).size;
          if (sendNumber !== 20 || claims >= 2 || poll >= 2_000) {
            if (sendNumber === 20) claimsSeen = claims;
            break;
          }
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        return super.send(request);
      }
    })();
    const app = serviceWith(channel);

    const summary = await dispatchOutbox(app.deps, { channels: app.channels, jitter: () => JITTER, batchSize: 20, concurrency: 4 });

    expect(claimsSeen).toBe(2);
    expect(mostHeld).toBeLessThanOrEqual(20);
    expect(summary.lostLease).toBe(0);
    await expectEachSentOnce(ids, channel.countsById());
  });

  it('spaces two survey invitations to one customer by the minimum gap, reading what was sent from the database', async () => {
    const sms = new CountingChannel();
    const app = serviceWith(sms);
    // Daytime, after everything the other tests did with the clock (survey invitations are held at night).
    expect(clock.now().getTime()).toBeLessThan(Date.parse('2026-12-01T10:00:00+08:00'));
    clock.set('2026-12-01T10:00:00+08:00');
    const { caseId } = await submit(app, dischargeBody({ externalId: `ZY-GAP-${clock.now().getTime()}` }));
    const customerId = (await db().prisma.case.findUniqueOrThrow({ where: { id: caseId }, select: { customerId: true } })).customerId;
    const invite = (key: string) => ({
      idempotencyKey: key,
      channel: 'sms' as const,
      recipientType: 'customer' as const,
      recipientId: customerId,
      followUpId: null,
      nextAttemptAt: clock.now(),
      message: { kind: 'survey_invite' as const, to: { customerId, phoneE164: '+8613500000009' }, templateKey: 'survey_invite', params: [], text: '回访', link: 'http://x/s/1', surveyId: key },
    });
    await app.deps.outbox.enqueue([invite(`gap-a-${caseId}`)]);
    expect(await jobs['dispatch-outbox']!.run(app)).toMatchObject({ sent: 1 });
    const firstSentAt = clock.now();

    clock.advance(24 * 3_600_000);
    await app.deps.outbox.enqueue([invite(`gap-b-${caseId}`)]);
    expect(await jobs['dispatch-outbox']!.run(app)).toMatchObject({ sent: 0, deferred: 1 });
    const second = await db().prisma.outboxMessage.findUniqueOrThrow({ where: { idempotencyKey: `gap-b-${caseId}` } });
    expect(second).toMatchObject({ status: 'PENDING', lastErrorCode: 'SURVEY_GAP', nextAttemptAt: new Date(firstSentAt.getTime() + 72 * 3_600_000) });
    expect(sms.sends).toHaveLength(1);
  });

  /** Sends whatever earlier tests left due, so the next dispatch claims only what the test enqueues. */
  async function drainDue(): Promise<void> {
    const app = serviceWith(new CountingChannel());
    while ((await dispatchOutbox(app.deps, { channels: app.channels, jitter: () => JITTER })).claimed > 0);
  }

  async function newCustomer(app: Huifang, tag: string): Promise<string> {
    const { caseId } = await submit(app, dischargeBody({ externalId: `ZY-${tag}-${clock.now().getTime()}` }));
    return (await db().prisma.case.findUniqueOrThrow({ where: { id: caseId }, select: { customerId: true } })).customerId;
  }

  it('lets one of two survey invitations to one customer leave within the gap when two dispatchers send at the same moment', async () => {
    clock.set('2026-12-10T10:00:00+08:00');
    await drainDue();
    const setup = serviceWith(new CountingChannel());
    const customerId = await newCustomer(setup, 'GAP-RACE');
    const invite = (surveyId: string) => ({
      idempotencyKey: `race-${surveyId}-${customerId}`,
      channel: 'wechat' as const,
      recipientType: 'customer' as const,
      recipientId: customerId,
      followUpId: null,
      nextAttemptAt: clock.now(),
      message: { kind: 'survey_invite' as const, to: { customerId, phoneE164: '+8613500000019' }, templateKey: 'survey_invite', params: [], text: '回访', link: 'http://x/s/1', surveyId },
    });
    await setup.deps.outbox.enqueue([invite('race-a'), invite('race-b')]);
    // Two replicas on PostgreSQL (each its own client); on SQLite, one writer at a time, two overlapping
    // dispatch runs of one process. The first one's send is held open until the second has finished:
    // neither has recorded a sent invitation yet when the second checks the gap.
    const hanging = new HangingChannel();
    const quick = new CountingChannel();
    const separate = !db().capabilities.singleWriter;
    const replicas: ReturnType<typeof createReplica>[] = [];
    const start = (channel: MessageChannel): Huifang => {
      if (!separate) return serviceWith(channel);
      const replica = createReplica(db(), clock, { channels: { wecom: channel, sms: channel, wechat: channel } });
      replicas.push(replica);
      return replica;
    };
    const first = start(hanging);
    const second = start(quick);
    try {
      const one = { jitter: () => JITTER, batchSize: 1, maxBatches: 1 };
      const running = dispatchOutbox(first.deps, { channels: first.channels, ...one });
      await hanging.started;
      const summary = await dispatchOutbox(second.deps, { channels: second.channels, ...one });
      hanging.release();
      expect(await running).toMatchObject({ claimed: 1, sent: 1 });
      expect(summary).toMatchObject({ claimed: 1, sent: 0, deferred: 1 });
    } finally {
      await Promise.all(replicas.map((r) => r.closeReplica()));
    }
    expect(hanging.sends.length + quick.sends.length).toBe(1);
    const held = await db().prisma.outboxMessage.findFirstOrThrow({ where: { recipientId: customerId, status: 'PENDING' } });
    expect(held).toMatchObject({ lastErrorCode: 'SURVEY_GAP', nextAttemptAt: new Date(clock.now().getTime() + 72 * 3_600_000) });
  });

  it('holds an SMS with the same template and parameters to the same number for 30 s, whichever replica sent the first', async () => {
    clock.set('2026-12-11T10:00:00+08:00');
    await drainDue();
    const firstSms = new CountingChannel();
    const first = serviceWith(firstSms);
    first.deps.smsDailyBudget = 0;
    const customerId = await newCustomer(first, 'SMS-SAME');
    const notice = (key: string, params: string[]) => ({
      idempotencyKey: `same-${key}-${customerId}`,
      channel: 'sms' as const,
      recipientType: 'customer' as const,
      recipientId: customerId,
      followUpId: null,
      nextAttemptAt: clock.now(),
      message: { kind: 'customer_notice' as const, to: { customerId, phoneE164: '+8613500000029' }, templateKey: 'reminder', params, text: '提醒', purpose: 'service' as const },
    });
    await first.deps.outbox.enqueue([notice('a', ['明天', '09:00'])]);
    expect(await dispatchOutbox(first.deps, { channels: first.channels, jitter: () => JITTER })).toMatchObject({ sent: 1 });
    const sentAt = clock.now();

    // Ten seconds later another service instance (a replica, or this one restarted) has the same SMS
    // and a different one for the number.
    clock.advance(10_000);
    const laterSms = new CountingChannel();
    const later = serviceWith(laterSms);
    later.deps.smsDailyBudget = 0;
    await later.deps.outbox.enqueue([notice('b', ['明天', '09:00']), notice('c', ['后天', '09:00'])]);
    expect(await dispatchOutbox(later.deps, { channels: later.channels, jitter: () => JITTER })).toMatchObject({ sent: 1, deferred: 1 });
    expect(laterSms.sends.map((s) => s.idempotencyKey)).toEqual([`same-c-${customerId}`]);
    const held = await db().prisma.outboxMessage.findUniqueOrThrow({ where: { idempotencyKey: `same-b-${customerId}` }, include: { attemptLog: true } });
    expect(held).toMatchObject({ status: 'PENDING', lastErrorCode: 'SMS_SAME_CONTENT', nextAttemptAt: new Date(sentAt.getTime() + 30_000) });
    // Deferred, not tried: none of the message's attempts is spent on Tencent's error.
    const sent = await db().prisma.outboxMessage.findUniqueOrThrow({ where: { idempotencyKey: `same-c-${customerId}` } });
    expect(held.maxAttempts - held.attempts).toBe(sent.maxAttempts);
    expect(held.attemptLog.map((a) => a.errorCode)).toEqual(['SMS_SAME_CONTENT']);

    clock.advance(20_000);
    expect(await dispatchOutbox(later.deps, { channels: later.channels, jitter: () => JITTER })).toMatchObject({ sent: 1 });
    expect(laterSms.sends.map((s) => s.idempotencyKey)).toEqual([`same-c-${customerId}`, `same-b-${customerId}`]);
  });
});
