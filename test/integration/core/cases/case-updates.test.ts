import { beforeAll, expect, it } from 'vitest';
import { FakeClock } from '../../../../bot/clocks.js';
import type { Huifang } from '../../../../bot/huifang.js';
import { describeEachDatabase } from '../../../support/db.js';
import { createTestService, seedOrganisation, sharedDbClient } from '../../../support/service.js';
import { dischargeBody, submit } from '../../../support/builders.js';
import { activateDueFollowUps } from '../../../../bot/core/follow-ups/activate-due-follow-ups.js';

// "Case updates: a later event can add, move or cancel follow-ups" — a corrected discharge time
// moves what is still scheduled; a changed severity swaps the phone step (000 第四篇 3 7–15 days
// vs 002 制度19 serious within 5 days); what was already pushed is left alone.
describeEachDatabase('case updates re-plan scheduled follow-ups', (db) => {
  let app: Huifang;
  const clock = new FakeClock('2026-11-03T16:00:00+08:00');

  beforeAll(async () => {
    await seedOrganisation(db());
    app = createTestService(db().url, sharedDbClient(db()), clock);
  });

  const followUps = async (caseId: string) =>
    Object.fromEntries((await db().prisma.followUp.findMany({ where: { caseId } })).map((f) => [f.step, f]));

  it('moves scheduled follow-ups when the discharge time is corrected', async () => {
    const body = dischargeBody({ occurredAt: '2026-11-03T15:30:00+08:00' });
    const { caseId } = await submit(app, body);
    const before = await followUps(caseId);
    expect(before.phone!.earliestAt).toEqual(new Date('2026-11-10T09:00:00+08:00'));

    const again = await submit(app, { ...body, occurredAt: '2026-11-05T10:00:00+08:00' });

    expect(again.followUpsAdded).toBe(0);
    const after = await followUps(caseId);
    expect(after.phone).toMatchObject({ status: 'SCHEDULED', earliestAt: new Date('2026-11-12T09:00:00+08:00'), deadlineAt: new Date('2026-11-20T23:59:00+08:00'), version: before.phone!.version + 1 });
    expect(after.survey).toMatchObject({ status: 'SCHEDULED', dueAt: new Date('2026-11-08T10:00:00+08:00') });
    expect((await db().prisma.case.findUniqueOrThrow({ where: { id: caseId } })).occurredAt).toEqual(new Date('2026-11-05T10:00:00+08:00'));
  });

  it('cancels the ordinary phone call and adds the 5-day one when the patient turns out to be serious', async () => {
    const body = dischargeBody({ severity: 'normal', occurredAt: '2026-11-03T15:30:00+08:00' });
    const { caseId } = await submit(app, body);

    const result = await submit(app, { ...body, attributes: { severity: 'serious' } });

    expect(result.followUpsAdded).toBe(1);
    const after = await followUps(caseId);
    expect(after.phone).toMatchObject({ status: 'CANCELLED', outcomeNote: 'NO_LONGER_PLANNED' });
    expect(after.phone_serious).toMatchObject({ status: 'SCHEDULED', earliestAt: new Date('2026-11-04T09:00:00+08:00'), deadlineAt: new Date('2026-11-08T23:59:00+08:00') });
  });

  it('leaves a follow-up that was already pushed where it is', async () => {
    const body = dischargeBody({ occurredAt: '2026-10-20T15:30:00+08:00' });
    const { caseId } = await submit(app, body);
    clock.set('2026-10-27T09:00:00+08:00');
    await activateDueFollowUps(app.deps);
    const pushed = await followUps(caseId);
    expect(pushed.phone!.status).toBe('ACTIVE');

    await submit(app, { ...body, occurredAt: '2026-10-21T15:30:00+08:00' });

    const after = await followUps(caseId);
    expect(after.phone).toMatchObject({ status: 'ACTIVE', earliestAt: pushed.phone!.earliestAt, version: pushed.phone!.version });
    clock.set('2026-11-03T16:00:00+08:00');
  });
});

describeEachDatabase('a customer reported deceased', (db) => {
  let app: Huifang;
  const clock = new FakeClock('2026-11-03T16:00:00+08:00');

  beforeAll(async () => {
    await seedOrganisation(db());
    app = createTestService(db().url, sharedDbClient(db()), clock);
  });

  it('ends every open follow-up of theirs at once, and nothing is sent later', async () => {
    const body = dischargeBody({ occurredAt: '2026-11-03T15:30:00+08:00' });
    const { caseId } = await submit(app, body);

    await submit(app, { ...body, customer: { ...body.customer, deceasedAt: '2026-11-04T08:00:00+08:00' } });

    const rows = await db().prisma.followUp.findMany({ where: { caseId } });
    expect(rows.map((f) => [f.step, f.status, f.outcomeNote]).sort()).toEqual([
      ['phone', 'CANCELLED', 'CUSTOMER_DECEASED'],
      ['survey', 'CANCELLED', 'CUSTOMER_DECEASED'],
    ]);
    clock.set('2026-11-20T09:00:00+08:00');
    expect((await activateDueFollowUps(app.deps)).activated).toBe(0);
    expect(await db().prisma.outboxMessage.count({ where: { followUpId: { in: rows.map((r) => r.id) } } })).toBe(0);
  });
});
