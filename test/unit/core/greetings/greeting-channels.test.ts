import { describe, expect, it } from 'vitest';
import { jobs } from '../../../../jobs/index.js';
import { createMemoryService, shippedData } from '../../../support/memory-service.js';
import { CountingChannel } from '../../../support/test-channels.js';
import { parseCampaign } from '../../../../bot/loaders/load-campaigns.js';
import { DataLoadError } from '../../../../bot/loaders/data-load-error.js';

// The shipped campaigns (templates/campaigns), enabled, over a mid-autumn week: every customer follows
// the 服务号 (has an openid) and has a phone. WeChat template messages may not carry marketing, so every
// greeting must go by SMS — none may be handed to WeChat, where it would be refused and lost.
describe('greetings go only by a channel that can carry them', () => {
  it('sends every shipped campaign’s greetings by SMS, never by WeChat, to customers who follow the 服务号', async () => {
    const wechat = new CountingChannel();
    const sms = new CountingChannel();
    const app = await createMemoryService({ seed: false, start: '2026-09-23T07:00:00+08:00', channels: { wechat, sms } });
    app.greetings = { ...app.greetings, campaigns: shippedData().campaigns.map((c) => ({ ...c, enabled: true })) };
    const customers = [
      { id: 'c-piano', tags: ['piano'], birthday: null },
      { id: 'c-owner', tags: ['owner'], birthday: null },
      { id: 'c-elder', tags: ['owner', 'elder'], birthday: null },
      { id: 'c-buyer', tags: ['buyer'], birthday: null },
      { id: 'c-visitor', tags: ['grade:A'], birthday: null },
      { id: 'c-patient', tags: [], birthday: '1980-09-24' },
    ];
    app.state.transact((tx) => {
      customers.forEach((c, i) =>
        tx.customer.insert({
          id: c.id,
          name: `客户${i}`,
          salutation: '王女士',
          phoneE164: `+86138000000${String(i).padStart(2, '0')}`,
          phoneMasked: `138****00${String(i).padStart(2, '0')}`,
          wechatOpenId: `o-${c.id}`,
          tags: JSON.stringify(c.tags),
          birthday: c.birthday,
          consentMarketing: true,
          consentSurvey: true,
        }),
      );
    });
    // 中秋 2026-09-25: the piano school greets the day before; the others on the day; the patient's birthday on the 24th.
    for (const day of ['2026-09-24', '2026-09-25']) {
      for (const time of ['08:00', '09:00', '09:30', '10:00', '10:30', '11:00', '11:30', '12:00']) {
        app.clock.set(`${day}T${time}:00+08:00`);
        await jobs['plan-greetings']!.run(app);
        await app.dispatch();
      }
    }
    await jobs['plan-greetings']!.run(app);

    expect(wechat.sends.filter((s) => s.message.kind === 'customer_notice')).toEqual([]);
    const rows = app.rows('greetingDelivery');
    const greeted = new Set(rows.map((r) => r.customerId));
    expect([...greeted].sort()).toEqual(customers.map((c) => c.id).sort());
    for (const r of rows) expect(r, `${r.campaign} ${r.customerId}`).toMatchObject({ status: 'SENT', channel: 'sms' });
    const texted = sms.sends.flatMap((s) => (s.message.kind === 'customer_notice' ? [s.message.to.customerId] : []));
    expect(texted.sort()).toEqual(rows.map((r) => r.customerId).sort());
  });

  it('sends a greeting through WeCom customer contact to a matched customer when the campaign lists it first, by SMS to the others', async () => {
    const contact = new CountingChannel();
    const sms = new CountingChannel();
    const app = await createMemoryService({ seed: false, start: '2026-09-23T07:00:00+08:00', channels: { wecom_contact: contact, sms } });
    const campaigns = shippedData().campaigns.filter((c) => c.key === 'property_festivals').map((c) => ({ ...c, enabled: true, channels: ['wecom_contact', 'sms'] as const }));
    expect(campaigns).toHaveLength(1);
    app.greetings = { ...app.greetings, campaigns, usable: { ...app.greetings.usable, wecom_contact: true } };
    app.state.transact((tx) => {
      for (const [i, matched] of [true, false].entries()) {
        tx.customer.insert({
          id: `c-owner-${i}`,
          name: `业主${i}`,
          salutation: '王女士',
          phoneE164: `+86138000001${i}0`,
          phoneMasked: `138****01${i}0`,
          tags: JSON.stringify(['owner']),
          consentMarketing: true,
          consentSurvey: true,
          ...(matched ? { wecomExternalId: 'wm-owner-0', wecomFollowUserId: 'guanjia.wang' } : {}),
        });
      }
    });
    for (const time of ['08:00', '09:00', '09:30', '10:00', '10:30', '11:00', '11:30', '12:00']) {
      app.clock.set(`2026-09-25T${time}:00+08:00`);
      await jobs['plan-greetings']!.run(app);
      await app.dispatch();
    }
    const viaContact = contact.sends.filter((s) => s.message.kind === 'customer_notice');
    expect(viaContact.map((s) => s.message.to)).toEqual([expect.objectContaining({ customerId: 'c-owner-0', wecomContact: { externalUserId: 'wm-owner-0', followUserId: 'guanjia.wang' } })]);
    expect(sms.sends.flatMap((s) => (s.message.kind === 'customer_notice' ? [s.message.to.customerId] : []))).toEqual(['c-owner-1']);
  });

  it('refuses a campaign file that lists wechat, naming the line and what to write instead', () => {
    const text = `key: bad
title: 节日问候
occasions: [春节]
channels: [wechat, sms]
segments:
  - key: all
    text: "{salutation}您好！{occasion}快乐！"
`;
    let error: unknown;
    try {
      parseCampaign(text, 'bad.yaml');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DataLoadError);
    expect((error as DataLoadError).details).toEqual([expect.objectContaining({ file: 'bad.yaml', line: 4, reason: expect.stringContaining('channels: [sms]') })]);
  });
});
