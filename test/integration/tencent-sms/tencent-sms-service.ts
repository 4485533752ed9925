// The assembled service wired to a Tencent SMS simulator, for the Tencent SMS integration tests:
// configuration from loadConfig with TENCENT_* pointing at the simulator (the real SDK signs and sends),
// createHuifang on a FakeClock, the koa app on an ephemeral port (its /sms/tencent/* callbacks are where
// the simulator posts), and the example organisation loaded.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHuifang, type Huifang } from '../../../bot/huifang.js';
import { loadConfig } from '../../../bot/config.js';
import { createLogger } from '../../../bot/logger.js';
import { FakeClock } from '../../../bot/clocks.js';
import { createHttpApp } from '../../../bot/http/app.js';
import type { DbClient } from '../../../bot/db/client.js';
import { seedExampleOrganisation } from '../../../bot/example/example-organisation.js';
import { jobs } from '../../../jobs/index.js';
import type { TestDb } from '../../support/db.js';
import { dischargeBody, submit, uniquePhone } from '../../support/builders.js';
import { TencentSmsSimulator } from '../../simulators/tencent-sms/tencent-sms-simulator.js';
import { EventMonitor } from '../../support/event-monitor.js';

export const SURVEY_TEMPLATE_ID = '1234567';
/** The survey invitation as registered in the SMS console: the text of templates/messages, {1}…{4}. */
export const SURVEY_TEMPLATE_TEXT = '{1}您好，您{2}的{3}已办结。反馈办理情况请回复5至1（5很好，1很差），有问题可直接回复。拒收请回复R';
export const CALLBACK_KEY = 'cb-key-0123456789abcdef-sim';

export const DISCHARGED_AT = '2026-11-03T15:30:00+08:00';
export const POSTED_AT = '2026-11-03T16:00:00+08:00';
/** P4's survey step: day 3 after discharge, 10:00. */
export const SURVEY_DUE = new Date('2026-11-06T10:00:00+08:00');

export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export interface TencentSmsTestService {
  app: Huifang;
  /** The suite's database, for assertions on rows. */
  prisma: TestDb['prisma'];
  /** The service's lifecycle events since it started. */
  monitor: EventMonitor;
  clock: FakeClock;
  sim: TencentSmsSimulator;
  /** The service's callback URLs with the key, as configured in the SMS console. */
  statusUrl: string;
  replyUrl: string;
  baseUrl: string;
  logs(): LogLine[];
  close(): Promise<void>;
}

/** Starts a simulator (unless given) and the service configured against it. */
export async function startTencentSmsService(
  db: TestDb,
  options: { sim?: TencentSmsSimulator; env?: Record<string, string | undefined> } = {},
): Promise<TencentSmsTestService> {
  const sim = options.sim ?? (await TencentSmsSimulator.start({ templates: { [SURVEY_TEMPLATE_ID]: SURVEY_TEMPLATE_TEXT } }));
  const clock = new FakeClock(POSTED_AT);
  const config = loadConfig({
    DATABASE_URL: db.url,
    LOG_LEVEL: 'debug',
    TENCENT_SECRET_ID: sim.secretId,
    TENCENT_SECRET_KEY: sim.secretKey,
    TENCENT_SMS_SDK_APP_ID: sim.sdkAppId,
    TENCENT_SMS_SIGN_NAME: [...sim.signNames][0],
    TENCENT_SMS_ENDPOINT: sim.baseUrl,
    TENCENT_SMS_CALLBACK_KEY: CALLBACK_KEY,
    TENCENT_SMS_TEMPLATES: `survey_invite=${SURVEY_TEMPLATE_ID}`,
    ...options.env,
  });
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void lines.push(line) } });
  // The test database belongs to the suite: closing the service must not close it.
  const dbClient: DbClient = { prisma: db.prisma, provider: db.provider, capabilities: db.capabilities, close: async () => {} };
  const app = createHuifang({ config, logger, db: dbClient, clock, jitter: () => 0.5 });
  await seedExampleOrganisation(app.directory, () => app.deps.ids.next());
  const server: Server = createHttpApp(app).listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const key = config.tencentSms?.callbackKey;
  return {
    app,
    prisma: db.prisma,
    monitor: new EventMonitor(app.events),
    clock,
    sim,
    baseUrl,
    statusUrl: `${baseUrl}/sms/tencent/status?key=${key}`,
    replyUrl: `${baseUrl}/sms/tencent/reply?key=${key}`,
    logs: () => lines.map((line) => JSON.parse(line) as LogLine),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (!options.sim) await sim.close();
    },
  };
}

/**
 * Submits a discharge (P4, responsible nurse 李护士) and activates its survey at day 3 10:00: the survey
 * is OPEN and its invitation is in the outbox, not yet dispatched.
 */
export async function createOpenSurvey(service: TencentSmsTestService, phone = uniquePhone()) {
  const { app, clock } = service;
  clock.set(POSTED_AT);
  const { caseId } = await submit(app, dischargeBody({ occurredAt: DISCHARGED_AT, phone }));
  clock.set(SURVEY_DUE);
  await jobs['activate-due-follow-ups']!.run(app);
  const prisma = service.prisma;
  const followUp = await prisma.followUp.findFirstOrThrow({ where: { caseId, step: 'survey' } });
  const survey = await prisma.surveyInstance.findUniqueOrThrow({ where: { followUpId: followUp.id } });
  const invite = await prisma.outboxMessage.findFirstOrThrow({ where: { followUpId: followUp.id, kind: 'survey_invite' } });
  return { caseId, phone, followUpId: followUp.id, surveyId: survey.id, outboxId: invite.id };
}

/** Runs a job once. */
export async function runJob(service: TencentSmsTestService, name: string): Promise<Record<string, number>> {
  return (await jobs[name]!.run(service.app)) as Record<string, number>;
}

/** The inbound event recorded under `dedupeKey`, once processing has finished with it. */
export async function processedInboundEvent(service: TencentSmsTestService, dedupeKey: string) {
  const handled = await service.monitor.inboundHandled('tencent-sms', dedupeKey);
  return service.prisma.inboundEvent.findUniqueOrThrow({ where: { id: handled.eventId } });
}

/** Every inbound Tencent event whose dedupe key starts with `prefix`, once all are processed. */
export async function processedEvents(service: TencentSmsTestService, prefix: string, count: number) {
  await service.monitor.inboundHandledCount('tencent-sms', (key) => key.startsWith(prefix), count, `${count} inbound events ${prefix}… to be processed`);
  return service.prisma.inboundEvent.findMany({ where: { source: 'tencent-sms', dedupeKey: { startsWith: prefix } } });
}
