// A second service instance in its own process, as another replica would run: its own Prisma client
// on the same database, its own counting channel. Started by test/support/replica.ts through
// bin/run-ts.mjs. Protocol on stdio: prints `READY`, waits for a `GO` line, runs the command, prints
// `RESULT <json>` and exits. (On SQLite, two clients in ONE process cannot share the file: a writer
// waiting for the lock blocks the event loop of the process that holds it.)
import { createInterface } from 'node:readline';
import { FakeClock } from '../../bot/clocks.js';
import { createPrismaClient } from '../../bot/db/client.js';
import { dispatchOutbox } from '../../bot/core/outbox/dispatch-outbox.js';
import { activateDueFollowUps } from '../../bot/core/follow-ups/activate-due-follow-ups.js';
import { fallBackUnopenedSurveys } from '../../bot/core/surveys/fall-back-unopened-surveys.js';
import { topUpQuotas } from '../../bot/core/policies/quota-top-up.js';
import type { CaseBody } from '../../bot/cases/case-body.js';
import { createTestService } from './service.js';
import { CountingChannel } from './test-channels.js';
import { submit } from './builders.js';
import { processPendingInbound } from '../../bot/core/inbox/process-inbound.js';
import { inboundHandlers } from '../../bot/inbound/handlers.js';

export type ReplicaCommand =
  | { kind: 'dispatch'; batchSize?: number }
  | { kind: 'activate'; batchSize?: number }
  | { kind: 'survey-fallback'; batchSize?: number }
  | { kind: 'top-up-quotas' }
  | { kind: 'submit'; body: CaseBody; times: number }
  | { kind: 'process-inbox'; limit?: number };

const [url, now, commandJson] = process.argv.slice(2);
if (!url || !now || !commandJson) throw new Error('usage: replica-process.ts URL NOW COMMAND_JSON');
const command = JSON.parse(commandJson) as ReplicaCommand;

const client = createPrismaClient(url);
const channel = new CountingChannel();
const app = createTestService(url, client, new FakeClock(now), { channels: { wecom: channel, sms: channel, wechat: channel } });
await client.prisma.$queryRawUnsafe('SELECT 1');
await app.deps.org.loadOrgSnapshot();

const lines = createInterface({ input: process.stdin });
process.stdout.write('READY\n');
for await (const line of lines) if (line.trim() === 'GO') break;
lines.close();

let result: unknown;
try {
  switch (command.kind) {
    case 'dispatch':
      result = await dispatchOutbox(app.deps, { channels: app.channels, jitter: () => 0.5, batchSize: command.batchSize ?? 200 });
      break;
    case 'activate':
      result = await activateDueFollowUps(app.deps, { batchSize: command.batchSize ?? 500 });
      break;
    case 'survey-fallback':
      result = await fallBackUnopenedSurveys(app.deps, { batchSize: command.batchSize ?? 200 });
      break;
    case 'top-up-quotas':
      result = await topUpQuotas(app.deps);
      break;
    case 'process-inbox':
      result = (await processPendingInbound(app.deps, inboundHandlers, command.limit ?? 200)).map((r) => ({ eventId: r.eventId, status: r.status }));
      break;
    case 'submit':
      result = await Promise.all(Array.from({ length: command.times }, () => submit(app, command.body)));
      break;
  }
  process.stdout.write(`RESULT ${JSON.stringify({ ok: true, result, sent: channel.sends.map((s) => ({ id: s.messageId, attempt: s.attempt })) })}\n`);
} catch (err) {
  process.stdout.write(`RESULT ${JSON.stringify({ ok: false, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) })}\n`);
} finally {
  await client.close();
}
