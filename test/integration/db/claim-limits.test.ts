// A claim takes at most `limit` rows, whatever the database. (On PostgreSQL an `UPDATE … WHERE id IN
// (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)` may run its sub-select more than once and take more rows
// than asked: one dispatcher would then hold a whole backlog under one lease.)
import { beforeAll, expect, it } from 'vitest';
import { FakeClock } from '../../../bot/clocks.js';
import type { Huifang } from '../../../bot/huifang.js';
import { describeEachDatabase } from '../../support/db.js';
import { createTestService, seedOrganisation, sharedDbClient } from '../../support/service.js';
import { dischargeBody } from '../../support/builders.js';
import { submitCase } from '../../../bot/core/cases/submit-case.js';
import { toSubmitInput } from '../../../bot/cases/case-body.js';

describeEachDatabase('claim limits', (db) => {
  const clock = new FakeClock('2026-11-20T02:00:00Z');
  let app: Huifang;

  beforeAll(async () => {
    await seedOrganisation(db());
    app = createTestService(db().url, sharedDbClient(db()), clock);
  });

  it('claims at most `limit` due outbox messages, then the rest on the next claims', async () => {
    const due = clock.now();
    await app.deps.outbox.enqueue(
      Array.from({ length: 5 }, (_, i) => ({
        idempotencyKey: `claim-limit:${i}`,
        channel: 'wecom' as const,
        recipientType: 'staff' as const,
        recipientId: 's',
        followUpId: null,
        nextAttemptAt: due,
        message: { kind: 'staff_text' as const, to: { staffId: 's', wecomUserId: 'u' }, text: `m${i}` },
      })),
    );
    const first = await app.deps.outbox.claimOutbox(due, 60_000, 2, 'claim-a');
    const second = await app.deps.outbox.claimOutbox(due, 60_000, 2, 'claim-b');
    const third = await app.deps.outbox.claimOutbox(due, 60_000, 2, 'claim-c');
    expect([first.length, second.length, third.length]).toEqual([2, 2, 1]);
    expect(new Set([...first, ...second, ...third].map((m) => m.id)).size).toBe(5);
  });

  it('claims at most `limit` due follow-ups', async () => {
    for (let i = 0; i < 3; i++) {
      // Discharged 8 days ago: the phone call (day 7) and the survey (day 3) are both due.
      const body = dischargeBody({ externalId: `CLAIM-LIMIT-${i}`, occurredAt: new Date(clock.now().getTime() - 8 * 86_400_000).toISOString() });
      await submitCase(app.deps, await toSubmitInput(app, body, 'test'));
    }
    const claimed = await app.deps.followUps.claimDueFollowUps(clock.now(), 60_000, 2);
    expect(claimed).toHaveLength(2);
  });
});
