/**
 * `huifang start` stopping on SIGTERM under keep-alive load, as a platform stops it: a real child
 * process (bin/huifang.mjs), clients on node's keep-alive Agent, the WeCom simulator holding a send
 * of the dispatch job open while the signal arrives. The process must answer what is in flight, close
 * kept-alive sockets instead of serving them on, let the job finish (no lease left held), and exit
 * with 0 — or, at HUIFANG_SHUTDOWN_TIMEOUT_SECONDS, exit with 1 on its own rather than wait for SIGKILL,
 * handing back first the outbox messages the cut-off dispatch had not started sending (the Tencent SMS
 * simulator holding its answers), on each database.
 */
import { Agent, request, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../bot/clocks.js';
import { EXAMPLE_STAFF } from '../../../bot/example/example-organisation.js';
import { createTestDb, describeEachDatabase, type AdHocTestDb } from '../../support/db.js';
import { createTestService, seedOrganisation, sharedDbClient, TEST_API_KEY } from '../../support/service.js';
import { dischargeBody, staffTextMessage, uniquePhone } from '../../support/builders.js';
import { freePort, spawnStart } from '../../support/start-process.js';
import { WecomSimulator } from '../../simulators/wecom/wecom-simulator.js';
import { TencentSmsSimulator } from '../../simulators/tencent-sms/tencent-sms-simulator.js';
import { jobs } from '../../../jobs/index.js';
import type { NewOutboxMessage } from '../../../bot/core/records.js';

interface Answer {
  status: number;
  connection: string | undefined;
  body: string;
  socket: Socket;
}

function get(port: number, agent: Agent, path = '/healthz'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => collect(res).then(resolve, reject));
    req.once('error', reject);
    req.end();
  });
}

async function collect(res: IncomingMessage): Promise<Answer> {
  // Taken now: once the body is read, the agent takes the socket back and res.socket is null.
  const socket = res.socket as Socket;
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return { status: res.statusCode ?? 0, connection: res.headers.connection, body: Buffer.concat(chunks).toString('utf8'), socket };
}

/** A POST whose body is sent in two halves: `finish()` sends the second. */
function slowPost(port: number, agent: Agent, path: string, body: string): { answer: Promise<Answer>; finish(): void } {
  const bytes = Buffer.from(body, 'utf8');
  const half = Math.floor(bytes.length / 2);
  let finish!: () => void;
  const answer = new Promise<Answer>((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': bytes.length, Authorization: `Bearer ${TEST_API_KEY}` } },
      (res) => collect(res).then(resolve, reject),
    );
    req.once('error', reject);
    req.write(bytes.subarray(0, half));
    finish = () => req.end(bytes.subarray(half));
  });
  return { answer, finish };
}

