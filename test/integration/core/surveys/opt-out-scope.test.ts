// What an "R" reply stops depends on HUIFANG_OPTOUT_SCOPE: everything (all, the default), or only
// marketing (surveys the policy requires continue).
import { beforeAll, expect, it } from 'vitest';
import { FakeClock } from '../../../../bot/clocks.js';
import { loadConfig } from '../../../../bot/config.js';
import { createLogger } from '../../../../bot/logger.js';
import { createHuifang, type Huifang } from '../../../../bot/huifang.js';
import { describeEachDatabase } from '../../../support/db.js';
import { seedOrganisation, sharedDbClient, TIME_ZONE } from '../../../support/service.js';
import { dischargeBody, smsReply, submit, uniquePhone } from '../../../support/builders.js';
import { followUpOf, runJob } from '../../../support/e2e.js';

describeEachDatabase('opt-out scope', (db) => {
  const clock = new FakeClock('2026-11-03T16:00:00+08:00');
  const service = (scope: 'all' | 'marketing'): Huifang =>
    createHuifang({
      config: loadConfig({ DATABASE_URL: db().url, HUIFANG_TIMEZONE: TIME_ZONE, HUIFANG_OPTOUT_SCOPE: scope }),
      logger: createLogger({ level: 'silent' }),
      db: sharedDbClient(db()),
      clock,
    });

  beforeAll(async () => {
    await seedOrganisation(db());
  });

  /** A discharge whose survey SMS is queued (not yet sent), plus a queued marketing greeting. */
  async function queued(app: Huifang) {
    const phone = uniquePhone();
    clock.set('2026-11-03T16:00:00+08:00');
    const { caseId } = await submit(app, dischargeBody({ phone }));
    const survey = await followUpOf(db().prisma, caseId, 'survey');
    clock.set('2026-11-06T10:00:00+08:00');
    await runJob(app, 'activate-due-follow-ups');
    const customerId = survey.customerId;
    await app.deps.outbox.enqueue([
      {
        idempotencyKey: `greeting:test:${customerId}`,
        channel: 'sms',
        recipientType: 'customer',
        recipientId: customerId,
        followUpId: null,
        nextAttemptAt: clock.now(),
        message: { kind: 'customer_notice', to: { customerId, phoneE164: phone }, templateKey: 'greeting', params: ['测先生'], text: '节日快乐', purpose: 'marketing' },
      },
    ]);
    return { phone, surveyId: survey.id, customerId };
  }

  const statusOf = async (key: string) => (await db().prisma.outboxMessage.findUniqueOrThrow({ where: { idempotencyKey: key } })).status;

  it('with scope all, "R" ends the survey and cancels every queued message', async () => {
    const app = service('all');
    const { phone, surveyId, customerId } = await queued(app);
    const reply = await smsReply(app, phone, 'R');
    expect(reply.result).toMatchObject({ status: 'PROCESSED', result: { status: 'opted_out' } });
    expect((await db().prisma.followUp.findUniqueOrThrow({ where: { id: surveyId } })).status).toBe('CANCELLED');
    expect(await statusOf(`fu:${surveyId}:1`)).toBe('CANCELLED');
    expect(await statusOf(`greeting:test:${customerId}`)).toBe('CANCELLED');
  });

  it('with scope marketing, "R" stops the greeting but the survey continues', async () => {
    const app = service('marketing');
    const { phone, surveyId, customerId } = await queued(app);
    await smsReply(app, phone, '退订');
    expect((await db().prisma.customer.findUniqueOrThrow({ where: { id: customerId } })).optedOutAt).not.toBeNull();
    expect((await db().prisma.followUp.findUniqueOrThrow({ where: { id: surveyId } })).status).toBe('ACTIVE');
    expect(await statusOf(`greeting:test:${customerId}`)).toBe('CANCELLED');
    // The dispatcher re-checks consent at send time: the survey goes, the greeting does not.
    await runJob(app, 'dispatch-outbox');
    expect(await statusOf(`fu:${surveyId}:1`)).toBe('SENT');
    expect(await statusOf(`greeting:test:${customerId}`)).toBe('CANCELLED');
  });
});
