// (f) The HTTP edge under load: the service (createHuifang + createHttpApp, as `huifang start` wires
// them) on a loopback port, fed distinct, valid requests by autocannon from a worker thread, beside
// GET /healthz and a bare Koa handler measured in the same run, so the figures are read as ratios.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import Koa from 'koa';
import { encrypt, getSignature } from '@wecom/crypto';
import type { DbProvider } from '../bot/db/client.js';
import { createHttpApp } from '../bot/http/app.js';
import type { Huifang } from '../bot/huifang.js';
import { EXAMPLE_STAFF } from '../bot/example/example-organisation.js';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { BenchOptions } from './options.js';
import { createBenchApp, createBenchDb, customerPhone, dbClientOf, insertDueFollowUps, pad, seedPopulation, type Population } from './setup.js';
import type { UlidGenerator } from '../bot/clocks.js';
import type { AdHocTestDb } from '../test/support/db.js';
import { activateDueFollowUps } from '../bot/core/follow-ups/activate-due-follow-ups.js';
import { dispatchOutbox } from '../bot/core/outbox/dispatch-outbox.js';

/** One request as the load generator sends it. */
interface PreparedRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** What one measured target did. Latencies in milliseconds (autocannon's whole-millisecond histogram). */
export interface LoadResult {
  requests: number;
  seconds: number;
  perSecond: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  latency: { p50: number; p90: number; p99: number; max: number; mean: number };
}

/** The targets, in the order they are measured. */
export const HTTP_TARGETS = ['bare-koa', 'healthz', 'wecom-callback', 'wecom-callback-web', 'sms-reply', 'api-cases', 'wecom-callback-dispatching'] as const;

/** Outbox messages queued for the dispatcher that runs, in the service's process, during `wecom-callback-dispatching`. */
export const DISPATCHING_MESSAGES = 10_000;

/** What the dispatcher did while `wecom-callback-dispatching` was measured. */
export interface DispatchingResult {
  /** Messages waiting before the load began ({@link DISPATCHING_MESSAGES} activated from due follow-ups, and any earlier targets left; not measured). */
  queued: number;
  /** Messages the dispatcher sent while the load ran, and in all until it had none left. */
  sentDuringLoad: number;
  sentInAll: number;
  /** The dispatcher's rate during the load, messages/s. */
  perSecondDuringLoad: number;
  /** The event loop's longest delay during the load, and its 99th percentile, in ms (perf_hooks, 10 ms resolution). */
  loopDelayMaxMs: number;
  loopDelayP99Ms: number;
}
export type HttpTarget = (typeof HTTP_TARGETS)[number];

export interface HttpResult {
  provider: DbProvider;
  connections: number;
  targets: Record<HttpTarget, LoadResult>;
  /** After each callback target: how long the inbound events still waiting took to be handled (processing runs after the answer). */
  drainMs: Partial<Record<HttpTarget, number>>;
  /** Rows the measured requests left: inbound events recorded, cases created. */
  recorded: { inboundEvents: number; cases: number };
  /** The dispatcher beside `wecom-callback-dispatching`. */
  dispatching: DispatchingResult | null;
}

// Credentials of a fictitious WeCom corp and Tencent SMS account: HUIFANG_SANDBOX=1 keeps every
// channel in the sandbox while the callback routes are mounted as in production.
const CORP_ID = 'wwbench00000000001';
const CALLBACK_TOKEN = 'benchCallbackToken';
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const SMS_CALLBACK_KEY = 'bench-callback-key-0123456789';
const API_KEY = 'bench-api-key-0123456789abcdef';
const ENV = {
  HUIFANG_SANDBOX: '1',
  API_KEYS: `bench:${API_KEY}`,
  WECOM_CORP_ID: CORP_ID,
  WECOM_AGENT_ID: '1000002',
  WECOM_SECRET: 'bench-secret',
  WECOM_CALLBACK_TOKEN: CALLBACK_TOKEN,
  WECOM_ENCODING_AES_KEY: AES_KEY,
  TENCENT_SECRET_ID: 'AKIDbench',
  TENCENT_SECRET_KEY: 'bench-secret-key',
  TENCENT_SMS_SDK_APP_ID: '1400000000',
  TENCENT_SMS_SIGN_NAME: '回访',
  TENCENT_SMS_CALLBACK_KEY: SMS_CALLBACK_KEY,
};

const log = (text: string) => process.stderr.write(`  … ${text}\n`);

/** Text messages from the example staff, each with its own MsgId, encrypted and signed as WeCom does (docs/protocols/wecom.md §6.3). */
function wecomCallbacks(from: number, count: number, now: Date): PreparedRequest[] {
  const requests: PreparedRequest[] = [];
  const createTime = Math.floor(now.getTime() / 1000);
  for (let i = from; i < from + count; i++) {
    const user = EXAMPLE_STAFF[i % EXAMPLE_STAFF.length]!.wecomUserId;
    const xml =
      `<xml><ToUserName><![CDATA[${CORP_ID}]]></ToUserName><FromUserName><![CDATA[${user}]]></FromUserName>` +
      `<CreateTime>${createTime}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好 ${i}]]></Content>` +
      `<MsgId>${7_000_000_000_000_000_000n + BigInt(i)}</MsgId><AgentID>1000002</AgentID></xml>`;
    const encrypted = encrypt(AES_KEY, xml, CORP_ID);
    const timestamp = String(createTime);
    const nonce = String(100_000_000 + i);
    const signature = getSignature(CALLBACK_TOKEN, timestamp, nonce, encrypted);
    requests.push({
      method: 'POST',
      path: `/wecom/callback?${new URLSearchParams({ msg_signature: signature, timestamp, nonce }).toString()}`,
      headers: { 'content-type': 'text/xml' },
      body: `<xml><ToUserName><![CDATA[${CORP_ID}]]></ToUserName><AgentID><![CDATA[1000002]]></AgentID><Encrypt><![CDATA[${encrypted}]]></Encrypt></xml>`,
    });
  }
  return requests;
}

/** Customers' replies as Tencent pushes them (docs/protocols/tencent-sms.md §5.2): distinct (mobile, time). */
function smsReplies(from: number, count: number, now: Date, customers: number): PreparedRequest[] {
  const base = Math.floor(now.getTime() / 1000);
  const requests: PreparedRequest[] = [];
  for (let i = from; i < from + count; i++) {
    const mobile = customerPhone(i % customers).slice(3);
    requests.push({
      method: 'POST',
      path: `/sms/tencent/reply?key=${SMS_CALLBACK_KEY}`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ mobile, nationcode: '86', text: i % 3 === 0 ? '满意' : '5', time: base - i, sign: '回访' }),
    });
  }
  return requests;
}

