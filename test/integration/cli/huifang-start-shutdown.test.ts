/**
 * `huifang start` stopping on SIGTERM under keep-alive load, as a platform stops it: a real child
 * process (bin/huifang.mjs), clients on node's keep-alive Agent, the WeCom simulator holding a send
 * of the dispatch job open while the signal arrives. The process must answer what is in flight, close
 * kept-alive sockets instead of serving them on, let the job finish (no lease left held), and exit
 * with 0 — or, at HUIFANG_SHUTDOWN_TIMEOUT_SECONDS, exit with 1 on its own rather than wait for SIGKILL.
 */
import { Agent, request, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../bot/clocks.js';
import { EXAMPLE_STAFF } from '../../../bot/example/example-organisation.js';
import { createTestDb, type AdHocTestDb } from '../../support/db.js';
import { createTestService, seedOrganisation, sharedDbClient, TEST_API_KEY } from '../../support/service.js';
import { dischargeBody, staffTextMessage } from '../../support/builders.js';
import { freePort, spawnStart } from '../../support/start-process.js';
import { WecomSimulator } from '../../simulators/wecom/wecom-simulator.js';

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

/** Polls a condition of recorded state (simulator traffic), not the clock. */
async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 50));
}
