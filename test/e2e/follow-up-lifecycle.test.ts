// A discharge (P4) from the HIS post to the nurse's answer, on the fake clock, through the booted
// service: HTTP in, jobs by name, sandbox channels out, staff taps and SMS replies through the inbox.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FakeClock } from '../../bot/clocks.js';
import type { TaskCard } from '../../bot/core/messages.js';
import type { Huifang } from '../../bot/huifang.js';
import { describeEachDatabase } from '../support/db.js';
import { createTestService, listen, seedOrganisation, sharedDbClient } from '../support/service.js';
import { dischargeBody, smsReply, tapCard, uniquePhone } from '../support/builders.js';
import { buttonKey, deliveredCard, followUpOf, outboxOf, postCase, runJob, escalationCardsOf } from '../support/e2e.js';

const DISCHARGED_AT = '2026-11-03T15:30:00+08:00';
const POSTED_AT = '2026-11-03T16:00:00+08:00';
const PHONE_DUE = new Date('2026-11-10T09:00:00+08:00');
const PHONE_DEADLINE = new Date('2026-11-18T23:59:00+08:00');
const SURVEY_DUE = new Date('2026-11-06T10:00:00+08:00');

describeEachDatabase('discharge follow-up lifecycle', (db) => {
  const clock = new FakeClock(POSTED_AT);
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

  /** Posts a normal discharge (responsible nurse 李护士) at POSTED_AT and returns its ids. */
  async function discharge(phone = uniquePhone()) {
    clock.set(POSTED_AT);
    const caseId = await postCase(http.baseUrl, dischargeBody({ occurredAt: DISCHARGED_AT, phone }));
    const phoneFollowUp = await followUpOf(db().prisma, caseId, 'phone');
    const survey = await followUpOf(db().prisma, caseId, 'survey');
    return { caseId, phone, phoneId: phoneFollowUp.id, surveyId: survey.id };
  }

  /** Moves to `at`, activates and dispatches, as two consecutive cron ticks would. */
  async function tickAt(at: Date | string) {
    clock.set(at);
    await runJob(app, 'activate-due-follow-ups');
    await runJob(app, 'dispatch-outbox');
  }

  it('pushes the nurse one task card at day 7 09:00 and records her satisfied call', async () => {
    // 「一般出院病人，出院7-15天内由其责任护士或主管医生进行电话回访」
    const { phoneId } = await discharge();

    await tickAt(new Date(PHONE_DUE.getTime() - 1));
    expect(await db().prisma.followUp.findUniqueOrThrow({ where: { id: phoneId } })).toMatchObject({ status: 'SCHEDULED', attempts: 0 });
    expect(await outboxOf(db().prisma, phoneId)).toEqual([]);

    clock.set(PHONE_DUE);
    await runJob(app, 'activate-due-follow-ups');
    const cards = await outboxOf(db().prisma, phoneId);
    expect(cards).toHaveLength(1);
    expect(cards[0]).toMatchObject({ kind: 'task_card', channel: 'wecom', recipientType: 'staff', recipientId: staff.get('hushi.li'), status: 'PENDING' });
    expect(await db().prisma.followUp.findUniqueOrThrow({ where: { id: phoneId } })).toMatchObject({ status: 'ACTIVE', activatedAt: PHONE_DUE });

    await runJob(app, 'dispatch-outbox');
    const delivery = await db().prisma.sandboxDelivery.findUniqueOrThrow({ where: { outboxMessageId: cards[0]!.id } });
    expect(delivery).toMatchObject({ channel: 'wecom', address: 'hushi.li', kind: 'task_card' });
    expect(await db().prisma.outboxMessage.findUniqueOrThrow({ where: { id: cards[0]!.id } })).toMatchObject({ status: 'SENT', attempts: 1 });

    const { card } = await deliveredCard(db().prisma, phoneId, 1);
    expect(card.taskId).toBe(`fu_${phoneId}_1`);
    clock.advanceMinutes(40);
    const tap = await tapCard(app, { wecomUserId: 'hushi.li', key: buttonKey(card, 'satisfied') });

    expect(tap.result).toMatchObject({ status: 'PROCESSED', result: { status: 'recorded', escalated: false } });
    expect(await db().prisma.followUp.findUniqueOrThrow({ where: { id: phoneId } })).toMatchObject({
      status: 'DONE',
      outcome: 'SATISFIED',
      attempts: 1,
      outcomeById: staff.get('hushi.li'),
      completedAt: clock.now(),
    });
    const updates = await outboxOf(db().prisma, phoneId, 'card_update');
    expect(updates).toHaveLength(1);
    expect(updates[0]!.idempotencyKey).toBe(`fu:${phoneId}:1:update`);
    expect(JSON.parse(updates[0]!.payload)).toMatchObject({ kind: 'card_update', taskId: `fu_${phoneId}_1`, replaceName: '已回访·满意·李护士' });
    expect(await db().prisma.escalation.count({ where: { followUpId: phoneId } })).toBe(0);
  });

  it('escalates a dissatisfied call to the head nurse 陈护士长 with a WeCom message', async () => {
    // 不满意 → 护士长/科主任，7 天内答复 (000 第四篇 7「在7天内给予回复」)
    const { phoneId, phone } = await discharge();
    await tickAt(PHONE_DUE);
    const { card } = await deliveredCard(db().prisma, phoneId, 1);

    clock.set('2026-11-10T10:15:00+08:00');
    const tap = await tapCard(app, { wecomUserId: 'hushi.li', key: buttonKey(card, 'dissatisfied') });

    expect(tap.result).toMatchObject({ status: 'PROCESSED', result: { status: 'recorded', escalated: true } });
    expect(await db().prisma.followUp.findUniqueOrThrow({ where: { id: phoneId } })).toMatchObject({ status: 'DONE', outcome: 'DISSATISFIED' });
    const escalations = await db().prisma.escalation.findMany({ where: { followUpId: phoneId } });
    expect(escalations).toHaveLength(1);
    expect(escalations[0]).toMatchObject({
      ownerId: staff.get('hushizhang.chen'),
      reason: 'DISSATISFIED',
      status: 'OPEN',
      deadlineAt: new Date('2026-11-17T10:15:00+08:00'),
    });
    // The head nurse gets an escalation card: acknowledge button, link to resolve it with a note.
    const notices = await escalationCardsOf(db().prisma, phoneId);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ recipientId: staff.get('hushizhang.chen'), channel: 'wecom', idempotencyKey: `esc:${escalations[0]!.id}:card:1` });

    await runJob(app, 'dispatch-outbox');
    const delivered = await db().prisma.sandboxDelivery.findUniqueOrThrow({ where: { outboxMessageId: notices[0]!.id } });
    expect(delivered.address).toBe('hushizhang.chen');
    const escalationCard = (JSON.parse(delivered.content) as { card: TaskCard }).card;
    expect(escalationCard.buttons.map((b) => b.text)).toEqual(['确认受理']);
    expect(escalationCard.detailUrl).toMatch(/\/e\/[0-9A-Z]+_1\.[A-Za-z0-9_-]{16}$/);
    const text = `${escalationCard.title}\n${escalationCard.subtitle}\n${escalationCard.fields.map((f) => f.value).join('\n')}`;
    expect(text).toContain('客户不满意');
    expect(text).toContain(`${phone.slice(3, 6)}****${phone.slice(-4)}`);
    expect(text).not.toContain(phone.slice(3));
  });

  it('retries an unreachable patient the next day and gives up after the third failed call', async () => {
    // 「三次未接通 = 回访不成功」 (002 制度21); retryAfter: 1 days
    const { phoneId } = await discharge();
    let at = PHONE_DUE;
    await tickAt(at);

    for (const attempt of [1, 2, 3]) {
      const { card } = await deliveredCard(db().prisma, phoneId, attempt);
      expect(card.taskId).toBe(`fu_${phoneId}_${attempt}`);
      at = new Date(at.getTime() + 60 * 60_000); // an hour after the card arrived
      clock.set(at);
      const tap = await tapCard(app, { wecomUserId: 'hushi.li', key: buttonKey(card, 'unreachable') });
      expect(tap.result?.status).toBe('PROCESSED');
      const followUp = await db().prisma.followUp.findUniqueOrThrow({ where: { id: phoneId } });
      expect(followUp.attempts).toBe(attempt);
      if (attempt === 3) break;

      const retryAt = new Date(at.getTime() + 86_400_000);
      expect(followUp).toMatchObject({ status: 'SCHEDULED', outcome: null, dueAt: retryAt });
      await tickAt(new Date(retryAt.getTime() - 1));
      expect(await outboxOf(db().prisma, phoneId, 'task_card')).toHaveLength(attempt);
      at = retryAt;
      await tickAt(at);
      expect(await outboxOf(db().prisma, phoneId, 'task_card')).toHaveLength(attempt + 1);
    }

    expect(await db().prisma.followUp.findUniqueOrThrow({ where: { id: phoneId } })).toMatchObject({
      status: 'UNREACHABLE',
      outcome: 'UNREACHABLE',
      attempts: 3,
      completedAt: at,
    });
    const cards = async () => (await outboxOf(db().prisma, phoneId, 'task_card')).filter((m) => m.idempotencyKey.startsWith('fu:'));
    expect((await cards()).map((m) => m.idempotencyKey)).toEqual([1, 2, 3].map((n) => `fu:${phoneId}:${n}`));
    expect(await outboxOf(db().prisma, phoneId, 'card_update')).toHaveLength(3);
    // Unreachable after the policy's three attempts escalates to the head nurse (never the nurse who called).
    const escalation = await db().prisma.escalation.findFirstOrThrow({ where: { followUpId: phoneId } });
    expect(escalation).toMatchObject({ reason: 'UNREACHABLE', level: 1, ownerId: staff.get('hushizhang.chen'), sourceKey: `unreachable:${phoneId}` });
    expect(await escalationCardsOf(db().prisma, phoneId)).toHaveLength(1);
    clock.advanceDays(2);
    await runJob(app, 'activate-due-follow-ups');
    expect(await cards()).toHaveLength(3);
  });

  it('pushes a new card when a rescheduled call falls due again', async () => {
    const { phoneId } = await discharge();
    await tickAt(PHONE_DUE);
    const { card } = await deliveredCard(db().prisma, phoneId, 1);

    clock.set('2026-11-10T11:00:00+08:00');
    const tap = await tapCard(app, { wecomUserId: 'hushi.li', key: buttonKey(card, 'reschedule') });
    expect(tap.result).toMatchObject({ status: 'PROCESSED', result: { status: 'recorded' } });
    expect(await db().prisma.followUp.findUniqueOrThrow({ where: { id: phoneId } })).toMatchObject({ status: 'SCHEDULED', dueAt: new Date('2026-11-11T11:00:00+08:00') });

    await tickAt('2026-11-11T11:00:00+08:00');

    expect(await db().prisma.followUp.findUniqueOrThrow({ where: { id: phoneId } })).toMatchObject({ status: 'ACTIVE' });
    const cards = await outboxOf(db().prisma, phoneId, 'task_card');
    expect(cards).toHaveLength(2);
    expect(new Set(cards.map((c) => (JSON.parse(c.payload) as { card: { taskId: string } }).card.taskId)).size).toBe(2);
  });

  it('sends the card to the head nurse when the responsible nurse has left by day 7', async () => {
    // 「由其责任护士或主管医生进行电话回访」: assignee rules responsible → supervisor → department_head.
    const { phoneId } = await discharge();
    const nurse = staff.get('hushi.li')!;
    await db().prisma.staff.update({ where: { id: nurse }, data: { active: false } });
    app.deps.org.invalidateOrgCache();
    try {
      await tickAt(PHONE_DUE);

      expect((await deliveredCard(db().prisma, phoneId, 1)).address).toBe('hushizhang.chen');
      const [card] = await outboxOf(db().prisma, phoneId, 'task_card');
      expect(card?.recipientId).toBe(staff.get('hushizhang.chen'));
    } finally {
      await db().prisma.staff.update({ where: { id: nurse }, data: { active: true } });
      app.deps.org.invalidateOrgCache();
    }
  });

  it('marks a task overdue at its deadline, and still records a late outcome', async () => {
    const { phoneId } = await discharge();
    await tickAt(PHONE_DUE);

    clock.set(new Date(PHONE_DEADLINE.getTime() - 1));
    await runJob(app, 'mark-overdue');
    expect(await db().prisma.followUp.findUniqueOrThrow({ where: { id: phoneId } })).toMatchObject({ status: 'ACTIVE' });

    clock.set(PHONE_DEADLINE);
    await runJob(app, 'mark-overdue');
    await runJob(app, 'mark-overdue');
    expect(await db().prisma.followUp.findUniqueOrThrow({ where: { id: phoneId } })).toMatchObject({ status: 'OVERDUE', overdueAt: PHONE_DEADLINE });

    clock.set('2026-11-19T09:30:00+08:00');
    const { card } = await deliveredCard(db().prisma, phoneId, 1);
    const tap = await tapCard(app, { wecomUserId: 'hushi.li', key: buttonKey(card, 'satisfied') });
    expect(tap.result).toMatchObject({ status: 'PROCESSED', result: { status: 'recorded' } });
    expect(await db().prisma.followUp.findUniqueOrThrow({ where: { id: phoneId } })).toMatchObject({ status: 'DONE', outcome: 'SATISFIED' });
  });

  it('texts the survey on day 3 and escalates a reply of "2" (score 0.25)', async () => {
    // 「辅以…问卷调查」 (000 第五篇 4)
    const { surveyId, phone } = await discharge();

    await tickAt(new Date(SURVEY_DUE.getTime() - 1));
    expect(await db().prisma.followUp.findUniqueOrThrow({ where: { id: surveyId } })).toMatchObject({ status: 'SCHEDULED' });
    await tickAt(SURVEY_DUE);
    const [invite] = await outboxOf(db().prisma, surveyId, 'survey_invite');
    expect(invite).toMatchObject({ channel: 'sms', recipientType: 'customer', status: 'SENT' });
    const sms = await db().prisma.sandboxDelivery.findUniqueOrThrow({ where: { outboxMessageId: invite!.id } });
    expect(sms).toMatchObject({ channel: 'sms', address: phone });
    expect((JSON.parse(sms.content) as { text: string }).text).toContain('请回复5至1');
    const instance = await db().prisma.surveyInstance.findUniqueOrThrow({ where: { followUpId: surveyId } });
    expect(instance).toMatchObject({ status: 'OPEN', expiresAt: new Date('2026-11-16T20:00:00+08:00') });

    clock.set('2026-11-06T12:00:00+08:00');
    const reply = await smsReply(app, phone, '2');

    expect(reply.result).toMatchObject({ status: 'PROCESSED', result: { status: 'answered', score: 2, escalated: true } });
    const responses = await db().prisma.surveyResponse.findMany({ where: { surveyId: instance.id } });
    expect(responses).toHaveLength(1);
    expect(responses[0]).toMatchObject({ score: 0.25, satisfaction: 'DISSATISFIED', rawText: '2', channel: 'sms', inboundEventId: reply.id });
    expect(await db().prisma.surveyInstance.findUniqueOrThrow({ where: { id: instance.id } })).toMatchObject({ status: 'ANSWERED' });
    expect(await db().prisma.followUp.findUniqueOrThrow({ where: { id: surveyId } })).toMatchObject({ status: 'DONE', outcome: 'DISSATISFIED' });
    const escalations = await db().prisma.escalation.findMany({ where: { followUpId: surveyId } });
    expect(escalations).toHaveLength(1);
    expect(escalations[0]!.ownerId).toBe(staff.get('hushizhang.chen'));
    expect(await escalationCardsOf(db().prisma, surveyId)).toHaveLength(1);
  });

  it('opts the customer out on "R" and cancels the messages not yet sent to them', async () => {
    const { surveyId, phone } = await discharge();
    clock.set(SURVEY_DUE);
    await runJob(app, 'activate-due-follow-ups');
    const [invite] = await outboxOf(db().prisma, surveyId, 'survey_invite');
    expect(invite!.status).toBe('PENDING');

    const reply = await smsReply(app, phone, 'R');
    await runJob(app, 'dispatch-outbox');

    expect(reply.result).toMatchObject({ status: 'PROCESSED', result: { status: 'opted_out' } });
    const customer = await db().prisma.customer.findUniqueOrThrow({ where: { phoneE164: phone } });
    expect(customer).toMatchObject({ optedOutAt: SURVEY_DUE, optOutSource: 'sms_reply' });
    expect(await db().prisma.outboxMessage.findUniqueOrThrow({ where: { id: invite!.id } })).toMatchObject({ status: 'CANCELLED', lastErrorCode: 'CUSTOMER_OPTED_OUT' });
    expect(await db().prisma.sandboxDelivery.count({ where: { channel: 'sms', address: phone } })).toBe(0);
  });

  it('never surveys a customer who opted out before the survey was due', async () => {
    const { surveyId, phone } = await discharge();
    clock.set('2026-11-05T08:00:00+08:00');
    await smsReply(app, phone, 'TD');

    await tickAt(SURVEY_DUE);

    expect(await db().prisma.followUp.findUniqueOrThrow({ where: { id: surveyId } })).toMatchObject({ status: 'CANCELLED', outcomeNote: 'CUSTOMER_OPTED_OUT' });
    expect(await outboxOf(db().prisma, surveyId)).toEqual([]);
  });

  it('rejects an SMS reply from an unknown number, keeping the event with the reason', async () => {
    clock.set('2026-11-06T12:00:00+08:00');
    const reply = await smsReply(app, '+8613599999999', '5');

    expect(reply.result).toMatchObject({ status: 'REJECTED', result: { code: 'UNKNOWN_NUMBER' } });
    const event = await db().prisma.inboundEvent.findUniqueOrThrow({ where: { id: reply.id } });
    expect(event.status).toBe('REJECTED');
    expect(JSON.parse(event.result!)).toMatchObject({ code: 'UNKNOWN_NUMBER' });
  });
});
