// A customer's SMS reply to a survey invitation, through the inbox as the Tencent reply callback records
// it, over the in-memory stores: a score answers the survey once; `R` opts the customer out, after
// which no further customer message goes out.
import { beforeEach, describe, expect, it } from 'vitest';
import { activateDueFollowUps } from '../../../../bot/core/follow-ups/activate-due-follow-ups.js';
import type { SendRequest } from '../../../../bot/core/messages.js';
import { createMemoryService, type MemoryService } from '../../../support/memory-service.js';
import { CountingChannel } from '../../../support/test-channels.js';
import { dischargeBody, smsReply } from '../../../support/builders.js';

const PHONE = '+8613522220001';

describe('SMS replies to a survey', () => {
  let app: MemoryService;
  let sms: CountingChannel;
  let surveyFollowUpId: string;

  beforeEach(async () => {
    sms = new CountingChannel();
    app = await createMemoryService({ start: '2026-11-03T16:00:00+08:00', channels: { sms } });
    await app.submit(dischargeBody({ externalId: 'ZY-SMS', phone: PHONE }));
    surveyFollowUpId = app.rows('followUp').find((f) => f.step === 'survey')!.id;
    app.clock.set('2026-11-06T10:00:00+08:00');
    await activateDueFollowUps(app.deps);
    await app.dispatch();
    app.clock.set('2026-11-06T12:00:00+08:00');
  });

  const customerSends = (channel: { sends: SendRequest[] }) => channel.sends.filter((s) => s.message.kind === 'survey_invite' || s.message.kind === 'customer_notice');
  const survey = () => app.rows('survey')[0]!;
  const surveyFollowUp = () => app.rows('followUp').find((f) => f.id === surveyFollowUpId)!;

  it('records a score once: the survey is answered, its follow-up done, its reply code released', async () => {
    expect(customerSends(sms)).toHaveLength(1);
    const reply = await smsReply(app, PHONE, '5');
    const replay = await smsReply(app, PHONE, '5');
    app.clock.advanceMinutes(5);
    const later = await smsReply(app, PHONE, '4');

    expect(reply.result).toMatchObject({ status: 'PROCESSED', result: { status: 'answered', score: 5, satisfaction: 'SATISFIED', escalated: false } });
    expect(replay).toMatchObject({ duplicate: true, result: null });
    expect(later.result).toMatchObject({ status: 'REJECTED', result: { code: 'NO_OPEN_SURVEY' } });
    expect(survey()).toMatchObject({ status: 'ANSWERED', replyCode: null, answeredAt: new Date('2026-11-06T12:00:00+08:00') });
    expect(surveyFollowUp()).toMatchObject({ status: 'DONE', outcome: 'SATISFIED', attempts: 1 });
    expect(app.rows('surveyResponse')).toMatchObject([{ surveyId: survey().id, channel: 'sms', rawText: '5', score: 1, satisfaction: 'SATISFIED', inboundEventId: reply.id }]);
  });

  it('escalates a dissatisfied score', async () => {
    const events = app.recordEvents('escalation:opened');
    const reply = await smsReply(app, PHONE, '1');
    expect(reply.result).toMatchObject({ status: 'PROCESSED', result: { status: 'answered', satisfaction: 'DISSATISFIED', escalated: true } });
    expect(app.rows('escalation')).toMatchObject([{ reason: 'DISSATISFIED', followUpId: surveyFollowUpId, status: 'OPEN' }]);
    expect(events).toHaveLength(1);
  });

  it('opts the customer out on R: the open survey ends, queued messages are cancelled, and nothing more is sent to them', async () => {
    // A service notice queued before the opt-out, and another case whose survey comes due after it.
    const customerId = app.rows('customer').find((c) => c.phoneE164 === PHONE)!.id;
    await app.deps.outbox.enqueue([
      {
        idempotencyKey: 'notice:before-optout',
        channel: 'sms',
        recipientType: 'customer',
        recipientId: customerId,
        followUpId: null,
        nextAttemptAt: new Date('2026-11-07T09:00:00+08:00'),
        message: { kind: 'customer_notice', to: { customerId, phoneE164: PHONE }, templateKey: 'notice', params: [], text: '复诊提醒', purpose: 'service' },
      },
    ]);
    await app.submit(dischargeBody({ externalId: 'ZY-SMS-2', occurredAt: '2026-11-05T15:30:00+08:00', customer: { externalId: `PAT-ZY-SMS`, name: '测试患者', phone: PHONE } }));

    const reply = await smsReply(app, PHONE, 'R');

    expect(reply.result).toMatchObject({ status: 'PROCESSED', result: { status: 'opted_out', customerId } });
    expect(app.rows('customer').find((c) => c.id === customerId)).toMatchObject({ optedOutAt: new Date('2026-11-06T12:00:00+08:00'), optOutSource: 'sms_reply' });
    expect(survey()).toMatchObject({ status: 'EXPIRED', replyCode: null });
    expect(surveyFollowUp()).toMatchObject({ status: 'CANCELLED', outcomeNote: 'CUSTOMER_OPTED_OUT' });
    expect(app.rows('outbox').find((m) => m.idempotencyKey === 'notice:before-optout')).toMatchObject({ status: 'CANCELLED', lastErrorCode: 'CUSTOMER_OPTED_OUT' });

    // Days later: the second case's survey is cancelled, not sent, and a late score finds no survey.
    const sentBefore = customerSends(sms).length;
    app.clock.set('2026-11-09T10:00:00+08:00');
    await activateDueFollowUps(app.deps);
    await app.dispatch();
    expect(customerSends(sms)).toHaveLength(sentBefore);
    expect(app.rows('followUp').filter((f) => f.action === 'CUSTOMER_SURVEY').map((f) => [f.status, f.outcomeNote])).toEqual([
      ['CANCELLED', 'CUSTOMER_OPTED_OUT'],
      ['CANCELLED', 'CUSTOMER_OPTED_OUT'],
    ]);
    expect((await smsReply(app, PHONE, '5')).result).toMatchObject({ status: 'REJECTED', result: { code: 'NO_OPEN_SURVEY' } });
    // The staff member's call is not a customer message: it still happens.
    app.clock.set('2026-11-10T09:00:00+08:00');
    await activateDueFollowUps(app.deps);
    expect(app.rows('outbox').filter((m) => m.kind === 'task_card')).toHaveLength(1);
  });

  it('keeps text that is not a score on the survey and passes it to the responsible nurse', async () => {
    const reply = await smsReply(app, PHONE, '请问复查要带什么材料？');
    expect(reply.result).toMatchObject({ status: 'PROCESSED', result: { status: 'kept_unparsed', routedTo: app.staff.get('hushi.li') } });
    expect(survey().status).toBe('OPEN');
    expect(app.rows('surveyResponse')).toMatchObject([{ rawText: '请问复查要带什么材料？', satisfaction: null }]);
    const text = app.rows('outbox').find((m) => m.idempotencyKey === `sms-reply:${reply.id}`);
    expect(text).toMatchObject({ kind: 'staff_text', recipientId: app.staff.get('hushi.li') });
    expect(JSON.parse(text!.payload).text).toContain('135****0001');
  });
});
