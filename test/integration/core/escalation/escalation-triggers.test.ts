// What opens an escalation besides 不满意: complaint words in a reply, the same complaint again within
// the policy's window, and a nurse's 病情异常 — each with its owner from the chain, each once.
import { beforeAll, expect, it } from 'vitest';
import { FakeClock } from '../../../../bot/clocks.js';
import type { Huifang } from '../../../../bot/huifang.js';
import { describeEachDatabase } from '../../../support/db.js';
import { createTestService, listen, seedOrganisation, sharedDbClient } from '../../../support/service.js';
import { dischargeBody, smsReply, tapCard, uniqueExternalId, uniquePhone } from '../../../support/builders.js';
import { buttonKey, deliveredCard, followUpOf, postCase, runJob } from '../../../support/e2e.js';

describeEachDatabase('escalation triggers', (db) => {
  const clock = new FakeClock('2026-11-03T16:00:00+08:00');
  let app: Huifang;
  let staff: Map<string, string>;
  let baseUrl: string;

  beforeAll(async () => {
    staff = await seedOrganisation(db());
    app = createTestService(db().url, sharedDbClient(db()), clock);
    const http = await listen(app);
    baseUrl = http.baseUrl;
    return () => http.close();
  });

  it('escalates a middling score with complaint words as a complaint', async () => {
    const phone = uniquePhone();
    clock.set('2026-11-03T16:00:00+08:00');
    const caseId = await postCase(baseUrl, dischargeBody({ phone }));
    const survey = await followUpOf(db().prisma, caseId, 'survey');
    clock.set('2026-11-06T10:00:00+08:00');
    await runJob(app, 'activate-due-follow-ups');
    await runJob(app, 'dispatch-outbox');

    clock.set('2026-11-06T11:00:00+08:00');
    // 3 of 5 is 0.5, above the 0.25 threshold: only the words make it an escalation.
    const reply = await smsReply(app, phone, '3分，护士态度差，我要投诉');
    expect(reply.result?.status).toBe('PROCESSED');
    const escalations = await db().prisma.escalation.findMany({ where: { followUpId: survey.id } });
    expect(escalations).toHaveLength(1);
    expect(escalations[0]).toMatchObject({ reason: 'COMPLAINT', severity: 'high', level: 1, ownerId: staff.get('hushizhang.chen'), sourceKey: `complaint:${survey.id}` });
    expect(escalations[0]!.summary).toContain('我要投诉');
  });

  it('does not escalate a satisfied answer without complaint words', async () => {
    const phone = uniquePhone();
    clock.set('2026-11-03T16:00:00+08:00');
    const caseId = await postCase(baseUrl, dischargeBody({ phone }));
    const survey = await followUpOf(db().prisma, caseId, 'survey');
    clock.set('2026-11-06T10:00:00+08:00');
    await runJob(app, 'activate-due-follow-ups');
    await runJob(app, 'dispatch-outbox');
    await smsReply(app, phone, '4分，挺好的');
    expect(await db().prisma.escalation.count({ where: { followUpId: survey.id } })).toBe(0);
  });

  it('escalates the second complaint about the same subject within 30 days, and not a different subject', async () => {
    const owner = { externalId: `OWNER-${uniqueExternalId('O')}`, name: '业主', salutation: '陈女士', phone: uniquePhone() };
    const complaint = (subject: string, occurredAt: string) => ({
      type: 'property_complaint',
      externalId: uniqueExternalId('TS'),
      occurredAt,
      department: 'service-centre',
      responsibleStaff: 'zhuli.wu',
      customer: owner,
      attributes: { severity: 'general', subject },
    });
    clock.set('2026-11-02T10:00:00+08:00');
    const first = await postCase(baseUrl, complaint('噪音', '2026-11-02T09:00:00+08:00'));
    clock.set('2026-11-09T10:00:00+08:00');
    await postCase(baseUrl, complaint('停车', '2026-11-09T09:00:00+08:00'));
    expect(await db().prisma.escalation.count({ where: { reason: 'REPEATED_COMPLAINT' , case: { customer: { externalId: owner.externalId } } } })).toBe(0);

    clock.set('2026-11-20T10:00:00+08:00');
    const third = await postCase(baseUrl, complaint('噪音', '2026-11-20T09:00:00+08:00'));
    // Posting the same case again escalates nothing more.
    const escalations = await db().prisma.escalation.findMany({ where: { reason: 'REPEATED_COMPLAINT', caseId: third } });
    expect(escalations).toHaveLength(1);
    // P7: 部门主管 first (never the assistant handling it, who is not in the chain), high severity.
    expect(escalations[0]).toMatchObject({ severity: 'high', level: 1, ownerId: staff.get('zhuguan.sun'), sourceKey: `repeat:${third}`, followUpId: null });
    expect(escalations[0]!.summary).toContain('重复投诉');
    expect(first).not.toBe(third);
  });

  it('sends a nurse’s 病情异常 straight to the department head (科主任)', async () => {
    clock.set('2026-11-03T16:00:00+08:00');
    const caseId = await postCase(baseUrl, dischargeBody());
    const call = await followUpOf(db().prisma, caseId, 'phone');
    clock.set('2026-11-10T09:00:00+08:00');
    await runJob(app, 'activate-due-follow-ups');
    await runJob(app, 'dispatch-outbox');
    const { card } = await deliveredCard(db().prisma, call.id, 1);
    expect(card.buttons.map((b) => b.text)).toContain('病情异常');

    clock.set('2026-11-10T10:00:00+08:00');
    const tap = await tapCard(app, { wecomUserId: 'hushi.li', key: buttonKey(card, 'concern') });
    expect(tap.result?.status).toBe('PROCESSED');
    expect(await db().prisma.followUp.findUniqueOrThrow({ where: { id: call.id } })).toMatchObject({ status: 'DONE', outcome: null });
    const escalation = await db().prisma.escalation.findFirstOrThrow({ where: { followUpId: call.id } });
    // 「遇到可疑病情或特殊病情要及时向科主任汇报」: critical severity starts at level 2 of 护士长 → 科主任 → 院长.
    expect(escalation).toMatchObject({ reason: 'MEDICAL_CONCERN', severity: 'critical', level: 2, ownerId: staff.get('kezhuren.wang'), sourceKey: `medical:${call.id}` });

    // 我的任务 lists it for the department head, naming the customer (salutation, masked phone).
    const asked = await app.receive(
      { source: 'wecom', dedupeKey: `kezhuren.wang:msg-${call.id}`, kind: 'staff_message', payload: { wecomUserId: 'kezhuren.wang', text: '我的任务', msgId: `msg-${call.id}` }, receivedAt: clock.now() },
      { wait: true },
    );
    expect((await asked.processing)?.status).toBe('PROCESSED');
    const reply = await db().prisma.outboxMessage.findUniqueOrThrow({ where: { idempotencyKey: `reply:msg-${call.id}` } });
    expect(JSON.parse(reply.payload).text).toMatch(/待处理的升级事项（\d+项[^）]*）：\n1\. 【待受理】随访发现病情异常｜测先生｜\d{3}\*{4}\d{4}｜第2级/);
  });
});
