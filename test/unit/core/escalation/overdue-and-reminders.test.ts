// An unanswered task card over the in-memory stores: a reminder before its deadline, then at the
// deadline the follow-up is OVERDUE and escalates to the head nurse while the nurse is told — each once.
import { beforeEach, describe, expect, it } from 'vitest';
import { activateDueFollowUps } from '../../../../bot/core/follow-ups/activate-due-follow-ups.js';
import { sendDueReminders } from '../../../../bot/core/follow-ups/reminders.js';
import { markOverdueFollowUps } from '../../../../bot/core/escalation/escalate-follow-up.js';
import { createMemoryService, type MemoryService } from '../../../support/memory-service.js';
import { dischargeBody, tapCard } from '../../../support/builders.js';

const PHONE_DEADLINE = '2026-11-18T23:59:00+08:00';
// A quarter of the card's 8 d 14 h 59 min before the deadline, in daytime.
const REMIND_AT = '2026-11-16T20:14:15+08:00';

describe('reminders and overdue staff tasks', () => {
  let app: MemoryService;
  let phoneId: string;

  beforeEach(async () => {
    app = await createMemoryService({ start: '2026-11-03T16:00:00+08:00' });
    await app.submit(dischargeBody({ externalId: 'ZY-LATE', phone: '+8613587654321' }));
    phoneId = app.rows('followUp').find((f) => f.step === 'phone')!.id;
    app.clock.set('2026-11-10T09:00:00+08:00');
    await activateDueFollowUps(app.deps);
  });

  const phone = () => app.rows('followUp').find((f) => f.id === phoneId)!;

  it('reminds the nurse once at the planned time, with the phone masked', async () => {
    expect(phone().remindAt).toEqual(new Date(REMIND_AT));
    app.clock.set(new Date(new Date(REMIND_AT).getTime() - 1000));
    expect(await sendDueReminders(app.deps)).toEqual({ due: 0, sent: 0 });

    app.clock.set(REMIND_AT);
    const runs = [await sendDueReminders(app.deps), await sendDueReminders(app.deps)];

    expect(runs).toEqual([{ due: 1, sent: 1 }, { due: 0, sent: 0 }]);
    const reminders = app.rows('outbox').filter((m) => m.idempotencyKey === `remind:${phoneId}:1`);
    expect(reminders).toMatchObject([{ kind: 'staff_text', recipientId: app.staff.get('hushi.li') }]);
    const text = (JSON.parse(reminders[0]!.payload) as { text: string }).text;
    expect(text).toContain('回访提醒');
    expect(text).toContain('135****4321');
    expect(text).not.toContain('13587654321');
    expect(phone().remindAt).toBeNull();
  });

  it('sends no reminder for a card answered in time', async () => {
    app.clock.set('2026-11-12T10:00:00+08:00');
    await tapCard(app, { wecomUserId: 'hushi.li', key: `satisfied:${phoneId}:1` });
    app.clock.set('2026-11-17T09:00:00+08:00');
    expect(await sendDueReminders(app.deps)).toEqual({ due: 0, sent: 0 });
    expect(app.rows('outbox').filter((m) => m.idempotencyKey.startsWith('remind:'))).toEqual([]);
  });

  it('marks the card overdue at its deadline and escalates it once to the head nurse; the nurse is told', async () => {
    const events = app.recordEvents('escalation:opened');
    app.clock.set(new Date(new Date(PHONE_DEADLINE).getTime() - 1000));
    expect(await markOverdueFollowUps(app.deps)).toEqual({ overdue: 0, escalated: 0, skipped: 0 });

    app.clock.set(PHONE_DEADLINE);
    const runs = [await markOverdueFollowUps(app.deps), await markOverdueFollowUps(app.deps)];

    expect(runs).toEqual([{ overdue: 1, escalated: 1, skipped: 0 }, { overdue: 0, escalated: 0, skipped: 0 }]);
    expect(phone()).toMatchObject({ status: 'OVERDUE', overdueAt: new Date(PHONE_DEADLINE), remindAt: null, version: 2 });
    const [escalation] = app.rows('escalation');
    expect(app.rows('escalation')).toHaveLength(1);
    expect(escalation).toMatchObject({ sourceKey: `overdue:${phoneId}:1`, reason: 'OVERDUE', ownerId: app.staff.get('hushizhang.chen') });
    const told = app.rows('outbox').find((m) => m.idempotencyKey === `fu:${phoneId}:1:overdue`);
    expect(told).toMatchObject({ kind: 'staff_text', recipientId: app.staff.get('hushi.li') });
    expect(events.map((e) => e.payload.escalationId)).toEqual([escalation!.id]);

    // The nurse still records the call: the overdue follow-up is done.
    app.clock.set('2026-11-19T10:00:00+08:00');
    const tap = await tapCard(app, { wecomUserId: 'hushi.li', key: `satisfied:${phoneId}:1` });
    expect(tap.result).toMatchObject({ status: 'PROCESSED', result: { status: 'recorded' } });
    expect(phone()).toMatchObject({ status: 'DONE', outcome: 'SATISFIED' });
  });

  it('leaves a card marked overdue by another worker to that worker', async () => {
    app.clock.set(PHONE_DEADLINE);
    const [ctx] = await app.deps.staffTasks.listNewlyOverdue(app.clock.now(), 10);
    await markOverdueFollowUps(app.deps);
    // The slower worker commits with the version it read: nothing changes, nothing is enqueued twice.
    const late = await app.deps.staffTasks.commitOverdue([{ followUpId: phoneId, version: ctx!.followUp.version, now: app.clock.now(), escalation: null, outbox: [], audit: [] }]);
    expect(late).toEqual({ applied: [], skipped: 1 });
    expect(app.rows('outbox').filter((m) => m.idempotencyKey === `fu:${phoneId}:1:overdue`)).toHaveLength(1);
  });
});
