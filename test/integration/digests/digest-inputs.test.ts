// The weekly digests of all managers read together (loadDigestInputs: a few grouped queries, rows
// shared out by subtree) say exactly what each manager's digest read alone says (loadDigestInput, its
// own subtree only). The figures themselves are hand-counted in weekly-digests.test.ts, and the memory
// store's separate reading is compared in store-conformance.test.ts.
import { beforeAll, expect, it } from 'vitest';
import { FakeClock } from '../../../bot/clocks.js';
import type { Huifang } from '../../../bot/huifang.js';
import { buildDigest, type DigestInput } from '../../../bot/core/digests/build-digest.js';
import { buildDigestDocument } from '../../../bot/core/digests/digest-document.js';
import { describeEachDatabase } from '../../support/db.js';
import { staffOutbox } from '../../../bot/core/outbox/staff-message.js';
import { createTestService, seedOrganisation, sharedDbClient } from '../../support/service.js';
import { at, insertEscalation, insertFollowUps, type FollowUpSpec } from '../reports/follow-up-rows.js';

describeEachDatabase('weekly digests read together', (db) => {
  let app: Huifang;
  const period = { from: at('2026-11-23T00:00'), to: at('2026-11-30T00:00'), asOf: at('2026-11-30T09:00'), timeZone: 'Asia/Shanghai' };

  beforeAll(async () => {
    await seedOrganisation(db());
    app = createTestService(db().url, sharedDbClient(db()), new FakeClock(at('2026-11-30T09:00')));
    const statuses = ['SCHEDULED', 'ACTIVE', 'OVERDUE', 'DONE', 'UNREACHABLE', 'CANCELLED', 'SKIPPED'] as const;
    const outcomes = ['SATISFIED', 'NEUTRAL', 'DISSATISFIED', null] as const;
    const specs: FollowUpSpec[] = [];
    // Both trades, every status, deadlines from the week before to 72 hours after the digest.
    for (let i = 0; i < 120; i++) {
      const ward = i % 2 === 0;
      const status = statuses[i % statuses.length]!;
      specs.push({
        department: ward ? 'cardiology' : i % 3 === 0 ? 'property' : 'service-centre',
        assignee: i % 5 === 0 ? null : ward ? (i % 4 === 0 ? 'hushi.li' : 'hushi.zhou') : 'zhuli.wu',
        action: i % 5 === 0 ? 'CUSTOMER_SURVEY' : 'STAFF_TASK',
        status,
        outcome: status === 'DONE' ? outcomes[i % outcomes.length]! : null,
        deadlineAt: new Date(at('2026-11-16T08:00').getTime() + i * 4 * 3_600_000),
        completedAt: status === 'DONE' || status === 'UNREACHABLE' ? new Date(at('2026-11-16T06:00').getTime() + i * 4 * 3_600_000 + (i % 3) * 86_400_000) : null,
        ...(ward ? {} : { policyId: 'P7', step: 'complaint_followup' }),
      });
    }
    const ids = await insertFollowUps(db().prisma, specs);
    await insertEscalation(db().prisma, { followUpId: ids[4]!, owner: 'hushizhang.chen', createdAt: at('2026-11-26T10:05'), deadlineAt: at('2026-11-29T10:05') });
    await insertEscalation(db().prisma, { followUpId: ids[7]!, owner: 'zhuguan.sun', createdAt: at('2026-11-27T10:05'), deadlineAt: at('2026-12-03T10:05') });
  });

  it('gives every manager the digest their own reading gives, down to the rendered document', async () => {
    const recipients = await app.deps.digests.listDigestRecipients();

    const together = await app.deps.digests.loadDigestInputs(recipients, period);

    expect(recipients.length).toBeGreaterThanOrEqual(4);
    const alone: DigestInput[] = [];
    for (const r of recipients) alone.push(await app.deps.digests.loadDigestInput(r, period));
    const byId = <T extends { id: string }>(rows: readonly T[]) => [...rows].sort((a, b) => a.id.localeCompare(b.id));
    const canonical = (x: DigestInput) => ({
      ...x,
      due: [...x.due].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
      upcoming: byId(x.upcoming),
      openEscalations: byId(x.openEscalations),
    });
    together.forEach((input, i) => {
      const single = alone[i]!;
      expect(canonical(input)).toEqual(canonical(single));
      const document = (x: typeof input) => buildDigestDocument(buildDigest(x), app.deps.templates, { detailUrl: 'https://huifang.example/d/x' });
      expect(document(input)).toEqual(document(single));
    });
    // Something to compare: the hospital director sees the ward's rows, the estate manager the centre's.
    expect(together.every((x) => x.due.length > 0)).toBe(true);
    expect(together.some((x) => x.openEscalations.length > 0)).toBe(true);
  });

  it('enqueues a batch of digests once each: keys already in the outbox, or inserted at the same moment elsewhere, are not counted', async () => {
    const staff = await db().prisma.staff.findFirstOrThrow({ where: { wecomUserId: 'kezhuren.wang' } });
    const message = (key: string) => staffOutbox({ id: staff.id, wecomUserId: staff.wecomUserId }, key, { kind: 'staff_text', text: key }, at('2026-11-30T09:00'), null);
    expect(await app.deps.digests.enqueueOnce(message('digest:test:1'))).toBe(true);

    const batches = await Promise.all([0, 1, 2].map(() => app.deps.digests.enqueueEachOnce(['digest:test:1', 'digest:test:2', 'digest:test:3'].map(message))));

    expect(batches.flatMap((b) => [...b]).sort()).toEqual(['digest:test:2', 'digest:test:3']);
    expect(await db().prisma.outboxMessage.count({ where: { idempotencyKey: { startsWith: 'digest:test:' } } })).toBe(3);
  });
});
