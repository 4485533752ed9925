import { beforeAll, expect, it } from 'vitest';
import { FakeClock } from '../../../../bot/clocks.js';
import type { Huifang } from '../../../../bot/huifang.js';
import type { CaseBody } from '../../../../bot/cases/case-body.js';
import { describeEachDatabase } from '../../../support/db.js';
import { createTestService, seedOrganisation, sharedDbClient } from '../../../support/service.js';
import { submit, uniqueExternalId, uniquePhone } from '../../../support/builders.js';
import { activateDueFollowUps } from '../../../../bot/core/follow-ups/activate-due-follow-ups.js';

// 002 制度10 第一条 3「优质来电客户三日内邀约后，每周定期电话邀约，直到其来访」 (P8, `repeat.until:
// milestone:visited`): the case update that records the visit cancels the weekly invitations after it.
describeEachDatabase('a recurrence ends at a milestone', (db) => {
  let app: Huifang;
  const clock = new FakeClock('2026-03-10T12:30:00+08:00');

  beforeAll(async () => {
    await seedOrganisation(db());
    app = createTestService(db().url, sharedDbClient(db()), clock);
  });

  function inboundCall(): CaseBody {
    const externalId = uniqueExternalId('LD');
    return {
      type: 'estate_inbound_call',
      externalId,
      occurredAt: '2026-03-10T12:00:00+08:00',
      customer: { externalId: `KH-${externalId}`, name: '周杰', salutation: '周先生', phone: uniquePhone() },
      department: 'cardiology',
      responsibleStaff: 'hushi.li',
      attributes: { quality: 'good' },
    };
  }

  const byStep = async (caseId: string) => Object.fromEntries((await db().prisma.followUp.findMany({ where: { caseId } })).map((f) => [f.step, f]));

  it('cancels the scheduled invitations after the visit, keeps those before it, and plans none past it', async () => {
    const body = inboundCall();
    const created = await submit(app, body);
    expect(created.followUpsAdded).toBe(2 + 52);

    const visited = { ...body, milestones: { visited: '2026-04-03T15:00:00+08:00' } };
    const update = await submit(app, visited);
    const again = await submit(app, visited);

    expect(update.followUpsAdded).toBe(0);
    expect(again).toEqual({ caseId: created.caseId, created: false, followUpsAdded: 0 });
    const rows = await byStep(created.caseId);
    expect(Object.keys(rows)).toHaveLength(2 + 52);
    for (const step of ['inbound_same_day', 'inbound_recall', 'inbound_weekly_1', 'inbound_weekly_2', 'inbound_weekly_3']) {
      expect(rows[step], step).toMatchObject({ status: 'SCHEDULED' });
    }
    for (let n = 4; n <= 52; n++) expect(rows[`inbound_weekly_${n}`], `inbound_weekly_${n}`).toMatchObject({ status: 'CANCELLED', outcomeNote: 'NO_LONGER_PLANNED' });
    const audits = await db().prisma.auditLog.findMany({ where: { entityId: created.caseId, action: 'case.updated' } });
    expect(audits).toHaveLength(1);
  });

  it('leaves the call already pushed before the visit with its staff member', async () => {
    const body = inboundCall();
    const { caseId } = await submit(app, body);
    clock.set('2026-03-10T15:30:00+08:00');
    await activateDueFollowUps(app.deps);
    expect((await byStep(caseId)).inbound_same_day!.status).toBe('ACTIVE');

    await submit(app, { ...body, milestones: { visited: '2026-03-10T16:00:00+08:00' } });

    const rows = await byStep(caseId);
    expect(rows.inbound_same_day!.status).toBe('ACTIVE');
    expect(rows.inbound_recall!.status).toBe('SCHEDULED');
    const weekly = Object.values(rows).filter((f) => f.step.startsWith('inbound_weekly_'));
    expect(weekly).toHaveLength(52);
    expect(weekly.every((f) => f.status === 'CANCELLED' && f.outcomeNote === 'NO_LONGER_PLANNED')).toBe(true);
  });
});
