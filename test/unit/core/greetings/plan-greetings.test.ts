import { describe, expect, it } from 'vitest';
import { createChineseDaysLunarConverter } from '../../../../bot/loaders/chinese-days-source.js';
import type { GreetingCampaign } from '../../../../bot/core/greetings/campaign.js';
import { decideGreeting, segmentOf, skipReasonOfOutboxCode, type GreetingCustomer } from '../../../../bot/core/greetings/eligibility.js';
import { planGreetingDay, spreadEvenly, summarisePlan } from '../../../../bot/core/greetings/plan-greetings.js';
import { greetingMessage, registrationText, salutationFor } from '../../../../bot/core/greetings/render-greeting.js';
import { parseCampaign } from '../../../../bot/loaders/load-campaigns.js';

const lunar = createChineseDaysLunarConverter();
const TZ = 'Asia/Shanghai';

const campaign: GreetingCampaign = parseCampaign(
  `
key: estate
title: 置业顾问节日问候
occasions: [春节, birthday]
audience:
  tags: [grade:A, grade:B, grade:C, grade:D]
channels: [sms]
send: { day: day_before, window: "09:00-11:00" }
signature: "置业顾问：李明"
segments:
  - key: vip
    tags: [grade:A, grade:B]
    text: "{salutation}您好！值此{occasion}，锦绣华府祝您阖家幸福。{signature}"
    birthdayText: "{salutation}您好！今天是您的生日，祝您生日快乐。{signature}"
  - key: others
    text: "{salutation}您好！锦绣华府祝您{occasion}快乐！{signature}"
    birthdayText: "{salutation}您好！祝您生日快乐！{signature}"
`,
  'estate.yaml',
);

function customer(id: string, overrides: Partial<GreetingCustomer> = {}): GreetingCustomer {
  return {
    id,
    name: '王秀英',
    salutation: '王女士',
    phoneE164: `+861380000${id.padStart(4, '0')}`,
    phoneMasked: `138****${id.padStart(4, '0')}`,
    wechatOpenId: null,
    consentMarketing: true,
    consentSurvey: true,
    optedOutAt: null,
    deceasedAt: null,
    phoneInvalidAt: null,
    tags: ['grade:A'],
    birthday: null,
    openCaseTypes: [],
    ...overrides,
  };
}

const both = { sms: true, wechat: true } as const;

describe('greeting eligibility', () => {
  it('applies the dispatcher’s consent rules, then the first channel the customer can receive', () => {
    const at = new Date('2026-01-01T00:00:00Z');
    expect(decideGreeting(customer('1'), ['wechat', 'sms'], both)).toEqual({ send: true, channel: 'sms' });
    // WeChat cannot carry a greeting: a follower of the 服务号 is greeted by SMS whatever the list says.
    expect(decideGreeting(customer('1', { wechatOpenId: 'o1' }), ['wechat', 'sms'], both)).toEqual({ send: true, channel: 'sms' });
    expect(decideGreeting(customer('1', { wechatOpenId: 'o1', phoneE164: null }), ['wechat', 'sms'], both)).toEqual({ send: false, reason: 'NO_ADDRESS' });
    expect(decideGreeting(customer('1', { wechatOpenId: 'o1' }), ['wechat', 'sms'], { sms: true, wechat: false })).toEqual({ send: true, channel: 'sms' });
    expect(decideGreeting(customer('1', { optedOutAt: at }), ['sms'], both)).toEqual({ send: false, reason: 'OPTED_OUT' });
    expect(decideGreeting(customer('1', { consentMarketing: false }), ['sms'], both)).toEqual({ send: false, reason: 'NO_CONSENT' });
    expect(decideGreeting(customer('1', { deceasedAt: at, optedOutAt: at }), ['sms'], both)).toEqual({ send: false, reason: 'DECEASED' });
    expect(decideGreeting(customer('1', { phoneInvalidAt: at }), ['wechat', 'sms'], both)).toEqual({ send: false, reason: 'INVALID_NUMBER' });
    expect(decideGreeting(customer('1', { phoneE164: null }), ['wechat', 'sms'], both)).toEqual({ send: false, reason: 'NO_ADDRESS' });
  });

  it('maps the outbox’s cancellation codes to the same skip reasons', () => {
    expect(['CUSTOMER_OPTED_OUT', 'NO_MARKETING_CONSENT', 'CUSTOMER_DECEASED', 'PHONE_INVALID', 'INVALID_NUMBER', 'SEND_WINDOW_CLOSED'].map(skipReasonOfOutboxCode)).toEqual([
      'OPTED_OUT',
      'NO_CONSENT',
      'DECEASED',
      'INVALID_NUMBER',
      'INVALID_NUMBER',
      'WINDOW_MISSED',
    ]);
  });

  it('puts customers in the first matching segment; customers outside the audience are not considered', () => {
    expect(segmentOf(campaign, customer('1', { tags: ['grade:B'] }))?.key).toBe('vip');
    expect(segmentOf(campaign, customer('1', { tags: ['grade:D'] }))?.key).toBe('others');
    expect(segmentOf(campaign, customer('1', { tags: ['owner'] }))).toBeNull();
  });
});