describe('huifang start: SIGTERM under keep-alive load', () => {
  let db: AdHocTestDb;
  let sim: WecomSimulator;
  let messageId: string;

  beforeAll(async () => {
    db = await createTestDb('sqlite');
    sim = await WecomSimulator.start({ users: EXAMPLE_STAFF.map((s) => s.wecomUserId) });
    const staff = await seedOrganisation(db);
    const nurseId = staff.get('hushi.li')!;
    // A staff message due now: the first dispatch run after start claims it.
    const app = createTestService(db.url, sharedDbClient(db), new FakeClock(new Date()));
    await app.deps.outbox.enqueue([staffTextMessage('shutdown:1', nurseId, 'hushi.li', new Date())]);
    messageId = (await db.prisma.outboxMessage.findUniqueOrThrow({ where: { idempotencyKey: 'shutdown:1' } })).id;
  }, 120_000);

  afterAll(async () => {
    await sim?.close();
    await db?.destroy();
  });

  it('answers the request in flight with Connection: close, closes kept-alive sockets, lets the running job finish, and exits with 0', async () => {
    // The send hangs until the test answers it: the dispatch job (and its lease) is in flight at SIGTERM.
    sim.injectFailure({ hang: true }, { api: 'message/send' });
    const service = spawnStart([], {
      DATABASE_URL: db.url,
      PORT: String(await freePort()),
      API_KEYS: `test:${TEST_API_KEY}`,
      HUIFANG_SHUTDOWN_TIMEOUT_SECONDS: '60',
      WECOM_CORP_ID: sim.corpId,
      WECOM_AGENT_ID: String(sim.agentId),
      WECOM_SECRET: sim.secret,
      WECOM_CALLBACK_TOKEN: sim.callbackToken,
      WECOM_ENCODING_AES_KEY: sim.encodingAesKey,
      WECOM_API_BASE: sim.baseUrl,
    });
    try {
      const port = (await service.waitForLog('Huifang listening')).port as number;
      const loadAgent = new Agent({ keepAlive: true, maxSockets: 1 });
      const idleAgent = new Agent({ keepAlive: true, maxSockets: 1 });
      const postAgent = new Agent({ keepAlive: true, maxSockets: 1 });

      const idle = await get(port, idleAgent);
      expect(idle.status).toBe(200);
      expect(idle.connection).toBe('keep-alive');
      const idleClosed = new Promise<void>((resolve) => idle.socket.once('close', () => resolve()));

      // Keep-alive load until the service stops answering.
      let stopping = false;
      const afterStopping: (Answer | Error)[] = [];
      const load = (async () => {
        for (;;) {
          const sentAfterStopping = stopping;
          try {
            const answer = await get(port, loadAgent);
            if (sentAfterStopping) afterStopping.push(answer);
          } catch (err) {
            if (sentAfterStopping) afterStopping.push(err as Error);
            return err as NodeJS.ErrnoException;
          }
        }
      })();

      await waitFor(() => sim.requests.some((r) => r.api === 'message/send' && 'hung' in r.answer));
      const post = slowPost(port, postAgent, '/api/v1/cases', JSON.stringify(dischargeBody()));
      // One more answer on another connection: the half-sent request has reached the server by then.
      await get(port, loadAgent);

      service.child.kill('SIGTERM');
      const stoppingLine = await service.waitForLog('Huifang stopping');
      stopping = true;
      expect(stoppingLine.jobs).toContain('dispatch-outbox');
      expect(stoppingLine.requests as number).toBeGreaterThanOrEqual(1);

      post.finish();
      const answered = await post.answer;
      expect(answered.status).toBe(201);
      expect(answered.connection).toBe('close');
      await idleClosed;

      const end = await load;
      // Whatever the kept-alive load sent after SIGTERM was told to close, or found the socket closed.
      for (const outcome of afterStopping) {
        if (outcome instanceof Error) expect((outcome as NodeJS.ErrnoException).code).toMatch(/^(ECONNREFUSED|ECONNRESET|EPIPE)$/);
        else expect(outcome.connection).toBe('close');
      }
      expect(end.code).toMatch(/^(ECONNREFUSED|ECONNRESET|EPIPE)$/);

      // The provider answers at last: the job records the send and the process exits.
      sim.answerHung();
      expect(await service.exited).toBe(0);
      expect(service.logs().map((l) => l.msg)).toContain('Huifang stopped');
      expect(service.logs().map((l) => l.msg)).not.toContain('shutdown deadline passed: exiting with work unfinished');

      const message = await db.prisma.outboxMessage.findUniqueOrThrow({ where: { id: messageId } });
      expect(message).toMatchObject({ status: 'SENT', leaseExpiresAt: null, claimToken: null });
      expect(await db.prisma.outboxMessage.count({ where: { status: 'SENDING' } })).toBe(0);
      expect(await db.prisma.followUp.count({ where: { leaseExpiresAt: { not: null } } })).toBe(0);
      [loadAgent, idleAgent, postAgent].forEach((a) => a.destroy());
    } finally {
      if (service.child.exitCode === null) service.child.kill('SIGKILL');
    }
  }, 120_000);

  it('exits with 1 on its own at the deadline when a request never completes', async () => {
    const service = spawnStart([], { DATABASE_URL: db.url, PORT: String(await freePort()), API_KEYS: `test:${TEST_API_KEY}`, HUIFANG_SHUTDOWN_TIMEOUT_SECONDS: '1' });
    try {
      const port = (await service.waitForLog('Huifang listening')).port as number;
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      const stuck = slowPost(port, agent, '/api/v1/cases', JSON.stringify(dischargeBody()));
      stuck.answer.catch(() => undefined);
      await get(port, new Agent({ keepAlive: false }));
      service.child.kill('SIGTERM');
      expect(await service.exited).toBe(1);
      const deadline = service.logs().find((l) => l.msg === 'shutdown deadline passed: exiting with work unfinished');
      expect(deadline).toMatchObject({ requests: 1, timeoutMs: 1000 });
      agent.destroy();
    } finally {
      if (service.child.exitCode === null) service.child.kill('SIGKILL');
    }
  }, 120_000);
});

