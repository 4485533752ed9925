/**
 * `huifang outbox uncertain|resend|settle` and `huifang inbox dead|replay` against both databases,
 * through the commands' own entry points; inbound events back off between failed attempts and end DEAD.
 */
import { beforeAll, expect, it } from 'vitest';
import { FakeClock } from '../../../bot/clocks.js';
import type { Huifang } from '../../../bot/huifang.js';
import { runOutboxCommand } from '../../../bot/commands/outbox.js';
import { runInboxCommand } from '../../../bot/commands/inbox.js';
import type { WithApp } from '../../../bot/commands/with-app.js';
import { INBOUND_BACKOFF, INBOUND_MAX_ATTEMPTS, processInboundEvent, processPendingInbound } from '../../../bot/core/inbox/process-inbound.js';
import { describeEachDatabase } from '../../support/db.js';
import { collectOutput } from '../../support/command-output.js';
import { createTestService, seedOrganisation, sharedDbClient } from '../../support/service.js';
import { staffTextMessage } from '../../support/builders.js';

describeEachDatabase('huifang outbox and inbox commands', (db) => {
  const clock = new FakeClock('2026-11-10T09:00:00+08:00');
  let app: Huifang;
  const withApp: WithApp = (fn) => fn(app);
  const run = async (command: typeof runOutboxCommand, ...args: string[]) => {
    const output = collectOutput();
    const code = await command(args, withApp, output);
    return { code, ...output };
  };

  beforeAll(async () => {
    app = createTestService(db().url, sharedDbClient(db()), clock);
    await seedOrganisation(db());
  });

  it('lists uncertain messages, resends one and settles another, audited; refuses a message that is not uncertain', async () => {
    const nurse = await db().prisma.staff.findFirstOrThrow({ where: { wecomUserId: 'hushi.li' } });
    await app.deps.outbox.enqueue([staffTextMessage('cli-uncertain:1', nurse.id, 'hushi.li', clock.now()), staffTextMessage('cli-uncertain:2', nurse.id, 'hushi.li', clock.now())]);
    // The state a crash mid-send leaves once the channel could not tell (dispatch-outbox.test.ts reaches it for real).
    await db().prisma.outboxMessage.updateMany({
      where: { idempotencyKey: { startsWith: 'cli-uncertain:' } },
      data: { status: 'UNCERTAIN', sendStartedAt: clock.now(), lastErrorCode: 'SEND_UNCONFIRMED', lastError: 'no report names it' },
    });
    const [first, second] = await db().prisma.outboxMessage.findMany({ where: { idempotencyKey: { startsWith: 'cli-uncertain:' } }, orderBy: { idempotencyKey: 'asc' } });

    const listed = await run(runOutboxCommand, 'uncertain');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(first!.id);
    expect(listed.stdout).toContain('no report names it');
    const json = JSON.parse((await run(runOutboxCommand, 'uncertain', '--json')).stdout) as { id: string }[];
    expect(json.map((m) => m.id).sort()).toEqual([first!.id, second!.id].sort());

    expect((await run(runOutboxCommand, 'resend', first!.id, '--note', 'not in the Tencent console')).code).toBe(0);
    expect((await run(runOutboxCommand, 'settle', second!.id)).code).toBe(0);
    const again = await run(runOutboxCommand, 'resend', second!.id);
    expect([again.code, again.stderr]).toEqual([1, expect.stringContaining(second!.id)]);
    expect((await run(runOutboxCommand, 'resend')).code).toBe(2);

    const rows = await db().prisma.outboxMessage.findMany({ where: { id: { in: [first!.id, second!.id] } }, orderBy: { idempotencyKey: 'asc' } });
    expect(rows.map((r) => [r.status, r.sendStartedAt])).toEqual([
      ['PENDING', null],
      ['SENT', null],
    ]);
    expect(rows[0]!.nextAttemptAt).toEqual(clock.now());
    const audit = await db().prisma.auditLog.findMany({ where: { entityId: { in: [first!.id, second!.id] } }, orderBy: { action: 'asc' } });
    expect(audit.map((a) => [a.action, a.actorId])).toEqual([
      ['outbox.resend', 'cli'],
      ['outbox.settle', 'cli'],
    ]);
    expect((await run(runOutboxCommand, 'uncertain')).stdout).toContain('no uncertain messages');
  });

  it('retries a failing inbound event with growing waits, ends it DEAD, lists it, and replays it', async () => {
    let failing = true;
    const handlers = {
      cli_test: async () => {
        if (failing) throw new Error('the handler crashed');
        return { ok: true };
      },
    };
    const { id } = await app.deps.inbox.recordInbound({ id: 'cli-inbound-1', source: 'test', dedupeKey: 'cli-1', kind: 'cli_test', payload: {}, receivedAt: clock.now() });
    const waits: number[] = [];
    for (let attempt = 1; attempt <= INBOUND_MAX_ATTEMPTS; attempt++) {
      const [result] = await processPendingInbound(app.deps, handlers);
      expect(result).toMatchObject({ eventId: id, status: attempt < INBOUND_MAX_ATTEMPTS ? 'FAILED' : 'DEAD' });
      const row = await db().prisma.inboundEvent.findUniqueOrThrow({ where: { id } });
      if (attempt === INBOUND_MAX_ATTEMPTS) {
        expect(row).toMatchObject({ status: 'DEAD', nextAttemptAt: null, attempts: INBOUND_MAX_ATTEMPTS });
        break;
      }
      const wait = row.nextAttemptAt!.getTime() - clock.now().getTime();
      waits.push(wait);
      // Not due before its time: neither the job nor a direct claim picks it up.
      expect(await processPendingInbound(app.deps, handlers)).toEqual([]);
      expect(await processInboundEvent(app.deps, id, handlers)).toMatchObject({ status: 'SKIPPED' });
      clock.advance(wait);
    }
    expect(waits[0]).toBeGreaterThanOrEqual(INBOUND_BACKOFF.baseDelayMs / 2);
    for (let i = 1; i < waits.length; i++) expect(waits[i]! * 2).toBeGreaterThan(waits[i - 1]!);
    expect(waits.at(-1)!).toBeGreaterThan(waits[0]! * 8);
    clock.advance(INBOUND_BACKOFF.maxDelayMs * 2);
    expect(await processPendingInbound(app.deps, handlers)).toEqual([]);

    const inbox = (...args: string[]) => run(runInboxCommand, ...args);
    const dead = await inbox('dead');
    expect(dead.code).toBe(0);
    expect(dead.stdout).toContain(id);
    expect(dead.stdout).toContain('the handler crashed');
    failing = false;
    expect((await inbox('replay', id)).code).toBe(0);
    expect((await inbox('replay', id)).code).toBe(1);
    expect(await processPendingInbound(app.deps, handlers)).toEqual([expect.objectContaining({ eventId: id, status: 'PROCESSED' })]);
    expect((await inbox('dead')).stdout).toContain('no dead inbound events');
  });
});
