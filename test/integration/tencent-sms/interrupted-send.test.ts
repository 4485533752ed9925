// A send interrupted by a crash, asked about at the Tencent SMS simulator through the real SDK: found by
// its SessionContext in the number's delivery reports (PullSmsSendStatusByPhoneNumber), not found yet
// (ask again), or not found after the wait (a person decides). Nothing is ever sent by the check.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../../bot/config.js';
import type { SendRequest } from '../../../bot/core/messages.js';
import { createTencentSmsChannel, TENCENT_SMS_RECONCILE_RECHECK_MS, type TencentSmsChannel } from '../../../bot/channels/tencent-sms/tencent-sms-channel.js';
import { TencentSmsSimulator } from '../../simulators/tencent-sms/tencent-sms-simulator.js';
import { uniquePhone } from '../../support/builders.js';

const TEMPLATE_ID = '1234567';
const WAIT_MS = 600_000;

let sim: TencentSmsSimulator;
let channel: TencentSmsChannel;

beforeAll(async () => {
  sim = await TencentSmsSimulator.start({ templates: { [TEMPLATE_ID]: '{1}您好，请回复1-5为我们的服务打分' } });
  const config = loadConfig({
    DATABASE_URL: 'file:unused.db',
    TENCENT_SECRET_ID: sim.secretId,
    TENCENT_SECRET_KEY: sim.secretKey,
    TENCENT_SMS_SDK_APP_ID: sim.sdkAppId,
    TENCENT_SMS_SIGN_NAME: [...sim.signNames][0],
    TENCENT_SMS_ENDPOINT: sim.baseUrl,
    TENCENT_SMS_TEMPLATES: `survey_invite=${TEMPLATE_ID}`,
  });
  expect(config.tencentSms!.reconcileWaitMs).toBe(WAIT_MS);
  channel = createTencentSmsChannel(config.tencentSms!);
});

afterAll(async () => {
  await sim?.close();
});

function invitation(key: string, phoneE164: string): SendRequest {
  return {
    messageId: `msg-${key}`,
    idempotencyKey: key,
    attempt: 1,
    message: { kind: 'survey_invite', to: { customerId: 'C1', phoneE164 }, templateKey: 'survey_invite', params: ['王女士'], text: '【回访中心】王女士您好', link: 'https://example.org/s/x', surveyId: 'S1' },
  };
}

it('finds a send that reached Tencent by its SessionContext, and sends nothing', async () => {
  const phone = uniquePhone();
  const startedAt = new Date();
  const sent = await channel.send(invitation('fu:reached:1', phone));
  // Another message to the same number (its own key) must not be taken for this one.
  await channel.send(invitation('fu:other:1', phone));
  const check = await channel.checkInterruptedSend(invitation('fu:reached:1', phone), startedAt, new Date());
  expect(check).toMatchObject({ verdict: 'sent', providerMessageId: sent.providerMessageId });
  expect(sim.sentTo(phone)).toHaveLength(2);
  const lookup = sim.callsTo('PullSmsSendStatusByPhoneNumber').at(-1)!;
  expect(lookup.body).toMatchObject({ PhoneNumber: phone, SmsSdkAppId: sim.sdkAppId, Offset: 0, Limit: 100 });
  expect(lookup.headers.authorization).toMatch(/^TC3-HMAC-SHA256 Credential=/);
});

it('asks again later while a report may still come, then leaves it to a person', async () => {
  const phone = uniquePhone();
  const startedAt = new Date();
  const request = invitation('fu:never-left:1', phone);
  const early = await channel.checkInterruptedSend(request, startedAt, new Date(startedAt.getTime() + 1_000));
  expect(early).toMatchObject({ verdict: 'wait', until: new Date(startedAt.getTime() + 1_000 + TENCENT_SMS_RECONCILE_RECHECK_MS) });
  const nearTheEnd = await channel.checkInterruptedSend(request, startedAt, new Date(startedAt.getTime() + WAIT_MS - 5_000));
  expect(nearTheEnd).toMatchObject({ verdict: 'wait', until: new Date(startedAt.getTime() + WAIT_MS) });
  const late = await channel.checkInterruptedSend(request, startedAt, new Date(startedAt.getTime() + WAIT_MS));
  expect(late.verdict).toBe('unknown');
  expect(sim.sentTo(phone)).toEqual([]);
});

it('does not take a carrier that has not reported yet for a send that never happened', async () => {
  const phone = uniquePhone();
  const startedAt = new Date();
  sim.reportDelayMs = null;
  try {
    await channel.send(invitation('fu:unreported:1', phone));
    const check = await channel.checkInterruptedSend(invitation('fu:unreported:1', phone), startedAt, new Date(startedAt.getTime() + WAIT_MS));
    // Tencent has it but no report names it: only a person can tell, so it is not sent again.
    expect(check.verdict).toBe('unknown');
  } finally {
    sim.reportDelayMs = 0;
  }
});

it('lets a message Tencent would refuse anyway go through the usual path', async () => {
  const request = invitation('fu:no-template:1', uniquePhone());
  const check = await channel.checkInterruptedSend({ ...request, message: { ...request.message, templateKey: 'unregistered' } as SendRequest['message'] }, new Date(), new Date());
  expect(check.verdict).toBe('resend');
});