/** Discharge cases as a HIS posts them, each a new case of a new patient. */
function casePosts(from: number, count: number): PreparedRequest[] {
  const requests: PreparedRequest[] = [];
  for (let i = from; i < from + count; i++) {
    const externalId = `BENCH-HTTP-${pad(i, 8)}`;
    requests.push({
      method: 'POST',
      path: '/api/v1/cases',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
      body: JSON.stringify({
        type: 'discharge',
        externalId,
        occurredAt: '2027-01-03T15:30:00+08:00',
        department: 'cardiology',
        responsibleStaff: i % 2 === 0 ? 'hushi.li' : 'hushi.zhou',
        customer: { externalId: `PAT-${externalId}`, name: '压测患者', salutation: '王女士', phone: `+86138${pad(i, 8)}` },
        attributes: { severity: 'normal' },
      }),
    });
  }
  return requests;
}

/** Fires `requests` at `baseUrl` from a worker thread; each request is sent once. */
function fire(baseUrl: string, requests: PreparedRequest[], connections: number, maxSeconds: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./http-load-worker.mjs', import.meta.url), { workerData: { url: baseUrl, connections, requests, maxSeconds } });
    worker.once('message', (m: (Omit<LoadResult, 'perSecond'> & { error?: undefined }) | { error: string }) => {
      void worker.terminate();
      if (m.error !== undefined) reject(new Error(m.error));
      else resolve({ ...m, perSecond: m.requests / m.seconds } as LoadResult);
    });
    worker.once('error', reject);
  });
}

async function listenOn(server: Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('listening', () => resolve());
    server.once('error', reject);
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/**
 * Waits until no inbound event is left RECEIVED (their processing runs after the answer); returns how long it took.
 * `app`'s drain is poked as `huifang start` does every second, for the events another service recorded.
 */
async function drainInbox(app: Huifang, limitMs = 120_000): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < limitMs) {
    if ((await app.views.health.backlog(app.clock.now())).receivedInbound === 0) break;
    app.inboxDrain?.poke();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return performance.now() - started;
}

