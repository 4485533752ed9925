// The assembled service wired to a WeCom simulator, for the WeCom integration tests: configuration
// from loadConfig with WECOM_* pointing at the simulator, createHuifang on a FakeClock, the koa app
// listening on an ephemeral port (its /wecom/callback is where the simulator delivers), and the
// example organisation loaded.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHuifang, type Huifang } from '../../../bot/huifang.js';
import { loadConfig } from '../../../bot/config.js';
import { createLogger } from '../../../bot/logger.js';
import { FakeClock } from '../../../bot/clocks.js';
import { createHttpApp } from '../../../bot/http/app.js';
import type { DbClient } from '../../../bot/db/client.js';
import { EXAMPLE_STAFF, seedExampleOrganisation } from '../../../bot/example/example-organisation.js';
import { submitCase } from '../../../bot/core/cases/submit-case.js';
import { toSubmitInput } from '../../../bot/cases/case-body.js';
import { jobs } from '../../../jobs/index.js';
import type { TestDb } from '../../support/db.js';
import { WecomSimulator, type WecomSimulatorOptions } from '../../simulators/wecom/wecom-simulator.js';
import { EventMonitor } from '../../support/event-monitor.js';

/** A Monday, 09:30 in Asia/Shanghai. */
export const START = '2026-11-02T01:30:00.000Z';

export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export interface WecomTestService {
  app: Huifang;
  /** The suite's database, for assertions on rows. */
  prisma: TestDb['prisma'];
  /** The service's lifecycle events since it started. */
  monitor: EventMonitor;
  clock: FakeClock;
  sim: WecomSimulator;
  /** The service's callback URL, as configured in the WeCom admin console. */
  callbackUrl: string;
  /** Every log line written so far, parsed. */
  logs(): LogLine[];
  close(): Promise<void>;
}

/** Starts a simulator (unless given) and the service configured against it. */
export async function startWecomService(
  db: TestDb,
  options: { sim?: WecomSimulator; simOptions?: WecomSimulatorOptions; env?: Record<string, string>; start?: string } = {},
): Promise<WecomTestService> {
  const sim = options.sim ?? (await WecomSimulator.start({ users: EXAMPLE_STAFF.map((s) => s.wecomUserId), ...options.simOptions }));
  const clock = new FakeClock(options.start ?? START);
  // Callbacks are stamped with the service's clock: it refuses timestamps far from its own.
  sim.callbackClock = clock;
  const config = loadConfig({
    DATABASE_URL: db.url,
    LOG_LEVEL: 'debug',
    WECOM_CORP_ID: sim.corpId,
    WECOM_AGENT_ID: String(sim.agentId),
    WECOM_SECRET: sim.secret,
    WECOM_CALLBACK_TOKEN: sim.callbackToken,
    WECOM_ENCODING_AES_KEY: sim.encodingAesKey,
    WECOM_API_BASE: sim.baseUrl,
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
  const callbackUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/wecom/callback`;
  return {
    app,
    prisma: db.prisma,
    monitor: new EventMonitor(app.events),
    clock,
    sim,
    callbackUrl,
    logs: () => lines.map((line) => JSON.parse(line) as LogLine),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (!options.sim) await sim.close();
    },
  };
}

let caseSequence = 0;

/**
 * Submits a discharge case (policy P4, normal severity) whose phone follow-up is due now, assigned to
 * `staff`, and runs the activation job: the follow-up is ACTIVE and its task card is in the outbox.
 * The case carries a diagnosis, which must never reach a card.
 */
export async function createDueFollowUp(service: WecomTestService, staff = 'hushi.li'): Promise<{ followUpId: string; taskId: string; phone: string; key: (action: string) => string }> {
  const { app, clock } = service;
  caseSequence += 1;
  const now = clock.now();
  const phone = `+86139${String(10_000_000 + caseSequence * 7919 + Math.floor(Math.random() * 1000)).slice(-8)}`;
  const externalId = `WECOM-ZY-${caseSequence}-${app.deps.ids.next()}`;
  const input = await toSubmitInput(
    app,
    {
      type: 'discharge',
      externalId,
      // Day 7 after discharge at 09:00 local is due: discharged 7 days and an hour ago.
      occurredAt: new Date(now.getTime() - 7 * 86_400_000 - 3_600_000).toISOString(),
      responsibleStaff: staff,
      customer: { externalId, name: '王秀英', salutation: '王女士', phone },
      attributes: { severity: 'normal', diagnosis: '急性心肌梗死' },
    },
    'test',
  );
  const submitted = await submitCase(app.deps, input);
  await jobs['activate-due-follow-ups']!.run(app);
  const followUp = await service.prisma.followUp.findFirstOrThrow({ where: { caseId: submitted.caseId, step: 'phone' } });
  if (followUp.status !== 'ACTIVE') throw new Error(`expected the phone follow-up to be ACTIVE, it is ${followUp.status}`);
  return { followUpId: followUp.id, taskId: `fu_${followUp.id}_1`, phone, key: (action) => `${action}:${followUp.id}:1` };
}

/** Runs the dispatch-outbox job once. */
export async function dispatch(service: WecomTestService): Promise<{ sent: number; retried: number; dead: number }> {
  return (await jobs['dispatch-outbox']!.run(service.app)) as { sent: number; retried: number; dead: number };
}

/** The inbound event recorded under `dedupeKey`, once processing has finished with it. */
export async function processedInboundEvent(service: WecomTestService, dedupeKey: string) {
  const handled = await service.monitor.inboundHandled('wecom', dedupeKey);
  return service.prisma.inboundEvent.findUniqueOrThrow({ where: { id: handled.eventId } });
}
