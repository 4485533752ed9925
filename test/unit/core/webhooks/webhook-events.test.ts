// Every event type a subscription can ask for, from a discharge's life over the in-memory stores:
// one delivery per event, in order, with ids, the case's external id and the masked phone — and no
// free text a person typed, which may hold a phone number.
import { describe, expect, it } from 'vitest';
import { activateDueFollowUps } from '../../../../bot/core/follow-ups/activate-due-follow-ups.js';
import { climbEscalations, resolveEscalation } from '../../../../bot/core/escalation/act-on-escalation.js';
import { fanOutWebhooks } from '../../../../bot/core/webhooks/fan-out-webhooks.js';
import { addWebhookSubscription } from '../../../../bot/core/webhooks/subscriptions.js';
import { WEBHOOK_EVENT_TYPES } from '../../../../bot/core/webhooks/events.js';
import type { WebhookDelivery } from '../../../../bot/core/messages.js';
import { createMemoryService } from '../../../support/memory-service.js';
import { CountingChannel } from '../../../support/test-channels.js';
import { dischargeBody, smsReply, tapCard } from '../../../support/builders.js';

describe('webhook events', () => {
  it('delivers case.created, survey.answered, followup.completed and the escalation events of a discharge', async () => {
    const webhook = new CountingChannel();
    const app = await createMemoryService({ start: '2026-11-03T16:00:00+08:00', channels: { webhook } });
    const deps = { ...app.deps, webhooks: app.webhooks };
    const all = await addWebhookSubscription(deps, { url: 'https://his.example.com/hooks', events: WEBHOOK_EVENT_TYPES }, { actorType: 'SYSTEM', actorId: null });
    const escalationsOnly = await addWebhookSubscription(deps, { url: 'https://tickets.example.com/in', events: 'escalation.opened' }, { actorType: 'SYSTEM', actorId: null });
    const tick = async () => {
      await fanOutWebhooks(deps);
      await app.dispatch();
    };
    app.clock.advance(1000);

    await app.submit(dischargeBody({ externalId: 'ZY-WH', phone: '+8613566660002' }));
    await tick();
    const phoneId = app.rows('followUp').find((f) => f.step === 'phone')!.id;
    app.clock.set('2026-11-06T10:00:00+08:00');
    await activateDueFollowUps(app.deps);
    await tick();
    await smsReply(app, '+8613566660002', '2');
    app.clock.set('2026-11-10T09:00:00+08:00');
    await activateDueFollowUps(app.deps);
    app.clock.set('2026-11-10T10:00:00+08:00');
    await tapCard(app, { wecomUserId: 'hushi.li', key: `dissatisfied:${phoneId}:1` });
    await tick();
    const escalation = app.rows('escalation')[0]!;
    app.clock.set(escalation.deadlineAt);
    await climbEscalations(app.deps);
    await resolveEscalation(app.deps, { escalationId: escalation.id, level: 2, wecomUserId: 'kezhuren.wang', inboundEventId: null, note: '已致电 13566660002 致歉。' });
    await tick();
    await tick();

    const sent = webhook.sends.map((s) => s.message as WebhookDelivery);
    const toAll = sent.filter((m) => m.to.subscriptionId === all.subscription.id);
    // One delivery per event (sent concurrently: in no particular order); two follow-ups were completed:
    // the SMS survey by the customer's answer, the phone call by the nurse's tap.
    expect(toAll.map((m) => m.event.type).sort()).toEqual(['case.created', 'escalation.climbed', 'escalation.opened', 'escalation.resolved', 'followup.completed', 'followup.completed', 'survey.answered']);
    const caseId = app.rows('case')[0]!.id;
    for (const m of toAll) expect(m.event.data).toMatchObject({ caseId, caseExternalId: 'ZY-WH', phoneMasked: expect.stringContaining('*') });
    expect(JSON.stringify(sent)).not.toContain('66660002');
    const completed = toAll.filter((m) => m.event.type === 'followup.completed').map((m) => m.event.data as { followUpId: string; completedBy?: string });
    expect(completed.find((d) => d.followUpId !== phoneId)).toMatchObject({ status: 'DONE', completedBy: 'customer', channel: 'sms' });
    expect(completed.find((d) => d.followUpId === phoneId)).toMatchObject({ followUpId: phoneId, outcome: 'dissatisfied', status: 'DONE', staffId: app.staff.get('hushi.li') });
    expect(toAll.find((m) => m.event.type === 'survey.answered')!.event.data).toMatchObject({ score: 2, channel: 'sms' });
    expect(toAll.find((m) => m.event.type === 'escalation.opened')!.event.data).toMatchObject({ escalationId: escalation.id, level: 1, ownerId: app.staff.get('hushizhang.chen') });
    expect(toAll.find((m) => m.event.type === 'escalation.climbed')!.event.data).toMatchObject({ escalationId: escalation.id, fromLevel: 1, level: 2, ownerId: app.staff.get('kezhuren.wang') });
    expect(toAll.find((m) => m.event.type === 'escalation.resolved')!.event.data).toMatchObject({ escalationId: escalation.id, level: 2, resolvedBy: app.staff.get('kezhuren.wang') });
    // The other subscription gets only what it asked for, under the same event id.
    const toTickets = sent.filter((m) => m.to.subscriptionId === escalationsOnly.subscription.id);
    expect(toTickets.map((m) => m.event.id)).toEqual([toAll.find((m) => m.event.type === 'escalation.opened')!.event.id]);
    expect(app.rows('outbox').filter((m) => m.channel === 'webhook').map((m) => m.idempotencyKey)).toContain(`wh:${escalationsOnly.subscription.id}:${toTickets[0]!.event.id}`);
  });
});
