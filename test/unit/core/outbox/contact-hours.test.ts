// Contact rules at the moment a customer message leaves the outbox (bot/core/outbox/contact-hours.ts):
// quiet hours for every customer message, the policy's own windows carried with the message, no sending
// after a survey's deadline, and a minimum gap between two surveys to one customer. First the pure
// decision, then the dispatcher over the in-memory stores with a fake clock.
import { beforeEach, describe, expect, it } from 'vitest';
import { endOfQuietHours, lastStartOf, nextSendMoment, parseQuietHours, sendTiming, DEFAULT_CONTACT_SETTINGS } from '../../../../bot/core/outbox/contact-hours.js';
import { activateDueFollowUps } from '../../../../bot/core/follow-ups/activate-due-follow-ups.js';
import { smsFallbackFor, ALL_CUSTOMER_CHANNELS } from '../../../../bot/core/surveys/channel-chain.js';
import type { ContactTerms, OutboundMessage } from '../../../../bot/core/messages.js';
import type { NewOutboxMessage } from '../../../../bot/core/records.js';
import { createMemoryService, type MemoryService } from '../../../support/memory-service.js';
import { CountingChannel, FailingChannel } from '../../../support/test-channels.js';
import { smsSameContentKey, surveyGapKey } from '../../../../bot/core/outbox/shared-send-checks.js';
import { dischargeBody, staffTextMessage } from '../../../support/builders.js';

const TZ = 'Asia/Shanghai';
const at = (local: string) => new Date(`${local}+08:00`);
const time = { timeZone: TZ };

function invite(surveyId: string, contact?: ContactTerms): OutboundMessage {
  return { kind: 'survey_invite', to: { customerId: 'c1', phoneE164: '+8613500000001' }, templateKey: 'survey_invite', params: [], text: '回访', link: 'http://x/s/1', surveyId, ...(contact ? { contact } : {}) };
}

