// The typed lifecycle events (bot/core/events.ts) a follow-up's life emits, seen by a listener as
// logs, metrics and tests see them: each after its state change is recorded, once, in order — and a
// listener that throws breaks nothing.
import { beforeEach, describe, expect, it } from 'vitest';
import { activateDueFollowUps } from '../../../bot/core/follow-ups/activate-due-follow-ups.js';
import { acknowledgeEscalation, climbEscalations, resolveEscalation } from '../../../bot/core/escalation/act-on-escalation.js';
import { processInboundEvent, receiveInbound } from '../../../bot/core/inbox/process-inbound.js';
import type { HuifangEventName } from '../../../bot/core/events.js';
import { createMemoryService, type MemoryService } from '../../support/memory-service.js';
import { FailingChannel } from '../../support/test-channels.js';
import { dischargeBody, smsReply, tapCard } from '../../support/builders.js';

const ALL: HuifangEventName[] = [
  'outbox:sent',
  'outbox:retried',
  'outbox:dead',
  'outbox:cancelled',
  'inbox:processed',
  'inbox:failed',
  'escalation:opened',
  'escalation:climbed',
  'escalation:breached',
  'escalation:acknowledged',
  'escalation:resolved',
];

describe('lifecycle events', () => {
  let app: MemoryService;

  beforeEach(async () => {
    // The survey invitation (SMS) fails once before it is accepted.
    app = await createMemoryService({ start: '2026-11-03T16:00:00+08:00', channels: { sms: new FailingChannel(1, 'retryable', 'NETWORK') } });
  });

  it('follows a discharge from its first message to its resolved escalation', async () => {
    const seen = app.recordEvents(...ALL);
    await app.submit(dischargeBody({ externalId: 'ZY-EV', phone: '+8613566660001' }));
    const phoneId = app.rows('followUp').find((f) => f.step === 'phone')!.id;

    app.clock.set('2026-11-06T10:00:00+08:00');
    await activateDueFollowUps(app.deps);
    await app.dispatch();
    app.clock.set(app.rows('outbox')[0]!.nextAttemptAt);
    await app.dispatch();
    await smsReply(app, '+8613566660001', '你好');
    app.clock.set('2026-11-10T09:00:00+08:00');
    await activateDueFollowUps(app.deps);
    app.clock.set('2026-11-10T10:00:00+08:00');
    await tapCard(app, { wecomUserId: 'hushi.li', key: `dissatisfied:${phoneId}:1` });
    const escalation = app.rows('escalation')[0]!;
    app.clock.set(escalation.deadlineAt);
    await climbEscalations(app.deps);
    await acknowledgeEscalation(app.deps, { escalationId: escalation.id, level: 2, wecomUserId: 'kezhuren.wang', inboundEventId: null });
    await resolveEscalation(app.deps, { escalationId: escalation.id, level: 2, wecomUserId: 'kezhuren.wang', inboundEventId: null, note: '已电话致歉并说明整改。' });

    expect(seen.map((e) => (e.name === 'inbox:processed' ? `${e.name} ${(e.payload as { kind: string }).kind}` : e.name))).toEqual([
      'outbox:retried',
      'outbox:sent',
      'inbox:processed sms_reply',
      'escalation:opened',
      'inbox:processed staff_card_action',
      'escalation:climbed',
      'escalation:acknowledged',
      'escalation:resolved',
    ]);
    const [retried, sent] = seen;
    expect(retried!.payload).toMatchObject({ errorCode: 'NETWORK', blocked: false, message: { channel: 'sms', attempt: 1 } });
    expect(sent!.payload).toMatchObject({ message: { channel: 'sms', attempt: 2 }, at: expect.any(Date) });
    expect(seen.find((e) => e.name === 'escalation:climbed')!.payload).toMatchObject({ escalationId: escalation.id, fromLevel: 1, toLevel: 2, ownerId: app.staff.get('kezhuren.wang') });
    expect(seen.find((e) => e.name === 'escalation:resolved')!.payload).toMatchObject({ escalationId: escalation.id, byStaffId: app.staff.get('kezhuren.wang'), secondFollowUpId: expect.any(String) });
  });

  it('reports a rejected and a failed inbound event', async () => {
    const seen = app.recordEvents('inbox:processed', 'inbox:failed');
    const rejected = await smsReply(app, '+8613500000000', '5');
    const recorded = await receiveInbound(app.deps, { source: 'test', dedupeKey: 'boom-1', kind: 'boom', payload: {}, receivedAt: app.clock.now() });
    await processInboundEvent(app.deps, recorded.id, {
      boom: async () => {
        throw new Error('the handler crashed');
      },
    });

    expect(seen).toMatchObject([
      { name: 'inbox:processed', payload: { eventId: rejected.id, kind: 'sms_reply', status: 'REJECTED', result: { code: 'UNKNOWN_NUMBER' } } },
      { name: 'inbox:failed', payload: { eventId: recorded.id, kind: 'boom', error: { message: 'the handler crashed' } } },
    ]);
    expect(app.rows('inbound').map((e) => [e.kind, e.status])).toEqual([
      ['sms_reply', 'REJECTED'],
      ['boom', 'FAILED'],
    ]);
  });

  it('keeps going when a listener throws: the change is recorded, the other listeners still hear it', async () => {
    app.events.on('outbox:sent', () => {
      throw new Error('a broken metrics listener');
    });
    const seen = app.recordEvents('outbox:sent');
    const nurse = app.staff.get('hushi.li')!;
    await app.deps.outbox.enqueue([
      { idempotencyKey: 'ev:1', channel: 'wecom', recipientType: 'staff', recipientId: nurse, followUpId: null, nextAttemptAt: app.clock.now(), message: { kind: 'staff_text', to: { staffId: nurse, wecomUserId: 'hushi.li' }, text: '你好' } },
    ]);

    expect(await app.dispatch()).toMatchObject({ sent: 1 });

    expect(app.rows('outbox')[0]).toMatchObject({ status: 'SENT' });
    expect(seen).toHaveLength(1);
    expect(app.listenerErrors).toMatchObject([{ message: 'a broken metrics listener' }]);
  });
});
