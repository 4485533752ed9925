// The Tencent SMS channel end to end on a real database: a due survey becomes a SendSms request signed
// by the real SDK, the simulator verifies and answers it per number, the customer's reply comes back
// through /sms/tencent/reply — with the per-number and account failures the outbox has to survive.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDatabase } from '../../support/db.js';
import { dischargeBody, submit, uniquePhone } from '../../support/builders.js';
import { INVALID_NUMBER } from '../../../bot/core/errors.js';
import {
  createOpenSurvey,
  DISCHARGED_AT,
  POSTED_AT,
  processedInboundEvent,
  SURVEY_DUE,
  runJob,
  startTencentSmsService,
  SURVEY_TEMPLATE_ID,
  type TencentSmsTestService,
} from './tencent-sms-service.js';

describeEachDatabase('Tencent SMS channel', (db) => {
  let service: TencentSmsTestService;

  beforeAll(async () => {
    service = await startTencentSmsService(db());
  });

  afterAll(async () => {
    await service?.close();
  });

  const outbox = (id: string) => db().prisma.outboxMessage.findUniqueOrThrow({ where: { id }, include: { attemptLog: { orderBy: { attempt: 'asc' } } } });
  const replyKey = (phone: string, time: number) => (row: { dedupeKey: string }) => row.dedupeKey.startsWith(`reply:${phone}:${time}:`);

  it('sends a survey through the real SDK and records the customer’s reply as a normalised score', async () => {
    const { sim, app, clock, replyUrl } = service;
    const survey = await createOpenSurvey(service);
    const summary = await runJob(service, 'dispatch-outbox');
    expect(summary.sent).toBeGreaterThanOrEqual(1);

    const [sms, ...others] = sim.sentTo(survey.phone);
    expect(others).toEqual([]);
    const row = await outbox(survey.outboxId);
    expect(row).toMatchObject({ status: 'SENT', attempts: 1, providerMessageId: sms!.serialNo });
    expect(sms).toMatchObject({ templateId: SURVEY_TEMPLATE_ID, signName: '回访中心', sessionContext: row.idempotencyKey });
    // The ordered parameters of templates/messages: salutation, date, event — no link (Tencent refuses URLs in variables).
    expect(sms!.params).toEqual(['测先生', '11月3日', '服务']);
    expect(sms!.text).toMatch(/^【回访中心】测先生您好，您11月3日的服务已办结。反馈办理情况请回复5至1/);
    const request = sim.callsTo('SendSms').find((c) => (c.body as { PhoneNumberSet: string[] }).PhoneNumberSet[0] === survey.phone)!;
    expect(request.headers.authorization).toMatch(/^TC3-HMAC-SHA256 Credential=/);
    expect(request.body).toMatchObject({ SmsSdkAppId: sim.sdkAppId, TemplateId: SURVEY_TEMPLATE_ID, PhoneNumberSet: [survey.phone] });
    // ExtendCode only once Tencent enabled it for the account (TENCENT_SMS_EXTEND_CODE, off by default).
    expect(request.body).not.toHaveProperty('ExtendCode');
    expect(sms!.extendCode).toBeNull();

    clock.advanceMinutes(90);
    const time = Math.floor(clock.now().getTime() / 1000);
    const delivery = await sim.postReply(replyUrl, survey.phone, '５分，护士很耐心', { time });
    expect(delivery.status).toBe(200);
    expect(JSON.parse(delivery.responseBody)).toEqual({ result: 0, errmsg: 'OK' });

    const events = await db().prisma.inboundEvent.findMany({ where: { source: 'tencent-sms', kind: 'sms_reply' } });
    const event = await processedInboundEvent(service, events.find(replyKey(survey.phone, time))!.dedupeKey);
    expect(event.status).toBe('PROCESSED');
    expect(JSON.parse(event.result!)).toMatchObject({ status: 'answered', surveyId: survey.surveyId, score: 5 });
    const responses = await db().prisma.surveyResponse.findMany({ where: { surveyId: survey.surveyId } });
    expect(responses).toEqual([expect.objectContaining({ score: 1, satisfaction: 'SATISFIED', channel: 'sms', rawText: '５分，护士很耐心', inboundEventId: event.id })]);
    expect(JSON.parse(responses[0]!.answers)).toMatchObject({ comment: '护士很耐心' });
    expect(await db().prisma.followUp.findUniqueOrThrow({ where: { id: survey.followUpId } })).toMatchObject({ status: 'DONE', outcome: 'SATISFIED' });
  });

  it('sends the survey’s reply code as ExtendCode when TENCENT_SMS_EXTEND_CODE is on, and matches a reply on it before the latest survey', async () => {
    const withCodes = await startTencentSmsService(db(), { sim: service.sim, env: { TENCENT_SMS_EXTEND_CODE: 'true' } });
    try {
      await extendCodeScenario(withCodes);
    } finally {
      await withCodes.close();
    }
  });

  async function extendCodeScenario(service: TencentSmsTestService) {
    const { sim, app, clock, replyUrl } = service;
    const phone = uniquePhone();
    const older = await createOpenSurvey(service, phone);
    await runJob(service, 'dispatch-outbox');
    const newer = await createOpenSurvey(service, phone);
    const olderSurvey = await db().prisma.surveyInstance.findUniqueOrThrow({ where: { id: older.surveyId } });
    const newerSurvey = await db().prisma.surveyInstance.findUniqueOrThrow({ where: { id: newer.surveyId } });
    expect(olderSurvey.replyCode).not.toBeNull();
    expect(newerSurvey.replyCode).not.toBe(olderSurvey.replyCode);
    expect(sim.sentTo(phone).map((s) => s.extendCode)).toEqual([olderSurvey.replyCode]);

    clock.advanceMinutes(10);
    const time = Math.floor(clock.now().getTime() / 1000);
    await sim.postReply(replyUrl, phone, '2', { time, extend: olderSurvey.replyCode! });
    const events = await db().prisma.inboundEvent.findMany({ where: { source: 'tencent-sms', kind: 'sms_reply' } });
    const event = await processedInboundEvent(service, events.find(replyKey(phone, time))!.dedupeKey);
    expect(JSON.parse(event.result!)).toMatchObject({ status: 'answered', surveyId: older.surveyId, score: 2, escalated: true });
    expect(await db().prisma.surveyInstance.findUniqueOrThrow({ where: { id: newer.surveyId } })).toMatchObject({ status: 'OPEN' });
  }

  it('defers a number over Tencent’s 30-second limit and sends it once the window has passed', async () => {
    const { sim, clock } = service;
    const survey = await createOpenSurvey(service);
    sim.setNumberBehaviour(survey.phone, 'thirty_second_limit', 1);
    await runJob(service, 'dispatch-outbox');
    const waiting = await outbox(survey.outboxId);
    expect(waiting).toMatchObject({ status: 'PENDING', attempts: 1, lastErrorCode: 'LimitExceeded.PhoneNumberThirtySecondLimit' });
    expect(waiting.nextAttemptAt.getTime() - clock.now().getTime()).toBeGreaterThanOrEqual(30_000);
    // A deferral does not use up an attempt.
    expect(waiting.maxAttempts).toBe(9);
    expect(sim.sentTo(survey.phone)).toHaveLength(0);

    clock.set(waiting.nextAttemptAt);
    await runJob(service, 'dispatch-outbox');
    expect(await outbox(survey.outboxId)).toMatchObject({ status: 'SENT', attempts: 2 });
    expect(sim.sentTo(survey.phone)).toHaveLength(1);
  });

  it.each([
    ['invalid', 'InvalidParameterValue.IncorrectPhoneNumber'],
    ['blacklist', 'FailedOperation.PhoneNumberInBlacklist'],
  ] as const)('gives up on a %s number, marks the phone invalid and sends it no further SMS', async (behaviour, code) => {
    const { sim, app, clock } = service;
    const phone = uniquePhone();
    const first = await createOpenSurvey(service, phone);
    sim.setNumberBehaviour(phone, behaviour);
    const summary = await runJob(service, 'dispatch-outbox');
    expect(summary.dead).toBeGreaterThanOrEqual(1);
    const dead = await outbox(first.outboxId);
    expect(dead).toMatchObject({ status: 'DEAD', attempts: 1, lastErrorCode: INVALID_NUMBER });
    expect(dead.lastError).toContain(code);
    expect(dead.lastError).not.toContain(phone.slice(3));
    const customer = await db().prisma.customer.findUniqueOrThrow({ where: { phoneE164: phone } });
    expect(customer.phoneInvalidAt).toEqual(clock.now());

    // A later survey for the same customer is never texted.
    clock.set(POSTED_AT);
    await submit(app, dischargeBody({ occurredAt: DISCHARGED_AT, phone }));
    clock.set(SURVEY_DUE);
    await runJob(service, 'activate-due-follow-ups');
    await runJob(service, 'dispatch-outbox');
    expect(sim.calls.filter((c) => c.action === 'SendSms' && (c.body as { PhoneNumberSet: string[] }).PhoneNumberSet.includes(phone))).toHaveLength(1);
    const sms = await db().prisma.outboxMessage.findMany({ where: { recipientId: customer.id, channel: 'sms' } });
    expect(sms.filter((m) => m.status === 'SENT' || m.status === 'PENDING')).toEqual([]);
    // Nor any other SMS: a notice to the number is recorded already cancelled.
    await app.deps.outbox.enqueue([
      {
        idempotencyKey: `notice:${customer.id}:${behaviour}`,
        channel: 'sms',
        recipientType: 'customer',
        recipientId: customer.id,
        followUpId: null,
        nextAttemptAt: clock.now(),
        message: { kind: 'customer_notice', to: { customerId: customer.id, phoneE164: phone }, templateKey: 'survey_invite', params: [], text: '通知', purpose: 'service' },
      },
    ]);
    expect(await db().prisma.outboxMessage.findUniqueOrThrow({ where: { idempotencyKey: `notice:${customer.id}:${behaviour}` } })).toMatchObject({ status: 'CANCELLED', lastErrorCode: 'PHONE_INVALID' });
  });

  it.each([
    ['other_error', 'FailedOperation.OtherError'],
    ['missing_signature', 'FailedOperation.MissingSignatureList'],
    ['missing_template', 'FailedOperation.MissingTemplateList'],
    ['dirty_words', 'InvalidParameterValue.TemplateWithDirtyWords'],
  ] as const)('gives up at once on %s, which no retry can fix, with an error for the operator', async (behaviour, code) => {
    const { sim } = service;
    const survey = await createOpenSurvey(service);
    sim.setNumberBehaviour(survey.phone, behaviour, 1);
    await runJob(service, 'dispatch-outbox');
    const dead = await outbox(survey.outboxId);
    expect(dead).toMatchObject({ status: 'DEAD', attempts: 1, lastErrorCode: code });
    const alert = service.logs().find((l) => l.msg === 'outbox message dead: gave up' && l.outboxId === survey.outboxId);
    expect(alert?.level).toBe(50);
  });

  it('gives up after a few attempts on a code Tencent’s list does not have, naming it for the operator', async () => {
    const { sim, clock } = service;
    const survey = await createOpenSurvey(service);
    sim.setNumberBehaviour(survey.phone, { code: 'FailedOperation.SomethingNew', message: 'something new' });
    for (let i = 0; i < 6; i++) {
      await runJob(service, 'dispatch-outbox');
      clock.advanceMinutes(60);
    }
    const dead = await outbox(survey.outboxId);
    expect(dead).toMatchObject({ status: 'DEAD', attempts: 3, lastErrorCode: 'FailedOperation.SomethingNew' });
    expect(dead.lastError).toContain('add it to bot/channels/tencent-sms/error-codes.ts');
    expect(sim.sentTo(survey.phone)).toHaveLength(0);
  });

  it('treats a failed Sig verification at Tencent as an operator error and keeps the message', async () => {
    const { sim, clock } = service;
    const survey = await createOpenSurvey(service);
    sim.setAccountFailure({ code: 'InternalError.SigVerificationFail', level: 'request' });
    try {
      await runJob(service, 'dispatch-outbox');
      const blocked = await outbox(survey.outboxId);
      expect(blocked).toMatchObject({ status: 'PENDING', lastErrorCode: 'InternalError.SigVerificationFail' });
      expect(blocked.lastError).toContain('TENCENT_SECRET_KEY');
    } finally {
      sim.setAccountFailure(null);
    }
    clock.advanceMinutes(30);
    await runJob(service, 'dispatch-outbox');
    expect(await outbox(survey.outboxId)).toMatchObject({ status: 'SENT' });
  });

  it('keeps messages queued while the SMS package is exhausted and says what to do', async () => {
    const { sim, clock } = service;
    const survey = await createOpenSurvey(service);
    sim.setAccountFailure({ code: 'FailedOperation.InsufficientBalanceInSmsPackage', message: 'insufficient balance in SMS package' });
    try {
      await runJob(service, 'dispatch-outbox');
      const blocked = await outbox(survey.outboxId);
      expect(blocked).toMatchObject({ status: 'PENDING', lastErrorCode: 'FailedOperation.InsufficientBalanceInSmsPackage' });
      expect(blocked.nextAttemptAt.getTime() - clock.now().getTime()).toBeGreaterThanOrEqual(15 * 60_000);
      expect(blocked.lastError).toContain('套餐包');
      const alert = service.logs().find((l) => l.msg === 'outbox message blocked: provider configuration must be fixed' && l.outboxId === survey.outboxId);
      expect(alert?.level).toBe(50);
    } finally {
      sim.setAccountFailure(null);
    }
    clock.advanceMinutes(30);
    await runJob(service, 'dispatch-outbox');
    expect(await outbox(survey.outboxId)).toMatchObject({ status: 'SENT' });
  });

  it('classifies a refused signature (a wrong TENCENT_SECRET_KEY) as an operator error and keeps the message', async () => {
    const forged = await startTencentSmsService(db(), { sim: service.sim, env: { TENCENT_SECRET_KEY: 'not-the-secret-key-of-this-id' } });
    try {
      const survey = await createOpenSurvey(forged);
      await runJob(forged, 'dispatch-outbox');
      const blocked = await outbox(survey.outboxId);
      expect(blocked).toMatchObject({ status: 'PENDING', lastErrorCode: 'AuthFailure.SignatureFailure' });
      expect(blocked.lastError).toContain('TENCENT_SECRET_KEY');
      expect(service.sim.refused.some((r) => r.code === 'AuthFailure.SignatureFailure')).toBe(true);
      expect(service.sim.sentTo(survey.phone)).toHaveLength(0);
      const alert = forged.logs().find((l) => l.msg === 'outbox message blocked: provider configuration must be fixed' && l.outboxId === survey.outboxId);
      expect(alert?.level).toBe(50);
      expect(JSON.stringify(forged.logs())).not.toContain('not-the-secret-key-of-this-id');
    } finally {
      await forged.close();
    }
  });

  it('refuses a message whose template has no approved id, naming the setting', async () => {
    const { app, clock } = service;
    const customer = await db().prisma.customer.create({ data: { id: app.deps.ids.next(), name: '问候客户', phoneE164: uniquePhone() } });
    await app.deps.outbox.enqueue([
      {
        idempotencyKey: `notice:${customer.id}`,
        channel: 'sms',
        recipientType: 'customer',
        recipientId: customer.id,
        followUpId: null,
        nextAttemptAt: clock.now(),
        message: { kind: 'customer_notice', to: { customerId: customer.id, phoneE164: customer.phoneE164! }, templateKey: 'repair_notice', params: ['王女士'], text: '王女士，您的报修已处理', purpose: 'service' },
      },
    ]);
    await runJob(service, 'dispatch-outbox');
    const row = await db().prisma.outboxMessage.findUniqueOrThrow({ where: { idempotencyKey: `notice:${customer.id}` } });
    expect(row).toMatchObject({ status: 'DEAD', lastErrorCode: 'TEMPLATE_NOT_CONFIGURED' });
    expect(row.lastError).toContain('repair_notice=<TemplateId> to TENCENT_SMS_TEMPLATES');
  });

  it('retries when Tencent cannot be reached', async () => {
    const closed = await startTencentSmsService(db(), { sim: service.sim, env: { TENCENT_SMS_ENDPOINT: 'http://127.0.0.1:9' } });
    try {
      const survey = await createOpenSurvey(closed);
      await runJob(closed, 'dispatch-outbox');
      expect(await outbox(survey.outboxId)).toMatchObject({ status: 'PENDING', lastErrorCode: 'NETWORK' });
    } finally {
      await closed.close();
    }
  });
});
