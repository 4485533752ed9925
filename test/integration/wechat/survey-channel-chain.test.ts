// Customer surveys over the WeChat Official Account with the SMS fallback, on a real database: the
// invitation reaches the WeChat simulator, failures and unopened invitations fall back to SMS exactly
// once (also with two replicas), and consent is checked again just before sending.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDatabase } from '../../support/db.js';
import { WechatSimulator } from '../../simulators/wechat/wechat-simulator.js';
import { fallBackUnopenedSurveys } from '../../../bot/core/surveys/fall-back-unopened-surveys.js';
import { jobs } from '../../../jobs/index.js';
import { startReplicaProcess } from '../../support/replica.js';
import { createDueSurvey, dispatch, startWechatService, type WechatTestService } from './wechat-service.js';

const HOUR = 3_600_000;

describeEachDatabase('survey channel chain (WeChat first, SMS fallback)', (db) => {
  let sim: WechatSimulator;
  let service: WechatTestService;

  beforeAll(async () => {
    sim = await WechatSimulator.start();
    service = await startWechatService(db(), sim);
  });

  afterAll(async () => {
    await service?.close();
    await sim?.close();
  });

  const outboxOf = (followUpId: string) =>
    db().prisma.outboxMessage.findMany({ where: { followUpId, kind: 'survey_invite' }, orderBy: { idempotencyKey: 'asc' }, include: { attemptLog: true } });
  const smsTo = (customerId: string) => service.sms.sends.filter((s) => s.message.kind === 'survey_invite' && s.message.to.customerId === customerId);
  const fallbackJob = () => jobs['survey-fallback']!.run(service.app) as Promise<{ enqueued: number }>;

  it('sends the invitation to a follower as a template message that opens the survey link', async () => {
    const openId = sim.follower();
    const due = await createDueSurvey(service, { openId });
    expect(due.survey).toMatchObject({ channel: 'wechat', replyCode: null, status: 'OPEN' });
    await dispatch(service);

    const [message, ...others] = sim.messagesTo(openId);
    expect(others).toEqual([]);
    const [invite, ...more] = await outboxOf(due.followUp.id);
    expect(more).toEqual([]);
    expect(invite).toMatchObject({ channel: 'wechat', idempotencyKey: due.key, status: 'SENT', providerMessageId: message!.msgid });
    // msgid is a 64-bit number: kept exactly, not rounded through a double.
    expect(message!.msgid).toMatch(/^\d{19}$/);
    const payload = JSON.parse(invite!.payload) as { link: string };
    expect(message).toMatchObject({ templateId: [...sim.templateIds][0], url: payload.link });
    expect(payload.link).toMatch(/\/s\//);
    expect(message!.data).toEqual({ thing1: { value: '回访中心' }, thing2: { value: '住院服务' }, time3: { value: expect.stringMatching(/^2026年11月\d+日 \d\d:\d\d$/) } });
    expect(smsTo(due.customerId)).toEqual([]);
  });

  it('falls back to SMS exactly once when the customer no longer follows the account (43004)', async () => {
    const openId = sim.follower();
    sim.unfollow(openId);
    const due = await createDueSurvey(service, { openId });
    const summary = await dispatch(service);
    expect(summary.dead).toBeGreaterThanOrEqual(1);

    const [wechat, sms] = await outboxOf(due.followUp.id);
    expect(wechat).toMatchObject({ channel: 'wechat', status: 'DEAD', lastErrorCode: '43004' });
    expect(wechat!.lastError).toContain('REQUIRE_SUBSCRIBE');
    expect(sms).toMatchObject({ channel: 'sms', idempotencyKey: `${due.key}:sms`, fallbackOfId: wechat!.id });
    // The SMS went out in the same dispatch run or goes out in the next; never twice.
    await dispatch(service);
    await fallbackJob();
    await dispatch(service);

    const survey = await db().prisma.surveyInstance.findUniqueOrThrow({ where: { id: due.survey!.id } });
    // The survey is now on its SMS invitation: a late WeChat report cannot move it again.
    expect(survey.channel).toBe('sms');
    expect(survey.replyCode).toMatch(/^[1-9]\d{5}$/);
    const sent = smsTo(due.customerId);
    expect(sent).toHaveLength(1);
    const message = sent[0]!.message as { replyCode: string; link: string; to: { phoneE164?: string; openId?: string } };
    expect(message.replyCode).toBe(survey.replyCode);
    expect(message.link).toBe((JSON.parse(wechat!.payload) as { link: string }).link);
    expect(message.to.openId).toBeUndefined();
    expect(message.to.phoneE164).toMatch(/^\+86/);
    expect((await outboxOf(due.followUp.id)).map((r) => r.status)).toEqual(['DEAD', 'SENT']);
    const audit = await db().prisma.auditLog.findMany({ where: { action: 'survey.fallback', entityId: due.survey!.id } });
    expect(audit).toHaveLength(1);
  });

  it('falls back to SMS when the invitation is not opened within the wait, and not when it was opened', async () => {
    const unopened = await createDueSurvey(service, { openId: sim.follower() });
    const opened = await createDueSurvey(service, { openId: sim.follower() });
    await dispatch(service);
    expect(await service.app.deps.surveys.markSurveyOpened(opened.survey!.id, service.clock.now())).toBe(true);
    expect(await service.app.deps.surveys.markSurveyOpened(opened.survey!.id, service.clock.now())).toBe(false);

    service.clock.advance(23 * HOUR);
    await fallbackJob();
    expect((await outboxOf(unopened.followUp.id)).map((r) => r.channel)).toEqual(['wechat']);

    service.clock.advance(HOUR);
    await fallbackJob();
    await fallbackJob();
    await dispatch(service);
    const rows = await outboxOf(unopened.followUp.id);
    expect(rows.map((r) => [r.channel, r.status])).toEqual([
      ['wechat', 'SENT'],
      ['sms', 'SENT'],
    ]);
    expect(rows[1]!.fallbackOfId).toBe(rows[0]!.id);
    expect(smsTo(unopened.customerId)).toHaveLength(1);
    expect((await outboxOf(opened.followUp.id)).map((r) => r.channel)).toEqual(['wechat']);
    expect(smsTo(opened.customerId)).toEqual([]);
  });

  it('cancels a WeChat invitation still waiting to be sent when the SMS replaces it: nobody gets both', async () => {
    sim.ipAllowed = false;
    try {
      const due = await createDueSurvey(service, { openId: sim.follower() });
      await dispatch(service);
      const [waiting] = await outboxOf(due.followUp.id);
      // 40164 is the operator's to fix: the invitation waits, slowly retried.
      expect(waiting).toMatchObject({ status: 'PENDING', lastErrorCode: '40164' });
      expect(waiting!.lastError).toContain('IP白名单');

      service.clock.advance(24 * HOUR);
      expect((await fallbackJob()).enqueued).toBeGreaterThanOrEqual(1);
      sim.ipAllowed = true;
      await dispatch(service);
      const rows = await outboxOf(due.followUp.id);
      expect(rows.map((r) => [r.channel, r.status, r.lastErrorCode])).toEqual([
        ['wechat', 'CANCELLED', 'REPLACED_BY_SMS'],
        ['sms', 'SENT', null],
      ]);
      expect(smsTo(due.customerId)).toHaveLength(1);
    } finally {
      sim.ipAllowed = true;
    }
  });

  it('sends a customer without an openid the SMS invitation directly, with a reply code', async () => {
    const due = await createDueSurvey(service);
    expect(due.survey).toMatchObject({ channel: 'sms', replyCode: expect.stringMatching(/^[1-9]\d{5}$/) });
    await dispatch(service);
    const rows = await outboxOf(due.followUp.id);
    expect(rows.map((r) => [r.channel, r.idempotencyKey, r.status])).toEqual([['sms', due.key, 'SENT']]);
    const [sent] = smsTo(due.customerId);
    expect(sent!.message).toMatchObject({ kind: 'survey_invite', replyCode: due.survey!.replyCode, surveyId: due.survey!.id });
  });

  it('does not send an invitation to a customer who opted out between activation and sending', async () => {
    const openId = sim.follower();
    const due = await createDueSurvey(service, { openId });
    // The opt-out arrives from the source system, after the invitation was queued.
    await db().prisma.customer.update({ where: { id: due.customerId }, data: { optedOutAt: service.clock.now(), optOutSource: 'crm' } });
    const summary = await dispatch(service);
    expect(summary.cancelled).toBeGreaterThanOrEqual(1);

    const rows = await outboxOf(due.followUp.id);
    expect(rows.map((r) => [r.channel, r.status, r.lastErrorCode])).toEqual([['wechat', 'CANCELLED', 'CUSTOMER_OPTED_OUT']]);
    expect(rows[0]!.attemptLog.map((a) => a.outcome)).toEqual(['CANCELLED']);
    expect(sim.messagesTo(openId)).toEqual([]);
    const audit = await db().prisma.auditLog.findFirstOrThrow({ where: { action: 'outbox.cancelled', entityId: rows[0]!.id } });
    expect(JSON.parse(audit.details)).toMatchObject({ reason: 'CUSTOMER_OPTED_OUT', kind: 'survey_invite' });
    // And no fallback either.
    service.clock.advance(25 * HOUR);
    await fallbackJob();
    expect(await outboxOf(due.followUp.id)).toHaveLength(1);
  });

  it('refreshes an expired token once mid-run and delivers once', async () => {
    await createDueSurvey(service, { openId: sim.follower() });
    await dispatch(service);
    sim.expireTokens();
    const tokensBefore = sim.callsTo('stable_token').length;
    const sendsBefore = sim.callsTo('message/template/send').length;

    const openId = sim.follower();
    const due = await createDueSurvey(service, { openId });
    await dispatch(service);

    const sends = sim.callsTo('message/template/send').slice(sendsBefore);
    expect(sends.map((r) => r.answer.json?.errcode)).toEqual([42001, 0]);
    expect(sim.callsTo('stable_token').length - tokensBefore).toBe(1);
    expect(sim.messagesTo(openId)).toHaveLength(1);
    expect((await outboxOf(due.followUp.id)).map((r) => [r.status, r.attempts])).toEqual([['SENT', 1]]);
  });

  it('queues one SMS when two replicas run the fallback job at the same time', async () => {
    const dues = [];
    for (let i = 0; i < 6; i++) dues.push(await createDueSurvey(service, { openId: sim.follower() }));
    await dispatch(service);
    service.clock.advance(25 * HOUR);
    // The other replica runs in its own process (on SQLite, two clients in one process block each other).
    const replica = startReplicaProcess(db().url, service.clock.now(), { kind: 'survey-fallback', batchSize: 2 });
    await replica.ready;
    const [local, remote] = await Promise.all([fallBackUnopenedSurveys(service.app.deps, { batchSize: 2 }), replica.go()]);
    expect(remote.ok, remote.error).toBe(true);
    expect(local.enqueued + (remote.result as { enqueued: number }).enqueued).toBeGreaterThanOrEqual(dues.length);
    for (const due of dues) {
      const rows = await outboxOf(due.followUp.id);
      expect(rows.map((r) => r.channel)).toEqual(['wechat', 'sms']);
      expect(await db().prisma.auditLog.count({ where: { action: 'survey.fallback', entityId: due.survey!.id } })).toBe(1);
    }
    await dispatch(service);
    for (const due of dues) expect(smsTo(due.customerId)).toHaveLength(1);
  });
});

describeEachDatabase('survey channel chain with bothChannels', (db) => {
  let sim: WechatSimulator;
  let service: WechatTestService;

  beforeAll(async () => {
    sim = await WechatSimulator.start();
    service = await startWechatService(db(), sim, { delivery: { channels: '[wechat, sms]', bothChannels: true } });
  });

  afterAll(async () => {
    await service?.close();
    await sim?.close();
  });

  it('invites on WeChat and by SMS at once, and never adds a fallback', async () => {
    const openId = sim.follower();
    const due = await createDueSurvey(service, { openId });
    expect(due.survey).toMatchObject({ channel: 'wechat', replyCode: expect.stringMatching(/^\d{6}$/) });
    await dispatch(service);
    service.clock.advance(48 * HOUR);
    await jobs['survey-fallback']!.run(service.app);
    await dispatch(service);

    const rows = await db().prisma.outboxMessage.findMany({ where: { followUpId: due.followUp.id }, orderBy: { idempotencyKey: 'asc' } });
    expect(rows.map((r) => [r.channel, r.idempotencyKey, r.status])).toEqual([
      ['wechat', due.key, 'SENT'],
      ['sms', `${due.key}:sms`, 'SENT'],
    ]);
    expect(sim.messagesTo(openId)).toHaveLength(1);
    expect(service.sms.sends.filter((s) => s.message.kind === 'survey_invite' && s.message.surveyId === due.survey!.id)).toHaveLength(1);
    expect((JSON.parse(rows[1]!.payload) as { replyCode: string }).replyCode).toBe(due.survey!.replyCode);
  });
});
