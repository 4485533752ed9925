import { describe, expect, it } from 'vitest';
import { chainInviteKey, nextSurveyChannel, surveyInviteOn, type SurveyInvite } from '../../../bot/core/surveys/channel-chain.js';

const everyChannel = { wechat: true, sms: true, wecomContact: true };
const reachable = { wechatOpenId: 'o1', phoneE164: '+8613800000001', phoneInvalidAt: null, wecomExternalId: 'wm1', wecomFollowUserId: 'guanjia.wang' };

describe('the next channel of a survey chain', () => {
  it('follows the chain from the failing channel, skipping channels the customer cannot receive', () => {
    expect(nextSurveyChannel(['wechat', 'wecom_contact', 'sms'], 'wechat', reachable, everyChannel)).toBe('wecom_contact');
    expect(nextSurveyChannel(['wechat', 'wecom_contact', 'sms'], 'wechat', { ...reachable, wecomExternalId: null }, everyChannel)).toBe('sms');
    expect(nextSurveyChannel(['wechat', 'wecom_contact', 'sms'], 'wechat', reachable, { ...everyChannel, wecomContact: false })).toBe('sms');
    expect(nextSurveyChannel(['wecom_contact', 'wechat', 'sms'], 'wecom_contact', reachable, everyChannel)).toBe('wechat');
    expect(nextSurveyChannel(['wecom_contact', 'wechat', 'sms'], 'wechat', reachable, everyChannel)).toBe('sms');
  });

  it('ends after SMS, at the end of the chain, and when nothing after is receivable', () => {
    expect(nextSurveyChannel(['sms', 'wechat'], 'sms', reachable, everyChannel)).toBeNull();
    expect(nextSurveyChannel(['wechat', 'wecom_contact'], 'wecom_contact', reachable, everyChannel)).toBeNull();
    expect(nextSurveyChannel(['wechat', 'sms'], 'wechat', { ...reachable, phoneInvalidAt: new Date() }, everyChannel)).toBeNull();
  });

  it('falls back to SMS for an invitation planned without a chain (queued by an earlier version)', () => {
    expect(nextSurveyChannel(undefined, 'wechat', reachable, everyChannel)).toBe('sms');
    expect(nextSurveyChannel(undefined, 'wecom_contact', reachable, everyChannel)).toBe('sms');
  });

  it('keys each channel once per survey, whichever invitation it follows', () => {
    expect(chainInviteKey('fu:F1:1', 'sms')).toBe('fu:F1:1:sms');
    expect(chainInviteKey('fu:F1:1:wecom_contact', 'sms')).toBe('fu:F1:1:sms');
    expect(chainInviteKey('fu:F1:1:wechat', 'wecom_contact')).toBe('fu:F1:1:wecom_contact');
  });

  it('words and addresses the invitation for each channel from any of its forms', () => {
    const wechat: SurveyInvite = {
      kind: 'survey_invite',
      to: { customerId: 'C1', phoneE164: '+8613800000001', openId: 'o1' },
      templateKey: 'survey_invite',
      params: ['王女士'],
      text: '王女士您好，请点击本消息为我们的服务评分。',
      chatText: '王女士您好，请点击本消息为我们的服务评分。',
      smsText: '【回访中心】王女士您好，反馈请回复5至1。拒收请回复R',
      templateData: { thing1: '回访中心' },
      link: 'https://h.example/s/t.sig',
      surveyId: 'S1',
      chain: ['wechat', 'wecom_contact', 'sms'],
    };
    const contact = surveyInviteOn('wecom_contact', wechat, reachable)!;
    expect(contact.to).toEqual({ customerId: 'C1', phoneE164: '+8613800000001', wecomContact: { externalUserId: 'wm1', followUserId: 'guanjia.wang' } });
    expect(contact.text).toBe(wechat.chatText);
    const sms = surveyInviteOn('sms', contact, reachable)!;
    expect(sms).toMatchObject({ text: wechat.smsText, to: { customerId: 'C1', phoneE164: '+8613800000001' }, replyCode: null, chain: wechat.chain, link: wechat.link });
    expect(sms.templateData).toBeUndefined();
    expect(surveyInviteOn('wechat', contact, reachable)).toMatchObject({ templateData: { thing1: '回访中心' }, to: { openId: 'o1' } });
    expect(surveyInviteOn('wechat', contact, { ...reachable, wechatOpenId: null })).toBeNull();
  });
});
