// TencentSmsReportPuller against the simulator's PullSmsSendStatus / PullSmsReplyStatus queues, through
// the real SDK: batches become the callbacks' inbox events, a full batch says more may be waiting, and
// failures are classified.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type TencentSmsConfig } from '../../../bot/config.js';
import { ChannelError } from '../../../bot/core/errors.js';
import { createTencentSmsReportPuller, TencentSmsReportPuller } from '../../../bot/channels/tencent-sms/pull-reports.js';
import { createTencentSmsClient } from '../../../bot/channels/tencent-sms/sms-client.js';
import { TencentSmsSimulator } from '../../simulators/tencent-sms/tencent-sms-simulator.js';

const TEMPLATE_ID = '1234567';
const RECEIVED_AT = new Date('2026-11-03T08:00:00Z');

describe('TencentSmsReportPuller', () => {
  let sim: TencentSmsSimulator;
  let config: TencentSmsConfig;
  let serialNo: string;

  beforeAll(async () => {
    sim = await TencentSmsSimulator.start({ templates: { [TEMPLATE_ID]: '{1}您好，请回复1-5为我们的服务打分' } });
    config = loadConfig({
      TENCENT_SECRET_ID: sim.secretId,
      TENCENT_SECRET_KEY: sim.secretKey,
      TENCENT_SMS_SDK_APP_ID: sim.sdkAppId,
      TENCENT_SMS_SIGN_NAME: [...sim.signNames][0],
      TENCENT_SMS_ENDPOINT: sim.baseUrl,
      TENCENT_SMS_TEMPLATES: `survey_invite=${TEMPLATE_ID}`,
    }).tencentSms!;
    const sent = await createTencentSmsClient(config).SendSms({
      PhoneNumberSet: ['+8613800138000'],
      SmsSdkAppId: sim.sdkAppId,
      SignName: config.signName,
      TemplateId: TEMPLATE_ID,
      TemplateParamSet: ['测先生'],
      SessionContext: 'fu:pull:1',
    });
    serialNo = sent.SendStatusSet![0]!.SerialNo!;
  });

  afterAll(async () => {
    await sim?.close();
  });

  it('turns pulled delivery reports into sms_status events, saying whether the batch was full', async () => {
    const puller = createTencentSmsReportPuller(config, { limit: 2 });
    for (let i = 0; i < 3; i++) sim.queueStatusReport(serialNo);
    const first = await puller.pull('statuses', RECEIVED_AT);
    expect(first).toMatchObject({ skipped: 0, hasMore: true });
    expect(first.events).toHaveLength(2);
    expect(first.events[0]).toMatchObject({
      source: 'tencent-sms',
      kind: 'sms_status',
      dedupeKey: `status:${serialNo}:+8613800138000:DELIVERED`,
      receivedAt: RECEIVED_AT,
      payload: { providerMessageId: serialNo, idempotencyKey: 'fu:pull:1', status: 'DELIVERED', reportCode: 'DELIVRD' },
    });
    expect(await puller.pull('statuses', RECEIVED_AT)).toMatchObject({ events: [expect.objectContaining({ kind: 'sms_status' })], hasMore: false });
    expect(await puller.pull('statuses', RECEIVED_AT)).toEqual({ events: [], skipped: 0, hasMore: false });
    expect(sim.callsTo('PullSmsSendStatus').map((c) => c.body)).toEqual(Array(3).fill({ Limit: 2, SmsSdkAppId: sim.sdkAppId }));
  });

  it('turns pulled replies into sms_reply events and counts records without the documented fields', async () => {
    const puller = createTencentSmsReportPuller(config);
    sim.queueReply('+8613800138000', '5分', { extend: '12', time: 1_793_000_000 });
    sim.queueRawPullRecord('PullSmsReplyStatus', { CountryCode: '86', ReplyContent: '没有号码' });
    const batch = await puller.pull('replies', RECEIVED_AT);
    expect(batch).toMatchObject({ skipped: 1, hasMore: false });
    expect(batch.events).toEqual([
      expect.objectContaining({
        kind: 'sms_reply',
        payload: { phoneE164: '+8613800138000', text: '5分', receivedAt: new Date(1_793_000_000_000).toISOString(), replyCode: '12', foreignSignature: false },
      }),
    ]);
    expect(sim.callsTo('PullSmsReplyStatus').at(-1)!.body).toEqual({ Limit: 100, SmsSdkAppId: sim.sdkAppId });
  });

  it('reads an unallocated number from a carrier code, never from a human description', async () => {
    const puller = createTencentSmsReportPuller(config);
    sim.queueStatusReport(serialNo, { report_status: 'FAIL', errmsg: 'MI:0073' });
    sim.queueStatusReport(serialNo, { report_status: 'FAIL', errmsg: 'MI:0073', pullDescription: '用户短信送达失败' });
    sim.queueStatusReport(serialNo, { report_status: 'FAIL', errmsg: 'MI:0073', pullDescription: '空号（MI:0073）' });
    const { events } = await puller.pull('statuses', RECEIVED_AT);
    expect(events.map((e) => e.payload)).toEqual([
      expect.objectContaining({ status: 'FAILED', reportCode: 'MI:0073', invalidNumber: true }),
      expect.objectContaining({ status: 'FAILED', reportCode: null, description: '用户短信送达失败', invalidNumber: false }),
      expect.objectContaining({ status: 'FAILED', reportCode: 'MI:0073', description: '空号（MI:0073）', invalidNumber: true }),
    ]);
  });

  it('marks a pulled reply under another signature of the account as not ours', async () => {
    const puller = createTencentSmsReportPuller(config);
    sim.queueReply('+8613800138000', '1', { sign: '别家商城' });
    sim.queueReply('+8613800138000', '2');
    const { events } = await puller.pull('replies', RECEIVED_AT);
    expect(events.map((e) => (e.payload as { foreignSignature: boolean }).foreignSignature)).toEqual([true, false]);
  });

  it('throws classified ChannelErrors for refused and unreachable pulls', async () => {
    const client = createTencentSmsClient(config);
    const refused = await new TencentSmsReportPuller({ client, sdkAppId: '1400000000', signName: config.signName }).pull('statuses', RECEIVED_AT).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ChannelError);
    expect(refused).toMatchObject({ provider: 'tencent-sms', providerCode: 'InvalidParameterValue.SdkAppIdNotExist' });

    const closed = await TencentSmsSimulator.start();
    await closed.close();
    const unreachable = await createTencentSmsReportPuller({ ...config, endpoint: new URL(closed.baseUrl).host }, { timeoutSeconds: 2 })
      .pull('replies', RECEIVED_AT)
      .catch((e: unknown) => e);
    expect(unreachable).toBeInstanceOf(ChannelError);
    expect(unreachable).toMatchObject({ provider: 'tencent-sms', kind: 'retryable', providerCode: 'NETWORK' });
  });

  it('refuses a limit Tencent would refuse', () => {
    const client = createTencentSmsClient(config);
    expect(() => new TencentSmsReportPuller({ client, sdkAppId: sim.sdkAppId, limit: 101, signName: config.signName })).toThrow(RangeError);
    expect(() => new TencentSmsReportPuller({ client, sdkAppId: sim.sdkAppId, limit: 0, signName: config.signName })).toThrow(RangeError);
  });
});