/** (f) on one database: the five targets, each warmed up with distinct requests first. */
export async function runHttp(provider: DbProvider, options: BenchOptions): Promise<HttpResult> {
  const db = await createBenchDb(provider);
  const servers: Server[] = [];
  try {
    const { app, clock, ids } = createBenchApp(dbClientOf(db), db.url, undefined, ENV);
    const customers = 3_000;
    const population = await seedPopulation(db, ids, clock.now(), customers, 100);
    const serve = (koa: Koa) => {
      const server = koa.listen(0, '127.0.0.1');
      servers.push(server);
      return listenOn(server);
    };
    const serviceUrl = await serve(createHttpApp(app));
    // The same service as `huifang start --role web` runs it: no inbox drain in its process. Its events are
    // left to the drain of another process (`--role jobs`); here, that of the first service, after the load.
    const web = createBenchApp(dbClientOf(db), db.url, clock, ENV, { inboxDrain: false });
    const webUrl = await serve(createHttpApp(web.app));
    // The floor of what Koa and node:http cost per request on this machine, in this process.
    const bare = new Koa();
    bare.use((ctx) => {
      ctx.body = 'ok';
    });
    const bareUrl = await serve(bare);

    const n = options.httpRequests;
    const warm = Math.min(200, Math.max(options.connections, Math.floor(n / 10)));
    const now = clock.now();
    const build: Record<HttpTarget, { url: string; make: (from: number, count: number) => PreparedRequest[] }> = {
      'bare-koa': { url: bareUrl, make: (_f, count) => Array.from({ length: count }, () => ({ method: 'GET', path: '/', headers: {} })) },
      healthz: { url: serviceUrl, make: (_f, count) => Array.from({ length: count }, () => ({ method: 'GET', path: '/healthz', headers: {} })) },
      'wecom-callback': { url: serviceUrl, make: (from, count) => wecomCallbacks(from, count, now) },
      // Other MsgIds and nonces than the other WeCom targets': every callback is new.
      'wecom-callback-web': { url: webUrl, make: (from, count) => wecomCallbacks(2_000_000 + from, count, now) },
      'sms-reply': { url: serviceUrl, make: (from, count) => smsReplies(from, count, now, customers) },
      'api-cases': { url: serviceUrl, make: (from, count) => casePosts(from, count) },
      // Other MsgIds than wecom-callback's: every callback is new.
      'wecom-callback-dispatching': { url: serviceUrl, make: (from, count) => wecomCallbacks(1_000_000 + from, count, now) },
    };
    let dispatching: DispatchingResult | null = null;
    const targets = {} as Record<HttpTarget, LoadResult>;
    const drainMs: HttpResult['drainMs'] = {};
    for (const target of HTTP_TARGETS) {
      const { url, make } = build[target];
      // Prepared before firing: signing and encryption are the sender's work, not measured.
      const warmup = make(0, warm);
      const measured = make(warm, n);
      const queued = target === 'wecom-callback-dispatching' ? await queueForDispatch(app, db, ids, population, DISPATCHING_MESSAGES) : 0;
      await fire(url, warmup, options.connections, options.httpSeconds);
      await drainInbox(app);
      log(`${provider}: ${target}: ${n} requests over ${options.connections} connections`);
      if (target === 'wecom-callback-dispatching') {
        const dispatcher = startDispatcher(app);
        const loop = monitorEventLoopDelay({ resolution: 10 });
        loop.enable();
        const started = performance.now();
        targets[target] = await fire(url, measured, options.connections, options.httpSeconds);
        const loadMs = performance.now() - started;
        loop.disable();
        const sentDuringLoad = dispatcher.sent();
        const sentInAll = await dispatcher.finish();
        dispatching = {
          queued,
          sentDuringLoad,
          sentInAll,
          perSecondDuringLoad: sentDuringLoad / (loadMs / 1000),
          loopDelayMaxMs: loop.max / 1e6,
          loopDelayP99Ms: loop.percentile(99) / 1e6,
        };
      } else targets[target] = await fire(url, measured, options.connections, options.httpSeconds);
      if (target !== 'bare-koa' && target !== 'healthz' && target !== 'api-cases') drainMs[target] = await drainInbox(app);
    }
    const [inboundEvents, cases] = await Promise.all([db.prisma.inboundEvent.count(), db.prisma.case.count({ where: { externalId: { startsWith: 'BENCH-HTTP-' } } })]);
    return { provider, connections: options.connections, targets, drainMs, recorded: { inboundEvents, cases }, dispatching };
  } finally {
    await Promise.all(servers.map(close));
    await db.destroy();
  }
}

/** Activates `count` due follow-ups of the population (staff tasks and SMS surveys) into outbox messages, before the load. */
async function queueForDispatch(app: Huifang, db: AdHocTestDb, ids: UlidGenerator, population: Population, count: number): Promise<number> {
  log(`queueing ${count} outbox messages for the dispatcher`);
  await insertDueFollowUps(db.prisma, ids, population, { count, stepPrefix: 'http-dispatch.', now: app.clock.now() });
  while ((await activateDueFollowUps(app.deps)).claimed > 0);
  // With what earlier targets left waiting (the cases posted have their own due follow-ups and messages).
  return db.prisma.outboxMessage.count({ where: { status: 'PENDING' } });
}

/**
 * The dispatcher as the service's `dispatch-outbox` job runs it in the same process (`--role all`), with the
 * job's settings (claims of 50, 8 sends at a time, up to 50 claims per run), to the sandbox channels, run
 * after run with no pause (the job waits 10 s between runs), until no message is left or it is told to
 * finish. Contact hours are lifted (every message may go whatever the hour the bench runs at).
 */
function startDispatcher(app: Huifang): { sent: () => number; finish: () => Promise<number> } {
  let sent = 0;
  const running = (async () => {
    for (;;) {
      const s = await dispatchOutbox(app.deps, { channels: app.channels, jitter: () => 0.5, contact: { quietHours: null, surveyMinGapMs: 0 } });
      sent += s.sent;
      if (s.claimed === 0) break;
    }
  })();
  return {
    sent: () => sent,
    finish: async () => {
      await running;
      return sent;
    },
  };
}
