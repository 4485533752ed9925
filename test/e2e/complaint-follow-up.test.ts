// A property complaint (P7) from the CRM post to the escalation, on the fake clock.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FakeClock } from '../../bot/clocks.js';
import type { Huifang } from '../../bot/huifang.js';
import { describeEachDatabase } from '../support/db.js';
import { createTestService, listen, seedOrganisation, sharedDbClient } from '../support/service.js';
import { tapCard, uniqueExternalId, uniquePhone } from '../support/builders.js';
import { api, buttonKey, deliveredCard, outboxOf, postCase, runJob, escalationCardsOf } from '../support/e2e.js';

const HANDLED_AT = '2026-11-05T14:00:00+08:00';

describeEachDatabase('property complaint follow-up', (db) => {
  const clock = new FakeClock('2026-11-02T09:30:00+08:00');
  let app: Huifang;
  let http: Awaited<ReturnType<typeof listen>>;
  let staff: Map<string, string>;

  beforeAll(async () => {
    staff = await seedOrganisation(db());
    app = createTestService(db().url, sharedDbClient(db()), clock);
    http = await listen(app);
  });

  afterAll(async () => {
    await http?.close();
  });

  function complaint(severity: string, extra: Record<string, unknown> = {}) {
    const externalId = uniqueExternalId('TS');
    return {
      type: 'property_complaint',
      externalId,
      occurredAt: '2026-11-02T09:10:00+08:00',
      department: 'service-centre',
      responsibleStaff: 'zhuli.wu',
      customer: { externalId: `OWNER-${externalId}`, name: '业主', salutation: '陈女士', phone: uniquePhone() },
      attributes: { severity },
      ...extra,
    };
  }

  /** Posts the complaint, then re-posts it as handled; returns the follow-up once planned. */
  async function handledComplaint(body: ReturnType<typeof complaint>) {
    clock.set('2026-11-02T09:30:00+08:00');
    const caseId = await postCase(http.baseUrl, body);
    expect(await db().prisma.followUp.count({ where: { caseId } })).toBe(0);
    clock.set('2026-11-05T14:05:00+08:00');
    const res = await api(http.baseUrl, '/api/v1/cases', { method: 'POST', body: JSON.stringify({ ...body, milestones: { handled: HANDLED_AT } }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ created: false, followUpsAdded: 1 });
    return db().prisma.followUp.findUniqueOrThrow({ where: { caseId_step: { caseId, step: 'complaint_followup' } } });
  }

  it('follows a handled general complaint up through the responsible assistant within 3 days', async () => {
    // 「投诉处理完毕后3天内回访，回访率100%」; 「一般投诉由物业助理回访」
    const followUp = await handledComplaint(complaint('general'));
    expect(followUp).toMatchObject({
      assigneeId: staff.get('zhuli.wu'),
      dueAt: new Date(HANDLED_AT),
      deadlineAt: new Date('2026-11-08T23:59:00+08:00'),
    });

    await runJob(app, 'activate-due-follow-ups');
    await runJob(app, 'dispatch-outbox');

    const { address } = await deliveredCard(db().prisma, followUp.id, 1);
    expect(address).toBe('zhuli.wu');
  });

  it('sends a major complaint to the manager 赵经理', async () => {
    // 「重大投诉由经理回访」
    const followUp = await handledComplaint(complaint('major'));
    await runJob(app, 'activate-due-follow-ups');
    await runJob(app, 'dispatch-outbox');

    expect(followUp.assigneeId).toBe(staff.get('jingli.zhao'));
    expect((await deliveredCard(db().prisma, followUp.id, 1)).address).toBe('jingli.zhao');
  });

  it('never gives the follow-up, nor its escalation, to the assistant complained about', async () => {
    // 「一般投诉由物业助理回访」 — the person complained about must not handle it (003).
    const followUp = await handledComplaint(complaint('general', { subjectStaff: 'zhuli.wu' }));
    expect(followUp.assigneeId).toBe(staff.get('zhuli.zheng'));
    await runJob(app, 'activate-due-follow-ups');
    await runJob(app, 'dispatch-outbox');
    const { card, address } = await deliveredCard(db().prisma, followUp.id, 1);
    expect(address).toBe('zhuli.zheng');

    clock.set('2026-11-06T10:00:00+08:00');
    const tap = await tapCard(app, { wecomUserId: 'zhuli.zheng', key: buttonKey(card, 'dissatisfied') });

    expect(tap.result).toMatchObject({ status: 'PROCESSED', result: { escalated: true } });
    const escalation = await db().prisma.escalation.findFirstOrThrow({ where: { followUpId: followUp.id } });
    // 回访不满意 → 部门主管/经理
    expect(escalation.ownerId).toBe(staff.get('zhuguan.sun'));
    expect(escalation.deadlineAt).toEqual(new Date('2026-11-09T10:00:00+08:00'));
    const [notice] = await escalationCardsOf(db().prisma, followUp.id);
    expect(notice!.recipientId).toBe(staff.get('zhuguan.sun'));
  });

  it('escalates past the supervisor to the manager when the supervisor is the one complained about', async () => {
    // 回访不满意 → 部门主管/经理, never the person complained about (003).
    const followUp = await handledComplaint(complaint('general', { subjectStaff: 'zhuguan.sun' }));
    expect(followUp.assigneeId).toBe(staff.get('zhuli.wu'));
    await runJob(app, 'activate-due-follow-ups');
    await runJob(app, 'dispatch-outbox');
    const { card } = await deliveredCard(db().prisma, followUp.id, 1);

    clock.set('2026-11-06T10:00:00+08:00');
    await tapCard(app, { wecomUserId: 'zhuli.wu', key: buttonKey(card, 'dissatisfied') });

    const escalations = await db().prisma.escalation.findMany({ where: { followUpId: followUp.id } });
    expect(escalations.map((e) => e.ownerId)).toEqual([staff.get('jingli.zhao')]);
  });
});