describe('sendTiming (pure)', () => {
  it('holds a customer message sent in the quiet hours until they end, on either side of midnight', () => {
    expect(sendTiming(at('2026-11-10T02:15:00'), invite('s1'), DEFAULT_CONTACT_SETTINGS, time)).toEqual({ kind: 'later', at: at('2026-11-10T08:00:00'), reason: 'CONTACT_HOURS' });
    expect(sendTiming(at('2026-11-10T21:15:00'), invite('s1'), DEFAULT_CONTACT_SETTINGS, time)).toEqual({ kind: 'later', at: at('2026-11-11T08:00:00'), reason: 'CONTACT_HOURS' });
    expect(sendTiming(at('2026-11-10T20:59:00'), invite('s1'), DEFAULT_CONTACT_SETTINGS, time)).toEqual({ kind: 'now' });
    expect(sendTiming(at('2026-11-10T08:00:00'), invite('s1'), DEFAULT_CONTACT_SETTINGS, time)).toEqual({ kind: 'now' });
  });

  it('never holds a staff message', () => {
    const staff: OutboundMessage = { kind: 'staff_text', to: { staffId: 's', wecomUserId: 'w' }, text: '夜班提醒' };
    expect(sendTiming(at('2026-11-10T02:15:00'), staff, DEFAULT_CONTACT_SETTINGS, time)).toEqual({ kind: 'now' });
  });

  it('applies the policy windows the message carries, cut short by the quiet hours', () => {
    // P4-style seasonal calling hours: winter 14:00–16:00 and 19:00–21:30 (the evening window runs into the quiet hours).
    const rules = { windows: [{ name: '冬季', months: [10, 11, 12, 1, 2, 3], times: [{ from: '14:00', to: '16:00' }, { from: '19:00', to: '21:30' }] }] };
    expect(nextSendMoment(at('2026-11-10T09:00:00'), { rules }, DEFAULT_CONTACT_SETTINGS.quietHours, time)).toEqual(at('2026-11-10T14:00:00'));
    expect(nextSendMoment(at('2026-11-10T21:10:00'), { rules }, DEFAULT_CONTACT_SETTINGS.quietHours, time)).toEqual(at('2026-11-11T14:00:00'));
    expect(nextSendMoment(at('2026-11-10T21:10:00'), { rules }, null, time)).toEqual(at('2026-11-10T21:10:00'));
  });

  it('marks a message that cannot leave before its deadline as expired instead of sending it late', () => {
    const terms = { notAfter: at('2026-11-10T07:00:00').toISOString() };
    expect(sendTiming(at('2026-11-10T02:15:00'), invite('s1', terms), DEFAULT_CONTACT_SETTINGS, time)).toEqual({ kind: 'expired', notAfter: at('2026-11-10T07:00:00'), code: 'PAST_DEADLINE' });
    expect(sendTiming(at('2026-11-10T07:00:00'), invite('s1', { notAfter: at('2026-11-10T07:00:00').toISOString() }), { quietHours: null, surveyMinGapMs: 0 }, time).kind).toBe('expired');
    expect(sendTiming(at('2026-11-10T06:59:00'), invite('s1', terms), { quietHours: null, surveyMinGapMs: 0 }, time)).toEqual({ kind: 'now' });
  });

  it('begins no send after `startBy` (a greeting’s window end), and names the window when it is the earlier bound', () => {
    const quietOff = { quietHours: null, surveyMinGapMs: 0 };
    const windowEnd = at('2026-11-10T11:00:00').toISOString();
    expect(sendTiming(at('2026-11-10T10:59:00'), invite('s1', { startBy: windowEnd }), quietOff, time)).toEqual({ kind: 'now' });
    expect(sendTiming(at('2026-11-10T11:00:00'), invite('s1', { startBy: windowEnd }), quietOff, time)).toEqual({ kind: 'expired', notAfter: at('2026-11-10T11:00:00'), code: 'SEND_WINDOW_CLOSED' });
    // Held by the quiet hours past the window: expired at once, not sent the next morning.
    expect(sendTiming(at('2026-11-10T21:30:00'), invite('s1', { startBy: at('2026-11-11T07:30:00').toISOString() }), DEFAULT_CONTACT_SETTINGS, time)).toMatchObject({ kind: 'expired', code: 'SEND_WINDOW_CLOSED' });
    // With both bounds, the earlier one decides.
    const both = { startBy: windowEnd, notAfter: at('2026-11-10T10:00:00').toISOString() };
    expect(sendTiming(at('2026-11-10T10:30:00'), invite('s1', both), quietOff, time)).toMatchObject({ kind: 'expired', code: 'PAST_DEADLINE' });
    expect(lastStartOf({ startBy: windowEnd, notAfter: at('2026-11-12T00:00:00').toISOString() })).toEqual({ at: at('2026-11-10T11:00:00'), code: 'SEND_WINDOW_CLOSED' });
    expect(lastStartOf({})).toBeNull();
  });

  it('spaces a second survey by the minimum gap, but lets the gap give way to the survey’s deadline', () => {
    const previous = { surveyId: 'earlier', sentAt: at('2026-11-09T10:00:00') };
    expect(sendTiming(at('2026-11-10T10:00:00'), invite('s2'), DEFAULT_CONTACT_SETTINGS, time, previous)).toEqual({ kind: 'later', at: at('2026-11-12T10:00:00'), reason: 'SURVEY_GAP' });
    // The same survey on another channel (the SMS beside or after a WeChat invitation) is not a second survey.
    expect(sendTiming(at('2026-11-10T10:00:00'), invite('earlier'), DEFAULT_CONTACT_SETTINGS, time, previous)).toEqual({ kind: 'now' });
    // Spacing would push it past its deadline: it goes now rather than never.
    expect(sendTiming(at('2026-11-10T10:00:00'), invite('s2', { notAfter: at('2026-11-11T17:00:00').toISOString() }), DEFAULT_CONTACT_SETTINGS, time, previous)).toEqual({ kind: 'now' });
    expect(sendTiming(at('2026-11-10T10:00:00'), invite('s2'), { ...DEFAULT_CONTACT_SETTINGS, surveyMinGapMs: 0 }, time, previous)).toEqual({ kind: 'now' });
  });

  it('parses quiet hours as configured and knows when they end', () => {
    expect(parseQuietHours('22:30-07:00')).toEqual({ from: '22:30', to: '07:00' });
    expect(parseQuietHours('off')).toBeNull();
    expect(() => parseQuietHours('21-8')).toThrow('HH:MM-HH:MM');
    expect(endOfQuietHours(at('2026-11-10T12:30:00'), { from: '12:00', to: '13:30' }, TZ)).toEqual(at('2026-11-10T13:30:00'));
    expect(endOfQuietHours(at('2026-11-10T13:30:00'), { from: '12:00', to: '13:30' }, TZ)).toBeNull();
  });
});

