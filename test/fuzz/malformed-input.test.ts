// Malformed input against the whole HTTP edge, on every database (test/fuzz/corpus.ts holds the cases):
// no request may get a 5xx, the service must keep serving after each, and SQLite and PostgreSQL must
// give the same status. Also: the security headers of every HTML page, and the failed-authentication
// limit (429 with Retry-After).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../bot/clocks.js';
import type { Huifang } from '../../bot/huifang.js';
import { describeEachDatabase, testDatabases } from '../support/db.js';
import { createTestService, listen, seedOrganisation, sharedDbClient, TEST_API_KEY } from '../support/service.js';
import { signedInAsAdmin } from '../support/console-client.js';
import { corpus, wechatKit, wecomKit, type FuzzKit, type FuzzRequest } from './corpus.js';

const WECOM = { token: 'fuzzCallbackToken', encodingAesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG', corpId: 'wwfuzzcorp0000000001' };
const WECHAT_TOKEN = 'fuzzWechatToken';
const SMS_KEY = 'fuzz-sms-callback-key-0123456789';
const FAILED_AUTH_LIMIT = 5;

/** Every channel configured, every message kept local (HUIFANG_SANDBOX), unreachable provider hosts. */
const ENV = {
  HUIFANG_SANDBOX: '1',
  HUIFANG_FAILED_AUTH_ATTEMPTS: String(FAILED_AUTH_LIMIT),
  WECOM_CORP_ID: WECOM.corpId,
  WECOM_AGENT_ID: '1000002',
  WECOM_SECRET: 'fuzz-secret',
  WECOM_CALLBACK_TOKEN: WECOM.token,
  WECOM_ENCODING_AES_KEY: WECOM.encodingAesKey,
  WECOM_API_BASE: 'http://127.0.0.1:9',
  TENCENT_SECRET_ID: 'fuzz-id',
  TENCENT_SECRET_KEY: 'fuzz-key',
  TENCENT_SMS_SDK_APP_ID: '1400006666',
  TENCENT_SMS_SIGN_NAME: '回访中心',
  TENCENT_SMS_ENDPOINT: 'http://127.0.0.1:9',
  TENCENT_SMS_CALLBACK_KEY: SMS_KEY,
  WECHAT_MP_APP_ID: 'wxfuzz',
  WECHAT_MP_APP_SECRET: 'fuzz-app-secret',
  WECHAT_MP_SURVEY_TEMPLATE_ID: 'fuzz-template',
  WECHAT_MP_CALLBACK_TOKEN: WECHAT_TOKEN,
  WECHAT_API_BASE: 'http://127.0.0.1:9',
};

/** Status of each case by database, to compare the databases with each other. */
const statuses = new Map<string, Map<string, number>>();

let address = 0;
/** A client address of its own for each request (the app trusts one proxy's X-Forwarded-For). */
const nextAddress = () => `10.${(++address >> 16) & 255}.${(address >> 8) & 255}.${address & 255}`;

async function send(baseUrl: string, request: FuzzRequest, from = nextAddress()): Promise<Response> {
  return fetch(`${baseUrl}${request.path}`, {
    method: request.method,
    headers: { 'x-forwarded-for': from, ...request.headers },
    redirect: 'manual',
    ...(request.body === undefined ? {} : { body: request.body }),
  });
}

describeEachDatabase('malformed input at the HTTP edge', (db) => {
  let app: Huifang;
  let clock: FakeClock;
  let server: { baseUrl: string; close(): Promise<void> };
  let kit: FuzzKit;

  beforeAll(async () => {
    clock = new FakeClock('2026-11-02T01:30:00.000Z');
    await seedOrganisation(db());
    app = createTestService(db().url, sharedDbClient(db()), clock, { env: ENV });
    server = await listen(app);
    const { client: admin } = await signedInAsAdmin(app, server.baseUrl);
    const nowSeconds = () => Math.floor(clock.now().getTime() / 1000);
    kit = {
      apiKey: TEST_API_KEY,
      smsKey: SMS_KEY,
      nowSeconds,
      ...wecomKit(WECOM, nowSeconds),
      ...wechatKit(WECHAT_TOKEN, nowSeconds),
      sign: (purpose, id) => app.deps.links.sign(purpose, id),
      consoleHeaders: () => ({ cookie: `huifang_console=${admin.sessionCookie}`, origin: server.baseUrl }),
      consoleCsrf: () => admin.csrf ?? "",
    };
  });
  afterAll(async () => {
    await server?.close();
  });

  describe('the corpus', () => {
    it.each(corpus.map((c) => [c.name, c] as const))('%s: no 5xx, still serving, same status on every database', async (name, fuzz) => {
      const request = await fuzz.request(kit);
      const response = await send(server.baseUrl, request);
      const body = await response.text();
      // Console cases are signed in: they reach the page, not the sign-in redirect.
      if (request.headers?.cookie) expect(response.headers.get('location') ?? '').not.toContain('/console/login');
      if (process.env.FUZZ_PRINT) console.log(`${response.status} ${name}`);
      expect(response.status, body.slice(0, 300)).toBeLessThan(500);
      if (fuzz.status !== undefined) expect(response.status, body.slice(0, 300)).toBe(fuzz.status);
      // A 4xx of ours says what was wrong.
      if (response.status === 400 && body.startsWith('{"error"')) expect(body).toMatch(/"message":"[^"]+"/);
      const health = await fetch(`${server.baseUrl}/healthz`);
      expect(health.status).toBe(200);
      const byDb = statuses.get(name) ?? new Map<string, number>();
      byDb.set(db().provider, response.status);
      statuses.set(name, byDb);
      const others = [...byDb.entries()].filter(([provider]) => provider !== db().provider);
      for (const [provider, other] of others) expect(response.status, `status on ${db().provider} vs ${provider}`).toBe(other);
    });

    it('names the field of text that cannot be stored', async () => {
      const response = await send(server.baseUrl, {
        method: 'POST',
        path: '/api/v1/cases',
        headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'discharge', externalId: 'X', occurredAt: '2026-11-01T09:00:00Z', customer: { name: 'a\u0000b' } }),
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        error: { code: 'INVALID_TEXT', message: 'customer.name: contains the NUL character (U+0000)', details: { fields: [{ field: 'customer.name', message: 'contains the NUL character (U+0000)' }] } },
      });
      const query = await send(server.baseUrl, { method: 'GET', path: '/api/v1/follow-ups?caseId=%00', headers: { authorization: `Bearer ${TEST_API_KEY}` } });
      expect(((await query.json()) as { error: { message: string } }).error.message).toBe('query.caseId: contains the NUL character (U+0000)');
      const date = await send(server.baseUrl, {
        method: 'POST',
        path: '/api/v1/cases',
        headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'discharge', externalId: 'X', occurredAt: '9999-12-31T23:59:59Z', customer: { name: '王' } }),
      });
      expect(date.status).toBe(422);
      expect(((await date.json()) as { error: { message: string } }).error.message).toContain('occurredAt: must be between 1900-01-01 and 2999-12-31');
    });
  });

  describe('security headers', () => {
    const htmlRoutes: [string, () => Promise<string>][] = [
      ['/sandbox', async () => '/sandbox'],
      ['/console/login', async () => '/console/login'],
      ['/api', async () => '/api'],
      ['/s (forged)', async () => '/s/AAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBB'],
      ['/f (forged)', async () => '/f/AAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBB'],
      ['/e (forged)', async () => '/e/AAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBB'],
      ['/d (forged)', async () => '/d/AAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBB'],
      ['/d (signed, no such digest)', async () => `/d/${await app.deps.links.sign('digest', '2026-W44~nobody')}`],
      ['/s (signed, no such survey)', async () => `/s/${await app.deps.links.sign('survey', 'nosuchsurveytoken')}`],
    ];
    it.each(htmlRoutes)('%s is HTML with a CSP forbidding framing, X-Frame-Options and nosniff', async (_route, path) => {
      const response = await send(server.baseUrl, { method: 'GET', path: await path() });
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("default-src 'none'");
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    });
  });

  describe('failed authentications', () => {
    it(`answers 429 with Retry-After after ${FAILED_AUTH_LIMIT} wrong API keys from one address; a correct key works from another`, async () => {
      const attacker = '192.0.2.10';
      const wrong = { method: 'GET', path: '/api/v1/follow-ups', headers: { authorization: 'Bearer not-the-key' } } as const;
      for (let i = 0; i < FAILED_AUTH_LIMIT; i++) expect((await send(server.baseUrl, wrong, attacker)).status).toBe(401);
      const refused = await send(server.baseUrl, wrong, attacker);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('TOO_MANY_FAILED_ATTEMPTS');
      // Even the right key waits at that address; from another it works.
      const right = { method: 'GET', path: '/api/v1/follow-ups', headers: { authorization: `Bearer ${TEST_API_KEY}` } } as const;
      expect((await send(server.baseUrl, right, attacker)).status).toBe(429);
      expect((await send(server.baseUrl, right, '192.0.2.11')).status).toBe(200);
      // The window slides: 15 minutes later the address may try again.
      clock.advance(15 * 60_000 + 1_000);
      expect((await send(server.baseUrl, right, attacker)).status).toBe(200);
    });

    it.each(['s', 'f', 'd', 'r', 'e'])(`answers 429 after ${FAILED_AUTH_LIMIT} forged /%s links from one address`, async (prefix) => {
      const attacker = `198.51.100.${prefix.charCodeAt(0)}`;
      const forged = (i: number) => ({ method: 'GET', path: `/${prefix}/AAAAAAAAAAAAAAA${i}.BBBBBBBBBBBBBBBBBBBBBB` }) as const;
      for (let i = 0; i < FAILED_AUTH_LIMIT; i++) expect((await send(server.baseUrl, forged(i), attacker)).status).toBe(404);
      const refused = await send(server.baseUrl, forged(9), attacker);
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
      expect((await send(server.baseUrl, forged(9), '198.51.100.200')).status).toBe(404);
    });

    it(`answers 429 after ${FAILED_AUTH_LIMIT} wrong sandbox passwords; a browser's first request without one does not count`, async () => {
      const guarded = createTestService(db().url, sharedDbClient(db()), clock, { env: { ...ENV, HUIFANG_SANDBOX_PASSWORD: 'sandbox-pass-0123' } });
      const http = await listen(guarded);
      const basic = (pass: string) => ({ authorization: `Basic ${Buffer.from(`me:${pass}`).toString('base64')}` });
      try {
        const attacker = '203.0.113.50';
        for (let i = 0; i < FAILED_AUTH_LIMIT * 2; i++) expect((await send(http.baseUrl, { method: 'GET', path: '/sandbox' }, attacker)).status).toBe(401);
        for (let i = 0; i < FAILED_AUTH_LIMIT; i++) expect((await send(http.baseUrl, { method: 'GET', path: '/sandbox', headers: basic(`wrong-${i}`) }, attacker)).status).toBe(401);
        const refused = await send(http.baseUrl, { method: 'GET', path: '/sandbox', headers: basic('sandbox-pass-0123') }, attacker);
        expect(refused.status).toBe(429);
        expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
        expect((await send(http.baseUrl, { method: 'GET', path: '/sandbox', headers: basic('sandbox-pass-0123') }, '203.0.113.51')).status).toBe(200);
      } finally {
        await http.close();
      }
    });

    it(`answers 429 after ${FAILED_AUTH_LIMIT} wrong SMS callback keys`, async () => {
      const attacker = '203.0.113.7';
      const wrong = { method: 'POST', path: '/sms/tencent/reply?key=wrong-key-0123456789', headers: { 'content-type': 'application/json' }, body: '{}' } as const;
      for (let i = 0; i < FAILED_AUTH_LIMIT; i++) expect((await send(server.baseUrl, wrong, attacker)).status).toBe(401);
      expect((await send(server.baseUrl, wrong, attacker)).status).toBe(429);
    });
  });
});

describe('malformed input corpus', () => {
  it('runs on every enabled database', () => {
    expect(testDatabases.find((d) => d.name === 'sqlite')?.enabled).toBe(true);
    expect(corpus.length).toBeGreaterThan(100);
    expect(new Set(corpus.map((c) => c.name)).size).toBe(corpus.length);
  });
});
