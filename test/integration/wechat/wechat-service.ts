// The assembled service with its WeChat channel pointed at the WeChat simulator and SMS through a
// recording channel (the process boundary), on a FakeClock, with the example organisation — and the
// policy packs of templates/policies with the discharge survey (P4) made WeChat-first.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHuifang, ROOT_DIR, type Huifang } from '../../../bot/huifang.js';
import { loadConfig } from '../../../bot/config.js';
import { createLogger } from '../../../bot/logger.js';
import { FakeClock } from '../../../bot/clocks.js';
import type { DbClient } from '../../../bot/db/client.js';
import { seedExampleOrganisation } from '../../../bot/example/example-organisation.js';
import { jobs } from '../../../jobs/index.js';
import type { TestDb } from '../../support/db.js';
import { dischargeBody, submit } from '../../support/builders.js';
import { CountingChannel } from '../../support/test-channels.js';
import type { WechatSimulator } from '../../simulators/wechat/wechat-simulator.js';

/** Tuesday 2026-11-10, 10:30 in Asia/Shanghai. */
export const START = '2026-11-10T02:30:00.000Z';

/** How the P4 survey step is delivered in a test service. */
export interface SurveyStepDelivery {
  channels?: string;
  fallbackAfter?: string;
  bothChannels?: boolean;
}

/** A copy of templates/policies whose P4 survey step has the given delivery fields. */
export function policiesWith(delivery: SurveyStepDelivery): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'huifang-policies-'));
  cpSync(join(ROOT_DIR, 'templates/policies'), dir, { recursive: true });
  const file = join(dir, 'P4.yaml');
  // The shipped pack already says `channels: [wechat, sms]`; the test's fields replace it.
  const text = readFileSync(file, 'utf8').replace('    channels: [wechat, sms]\n', '');
  const step = '    surveyKey: satisfaction-5\n';
  if (!text.includes(step)) throw new Error('P4.yaml: survey step not found');
  const fields = [
    delivery.channels ? `    channels: ${delivery.channels}\n` : '',
    delivery.fallbackAfter ? `    fallbackAfter: ${delivery.fallbackAfter}\n` : '',
    delivery.bothChannels !== undefined ? `    bothChannels: ${delivery.bothChannels}\n` : '',
  ].join('');
  writeFileSync(file, text.replace(step, step + fields));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface WechatTestService {
  app: Huifang;
  /** The suite's database, for assertions on rows. */
  prisma: TestDb['prisma'];
  clock: FakeClock;
  sms: CountingChannel;
  close(): Promise<void>;
}

/** The service configured against `sim`, over the suite's database client. */
export async function startWechatService(
  db: TestDb,
  sim: WechatSimulator,
  options: { delivery?: SurveyStepDelivery; clock?: FakeClock; env?: Record<string, string> } = {},
): Promise<WechatTestService> {
  const clock = options.clock ?? new FakeClock(START);
  const policies = policiesWith(options.delivery ?? { channels: '[wechat, sms]', fallbackAfter: '24 hours' });
  const config = loadConfig({
    DATABASE_URL: db.url,
    WECHAT_MP_APP_ID: sim.appId,
    WECHAT_MP_APP_SECRET: sim.appSecret,
    WECHAT_MP_SURVEY_TEMPLATE_ID: [...sim.templateIds][0]!,
    WECHAT_API_BASE: sim.baseUrl,
    ...options.env,
  });
  // The test database belongs to the suite: closing the service must not close it.
  const dbClient: DbClient = { prisma: db.prisma, provider: db.provider, capabilities: db.capabilities, close: async () => {} };
  const sms = new CountingChannel();
  const app = createHuifang({
    config,
    logger: createLogger({ level: 'silent' }),
    db: dbClient,
    clock,
    jitter: () => 0.5,
    channels: { sms },
    policiesDir: policies.dir,
  });
  await seedExampleOrganisation(app.directory, () => app.deps.ids.next());
  return {
    app,
    prisma: db.prisma,
    clock,
    sms,
    close: async () => {
      policies.remove();
      await dbClient.close();
    },
  };
}

/**
 * Submits a discharge (P4) whose survey is due now for a new customer (with `openId` when given) and
 * runs the activation job; returns the survey follow-up, its survey and the customer.
 */
export async function createDueSurvey(service: WechatTestService, customer: { openId?: string; phone?: boolean } = {}) {
  const { app, clock } = service;
  const body = dischargeBody({
    // The survey is due 3 days after discharge at 10:00 local: discharged 3 days and an hour ago.
    occurredAt: new Date(clock.now().getTime() - 3 * 86_400_000 - 3_600_000).toISOString(),
  });
  body.customer = {
    ...body.customer,
    ...(customer.openId ? { wechatOpenId: customer.openId } : {}),
    ...(customer.phone === false ? { phone: undefined } : {}),
  };
  const submitted = await submit(app, body);
  await jobs['activate-due-follow-ups']!.run(app);
  const followUp = await service.prisma.followUp.findFirstOrThrow({ where: { caseId: submitted.caseId, step: 'survey' } });
  const survey = await service.prisma.surveyInstance.findUnique({ where: { followUpId: followUp.id } });
  return { followUp, survey, customerId: followUp.customerId, key: `fu:${followUp.id}:1` };
}

/** Runs the dispatch-outbox job once. */
export async function dispatch(service: WechatTestService) {
  return (await jobs['dispatch-outbox']!.run(service.app)) as { sent: number; retried: number; dead: number; cancelled: number };
}