describe('greeting texts', () => {
  it('addresses the customer personally, else as 尊敬的贵宾, and ends with the signature and the opt-out', () => {
    expect(salutationFor({ salutation: '王先生' }, '尊敬的贵宾')).toBe('王先生');
    expect(salutationFor({ salutation: null }, '尊敬的贵宾')).toBe('尊敬的贵宾');
    expect(salutationFor({ salutation: 'http://x.cn 王' }, '尊敬的贵宾')).toBe('尊敬的贵宾');
    const message = greetingMessage({
      campaign,
      segment: campaign.segments[0]!,
      occasion: campaign.occasions[0]!,
      customer: customer('7'),
      channel: 'sms',
      org: '锦绣华府',
    });
    expect(message).toMatchObject({
      kind: 'customer_notice',
      purpose: 'marketing',
      templateKey: 'estate_vip',
      params: ['王女士', '春节'],
      text: '【锦绣华府】王女士您好！值此春节，锦绣华府祝您阖家幸福。置业顾问：李明。拒收请回复R',
      to: { customerId: '7', phoneE164: '+8613800000007' },
    });
    expect(registrationText(campaign.segments[0]!.text)).toBe('{1}您好！值此{2}，锦绣华府祝您阖家幸福。置业顾问：李明。拒收请回复R');
    expect(registrationText(campaign.segments[1]!.birthday!)).toBe('{1}您好！祝您生日快乐！置业顾问：李明。拒收请回复R');
  });

  it('words a greeting sent through 客户联系 as the member’s own WeChat message, keeping the SMS wording for the fallback', () => {
    const contactCustomer = customer('8', { wecomExternalId: 'wmX', wecomFollowUserId: 'li.ming' });
    const message = greetingMessage({ campaign, segment: campaign.segments[0]!, occasion: campaign.occasions[0]!, customer: contactCustomer, channel: 'wecom_contact', org: '锦绣华府' });
    expect(message).toMatchObject({
      kind: 'customer_notice',
      purpose: 'marketing',
      text: '王女士您好！值此春节，锦绣华府祝您阖家幸福。置业顾问：李明',
      smsText: '【锦绣华府】王女士您好！值此春节，锦绣华府祝您阖家幸福。置业顾问：李明。拒收请回复R',
      to: { customerId: '8', wecomContact: { externalUserId: 'wmX', followUserId: 'li.ming' } },
    });
    // A text that writes the opt-out itself loses it too.
    const own = parseCampaign(
      'key: own\ntitle: t\noccasions: [春节]\nchannels: [wecom_contact, sms]\nsegments:\n  - key: all\n    text: "{salutation}您好！{occasion}快乐！拒收请回复R"\n',
      'own.yaml',
    );
    expect(own.segments[0]!.text).toMatchObject({ body: '{salutation}您好！{occasion}快乐！拒收请回复R', chatBody: '{salutation}您好！{occasion}快乐！' });
  });
});

describe('planning a day', () => {
  it('spreads greetings evenly over the window', () => {
    const from = new Date('2026-02-16T01:00:00Z');
    const to = new Date('2026-02-16T03:00:00Z');
    expect(spreadEvenly(4, from, to).map((d) => d.toISOString())).toEqual([
      '2026-02-16T01:00:00.000Z',
      '2026-02-16T01:30:00.000Z',
      '2026-02-16T02:00:00.000Z',
      '2026-02-16T02:30:00.000Z',
    ]);
  });

  it('plans the day before 春节: one row per audience customer, skipped ones with the reason, others greeted elsewhere reported', () => {
    const customers = [
      customer('1', { wechatOpenId: 'o1' }),
      customer('2', { tags: ['grade:D'], salutation: null }),
      customer('3', { optedOutAt: new Date('2025-12-01T00:00:00Z') }),
      customer('4', { tags: ['owner'] }),
      customer('5'),
    ];
    const plan = planGreetingDay({
      campaign,
      sendDate: '2026-02-16',
      now: new Date('2026-02-16T00:00:00+08:00'),
      timeZone: TZ,
      lunar,
      customers,
      existing: [{ occasionKey: 'spring_festival:2026', customerId: '5', campaign: 'other', status: 'SENT', skipReason: null, channel: 'sms', segment: 'x' }],
      usable: both,
    });
    expect(plan.occasions.map((o) => o.occasionKey)).toEqual(['spring_festival:2026', 'birthday:2026']);
    expect(plan.rows.map((r) => [r.customerId, r.status, r.channel ?? r.skipReason, r.segment, r.scheduledAt.toISOString()])).toEqual([
      ['1', 'PLANNED', 'sms', 'vip', '2026-02-16T01:00:00.000Z'],
      ['2', 'PLANNED', 'sms', 'others', '2026-02-16T02:00:00.000Z'],
      ['3', 'SKIPPED', 'OPTED_OUT', 'vip', '2026-02-16T01:00:00.000Z'],
    ]);
    expect(plan.alreadyGreeted).toEqual([{ occasionKey: 'spring_festival:2026', customerId: '5', campaign: 'other', status: 'SENT', skipReason: null }]);

    const [preview] = summarisePlan(plan, campaign, new Map(customers.map((c) => [c.id, c])), { org: '锦绣华府', pricePerSegment: 0.05 });
    expect(preview).toMatchObject({ byChannel: { wechat: 0, sms: 2 }, skipped: { OPTED_OUT: 1, ALREADY_GREETED: 1 }, smsSegments: 2, estimatedCost: 0.1 });
    expect(preview!.samples[1]).toMatchObject({ customer: '尊敬的贵宾', address: '138****0002', channel: 'sms' });
  });

  it('plans nothing once the window has passed, and spreads over what is left of it', () => {
    const input = { campaign, sendDate: '2026-02-16', timeZone: TZ, lunar, customers: [customer('1'), customer('2')], existing: [], usable: both };
    expect(planGreetingDay({ ...input, now: new Date('2026-02-16T11:00:00+08:00') }).rows).toEqual([]);
    const late = planGreetingDay({ ...input, now: new Date('2026-02-16T10:00:00+08:00') });
    expect(late.rows.map((r) => r.scheduledAt.toISOString())).toEqual(['2026-02-16T02:00:00.000Z', '2026-02-16T02:30:00.000Z']);
  });
});
