// The pure rules behind the survey channel chain and the send-time consent check.
import { describe, expect, it } from 'vitest';
import { sendConsentBlock } from '../../../bot/core/outbox/send-consent.js';
import { planSurveyChannels, replyCodeFromToken, surveyDeliveryOf } from '../../../bot/core/surveys/channel-chain.js';
import type { OutboundMessage } from '../../../bot/core/messages.js';

const survey: OutboundMessage = { kind: 'survey_invite', to: { customerId: 'c' }, templateKey: 'survey_invite', params: [], text: '', link: '', surveyId: 's' };
const notice = (purpose: 'service' | 'marketing'): OutboundMessage => ({ kind: 'customer_notice', to: { customerId: 'c' }, templateKey: 'greeting', params: [], text: '', purpose });
const customer = { optedOutAt: null as Date | null, consentSurvey: true, consentMarketing: false, deceasedAt: null as Date | null };
const optedOut = { ...customer, optedOutAt: new Date('2026-11-01T00:00:00Z') };

describe('consent at send time', () => {
  it('lets an opt-out cover surveys only when the scope is all', () => {
    expect(sendConsentBlock(survey, optedOut, 'all')).toBe('CUSTOMER_OPTED_OUT');
    expect(sendConsentBlock(survey, optedOut, 'marketing')).toBeNull();
    expect(sendConsentBlock(survey, { ...customer, consentSurvey: false }, 'marketing')).toBe('NO_SURVEY_CONSENT');
    expect(sendConsentBlock(notice('service'), optedOut, 'all')).toBe('CUSTOMER_OPTED_OUT');
    expect(sendConsentBlock(notice('service'), optedOut, 'marketing')).toBeNull();
  });

  it('sends marketing only with explicit consent and never after an opt-out', () => {
    expect(sendConsentBlock(notice('marketing'), customer, 'marketing')).toBe('NO_MARKETING_CONSENT');
    expect(sendConsentBlock(notice('marketing'), { ...customer, consentMarketing: true }, 'all')).toBeNull();
    expect(sendConsentBlock(notice('marketing'), { ...optedOut, consentMarketing: true }, 'marketing')).toBe('CUSTOMER_OPTED_OUT');
    expect(sendConsentBlock(notice('service'), { ...customer, deceasedAt: new Date() }, 'marketing')).toBe('CUSTOMER_DECEASED');
  });
});

describe('survey channel chain', () => {
  const both = { wechat: true, sms: true };
  const reachable = { wechatOpenId: 'o1', phoneE164: '+8613500000000', phoneInvalidAt: null };

  it('defaults to the step’s channel, then the other one, with a 24-hour wait and no double invitation', () => {
    expect(surveyDeliveryOf({ channel: 'sms' })).toEqual({ channels: ['sms', 'wechat'], fallbackAfter: { amount: 24, unit: 'hours' }, bothChannels: false });
    expect(surveyDeliveryOf({ channel: 'wechat', channels: ['wechat'] }).channels).toEqual(['wechat']);
  });

  it('chooses the first channel the customer can receive', () => {
    const delivery = surveyDeliveryOf({ channel: 'wechat' });
    expect(planSurveyChannels(delivery, reachable, both)).toEqual({ primary: 'wechat', also: [] });
    expect(planSurveyChannels(delivery, { ...reachable, wechatOpenId: null }, both)).toEqual({ primary: 'sms', also: [] });
    expect(planSurveyChannels(delivery, reachable, { wechat: false, sms: true })).toEqual({ primary: 'sms', also: [] });
    expect(planSurveyChannels(delivery, { ...reachable, wechatOpenId: null, phoneInvalidAt: new Date() }, both)).toBeNull();
    expect(planSurveyChannels({ ...delivery, bothChannels: true }, reachable, both)).toEqual({ primary: 'wechat', also: ['sms'] });
  });

  it('draws six-digit reply codes that never start with 0', () => {
    for (const token of ['AAAAAAAAAAAA', '____________', 'Zm9vYmFyYmF6', '-']) expect(replyCodeFromToken(token)).toMatch(/^[1-9]\d{5}$/);
  });
});
