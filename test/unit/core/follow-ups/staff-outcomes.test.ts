// A staff member's outcome on a task card, through the inbox as the WeCom callback records it, over
// the in-memory stores: satisfied closes the follow-up, dissatisfied opens an escalation, unreachable
// retries the next day until the policy's attempts are used up.
import { beforeEach, describe, expect, it } from 'vitest';
import { activateDueFollowUps } from '../../../../bot/core/follow-ups/activate-due-follow-ups.js';
import type { OutboundMessage } from '../../../../bot/core/messages.js';
import { createMemoryService, shippedData, type MemoryService } from '../../../support/memory-service.js';
import { dischargeBody, tapCard } from '../../../support/builders.js';

describe('staff outcomes on a task card', () => {
  let app: MemoryService;
  let phoneId: string;

  beforeEach(async () => {
    app = await createMemoryService({ start: '2026-11-03T16:00:00+08:00' });
    await app.submit(dischargeBody({ externalId: 'ZY-OUT' }));
    phoneId = app.rows('followUp').find((f) => f.step === 'phone')!.id;
    app.clock.set('2026-11-10T09:00:00+08:00');
    await activateDueFollowUps(app.deps);
    app.clock.set('2026-11-10T10:00:00+08:00');
  });

  const phone = () => app.rows('followUp').find((f) => f.id === phoneId)!;

  it('records 满意 once: the follow-up is done and the card updated, and a replayed or second tap changes nothing', async () => {
    const events = app.recordEvents('escalation:opened');
    const tap = await tapCard(app, { wecomUserId: 'hushi.li', key: `satisfied:${phoneId}:1` });
    const replay = await tapCard(app, { wecomUserId: 'hushi.li', key: `satisfied:${phoneId}:1` });
    app.clock.advanceMinutes(1);
    const second = await tapCard(app, { wecomUserId: 'hushi.li', key: `dissatisfied:${phoneId}:1` });

    expect(tap.result).toMatchObject({ status: 'PROCESSED', result: { status: 'recorded', label: '已回访·满意', escalated: false } });
    expect(replay).toMatchObject({ duplicate: true, result: null });
    expect(second.result).toMatchObject({ status: 'PROCESSED', result: { status: 'already_recorded' } });
    expect(phone()).toMatchObject({ status: 'DONE', outcome: 'SATISFIED', attempts: 1, outcomeById: app.staff.get('hushi.li'), completedAt: new Date('2026-11-10T10:00:00+08:00') });
    const updates = app.rows('outbox').filter((m) => m.kind === 'card_update');
    expect(updates.map((m) => m.idempotencyKey)).toEqual([`fu:${phoneId}:1:update`]);
    expect(JSON.parse(updates[0]!.payload)).toMatchObject({ taskId: `fu_${phoneId}_1`, replaceName: '已回访·满意·李护士' });
    expect(app.rows('escalation')).toEqual([]);
    expect(events).toEqual([]);
    expect(app.rows('inbound')).toHaveLength(2);
  });

  it('opens an escalation to the head nurse for 不满意, with her card, and emits escalation:opened', async () => {
    const events = app.recordEvents('escalation:opened');
    const tap = await tapCard(app, { wecomUserId: 'hushi.li', key: `dissatisfied:${phoneId}:1` });

    expect(tap.result).toMatchObject({ status: 'PROCESSED', result: { status: 'recorded', escalated: true } });
    expect(phone()).toMatchObject({ status: 'DONE', outcome: 'DISSATISFIED' });
    const [escalation] = app.rows('escalation');
    expect(app.rows('escalation')).toHaveLength(1);
    expect(escalation).toMatchObject({
      sourceKey: `dissatisfied:${phoneId}`,
      reason: 'DISSATISFIED',
      level: 1,
      status: 'OPEN',
      ownerId: app.staff.get('hushizhang.chen'),
      followUpId: phoneId,
      deadlineAt: new Date('2026-11-17T10:00:00+08:00'),
    });
    const card = app.rows('outbox').find((m) => m.idempotencyKey === `esc:${escalation!.id}:card:1`);
    expect(card).toMatchObject({ kind: 'task_card', recipientId: app.staff.get('hushizhang.chen') });
    expect(events).toEqual([
      {
        name: 'escalation:opened',
        payload: { escalationId: escalation!.id, caseId: escalation!.caseId, reason: 'DISSATISFIED', level: 1, ownerId: app.staff.get('hushizhang.chen'), deadlineAt: escalation!.deadlineAt, at: app.clock.now() },
      },
    ]);
  });

  it('refuses a tap by someone who is not the assignee, and records nothing', async () => {
    const tap = await tapCard(app, { wecomUserId: 'hushi.zhou', key: `satisfied:${phoneId}:1` });
    expect(tap.result).toMatchObject({ status: 'REJECTED', result: { code: 'NOT_ASSIGNEE' } });
    expect(phone()).toMatchObject({ status: 'ACTIVE', version: 1 });
  });

  it('retries 未接通 the next day with a new card, and after the third attempt ends unreachable and escalates', async () => {
    for (let attempt = 1; attempt <= 3; attempt++) {
      const tap = await tapCard(app, { wecomUserId: 'hushi.li', key: `unreachable:${phoneId}:${attempt}` });
      expect(tap.result?.status).toBe('PROCESSED');
      if (attempt < 3) {
        expect(phone()).toMatchObject({ status: 'SCHEDULED', attempts: attempt, outcome: null });
        expect(phone().dueAt.getTime()).toBeGreaterThan(app.clock.now().getTime());
        app.clock.set(phone().dueAt);
        expect(await activateDueFollowUps(app.deps)).toMatchObject({ activated: 1 });
        const card = app.rows('outbox').find((m) => m.idempotencyKey === `fu:${phoneId}:${attempt + 1}`);
        const message = JSON.parse(card!.payload) as OutboundMessage;
        expect(message.kind === 'task_card' && message.card.fields.find((f) => f.label === '第几次')?.value).toBe(`第${attempt + 1}次（最多3次）`);
      }
    }
    expect(phone()).toMatchObject({ status: 'UNREACHABLE', outcome: 'UNREACHABLE', attempts: 3, activations: 3 });
    expect(app.rows('escalation')).toMatchObject([{ sourceKey: `unreachable:${phoneId}`, reason: 'UNREACHABLE', ownerId: app.staff.get('hushizhang.chen') }]);
  });
});

