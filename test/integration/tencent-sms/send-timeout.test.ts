// A SendSms whose answer never comes back while the process lives on (the client's timeout, or the
// connection dropped after the request was written): Tencent has the SMS, Huifang does not know it.
// Real SDK against the Tencent SMS simulator, real outbox on each database. Tencent does not
// deduplicate, so the send is reconciled as after a crash (docs/protocols/tencent-sms.md §6) and never
// sent twice: found by its SessionContext it is SENT; when no report can say, a person decides.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FakeClock } from '../../../bot/clocks.js';
import { loadConfig } from '../../../bot/config.js';
import { createTencentSmsChannel } from '../../../bot/channels/tencent-sms/tencent-sms-channel.js';
import type { NewOutboxMessage } from '../../../bot/core/records.js';
import type { Huifang } from '../../../bot/huifang.js';
import { jobs } from '../../../jobs/index.js';
import { describeEachDatabase } from '../../support/db.js';
import { createTestService, sharedDbClient } from '../../support/service.js';
import { uniquePhone } from '../../support/builders.js';
import { TencentSmsSimulator } from '../../simulators/tencent-sms/tencent-sms-simulator.js';

const TEMPLATE_ID = '2345678';

describeEachDatabase('Tencent SMS: a send whose answer is lost', (db) => {
  let sim: TencentSmsSimulator;
  let app: Huifang;
  const clock = new FakeClock(new Date());

  beforeAll(async () => {
    sim = await TencentSmsSimulator.start({ templates: { [TEMPLATE_ID]: '{1}您好，您的报修已处理' } });
    const env = {
      DATABASE_URL: db().url,
      TENCENT_SECRET_ID: sim.secretId,
      TENCENT_SECRET_KEY: sim.secretKey,
      TENCENT_SMS_SDK_APP_ID: sim.sdkAppId,
      TENCENT_SMS_SIGN_NAME: [...sim.signNames][0]!,
      TENCENT_SMS_ENDPOINT: sim.baseUrl,
      TENCENT_SMS_CALLBACK_KEY: 'cb-key-0123456789abcdef-tmo',
      TENCENT_SMS_TEMPLATES: `customer_notice=${TEMPLATE_ID}`,
      HUIFANG_QUIET_HOURS: 'off',
    };
    // The production channel with a short client timeout, so the simulator's late answer comes after it.
    const sms = createTencentSmsChannel(loadConfig(env).tencentSms!, { timeoutSeconds: 0.5 });
    app = createTestService(db().url, sharedDbClient(db()), clock, { env, channels: { sms } });
  });

  afterAll(async () => {
    await sim?.close();
  });

  async function enqueueNotice(): Promise<{ key: string; phone: string }> {
    const phone = uniquePhone();
    const key = `notice:${phone}`;
    const message: NewOutboxMessage = {
      idempotencyKey: key,
      channel: 'sms',
      recipientType: 'customer',
      recipientId: `customer-${phone}`,
      followUpId: null,
      nextAttemptAt: clock.now(),
      message: { kind: 'customer_notice', to: { customerId: `customer-${phone}`, phoneE164: phone }, templateKey: 'customer_notice', params: ['王女士'], text: '王女士您好', purpose: 'service' },
    };
    await app.deps.outbox.enqueue([message]);
    return { key, phone };
  }

  const row = (key: string) => db().prisma.outboxMessage.findUniqueOrThrow({ where: { idempotencyKey: key } });

  it('reconciles a timed-out send through its delivery report: SENT, and the customer gets one SMS', async () => {
    const { key, phone } = await enqueueNotice();
    sim.sendAnswer = { delayMs: 2_000 };
    try {
      expect(await jobs['dispatch-outbox']!.run(app)).toMatchObject({ retried: 1, sent: 0 });
    } finally {
      sim.sendAnswer = 'now';
    }
    const interrupted = await row(key);
    expect(interrupted).toMatchObject({ status: 'PENDING', lastErrorCode: 'SEND_UNCONFIRMED' });
    expect(interrupted.sendStartedAt).not.toBeNull();
    expect(interrupted.lastError).toContain('TIMEOUT');
    expect(sim.sentTo(phone)).toHaveLength(1);

    clock.set(interrupted.nextAttemptAt);
    expect(await jobs['dispatch-outbox']!.run(app)).toMatchObject({ reconciled: 1, sent: 0 });
    expect(await row(key)).toMatchObject({ status: 'SENT', providerMessageId: sim.sentTo(phone)[0]!.serialNo, sendStartedAt: null });
    expect(sim.sentTo(phone)).toHaveLength(1);
    expect(sim.callsTo('PullSmsSendStatusByPhoneNumber').some((c) => (c.body as { PhoneNumber?: string }).PhoneNumber === phone)).toBe(true);
  });

  it('holds a send whose connection dropped as UNCERTAIN when no report ever names it, and never sends it again', async () => {
    const { key, phone } = await enqueueNotice();
    sim.sendAnswer = 'hang-up';
    // The carrier never reports: Tencent cannot say whether this SMS went out.
    sim.reportDelayMs = null;
    try {
      expect(await jobs['dispatch-outbox']!.run(app)).toMatchObject({ retried: 1, sent: 0 });
      sim.sendAnswer = 'now';
      expect(await row(key)).toMatchObject({ status: 'PENDING', lastErrorCode: 'SEND_UNCONFIRMED' });
      // Asked again while a report may still come, then past TENCENT_SMS_RECONCILE_WAIT_SECONDS (600).
      for (let i = 0; i < 20 && (await row(key)).status === 'PENDING'; i++) {
        clock.set(new Date((await row(key)).nextAttemptAt.getTime()));
        await jobs['dispatch-outbox']!.run(app);
      }
    } finally {
      sim.sendAnswer = 'now';
      sim.reportDelayMs = 0;
    }
    const held = await row(key);
    expect(held).toMatchObject({ status: 'UNCERTAIN', lastErrorCode: 'SEND_UNCONFIRMED' });
    expect(held.sendStartedAt).not.toBeNull();
    expect(sim.sentTo(phone)).toHaveLength(1);
  });
});
