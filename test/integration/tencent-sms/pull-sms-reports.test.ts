// The pull fallback: without TENCENT_SMS_CALLBACK_KEY the pull-sms-reports job fetches delivery reports
// and replies from the simulator's PullSmsSendStatus / PullSmsReplyStatus queues and feeds the same
// inbox kinds as the callbacks; with callbacks configured it does nothing.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDatabase } from '../../support/db.js';
import { TencentSmsSimulator } from '../../simulators/tencent-sms/tencent-sms-simulator.js';
import { PULL_LIMIT } from '../../../jobs/pull-sms-reports.js';
import {
  createOpenSurvey,
  runJob,
  startTencentSmsService,
  SURVEY_TEMPLATE_ID,
  SURVEY_TEMPLATE_TEXT,
  type TencentSmsTestService,
} from './tencent-sms-service.js';

describeEachDatabase('pull-sms-reports job', (db) => {
  let sim: TencentSmsSimulator;
  let service: TencentSmsTestService;

  beforeAll(async () => {
    sim = await TencentSmsSimulator.start({ templates: { [SURVEY_TEMPLATE_ID]: SURVEY_TEMPLATE_TEXT } });
    service = await startTencentSmsService(db(), { sim, env: { TENCENT_SMS_CALLBACK_KEY: undefined } });
  });

  afterAll(async () => {
    await service?.close();
    await sim?.close();
  });

  it('does not mount the callback routes without a callback key', async () => {
    const response = await fetch(`${service.baseUrl}/sms/tencent/reply?key=anything-at-all-here`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(404);
  });

  it('pulls delivery reports and replies into the inbox and processes them, each once', async () => {
    const { app, clock } = service;
    const survey = await createOpenSurvey(service);
    await runJob(service, 'dispatch-outbox');
    const [sms] = sim.sentTo(survey.phone);
    sim.queueStatusReport(sms!.serialNo);
    clock.advanceMinutes(30);
    sim.queueReply(survey.phone, '4分', { time: Math.floor(clock.now().getTime() / 1000) });

    const summary = await runJob(service, 'pull-sms-reports');
    expect(summary).toMatchObject({ statuses: 1, replies: 1, duplicates: 0, skipped: 0 });
    expect(sim.callsTo('PullSmsSendStatus').at(-1)!.body).toEqual({ Limit: 100, SmsSdkAppId: sim.sdkAppId });

    expect(await db().prisma.outboxMessage.findUniqueOrThrow({ where: { id: survey.outboxId } })).toMatchObject({ deliveryStatus: 'DELIVERED' });
    expect(await db().prisma.surveyResponse.findMany({ where: { surveyId: survey.surveyId } })).toEqual([expect.objectContaining({ score: 0.75, channel: 'sms', rawText: '4分' })]);

    // The queues hand each record out once; a record seen again (pulled by another replica, or also
    // pushed) is recorded once.
    expect(await runJob(service, 'pull-sms-reports')).toMatchObject({ statuses: 0, replies: 0 });
    sim.queueStatusReport(sms!.serialNo);
    expect(await runJob(service, 'pull-sms-reports')).toMatchObject({ statuses: 0, duplicates: 1 });
    expect(await db().prisma.inboundEvent.count({ where: { source: 'tencent-sms', dedupeKey: { startsWith: `status:${sms!.serialNo}:` } } })).toBe(1);
  });

  it('pulls again while batches come back full, recording each batch in the inbox before the next pull', async () => {
    const { app } = service;
    const survey = await createOpenSurvey(service);
    await runJob(service, 'dispatch-outbox');
    const [sms] = sim.sentTo(survey.phone);
    for (let i = 0; i <= PULL_LIMIT; i++) sim.queueStatusReport(sms!.serialNo);
    const reports = { source: 'tencent-sms', dedupeKey: { startsWith: `status:${sms!.serialNo}:` } };
    const recordedWhenPulled: number[] = [];
    sim.beforePull = async (action) => {
      if (action === 'PullSmsSendStatus') recordedWhenPulled.push(await db().prisma.inboundEvent.count({ where: reports }));
    };
    try {
      expect(await runJob(service, 'pull-sms-reports')).toMatchObject({ statuses: 1, duplicates: PULL_LIMIT, skipped: 0 });
    } finally {
      sim.beforePull = null;
    }
    // A full batch, then one record: the report of the first batch was in the inbox before the second pull.
    expect(recordedWhenPulled).toEqual([0, 1]);
  });

  it('does nothing when callbacks are configured', async () => {
    const withCallbacks = await startTencentSmsService(db(), { sim });
    try {
      const before = sim.calls.length;
      expect(await runJob(withCallbacks, 'pull-sms-reports')).toEqual({ statuses: 0, replies: 0, duplicates: 0, skipped: 0 });
      expect(sim.calls.length).toBe(before);
    } finally {
      await withCallbacks.close();
    }
  });
});
