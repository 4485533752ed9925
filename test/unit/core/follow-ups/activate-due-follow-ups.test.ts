// activateDueFollowUps over the in-memory stores: a due staff task becomes one WeCom task card, a due
// survey one invitation, however often the job runs (claim lease, compare-and-set, unique outbox key).
import { beforeEach, describe, expect, it } from 'vitest';
import { ACTIVATION_BATCH_SIZE, ACTIVATION_MAX_BATCH_SIZE, ACTIVATION_ROUND_TARGET_MS, activateDueFollowUps, nextClaimSize } from '../../../../bot/core/follow-ups/activate-due-follow-ups.js';
import type { OutboundMessage } from '../../../../bot/core/messages.js';
import { createMemoryService, type MemoryService } from '../../../support/memory-service.js';
import { dischargeBody } from '../../../support/builders.js';

const payload = (row: { payload: string }) => JSON.parse(row.payload) as OutboundMessage;

describe('activateDueFollowUps', () => {
  let app: MemoryService;
  let phoneId: string;
  let surveyId: string;

  beforeEach(async () => {
    app = await createMemoryService({ start: '2026-11-03T16:00:00+08:00' });
    await app.submit(dischargeBody({ externalId: 'ZY-ACT', phone: '+8613512345678' }));
    phoneId = app.rows('followUp').find((f) => f.step === 'phone')!.id;
    surveyId = app.rows('followUp').find((f) => f.step === 'survey')!.id;
  });

  it('sends the survey invitation by SMS with a reply code, once, even when the job runs twice', async () => {
    app.clock.set('2026-11-06T10:00:00+08:00');
    const first = await activateDueFollowUps(app.deps);
    const second = await activateDueFollowUps(app.deps);

    expect(first).toEqual({ claimed: 1, activated: 1, cancelled: 0, deferred: 0, skipped: 0 });
    expect(second).toEqual({ claimed: 0, activated: 0, cancelled: 0, deferred: 0, skipped: 0 });
    const [invite] = app.rows('outbox');
    expect(app.rows('outbox')).toHaveLength(1);
    expect(invite).toMatchObject({ idempotencyKey: `fu:${surveyId}:1`, channel: 'sms', kind: 'survey_invite', status: 'PENDING', followUpId: surveyId });
    const [survey] = app.rows('survey');
    expect(survey).toMatchObject({ followUpId: surveyId, status: 'OPEN', channel: 'sms', expiresAt: new Date('2026-11-16T20:00:00+08:00') });
    expect(survey!.replyCode).toMatch(/^\d{6}$/);
    const message = payload(invite!);
    expect(message).toMatchObject({ kind: 'survey_invite', surveyId: survey!.id, replyCode: survey!.replyCode, to: { phoneE164: '+8613512345678' } });
    expect(app.rows('followUp').find((f) => f.id === surveyId)).toMatchObject({ status: 'ACTIVE', activations: 1, version: 1, leaseExpiresAt: null });
    // The phone call is not due yet.
    expect(app.rows('followUp').find((f) => f.id === phoneId)).toMatchObject({ status: 'SCHEDULED', version: 0 });
  });

  it('invites on WeChat first when the customer’s openid is known', async () => {
    await app.submit(dischargeBody({ externalId: 'ZY-WX', customer: { externalId: 'PAT-WX', name: '微信患者', phone: '13500001111', wechatOpenId: 'o-wx-1' } }));
    app.clock.set('2026-11-06T10:00:00+08:00');
    await activateDueFollowUps(app.deps);

    const wechat = app.rows('outbox').filter((m) => m.channel === 'wechat');
    expect(wechat).toHaveLength(1);
    expect(payload(wechat[0]!)).toMatchObject({ kind: 'survey_invite', to: { openId: 'o-wx-1' } });
    const survey = app.rows('survey').find((s) => s.channel === 'wechat');
    expect(survey).toMatchObject({ status: 'OPEN', replyCode: null });
  });

  it('pushes the staff task card to the responsible nurse exactly at its due time, once', async () => {
    app.clock.set(new Date(new Date('2026-11-10T09:00:00+08:00').getTime() - 1));
    await activateDueFollowUps(app.deps);
    expect(app.rows('outbox').filter((m) => m.kind === 'task_card')).toEqual([]);

    app.clock.set('2026-11-10T09:00:00+08:00');
    await activateDueFollowUps(app.deps);
    await activateDueFollowUps(app.deps);

    const cards = app.rows('outbox').filter((m) => m.kind === 'task_card');
    expect(cards).toHaveLength(1);
    expect(cards[0]).toMatchObject({ idempotencyKey: `fu:${phoneId}:1`, channel: 'wecom', recipientId: app.staff.get('hushi.li') });
    const message = payload(cards[0]!);
    if (message.kind !== 'task_card') throw new Error('not a task card');
    expect(message.card.taskId).toBe(`fu_${phoneId}_1`);
    expect(message.card.buttons.map((b) => b.key)).toEqual([`satisfied:${phoneId}:1`, `dissatisfied:${phoneId}:1`, `unreachable:${phoneId}:1`, `reschedule:${phoneId}:1`, `concern:${phoneId}:1`]);
    expect(app.rows('followUp').find((f) => f.id === phoneId)).toMatchObject({ status: 'ACTIVE', activations: 1, version: 1, activatedAt: new Date('2026-11-10T09:00:00+08:00') });
    expect(app.rows('followUp').find((f) => f.id === phoneId)!.remindAt).not.toBeNull();
    expect(app.rows('audit').filter((a) => a.action === 'follow_up.activated' && a.entityId === phoneId)).toHaveLength(1);
  });

  it('catches up three missed days in one run and activates nothing again after the clock goes back', async () => {
    app.clock.set('2026-11-13T09:00:00+08:00');
    expect(await activateDueFollowUps(app.deps)).toMatchObject({ claimed: 2, activated: 2 });
    app.clock.set('2026-11-06T09:00:00+08:00');
    expect(await activateDueFollowUps(app.deps)).toMatchObject({ claimed: 0 });
    app.clock.set('2026-11-14T09:00:00+08:00');
    expect(await activateDueFollowUps(app.deps)).toMatchObject({ claimed: 0 });
    expect(app.rows('outbox').map((m) => m.kind).sort()).toEqual(['survey_invite', 'task_card']);
  });

  it('cancels the survey of a customer who declined surveys, and sends nothing', async () => {
    await app.submit(dischargeBody({ externalId: 'ZY-NO', customer: { externalId: 'PAT-NO', name: '拒访患者', phone: '13500002222', consentSurvey: false } }));
    app.clock.set('2026-11-06T10:00:00+08:00');
    const summary = await activateDueFollowUps(app.deps);

    expect(summary).toMatchObject({ activated: 1, cancelled: 1 });
    const declined = app.rows('followUp').find((f) => f.step === 'survey' && f.outcomeNote === 'NO_SURVEY_CONSENT');
    expect(declined).toMatchObject({ status: 'CANCELLED' });
    expect(app.rows('outbox').filter((m) => m.followUpId === declined!.id)).toEqual([]);
  });

  it('does not claim a follow-up another worker holds until its lease has expired', async () => {
    app.clock.set('2026-11-06T10:00:00+08:00');
    const held = await app.deps.followUps.claimDueFollowUps(app.clock.now(), 120_000, 10);
    expect(held.map((c) => c.followUp.id)).toEqual([surveyId]);

    expect(await activateDueFollowUps(app.deps)).toMatchObject({ claimed: 0 });
    app.clock.advance(120_000);
    expect(await activateDueFollowUps(app.deps)).toMatchObject({ claimed: 1, activated: 1 });
    // The worker that died holds a stale version: its late commit changes nothing.
    const late = await app.deps.followUps.commitActivations([{ followUpId: surveyId, version: held[0]!.followUp.version, status: 'CANCELLED', outcomeNote: 'LATE', now: app.clock.now(), survey: null, outbox: [], audit: { at: app.clock.now(), actorType: 'SYSTEM', actorId: null, action: 'x', entityType: 'FollowUp', entityId: surveyId } }]);
    expect(late).toEqual({ applied: 0, skipped: 1 });
    expect(app.rows('followUp').find((f) => f.id === surveyId)).toMatchObject({ status: 'ACTIVE' });
  });
});

describe('nextClaimSize', () => {
  it('doubles after a quick round and halves after a slow one, between the first claim and the largest', () => {
    expect(ACTIVATION_BATCH_SIZE).toBe(50);
    expect(nextClaimSize(50, 0)).toBe(100);
    expect(nextClaimSize(400, ACTIVATION_ROUND_TARGET_MS)).toBe(800);
    expect(nextClaimSize(800, 10)).toBe(ACTIVATION_MAX_BATCH_SIZE);
    expect(nextClaimSize(ACTIVATION_MAX_BATCH_SIZE, 10)).toBe(ACTIVATION_MAX_BATCH_SIZE);
    expect(nextClaimSize(800, ACTIVATION_ROUND_TARGET_MS + 1)).toBe(400);
    expect(nextClaimSize(60, ACTIVATION_ROUND_TARGET_MS + 1)).toBe(50);
    // A claim that strands rows on a kill stays far below what one lease can clear.
    expect(ACTIVATION_MAX_BATCH_SIZE).toBeLessThanOrEqual(1_000);
  });
});
