// dispatchOutbox over the in-memory stores, with channels that accept or fail as a provider would:
// sent once, retried with backoff, dead after maxAttempts, cancelled when consent was withdrawn, and a
// WeChat survey invitation that dies replaced by SMS through the dead-letter hooks bot/huifang.ts wires.
import { beforeEach, describe, expect, it } from 'vitest';
import { retryDelayMs } from '../../../../bot/core/outbox/backoff.js';
import { dispatchOutbox, OUTBOX_LEASE_MS } from '../../../../bot/core/outbox/dispatch-outbox.js';
import { activateDueFollowUps } from '../../../../bot/core/follow-ups/activate-due-follow-ups.js';
import { ChannelError, INVALID_NUMBER } from '../../../../bot/core/errors.js';
import type { MessageChannel } from '../../../../bot/core/messages.js';
import type { NewOutboxMessage } from '../../../../bot/core/records.js';
import { createMemoryService, type MemoryService } from '../../../support/memory-service.js';
import { CountingChannel, FailingChannel } from '../../../support/test-channels.js';
import { dischargeBody, staffTextMessage } from '../../../support/builders.js';

describe('dispatchOutbox', () => {
  let app: MemoryService;

  async function serviceWith(channels: { wecom?: MessageChannel; sms?: MessageChannel; wechat?: MessageChannel }) {
    app = await createMemoryService({ start: '2026-11-10T09:00:00+08:00', channels });
  }

  async function enqueueStaffText(key: string, overrides: Partial<NewOutboxMessage> = {}): Promise<string> {
    const nurse = app.staff.get('hushi.li')!;
    await app.deps.outbox.enqueue([{ ...staffTextMessage(key, nurse, 'hushi.li', app.clock.now()), ...overrides }]);
    return app.rows('outbox').find((m) => m.idempotencyKey === key)!.id;
  }

  const row = (id: string) => app.rows('outbox').find((m) => m.id === id)!;
  const attempts = (id: string) => app.rows('outboxAttempt').filter((a) => a.messageId === id).map((a) => `${a.attempt}:${a.outcome}`);

  describe('with a provider that accepts', () => {
    let wecom: CountingChannel;
    beforeEach(async () => {
      wecom = new CountingChannel();
      await serviceWith({ wecom });
    });

    it('sends a message once, records the attempt and emits outbox:sent', async () => {
      const events = app.recordEvents('outbox:sent');
      const id = await enqueueStaffText('k:sent');
      // A second enqueue of the same key is ignored.
      expect(await app.deps.outbox.enqueue([staffTextMessage('k:sent', app.staff.get('hushi.li')!, 'hushi.li', app.clock.now())])).toBe(0);

      const first = await app.dispatch();
      const second = await app.dispatch();

      expect(first).toEqual({ claimed: 1, sent: 1, retried: 0, dead: 0, cancelled: 0, deferred: 0, expired: 0, lostLease: 0, reconciled: 0, uncertain: 0 });
      expect(second.claimed).toBe(0);
      expect(wecom.sends.map((s) => [s.messageId, s.attempt])).toEqual([[id, 1]]);
      expect(row(id)).toMatchObject({ status: 'SENT', attempts: 1, claimToken: null, leaseExpiresAt: null, providerMessageId: 'test-1', sentAt: app.clock.now() });
      expect(attempts(id)).toEqual(['1:SENT']);
      expect(events).toMatchObject([{ name: 'outbox:sent', payload: { message: { id, attempt: 1 }, providerMessageId: 'test-1', at: app.clock.now() } }]);
    });

    it('does not send a message before its time', async () => {
      const id = await enqueueStaffText('k:later', { nextAttemptAt: new Date(app.clock.now().getTime() + 60_000) });
      expect((await app.dispatch()).claimed).toBe(0);
      app.clock.advance(60_000);
      expect((await app.dispatch()).sent).toBe(1);
      expect(row(id).status).toBe('SENT');
    });

    it('resends, once, a message whose dispatcher died after claiming it, and ignores the dead claim', async () => {
      const id = await enqueueStaffText('k:dead-claimer');
      const claimedAt = app.clock.now();
      const [dead] = await app.deps.outbox.claimOutbox(claimedAt, OUTBOX_LEASE_MS, 10, 'dead-dispatcher');
      expect(dead).toMatchObject({ id, attempt: 1, claimToken: 'dead-dispatcher' });

      app.clock.advance(OUTBOX_LEASE_MS - 1);
      expect((await app.dispatch()).claimed).toBe(0);
      app.clock.set(new Date(claimedAt.getTime() + OUTBOX_LEASE_MS));
      expect(await app.dispatch()).toMatchObject({ claimed: 1, sent: 1 });

      const late = await app.deps.outbox.completeOutbox({ id, claimToken: 'dead-dispatcher', attempt: 1, startedAt: claimedAt, finishedAt: app.clock.now(), outcome: 'SENT', providerMessageId: 'late' });
      expect(late).toBe(false);
      expect(wecom.sends.map((s) => s.attempt)).toEqual([2]);
      expect(row(id)).toMatchObject({ status: 'SENT', attempts: 2, providerMessageId: 'test-1' });
      expect(attempts(id)).toEqual(['2:SENT']);
    });
  });

  it('retries a failed send with capped exponential backoff, then sends it', async () => {
    const wecom = new FailingChannel(2, 'retryable', 'NETWORK');
    await serviceWith({ wecom });
    const events = app.recordEvents('outbox:retried', 'outbox:sent');
    const id = await enqueueStaffText('k:retry');

    expect(await app.dispatch()).toMatchObject({ retried: 1 });
    const firstRetryAt = new Date(app.clock.now().getTime() + retryDelayMs(1, 0.5));
    expect(row(id)).toMatchObject({ status: 'PENDING', attempts: 1, nextAttemptAt: firstRetryAt, lastErrorCode: 'NETWORK', claimToken: null });

    app.clock.set(new Date(firstRetryAt.getTime() - 1));
    expect((await app.dispatch()).claimed).toBe(0);
    app.clock.set(firstRetryAt);
    expect(await app.dispatch()).toMatchObject({ retried: 1 });
    const secondRetryAt = new Date(app.clock.now().getTime() + retryDelayMs(2, 0.5));
    expect(secondRetryAt.getTime() - firstRetryAt.getTime()).toBe(2 * (firstRetryAt.getTime() - new Date('2026-11-10T09:00:00+08:00').getTime()));
    app.clock.set(secondRetryAt);
    expect(await app.dispatch()).toMatchObject({ sent: 1 });

    expect(attempts(id)).toEqual(['1:RETRY', '2:RETRY', '3:SENT']);
    expect(events.map((e) => e.name)).toEqual(['outbox:retried', 'outbox:retried', 'outbox:sent']);
    expect(events[0]!.payload).toMatchObject({ errorCode: 'NETWORK', nextAttemptAt: firstRetryAt, blocked: false });
  });

  it('gives up after maxAttempts: the message is dead, and outbox:dead says so', async () => {
    await serviceWith({ wecom: new FailingChannel(99, 'retryable', 'SERVER_ERROR') });
    const events = app.recordEvents('outbox:dead');
    const id = await enqueueStaffText('k:dead', { maxAttempts: 3 });

    for (let i = 0; i < 3; i++) {
      await app.dispatch();
      app.clock.set(row(id).nextAttemptAt);
    }

    expect(row(id)).toMatchObject({ status: 'DEAD', attempts: 3, lastErrorCode: 'SERVER_ERROR' });
    expect(attempts(id)).toEqual(['1:RETRY', '2:RETRY', '3:DEAD']);
    expect(events).toMatchObject([{ name: 'outbox:dead', payload: { message: { id }, errorCode: 'SERVER_ERROR', replacementQueued: false } }]);
    app.clock.advanceDays(1);
    expect((await app.dispatch()).claimed).toBe(0);
  });

  it('gives up sooner when the error caps the attempts (a provider code the adapter does not know)', async () => {
    const unknown: MessageChannel = {
      name: 'test-unknown',
      send: async () => {
        throw new ChannelError('test', 'retryable', 'Something.New', 'a code the adapter does not know', { maxAttempts: 2 });
      },
    };
    await serviceWith({ wecom: unknown });
    const id = await enqueueStaffText('k:unknown', { maxAttempts: 8 });
    for (let i = 0; i < 4; i++) {
      await app.dispatch();
      app.clock.set(row(id).nextAttemptAt);
    }
    expect(row(id)).toMatchObject({ status: 'DEAD', attempts: 2, lastErrorCode: 'Something.New' });
    expect(attempts(id)).toEqual(['1:RETRY', '2:DEAD']);
  });

  it('keeps every customer within the daily SMS budget (Tencent’s default 2), every kind and retries included: the rest waits for the next day', async () => {
    const sms = new FailingChannel(1, 'retryable', 'InternalError.Timeout');
    await serviceWith({ sms });
    app.state.transact((tx) => tx.customer.insert({ id: 'C-BUDGET', name: '预算客户', phoneE164: '+8613900009999', phoneMasked: '139****9999', tags: '[]', consentMarketing: true, consentSurvey: true }));
    const notice = (key: string, purpose: 'service' | 'marketing'): NewOutboxMessage => ({
      idempotencyKey: key,
      channel: 'sms',
      recipientType: 'customer',
      recipientId: 'C-BUDGET',
      followUpId: null,
      nextAttemptAt: app.clock.now(),
      message: { kind: 'customer_notice', to: { customerId: 'C-BUDGET', phoneE164: '+8613900009999' }, templateKey: key, params: [], text: key, purpose },
    });
    await app.deps.outbox.enqueue([notice('budget:a', 'service'), notice('budget:b', 'marketing'), notice('budget:c', 'service')]);
    const rows = () => app.rows('outbox').filter((m) => m.recipientId === 'C-BUDGET');
    // First run: each send fails once (retried shortly); the third is over the budget already counting the two in flight.
    await app.dispatch();
    for (let i = 0; i < 3; i++) {
      app.clock.advance(60 * 60_000);
      await app.dispatch();
    }
    const sent = rows().filter((m) => m.status === 'SENT');
    expect(sent).toHaveLength(2);
    const waiting = rows().find((m) => m.status === 'PENDING')!;
    expect(waiting).toMatchObject({ lastErrorCode: 'SMS_DAILY_BUDGET' });
    // Tomorrow 09:00 Shanghai (the service starts on 2026-11-10).
    expect(waiting.nextAttemptAt.toISOString()).toBe('2026-11-11T01:00:00.000Z');
    app.clock.set(waiting.nextAttemptAt);
    await app.dispatch();
    app.clock.advance(60 * 60_000);
    await app.dispatch();
    expect(rows().filter((m) => m.status === 'SENT')).toHaveLength(3);
  });

  it('lets a provider rate limit defer a message without using up its attempts', async () => {
    await serviceWith({ wecom: new FailingChannel(1, 'rate_limited', '45009') });
    const id = await enqueueStaffText('k:limited', { maxAttempts: 1 });
    expect(await app.dispatch()).toMatchObject({ retried: 1 });
    expect(row(id)).toMatchObject({ status: 'PENDING', maxAttempts: 2 });
    app.clock.set(row(id).nextAttemptAt);
    expect(await app.dispatch()).toMatchObject({ sent: 1 });
  });

  it('defers a rate-limited message by the wait the limit names each time, however often it was deferred before', async () => {
    // WeCom's member cap names the end of the member's minute; a backlog meets it again and again.
    await serviceWith({ wecom: new FailingChannel(9, 'rate_limited', 'MEMBER_RATE_LIMIT', 20_000) });
    const id = await enqueueStaffText('k:paced', { maxAttempts: 3 });
    for (let deferral = 1; deferral <= 9; deferral++) {
      expect(await app.dispatch()).toMatchObject({ retried: 1 });
      const waitMs = row(id).nextAttemptAt.getTime() - app.clock.now().getTime();
      // The named 20 s, spread by at most RATE_LIMIT_SPREAD_MS; exponential backoff would be 32–64 min by the eighth.
      expect(waitMs).toBeGreaterThanOrEqual(20_000);
      expect(waitMs).toBeLessThanOrEqual(21_000);
      app.clock.set(row(id).nextAttemptAt);
    }
    expect(await app.dispatch()).toMatchObject({ sent: 1 });
    expect(row(id)).toMatchObject({ status: 'SENT', attempts: 10 });
  });

  it('cancels, without sending, a survey invitation to a customer who withdrew consent after it was queued', async () => {
    const sms = new CountingChannel();
    await serviceWith({ sms });
    const events = app.recordEvents('outbox:cancelled');
    app.clock.set('2026-11-03T16:00:00+08:00');
    const body = dischargeBody({ externalId: 'ZY-CONSENT', phone: '+8613533330001' });
    await app.submit(body);
    app.clock.set('2026-11-06T10:00:00+08:00');
    await activateDueFollowUps(app.deps);
    const invite = app.rows('outbox').find((m) => m.kind === 'survey_invite')!;
    // The hospital system reports the withdrawal with the case, before the dispatcher runs.
    await app.submit({ ...body, customer: { ...body.customer, consentSurvey: false } });

    expect(await app.dispatch()).toMatchObject({ claimed: 1, sent: 0, cancelled: 1 });

    expect(sms.sends).toEqual([]);
    expect(row(invite.id)).toMatchObject({ status: 'CANCELLED', lastErrorCode: 'NO_SURVEY_CONSENT', claimToken: null });
    expect(attempts(invite.id)).toEqual(['1:CANCELLED']);
    expect(app.rows('audit').filter((a) => a.action === 'outbox.cancelled' && a.entityId === invite.id)).toHaveLength(1);
    expect(events).toMatchObject([{ name: 'outbox:cancelled', payload: { message: { id: invite.id }, reason: 'NO_SURVEY_CONSENT' } }]);
  });

  it('replaces a WeChat survey invitation that died with an SMS invitation (dead-letter hook), sent next', async () => {
    const sms = new CountingChannel();
    await serviceWith({ wechat: new FailingChannel(99, 'permanent', '43004'), sms });
    const events = app.recordEvents('outbox:dead', 'outbox:sent');
    app.clock.set('2026-11-03T16:00:00+08:00');
    await app.submit(dischargeBody({ externalId: 'ZY-WX-DEAD', customer: { externalId: 'PAT-WX-DEAD', name: '微信患者', phone: '13544440001', wechatOpenId: 'o-unfollowed' } }));
    app.clock.set('2026-11-06T10:00:00+08:00');
    await activateDueFollowUps(app.deps);
    const wechatInvite = app.rows('outbox').find((m) => m.channel === 'wechat')!;

    expect(await app.dispatch()).toMatchObject({ dead: 1 });
    const replacement = app.rows('outbox').find((m) => m.fallbackOfId === wechatInvite.id)!;
    const survey = app.rows('survey')[0]!;
    expect(row(wechatInvite.id)).toMatchObject({ status: 'DEAD', lastErrorCode: '43004' });
    expect(replacement).toMatchObject({ idempotencyKey: `${wechatInvite.idempotencyKey}:sms`, channel: 'sms', kind: 'survey_invite', status: 'PENDING' });
    expect(survey.replyCode).toMatch(/^\d{6}$/);
    expect(JSON.parse(replacement.payload)).toMatchObject({ surveyId: survey.id, replyCode: survey.replyCode, to: { phoneE164: '+8613544440001' } });
    expect(events).toMatchObject([{ name: 'outbox:dead', payload: { message: { id: wechatInvite.id }, replacementQueued: true } }]);

    expect(await app.dispatch()).toMatchObject({ sent: 1 });
    expect(sms.sends.map((s) => s.messageId)).toEqual([replacement.id]);
    expect(app.rows('audit').filter((a) => a.action === 'survey.fallback')).toHaveLength(1);
  });

  it('marks a phone the provider refuses for good as invalid, and cancels the other SMS queued for it', async () => {
    await serviceWith({ sms: new FailingChannel(99, 'permanent', INVALID_NUMBER) });
    const customer = app.rows('customer').find((c) => c.externalId === 'P-0001')!;
    const notice = (key: string, at: Date): NewOutboxMessage => ({
      idempotencyKey: key,
      channel: 'sms',
      recipientType: 'customer',
      recipientId: customer.id,
      followUpId: null,
      nextAttemptAt: at,
      message: { kind: 'customer_notice', to: { customerId: customer.id, phoneE164: customer.phoneE164! }, templateKey: 'notice', params: [], text: '复诊提醒', purpose: 'service' },
    });
    await app.deps.outbox.enqueue([notice('n:1', app.clock.now()), notice('n:2', new Date(app.clock.now().getTime() + 3_600_000))]);

    expect(await app.dispatch()).toMatchObject({ dead: 1 });

    expect(app.rows('customer').find((c) => c.id === customer.id)!.phoneInvalidAt).toEqual(app.clock.now());
    expect(app.rows('outbox').map((m) => [m.idempotencyKey, m.status, m.lastErrorCode])).toEqual([
      ['n:1', 'DEAD', INVALID_NUMBER],
      ['n:2', 'CANCELLED', 'PHONE_INVALID'],
    ]);
    // A new SMS to the same number is recorded already cancelled.
    await app.deps.outbox.enqueue([notice('n:3', app.clock.now())]);
    expect(app.rows('outbox').find((m) => m.idempotencyKey === 'n:3')).toMatchObject({ status: 'CANCELLED', lastErrorCode: 'PHONE_INVALID' });
  });

  it('dispatches through the job as the cron runs it', async () => {
    const wecom = new CountingChannel();
    await serviceWith({ wecom });
    await enqueueStaffText('k:job');
    const { jobs } = await import('../../../../jobs/index.js');
    expect(await jobs['dispatch-outbox']!.run(app)).toMatchObject({ sent: 1 });
    expect(await dispatchOutbox(app.deps, { channels: app.channels, jitter: app.jitter })).toMatchObject({ claimed: 0 });
  });
});
