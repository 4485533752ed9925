import { statSync } from 'node:fs';
import { beforeAll, expect, it } from 'vitest';
import { FakeClock } from '../../../../bot/clocks.js';
import { ACTIVATION_ROUND_TARGET_MS, activateDueFollowUps } from '../../../../bot/core/follow-ups/activate-due-follow-ups.js';
import type { FollowUpStore } from '../../../../bot/core/ports/follow-ups.js';
import type { Huifang } from '../../../../bot/huifang.js';
import { sqliteFilePath } from '../../../../bot/db/client.js';
import { checkpointerOf } from '../../../../bot/db/sqlite-checkpointer.js';
import { jobs } from '../../../../jobs/index.js';
import { describeEachDatabase } from '../../../support/db.js';
import { createReplica, createTestService, seedOrganisation, sharedDbClient } from '../../../support/service.js';
import { startReplicaProcess } from '../../../support/replica.js';
import { insertDueFollowUps } from '../../../support/builders.js';

describeEachDatabase('activating due follow-ups', (db) => {
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

  async function expectOneCardEach(followUpIds: string[]): Promise<void> {
    const followUps = await db().prisma.followUp.findMany({ where: { id: { in: followUpIds } } });
    expect(followUps).toHaveLength(followUpIds.length);
    for (const f of followUps) expect({ id: f.id, status: f.status, version: f.version }).toEqual({ id: f.id, status: 'ACTIVE', version: 1 });
    const outbox = await db().prisma.outboxMessage.findMany({ where: { followUpId: { in: followUpIds } } });
    const perFollowUp = new Map<string, string[]>();
    for (const m of outbox) perFollowUp.set(m.followUpId!, [...(perFollowUp.get(m.followUpId!) ?? []), m.idempotencyKey]);
    for (const id of followUpIds) expect(perFollowUp.get(id), `outbox rows of ${id}`).toEqual([`fu:${id}:1`]);
    expect(outbox.every((m) => m.kind === 'task_card' && m.recipientId === nurseId)).toBe(true);
    const audits = await db().prisma.auditLog.count({ where: { action: 'follow_up.activated', entityId: { in: followUpIds } } });
    expect(audits).toBe(followUpIds.length);
  }

  it('activates each due follow-up once, with one task card, when two replicas run at the same time', async () => {
    clock.advanceMinutes(1);
    const ids = await insertDueFollowUps(db().prisma, { count: 300, dueAt: clock.now(), assigneeId: nurseId, departmentId: wardId });
    const replica = startReplicaProcess(db().url, clock.now(), { kind: 'activate', batchSize: 20 });
    await replica.ready;

    const [local, remote] = await Promise.all([activateDueFollowUps(app.deps, { batchSize: 20 }), replica.go()]);

    expect(remote.error).toBeUndefined();
    await expectOneCardEach(ids);
    const remoteSummary = remote.result as { activated: number; skipped: number };
    // How the 300 split between the two depends on scheduling (on a loaded machine one may take them
    // all); what must hold is that together they activated each exactly once.
    expect(local.activated + remoteSummary.activated).toBe(300);
  });

  it('activates each due follow-up once when two instances with their own clients run in one process', async (ctx) => {
    // In-process replicas need a database with concurrent writers (see the outbox dispatch tests).
    if (db().capabilities.singleWriter) ctx.skip();
    clock.advanceMinutes(1);
    const ids = await insertDueFollowUps(db().prisma, { count: 300, dueAt: clock.now(), assigneeId: nurseId, departmentId: wardId });
    const a = createReplica(db(), clock);
    const b = createReplica(db(), clock);
    try {
      const [first, second] = await Promise.all([activateDueFollowUps(a.deps, { batchSize: 20 }), activateDueFollowUps(b.deps, { batchSize: 20 })]);
      expect(first.activated + second.activated).toBe(300);
    } finally {
      await Promise.all([a.closeReplica(), b.closeReplica()]);
    }
    await expectOneCardEach(ids);
  });

  it('activates a follow-up exactly at its due time, not a millisecond before, and only once when the job runs twice', async () => {
    clock.advanceMinutes(1);
    const dueAt = new Date(clock.now().getTime() + 60_000);
    const [id] = await insertDueFollowUps(db().prisma, { count: 1, dueAt, assigneeId: nurseId, departmentId: wardId });

    clock.set(new Date(dueAt.getTime() - 1));
    await jobs['activate-due-follow-ups']!.run(app);
    expect(await db().prisma.followUp.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: 'SCHEDULED', version: 0 });

    clock.set(dueAt);
    await jobs['activate-due-follow-ups']!.run(app);
    await jobs['activate-due-follow-ups']!.run(app);

    await expectOneCardEach([id!]);
  });

  it('catches up follow-ups due over three missed days in one run', async () => {
    clock.advanceMinutes(1);
    const start = clock.now();
    const ids = [
      ...(await insertDueFollowUps(db().prisma, { count: 2, dueAt: start, assigneeId: nurseId, departmentId: wardId })),
      ...(await insertDueFollowUps(db().prisma, { count: 2, dueAt: new Date(start.getTime() + 86_400_000), assigneeId: nurseId, departmentId: wardId })),
      ...(await insertDueFollowUps(db().prisma, { count: 2, dueAt: new Date(start.getTime() + 2 * 86_400_000), assigneeId: nurseId, departmentId: wardId })),
    ];

    clock.set(new Date(start.getTime() + 3 * 86_400_000));
    await jobs['activate-due-follow-ups']!.run(app);

    await expectOneCardEach(ids);
  });

  it('activates nothing twice when the clock goes back after a run', async () => {
    clock.advanceMinutes(1);
    const dueAt = clock.now();
    const ids = await insertDueFollowUps(db().prisma, { count: 3, dueAt, assigneeId: nurseId, departmentId: wardId });
    await jobs['activate-due-follow-ups']!.run(app);

    clock.set(new Date(dueAt.getTime() - 3_600_000));
    await jobs['activate-due-follow-ups']!.run(app);
    clock.set(new Date(dueAt.getTime() + 3_600_000));
    await jobs['activate-due-follow-ups']!.run(app);

    await expectOneCardEach(ids);
  });

  /** The real store of `app`, recording each claim's limit and running `afterCommit` after each commit. */
  function observedStore(limits: number[], afterCommit: () => void = () => undefined): FollowUpStore {
    const store = app.deps.followUps;
    return new Proxy(store, {
      get(target, property) {
        if (property === 'claimDueFollowUps') {
          return (now: Date, leaseMs: number, limit: number) => (limits.push(limit), target.claimDueFollowUps(now, leaseMs, limit));
        }
        if (property === 'commitActivations') {
          return async (...args: Parameters<FollowUpStore['commitActivations']>) => {
            const result = await target.commitActivations(...args);
            afterCommit();
            return result;
          };
        }
        const value = Reflect.get(target, property) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }

  it('claims 50 first and doubles the claim while rounds finish quickly, activating each once', async () => {
    clock.advanceMinutes(1);
    const ids = await insertDueFollowUps(db().prisma, { count: 400, dueAt: clock.now(), assigneeId: nurseId, departmentId: wardId });
    const limits: number[] = [];

    const summary = await activateDueFollowUps({ ...app.deps, followUps: observedStore(limits) });

    // 50 + 100 + 200 claimed in full, then the remaining 50 of a claim of 400 end the run.
    expect(limits).toEqual([50, 100, 200, 400]);
    expect(summary).toEqual({ claimed: 400, activated: 400, cancelled: 0, deferred: 0, skipped: 0 });
    await expectOneCardEach(ids);
  });

  it('claims the next batch while the previous one commits, commits one batch after another, and activates each once', async () => {
    clock.advanceMinutes(1);
    const ids = await insertDueFollowUps(db().prisma, { count: 50, dueAt: clock.now(), assigneeId: nurseId, departmentId: wardId });
    const events: string[] = [];
    const store = app.deps.followUps;
    const followUps = new Proxy(store, {
      get(target, property) {
        if (property === 'claimDueFollowUps') {
          return (now: Date, leaseMs: number, limit: number) => (events.push(`claim ${limit}`), target.claimDueFollowUps(now, leaseMs, limit));
        }
        if (property === 'commitActivations') {
          return async (...args: Parameters<FollowUpStore['commitActivations']>) => {
            events.push(`commit ${args[0].length}`);
            const result = await target.commitActivations(...args);
            events.push('committed');
            return result;
          };
        }
        const value = Reflect.get(target, property) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });

    const summary = await activateDueFollowUps({ ...app.deps, followUps }, { batchSize: 20 });

    expect(events).toEqual(['claim 20', 'commit 20', 'claim 20', 'committed', 'commit 20', 'claim 20', 'committed', 'commit 10', 'committed']);
    expect(summary).toEqual({ claimed: 50, activated: 50, cancelled: 0, deferred: 0, skipped: 0 });
    await expectOneCardEach(ids);
  });

  it('keeps claiming 50 at a time while rounds take longer than the target', async () => {
    clock.advanceMinutes(1);
    const ids = await insertDueFollowUps(db().prisma, { count: 120, dueAt: clock.now(), assigneeId: nurseId, departmentId: wardId });
    const limits: number[] = [];

    const summary = await activateDueFollowUps({ ...app.deps, followUps: observedStore(limits, () => clock.advance(ACTIVATION_ROUND_TARGET_MS + 1)) });

    expect(limits).toEqual([50, 50, 50]);
    expect(summary.activated).toBe(120);
    await expectOneCardEach(ids);
  });
  it('on SQLite, checkpoints the WAL on a thread of its own while activating, not at each claim and commit', async () => {
    clock.advanceMinutes(1);
    const ids = await insertDueFollowUps(db().prisma, { count: 3_000, dueAt: clock.now(), assigneeId: nurseId, departmentId: wardId });
    const sqlite = db().provider === 'sqlite';
    const fileSize = () => (sqlite ? statSync(sqliteFilePath(db().url)).size : null);
    const threshold = async () =>
      sqlite ? Number((await db().prisma.$queryRawUnsafe<{ wal_autocheckpoint: unknown }[]>('PRAGMA wal_autocheckpoint'))[0]?.wal_autocheckpoint) : null;
    // Everything written so far is in the database file, and the WAL starts empty.
    if (sqlite) await db().prisma.$queryRawUnsafe('PRAGMA wal_checkpoint(TRUNCATE)');
    const before = fileSize();

    const summary = await activateDueFollowUps(app.deps, { batchSize: 1_000 });

    // Three batches write several thousand pages to the WAL, past the default threshold of 1,000 but not the one of
    // bulk writes (16,384): the pages found in the database file were copied by the checkpointing thread.
    expect(summary.activated).toBe(3_000);
    expect(await db().prisma.followUp.count({ where: { id: { in: ids.slice(0, 500) }, status: 'ACTIVE' } })).toBe(500);
    expect(await threshold()).toBe(sqlite ? 1_000 : null);
    const checkpointer = checkpointerOf(db().prisma);
    if (!sqlite) {
      expect(checkpointer).toBeNull();
      return;
    }
    expect(await checkpointer!.checkpointedFrames()).toBeGreaterThan(0);
    expect(fileSize()!).toBeGreaterThan(before!);
    await checkpointer!.stop();
  });
});
