// A task card nobody answers: a reminder before its deadline, then at the deadline the follow-up is
// OVERDUE and escalates to the head nurse while the nurse is told — each once, however many ticks.
import { beforeAll, expect, it } from 'vitest';
import { FakeClock } from '../../../../bot/clocks.js';
import type { Huifang } from '../../../../bot/huifang.js';
import { describeEachDatabase } from '../../../support/db.js';
import { createTestService, listen, seedOrganisation, sharedDbClient } from '../../../support/service.js';
import { dischargeBody, tapCard, uniquePhone } from '../../../support/builders.js';
import { buttonKey, deliveredCard, followUpOf, postCase, runJob } from '../../../support/e2e.js';

const DISCHARGED_AT = '2026-11-03T15:30:00+08:00';
const PHONE_DUE = '2026-11-10T09:00:00+08:00';
const PHONE_DEADLINE = '2026-11-18T23:59:00+08:00';
// A quarter of the card's 8 d 14 h 59 min (206 h 59 min) before the deadline: 51 h 44 min 45 s → 11-16 20:14:15 (daytime).
const REMIND_AT = '2026-11-16T20:14:15+08:00';

describeEachDatabase('reminders and overdue escalation', (db) => {
  const clock = new FakeClock(DISCHARGED_AT);
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

  async function pushedCard(phone = uniquePhone()) {
    clock.set('2026-11-03T16:00:00+08:00');
    const caseId = await postCase(baseUrl, dischargeBody({ occurredAt: DISCHARGED_AT, phone }));
    const followUp = await followUpOf(db().prisma, caseId, 'phone');
    clock.set(PHONE_DUE);
    await runJob(app, 'activate-due-follow-ups');
    await runJob(app, 'dispatch-outbox');
    return { followUpId: followUp.id, phone };
  }

  it('reminds the nurse once, a quarter of the card’s time before its deadline, with the phone masked', async () => {
    const { followUpId, phone } = await pushedCard();
    expect((await db().prisma.followUp.findUniqueOrThrow({ where: { id: followUpId } })).remindAt).toEqual(new Date(REMIND_AT));

    clock.set(new Date(new Date(REMIND_AT).getTime() - 1000));
    expect(await runJob(app, 'send-reminders')).toMatchObject({ sent: 0 });
    clock.set(REMIND_AT);
    const [a, b] = await Promise.all([runJob(app, 'send-reminders'), runJob(app, 'send-reminders')]);
    expect(Number(a.sent) + Number(b.sent)).toBe(1);
    expect(await runJob(app, 'send-reminders')).toMatchObject({ sent: 0 });

    const reminders = await db().prisma.outboxMessage.findMany({ where: { followUpId, idempotencyKey: `remind:${followUpId}:1` } });
    expect(reminders).toHaveLength(1);
    expect(reminders[0]).toMatchObject({ kind: 'staff_text', recipientId: staff.get('hushi.li') });
    const text = (JSON.parse(reminders[0]!.payload) as { text: string }).text;
    expect(text).toContain('回访提醒');
    expect(text).toContain(`${phone.slice(3, 6)}****${phone.slice(-4)}`);
    expect(text).not.toContain(phone.slice(3));
    expect((await db().prisma.followUp.findUniqueOrThrow({ where: { id: followUpId } })).remindAt).toBeNull();
  });

  it('sends no reminder for a card answered in time', async () => {
    const { followUpId } = await pushedCard();
    const { card } = await deliveredCard(db().prisma, followUpId, 1);
    clock.set('2026-11-12T10:00:00+08:00');
    await tapCard(app, { wecomUserId: 'hushi.li', key: buttonKey(card, 'satisfied') });
    clock.set('2026-11-17T09:00:00+08:00');
    await runJob(app, 'send-reminders');
    expect(await db().prisma.outboxMessage.count({ where: { idempotencyKey: `remind:${followUpId}:1` } })).toBe(0);
  });

  it('marks the card overdue at its deadline and escalates it to the head nurse once; the nurse is told', async () => {
    const { followUpId } = await pushedCard();
    clock.set(new Date(new Date(PHONE_DEADLINE).getTime() - 1000));
    await runJob(app, 'mark-overdue');
    expect((await db().prisma.followUp.findUniqueOrThrow({ where: { id: followUpId } })).status).toBe('ACTIVE');

    clock.set(PHONE_DEADLINE);
    // Two workers on the same tick, then a repeated tick: marked and escalated once.
    await Promise.all([runJob(app, 'mark-overdue'), runJob(app, 'mark-overdue')]);
    await runJob(app, 'mark-overdue');
    expect(await db().prisma.auditLog.count({ where: { entityType: 'FollowUp', entityId: followUpId, action: 'follow_up.overdue' } })).toBe(1);

    expect(await db().prisma.followUp.findUniqueOrThrow({ where: { id: followUpId } })).toMatchObject({ status: 'OVERDUE', overdueAt: new Date(PHONE_DEADLINE), remindAt: null });
    const escalations = await db().prisma.escalation.findMany({ where: { followUpId } });
    expect(escalations).toHaveLength(1);
    // P4: 护士长 (the nurse's supervisor) first, seven days; never the nurse whose card it is.
    expect(escalations[0]).toMatchObject({ reason: 'OVERDUE', level: 1, status: 'OPEN', ownerId: staff.get('hushizhang.chen'), sourceKey: `overdue:${followUpId}:1`, deadlineAt: new Date('2026-11-25T23:59:00+08:00') });
    const card = await db().prisma.outboxMessage.findUniqueOrThrow({ where: { idempotencyKey: `esc:${escalations[0]!.id}:card:1` } });
    expect(card.recipientId).toBe(staff.get('hushizhang.chen'));
    const told = await db().prisma.outboxMessage.findUniqueOrThrow({ where: { idempotencyKey: `fu:${followUpId}:1:overdue` } });
    expect(told).toMatchObject({ kind: 'staff_text', recipientId: staff.get('hushi.li') });
    expect(JSON.parse(told.payload).text).toContain('回访逾期');

    // The nurse can still record the call late; the escalation stays for the head nurse to resolve.
    const { card: task } = await deliveredCard(db().prisma, followUpId, 1);
    clock.set('2026-11-19T09:00:00+08:00');
    const tap = await tapCard(app, { wecomUserId: 'hushi.li', key: buttonKey(task, 'satisfied') });
    expect(tap.result?.status).toBe('PROCESSED');
    expect(await db().prisma.followUp.findUniqueOrThrow({ where: { id: followUpId } })).toMatchObject({ status: 'DONE', outcome: 'SATISFIED' });
  });
});