describeEachDatabase('huifang start: a dispatch cut off at the shutdown deadline', (db) => {
  const TEMPLATE_ID = '7654321';
  const COUNT = 20;

  it('hands back the messages it had not started sending before it exits: claimed again at once, none sent twice or lost', async () => {
    const sim = await TencentSmsSimulator.start({ templates: { [TEMPLATE_ID]: '{1}您好，您的回访已安排' } });
    const tencent = {
      TENCENT_SECRET_ID: sim.secretId,
      TENCENT_SECRET_KEY: sim.secretKey,
      TENCENT_SMS_SDK_APP_ID: sim.sdkAppId,
      TENCENT_SMS_SIGN_NAME: [...sim.signNames][0]!,
      TENCENT_SMS_ENDPOINT: sim.baseUrl,
      TENCENT_SMS_CALLBACK_KEY: 'cb-key-0123456789abcdef-cut',
      TENCENT_SMS_TEMPLATES: `customer_notice=${TEMPLATE_ID}`,
      // Customer messages at any hour of the day the test runs.
      HUIFANG_QUIET_HOURS: 'off',
    };
    const run = `cut${Date.now()}`;
    const notice = (i: number): NewOutboxMessage => ({
      idempotencyKey: `${run}:${i}`,
      channel: 'sms',
      recipientType: 'customer',
      recipientId: `${run}-customer-${i}`,
      followUpId: null,
      nextAttemptAt: new Date(Date.now() - 60_000),
      message: { kind: 'customer_notice', to: { customerId: `${run}-customer-${i}`, phoneE164: uniquePhone() }, templateKey: 'customer_notice', params: ['王女士'], text: '王女士您好', purpose: 'service' },
    });
    const clock = new FakeClock(new Date());
    const app = createTestService(db().url, sharedDbClient(db()), clock, { env: tencent });
    await app.deps.outbox.enqueue(Array.from({ length: COUNT }, (_, i) => notice(i)));
    const keys = Array.from({ length: COUNT }, (_, i) => `${run}:${i}`);
    const rows = () => db().prisma.outboxMessage.findMany({ where: { idempotencyKey: { in: keys } } });

    // The provider takes every SMS and answers none: the job's 8 sends stay in flight past the deadline.
    sim.sendAnswer = 'hold';
    const service = spawnStart(['--role', 'jobs'], { DATABASE_URL: db().url, PORT: String(await freePort()), HUIFANG_SHUTDOWN_TIMEOUT_SECONDS: '1', ...tencent });
    try {
      await service.waitForLog('Huifang listening');
      await waitFor(() => sim.heldSends === 8);
      service.child.kill('SIGTERM');
      expect(await service.exited).toBe(1);
      const handedBack = service.logs().find((l) => l.msg === 'claims of the cut-off jobs handed back');
      expect(handedBack).toMatchObject({ released: { outbox: COUNT - 8 }, failed: [] });

      // Started sends stay claimed for reconciliation; the others are back in the queue, attempt given back.
      const after = await rows();
      const started = after.filter((m) => m.sendStartedAt !== null);
      expect(started).toHaveLength(8);
      for (const m of started) expect(m).toMatchObject({ status: 'SENDING', attempts: 1 });
      for (const m of after.filter((m) => m.sendStartedAt === null)) expect(m).toMatchObject({ status: 'PENDING', claimToken: null, leaseExpiresAt: null, attempts: 0 });

      // Another process at once (well inside the 60 s lease) sends the handed-back ones.
      sim.sendAnswer = 'now';
      expect(await jobs['dispatch-outbox']!.run(app)).toMatchObject({ claimed: COUNT - 8, sent: COUNT - 8 });
      // After the lease, the interrupted ones are found at Tencent by their SessionContext, not sent again.
      clock.advance(Date.now() - clock.now().getTime() + 61_000);
      expect(await jobs['dispatch-outbox']!.run(app)).toMatchObject({ claimed: 8, reconciled: 8, sent: 0 });

      expect((await rows()).map((m) => m.status)).toEqual(Array(COUNT).fill('SENT'));
      const received = sim.sent.filter((sms) => sms.sessionContext?.startsWith(`${run}:`)).map((sms) => sms.sessionContext);
      expect(received.sort()).toEqual([...keys].sort());
    } finally {
      if (service.child.exitCode === null) service.child.kill('SIGKILL');
      await sim.close();
    }
  }, 120_000);
});

/** Polls a condition of recorded state (simulator traffic), not the clock. */
async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 50));
}