describe('further attempts in the month-end retry days (002 制度21「每月1-25日电话回访，25-27日对未接通的号码再次回访」)', () => {
  it('calls an unanswered number again on the 26th, not on the 1st of next month', async () => {
    const P4 = shippedData().policies.byId('P4')!;
    const cycle = { ...P4, contact: { daysOfMonth: { from: 1, to: 25 }, retryDaysOfMonth: { from: 25, to: 27 } } };
    const app = await createMemoryService({ start: '2026-11-10T16:00:00+08:00', policies: [cycle] });
    await app.submit(dischargeBody({ externalId: 'ZY-CYCLE', occurredAt: '2026-11-18T10:00:00+08:00' }));
    const phone = () => app.rows('followUp').find((f) => f.step === 'phone')!;
    expect(phone()).toMatchObject({ dueAt: new Date('2026-11-25T09:00:00+08:00'), deadlineAt: new Date('2026-12-03T23:59:00+08:00') });
    app.clock.set('2026-11-25T09:00:00+08:00');
    await activateDueFollowUps(app.deps);
    app.clock.set('2026-11-25T10:00:00+08:00');

    await tapCard(app, { wecomUserId: 'hushi.li', key: `unreachable:${phone().id}:1` });

    expect(phone()).toMatchObject({ status: 'SCHEDULED', dueAt: new Date('2026-11-26T10:00:00+08:00') });
  });
});