describe('dispatching customer messages under the contact rules', () => {
  let app: MemoryService;
  let sms: CountingChannel;
  let wecom: CountingChannel;

  beforeEach(async () => {
    sms = new CountingChannel();
    wecom = new CountingChannel();
    app = await createMemoryService({ start: '2026-11-10T02:15:00+08:00', channels: { sms, wecom } });
  });

  const row = (key: string) => app.rows('outbox').find((m) => m.idempotencyKey === key)!;
  const customer = () => app.rows('customer').find((c) => c.externalId === 'P-0001')!;
  function customerMessage(key: string, message: Partial<Extract<OutboundMessage, { kind: 'survey_invite' }>> | OutboundMessage, nextAttemptAt = app.clock.now()): NewOutboxMessage {
    const c = customer();
    const full: OutboundMessage =
      'kind' in message && message.kind === 'customer_notice'
        ? message
        : { kind: 'survey_invite', to: { customerId: c.id, phoneE164: c.phoneE164! }, templateKey: 'survey_invite', params: [], text: '回访', link: 'http://x/s/1', surveyId: key, ...(message as object) };
    return { idempotencyKey: key, channel: 'sms', recipientType: 'customer', recipientId: c.id, followUpId: null, nextAttemptAt, message: full };
  }

  it('sends a late case’s survey at 08:00, not at 02:15, without using up an attempt', async () => {
    const events = app.recordEvents('outbox:deferred', 'outbox:sent');
    // The hospital system syncs a discharge overnight, days late: its survey is due at once.
    await app.submit(dischargeBody({ externalId: 'ZY-LATE', occurredAt: '2026-11-05T15:30:00+08:00' }));
    await activateDueFollowUps(app.deps);
    const invitation = app.rows('outbox').find((m) => m.kind === 'survey_invite')!;
    expect(invitation.nextAttemptAt).toEqual(app.clock.now());

    expect(await app.dispatch()).toMatchObject({ claimed: 1, sent: 0, deferred: 1 });
    expect(sms.sends).toEqual([]);
    expect(app.rows('outbox').find((m) => m.id === invitation.id)).toMatchObject({ status: 'PENDING', nextAttemptAt: at('2026-11-10T08:00:00'), maxAttempts: invitation.maxAttempts + 1, lastErrorCode: 'CONTACT_HOURS' });
    expect(events).toMatchObject([{ name: 'outbox:deferred', payload: { reason: 'CONTACT_HOURS', until: at('2026-11-10T08:00:00') } }]);

    app.clock.set('2026-11-10T07:59:59+08:00');
    expect((await app.dispatch()).claimed).toBe(0);
    app.clock.set('2026-11-10T08:00:00+08:00');
    expect(await app.dispatch()).toMatchObject({ sent: 1 });
    expect(sms.sends.map((s) => s.messageId)).toEqual([invitation.id]);
  });

  it('carries the survey’s expiry and the policy’s rules on the invitation, and on its SMS fallback', async () => {
    app.clock.set('2026-11-10T10:00:00+08:00');
    await app.submit(dischargeBody({ externalId: 'ZY-TERMS', occurredAt: '2026-11-05T15:30:00+08:00' }));
    await activateDueFollowUps(app.deps);
    const invitation = app.rows('outbox').find((m) => m.kind === 'survey_invite')!;
    const survey = app.rows('survey')[0]!;
    const message = JSON.parse(invitation.payload) as Extract<OutboundMessage, { kind: 'survey_invite' }>;
    expect(message.contact?.notAfter).toBe(survey.expiresAt.toISOString());
    const record = (await app.deps.customers.findCustomersByIds([invitation.recipientId])).get(invitation.recipientId)!;
    const wechatInvite = { ...message, to: { customerId: record.id, openId: 'o1' } };
    const fallback = smsFallbackFor({ id: 'wx', idempotencyKey: 'k', followUpId: null, message: wechatInvite }, record, ALL_CUSTOMER_CHANNELS, app.clock.now());
    expect((fallback!.message as typeof message).contact).toEqual(message.contact);
  });

  it('holds a fallback SMS of a working-days-only policy over the weekend, to the first working morning', async () => {
    app.clock.set('2026-11-14T10:00:00+08:00'); // a Saturday
    await app.deps.outbox.enqueue([customerMessage('fb:weekend', { contact: { rules: { workingDaysOnly: true } } })]);
    expect(await app.dispatch()).toMatchObject({ deferred: 1, sent: 0 });
    expect(row('fb:weekend').nextAttemptAt).toEqual(at('2026-11-16T09:00:00'));
  });

  it('does not send a survey that could only leave after it expired: it is marked expired and audited', async () => {
    const events = app.recordEvents('outbox:cancelled');
    await app.deps.outbox.enqueue([customerMessage('late:expired', { contact: { notAfter: at('2026-11-10T06:00:00').toISOString() } })]);
    expect(await app.dispatch()).toMatchObject({ expired: 1, sent: 0, deferred: 0 });
    expect(sms.sends).toEqual([]);
    expect(row('late:expired')).toMatchObject({ status: 'CANCELLED', lastErrorCode: 'PAST_DEADLINE' });
    expect(app.rows('audit').filter((a) => a.action === 'outbox.expired' && a.entityId === row('late:expired').id)).toHaveLength(1);
    expect(events).toMatchObject([{ name: 'outbox:cancelled', payload: { reason: 'PAST_DEADLINE' } }]);
  });

  it('still sends staff messages at night', async () => {
    const nurse = app.staff.get('hushi.li')!;
    await app.deps.outbox.enqueue([staffTextMessage('staff:night', nurse, 'hushi.li', app.clock.now())]);
    expect(await app.dispatch()).toMatchObject({ sent: 1, deferred: 0 });
    expect(wecom.sends).toHaveLength(1);
  });

  it('holds a greeting queued in the evening until the morning', async () => {
    app.clock.set('2026-11-10T21:30:00+08:00');
    const c = customer();
    await app.deps.outbox.enqueue([
      customerMessage('greet:evening', { kind: 'customer_notice', to: { customerId: c.id, phoneE164: c.phoneE164! }, templateKey: 'greeting', params: [], text: '节日快乐', purpose: 'service' }),
    ]);
    expect(await app.dispatch()).toMatchObject({ deferred: 1 });
    expect(row('greet:evening').nextAttemptAt).toEqual(at('2026-11-11T08:00:00'));
  });

  it('spaces two surveys to one customer by the minimum gap, within one batch and across days', async () => {
    app.clock.set('2026-11-10T10:00:00+08:00');
    await app.deps.outbox.enqueue([customerMessage('survey:a', {}), customerMessage('survey:b', {})]);
    expect(await app.dispatch()).toMatchObject({ sent: 1, deferred: 1 });
    expect(row('survey:a').status).toBe('SENT');
    expect(row('survey:b')).toMatchObject({ status: 'PENDING', nextAttemptAt: at('2026-11-13T10:00:00'), lastErrorCode: 'SURVEY_GAP' });

    // A third survey a day later also waits for the gap after the first (the store remembers what was sent).
    app.clock.set('2026-11-11T10:00:00+08:00');
    await app.deps.outbox.enqueue([customerMessage('survey:c', {})]);
    expect(await app.dispatch()).toMatchObject({ sent: 0, deferred: 1 });
    expect(row('survey:c').nextAttemptAt).toEqual(at('2026-11-13T10:00:00'));

    app.clock.set('2026-11-13T10:00:00+08:00');
    expect(await app.dispatch()).toMatchObject({ sent: 1, deferred: 1 });
    expect(sms.sends).toHaveLength(2);
  });

  it('spaces a survey by the gap another replica holds for the customer, unless the survey’s deadline cannot wait', async () => {
    app.clock.set('2026-11-10T10:00:00+08:00');
    const key = surveyGapKey(customer().id);
    // Another replica is sending survey "other" to this customer: the gap is held in the shared windows,
    // and no sent invitation is recorded yet.
    await app.deps.windows.reserve(key, 'other', at('2026-11-13T10:00:00'), app.clock.now());
    await app.deps.outbox.enqueue([customerMessage('gap:held', {}), customerMessage('gap:urgent', { contact: { notAfter: at('2026-11-11T17:00:00').toISOString() } })]);
    expect(await app.dispatch()).toMatchObject({ sent: 1, deferred: 1 });
    expect(row('gap:held')).toMatchObject({ status: 'PENDING', lastErrorCode: 'SURVEY_GAP', nextAttemptAt: at('2026-11-13T10:00:00') });
    // The gap gives way to a deadline (contact-hours.ts), and the survey that went now holds it.
    expect(row('gap:urgent').status).toBe('SENT');
    expect(await app.deps.windows.read(key)).toMatchObject({ holder: 'gap:urgent', until: at('2026-11-13T10:00:00') });
    // Only the invitation that went holds the number's same-content window (a held one does not).
    expect(await app.deps.windows.read(smsSameContentKey(customer().phoneE164!, 'survey_invite', []))).toMatchObject({ holder: row('gap:urgent').id });
  });

  it('gives the customer’s survey gap back when an invitation dies unsent', async () => {
    const failing = new FailingChannel(1, 'permanent');
    const dying = await createMemoryService({ start: '2026-11-10T10:00:00+08:00', channels: { sms: failing, wecom } });
    const c = dying.rows('customer').find((r) => r.externalId === 'P-0001')!;
    const message: OutboundMessage = { kind: 'survey_invite', to: { customerId: c.id, phoneE164: c.phoneE164! }, templateKey: 'survey_invite', params: [], text: '回访', link: 'http://x/s/1', surveyId: 'dies' };
    await dying.deps.outbox.enqueue([{ idempotencyKey: 'gap:dies', channel: 'sms', recipientType: 'customer', recipientId: c.id, followUpId: null, nextAttemptAt: dying.clock.now(), message }]);
    expect(await dying.dispatch()).toMatchObject({ dead: 1 });
    expect(failing.sends).toHaveLength(1);
    expect(await dying.deps.windows.read(surveyGapKey(c.id))).toBeNull();
  });

  it('expires an SMS that the daily budget would push past its deadline, instead of sending it late', async () => {
    app.clock.set('2026-11-10T10:00:00+08:00');
    const c = customer();
    const notice = (key: string, notAfter?: string): NewOutboxMessage =>
      customerMessage(key, { kind: 'customer_notice', to: { customerId: c.id, phoneE164: c.phoneE164! }, templateKey: 'notice', params: [key], text: key, purpose: 'service', ...(notAfter ? { contact: { notAfter } } : {}) });
    await app.deps.outbox.enqueue([notice('budget:1'), notice('budget:2'), notice('budget:today-only', at('2026-11-10T23:00:00').toISOString()), notice('budget:any-day')]);
    expect(await app.dispatch()).toMatchObject({ sent: 2, expired: 1, deferred: 1 });
    expect(row('budget:today-only')).toMatchObject({ status: 'CANCELLED', lastErrorCode: 'PAST_DEADLINE' });
    // The next day's first allowed moment: 09:00, after the quiet hours.
    expect(row('budget:any-day')).toMatchObject({ status: 'PENDING', lastErrorCode: 'SMS_DAILY_BUDGET', nextAttemptAt: at('2026-11-11T09:00:00') });
  });
});
