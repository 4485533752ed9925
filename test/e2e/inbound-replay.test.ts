// Provider retries and stray taps (STYLE T5): every callback delivered twice changes state once.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FakeClock } from '../../bot/clocks.js';
import type { Huifang } from '../../bot/huifang.js';
import { describeEachDatabase } from '../support/db.js';
import { createTestService, listen, seedOrganisation, sharedDbClient } from '../support/service.js';
import { dischargeBody, smsReply, tapCard } from '../support/builders.js';
import { buttonKey, deliveredCard, followUpOf, outboxOf, postCase, runJob, escalationCardsOf } from '../support/e2e.js';

describeEachDatabase('inbound callbacks delivered twice or by the wrong person', (db) => {
  const clock = new FakeClock('2026-11-03T16:00:00+08:00');
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

  /** A discharge whose phone follow-up is ACTIVE with its first card delivered to 李护士. */
  async function activeCall() {
    clock.set('2026-11-03T16:00:00+08:00');
    const body = dischargeBody();
    const caseId = await postCase(http.baseUrl, body);
    const phone = await followUpOf(db().prisma, caseId, 'phone');
    clock.set('2026-11-10T09:00:00+08:00');
    await runJob(app, 'activate-due-follow-ups');
    await runJob(app, 'dispatch-outbox');
    const { card } = await deliveredCard(db().prisma, phone.id, 1);
    return { caseId, followUpId: phone.id, card, customerPhone: body.customer.phone! };
  }

  const state = (id: string) => db().prisma.followUp.findUniqueOrThrow({ where: { id }, select: { status: true, outcome: true, attempts: true, version: true } });

  it('changes state once when WeCom delivers the same card event twice', async () => {
    const { followUpId, card } = await activeCall();
    expect((await state(followUpId)).version).toBe(1);
    clock.set('2026-11-10T10:00:00+08:00');
    const createTime = Math.floor(clock.now().getTime() / 1000);
    const key = buttonKey(card, 'dissatisfied');

    const first = await tapCard(app, { wecomUserId: 'hushi.li', key, createTime });
    const second = await tapCard(app, { wecomUserId: 'hushi.li', key, createTime });

    expect(first).toMatchObject({ duplicate: false, result: { status: 'PROCESSED' } });
    expect(second).toMatchObject({ id: first.id, duplicate: true, result: null });
    const events = await db().prisma.inboundEvent.findMany({ where: { source: 'wecom', dedupeKey: { contains: card.taskId } } });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ status: 'PROCESSED', attempts: 1 });
    expect(await state(followUpId)).toEqual({ status: 'DONE', outcome: 'DISSATISFIED', attempts: 1, version: 2 });
    expect(await db().prisma.escalation.count({ where: { followUpId } })).toBe(1);
    expect(await outboxOf(db().prisma, followUpId, 'card_update')).toHaveLength(1);
    expect(await escalationCardsOf(db().prisma, followUpId)).toHaveLength(1);

    await runJob(app, 'process-inbox');
    expect(await state(followUpId)).toEqual({ status: 'DONE', outcome: 'DISSATISFIED', attempts: 1, version: 2 });
  });

  it('records a double tap (two distinct events) once', async () => {
    const { followUpId, card } = await activeCall();
    clock.set('2026-11-10T10:00:00+08:00');
    const key = buttonKey(card, 'dissatisfied');

    const first = await tapCard(app, { wecomUserId: 'hushi.li', key });
    clock.advance(1_000);
    const second = await tapCard(app, { wecomUserId: 'hushi.li', key });

    expect(first.result).toMatchObject({ status: 'PROCESSED', result: { status: 'recorded' } });
    expect(second.result).toMatchObject({ status: 'PROCESSED', result: { status: 'already_recorded' } });
    expect((await state(followUpId)).version).toBe(2);
    expect(await db().prisma.escalation.count({ where: { followUpId } })).toBe(1);
    expect(await outboxOf(db().prisma, followUpId, 'card_update')).toHaveLength(1);
  });

  it('rejects a tap by someone who is not the assignee (NOT_ASSIGNEE) and changes nothing', async () => {
    const { followUpId, card } = await activeCall();
    clock.set('2026-11-10T10:00:00+08:00');

    const tap = await tapCard(app, { wecomUserId: 'hushi.zhou', key: buttonKey(card, 'satisfied') });

    expect(tap.result).toMatchObject({ status: 'REJECTED', result: { code: 'NOT_ASSIGNEE' } });
    const event = await db().prisma.inboundEvent.findUniqueOrThrow({ where: { id: tap.id } });
    expect(event.status).toBe('REJECTED');
    expect(JSON.parse(event.result!)).toMatchObject({ code: 'NOT_ASSIGNEE', followUpId });
    expect(await state(followUpId)).toEqual({ status: 'ACTIVE', outcome: null, attempts: 0, version: 1 });
    expect(await outboxOf(db().prisma, followUpId, 'card_update')).toEqual([]);
  });

  it('ignores a tap on the card of an earlier attempt', async () => {
    const { followUpId, card: firstCard } = await activeCall();
    clock.set('2026-11-10T10:00:00+08:00');
    await tapCard(app, { wecomUserId: 'hushi.li', key: buttonKey(firstCard, 'unreachable') });
    clock.set('2026-11-11T10:00:00+08:00');
    await runJob(app, 'activate-due-follow-ups');
    await runJob(app, 'dispatch-outbox');
    const { card: secondCard } = await deliveredCard(db().prisma, followUpId, 2);
    const before = await state(followUpId);
    expect(before).toMatchObject({ status: 'ACTIVE', attempts: 1 });

    clock.set('2026-11-11T10:05:00+08:00');
    const stale = await tapCard(app, { wecomUserId: 'hushi.li', key: buttonKey(firstCard, 'satisfied') });

    // No effect: either acknowledged as already recorded or rejected as a stale card — never applied.
    if (stale.result?.status === 'REJECTED') expect(stale.result.result).toMatchObject({ code: 'STALE_CARD' });
    else expect(stale.result).toMatchObject({ status: 'PROCESSED', result: { status: 'already_recorded' } });
    expect(await state(followUpId)).toEqual(before);
    expect((await outboxOf(db().prisma, followUpId, 'card_update')).map((m) => m.idempotencyKey)).toEqual([`fu:${followUpId}:1:update`]);

    // The current card still works.
    const current = await tapCard(app, { wecomUserId: 'hushi.li', key: buttonKey(secondCard, 'satisfied') });
    expect(current.result).toMatchObject({ status: 'PROCESSED', result: { status: 'recorded' } });
    expect(await state(followUpId)).toMatchObject({ status: 'DONE', outcome: 'SATISFIED', attempts: 2 });
  });

  it.each([
    ['a key that is not a card action', 'approve:01ABC:1', 'INVALID_ACTION_KEY'],
    ['an unknown follow-up', 'satisfied:01NOSUCHFOLLOWUP0000000000:1', 'UNKNOWN_TASK'],
  ])('rejects a tap with %s', async (_what, key, code) => {
    clock.set('2026-11-12T10:00:00+08:00');
    const tap = await tapCard(app, { wecomUserId: 'hushi.li', key });
    expect(tap.result).toMatchObject({ status: 'REJECTED', result: { code } });
  });

  it('rejects a tap by someone who is not staff (UNKNOWN_STAFF)', async () => {
    const { followUpId, card } = await activeCall();
    const tap = await tapCard(app, { wecomUserId: 'intruder', key: buttonKey(card, 'satisfied') });
    expect(tap.result).toMatchObject({ status: 'REJECTED', result: { code: 'UNKNOWN_STAFF' } });
    expect((await state(followUpId)).version).toBe(1);
  });

  it('answers a survey once when the same SMS reply is delivered twice', async () => {
    const { caseId, customerPhone } = await activeCall();
    const survey = await followUpOf(db().prisma, caseId, 'survey');
    expect(survey.status).toBe('ACTIVE');
    clock.set('2026-11-10T12:00:00+08:00');

    const first = await smsReply(app, customerPhone, '1分，太差了');
    const second = await smsReply(app, customerPhone, '1分，太差了');

    expect(first.result).toMatchObject({ status: 'PROCESSED', result: { status: 'answered', score: 1, escalated: true } });
    expect(second).toMatchObject({ id: first.id, duplicate: true });
    const instance = await db().prisma.surveyInstance.findUniqueOrThrow({ where: { followUpId: survey.id } });
    expect(await db().prisma.surveyResponse.count({ where: { surveyId: instance.id } })).toBe(1);
    expect(await db().prisma.escalation.count({ where: { followUpId: survey.id } })).toBe(1);
    expect((await state(survey.id)).version).toBe(2);
    const escalation = await db().prisma.escalation.findFirstOrThrow({ where: { followUpId: survey.id } });
    expect(escalation.ownerId).toBe(staff.get('hushizhang.chen'));
  });
});
