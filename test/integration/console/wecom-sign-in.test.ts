// Console sign-in with WeCom (docs/protocols/wecom.md §11), end to end: the console's redirect to
// WeCom's page (the simulator on loopback, speaking WeCom's protocol), WeCom's redirect back with a code
// and the console's state, the code exchanged by the real client. Forged, replayed and expired states,
// spent codes, WeCom members who are not staff and visitors who are not members sign nobody in.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FakeClock } from '../../../bot/clocks.js';
import type { Huifang } from '../../../bot/huifang.js';
import { createHttpApp } from '../../../bot/http/app.js';
import { describeEachDatabase } from '../../support/db.js';
import { createTestService, seedOrganisation, sharedDbClient } from '../../support/service.js';
import { ConsoleClient, pageText } from '../../support/console-client.js';
import { WecomSimulator } from '../../simulators/wecom/wecom-simulator.js';

const START = '2026-11-10T09:00:00+08:00';
/** WeCom's in-app browser announces itself with `wxwork` in its User-Agent. */
const WECOM_BROWSER = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 wxwork/4.1.20 MicroMessenger/7.0.1 Language/zh';

describeEachDatabase('console sign-in with WeCom', (db) => {
  const clock = new FakeClock(START);
  let app: Huifang;
  let sim: WecomSimulator;
  let server: Server;
  let baseUrl: string;

  beforeAll(async () => {
    await seedOrganisation(db());
    // The console's address must be known before the service is configured (PUBLIC_BASE_URL is the
    // redirect URI WeCom checks against the trusted domain): listen first, attach the app after.
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    baseUrl = `http://${host}`;
    sim = await WecomSimulator.start({ users: ['kezhuren.wang', 'hushi.li', 'zhuguan.sun', 'wecom.only', 'hushi.zhou'], trustedDomains: [host] });
    app = createTestService(db().url, sharedDbClient(db()), clock, {
      env: {
        PUBLIC_BASE_URL: baseUrl,
        WECOM_CORP_ID: sim.corpId,
        WECOM_AGENT_ID: String(sim.agentId),
        WECOM_SECRET: sim.secret,
        WECOM_CALLBACK_TOKEN: sim.callbackToken,
        WECOM_ENCODING_AES_KEY: sim.encodingAesKey,
        WECOM_API_BASE: sim.baseUrl,
        WECOM_OAUTH_BASE: sim.baseUrl,
        WECOM_SSO_BASE: sim.baseUrl,
      },
    });
    server.on('request', createHttpApp(app).callback());
  });

  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await sim?.close();
  });

  /** The console's redirect to WeCom for `method`, with the state it issued. */
  async function startSignIn(client: ConsoleClient, method: 'oauth' | 'qr'): Promise<{ url: string; state: string }> {
    const res = await client.get(`/console/login/wecom?method=${method}`);
    expect(res.status).toBe(302);
    const url = res.location!;
    expect(url.startsWith(sim.baseUrl)).toBe(true);
    const state = new URL(url).searchParams.get('state')!;
    expect(state).toMatch(/^[0-9a-f]{36}$/);
    return { url, state };
  }

  /** Where WeCom sent the member back (the console's callback with code and state). */
  async function wecomRedirect(method: 'oauth' | 'qr', url: string, userid: string): Promise<string> {
    const outcome = method === 'oauth' ? await sim.openInWecom(url, { userid }) : await sim.signInWithWebLogin(url, { userid });
    expect(outcome.status, outcome.page).toBe(302);
    const back = new URL(outcome.location!);
    expect(`${back.origin}${back.pathname}`).toBe(`${baseUrl}/console/login/wecom/callback`);
    return `${back.pathname}${back.search}`;
  }

  async function signInAudit(): Promise<{ action: string; details: Record<string, unknown> }[]> {
    const rows = await db().prisma.auditLog.findMany({ where: { action: { in: ['console.signed_in', 'console.sign_in_refused'] } }, orderBy: [{ at: 'asc' }, { id: 'asc' }] });
    return rows.map((r) => ({ action: r.action, details: JSON.parse(r.details) as Record<string, unknown> }));
  }

  it('offers WeCom on the sign-in page, not the sandbox picker, and sends WeCom’s own browser straight to OAuth2', async () => {
    const client = new ConsoleClient(baseUrl);
    const page = await client.get('/console/login');
    expect(pageText(page.body)).toContain('企业微信扫码登录');
    expect(pageText(page.body)).not.toContain('体验模式');
    expect((await client.post('/console/login/sandbox', { staffId: 'ex:kezhuren.wang' }, { csrf: false })).status).toBe(404);
    const inWecom = await new ConsoleClient(baseUrl, { 'user-agent': WECOM_BROWSER }).get('/console/login');
    expect(inWecom.status).toBe(302);
    expect(inWecom.location).toBe('/console/login/wecom?method=oauth');
  });

  it('signs a staff member in through OAuth2 inside WeCom, with the scope of their position', async () => {
    const client = new ConsoleClient(baseUrl, { 'user-agent': WECOM_BROWSER });
    const { url } = await startSignIn(client, 'oauth');
    expect(new URL(url).hash).toBe('#wechat_redirect');
    const back = await client.get(await wecomRedirect('oauth', url, 'kezhuren.wang'));
    expect(back.status).toBe(302);
    expect(back.location).toBe('/console');
    const home = await client.get('/console');
    expect(home.status).toBe(200);
    expect(pageText(home.body)).toContain('王主任');
    expect(pageText(home.body)).toContain('负责人');
    expect((await signInAudit()).filter((a) => a.details.method === 'wecom_oauth')).toEqual([{ action: 'console.signed_in', details: expect.objectContaining({ role: 'manager' }) }]);
  });

  it('signs a staff member in through the QR-code login on a desktop browser', async () => {
    const client = new ConsoleClient(baseUrl);
    const { url } = await startSignIn(client, 'qr');
    const back = await client.get(await wecomRedirect('qr', url, 'hushi.li'));
    expect(back.location).toBe('/console');
    const home = await client.get('/console');
    expect(pageText(home.body)).toContain('李护士');
    expect((await signInAudit()).filter((a) => a.details.method === 'wecom_qr')).toEqual([{ action: 'console.signed_in', details: expect.objectContaining({ role: 'staff' }) }]);
  });

  it('refuses a callback whose state the console never issued, and one replayed after use', async () => {
    const client = new ConsoleClient(baseUrl);
    const { url, state } = await startSignIn(client, 'qr');
    const callback = await wecomRedirect('qr', url, 'zhuguan.sun');
    // An attacker's page sends the browser back with the member's code but a state of its own.
    const forged = await new ConsoleClient(baseUrl).get(callback.replace(state, 'f'.repeat(36)));
    expect(forged.status).toBe(400);
    expect(pageText(forged.body)).toContain('登录已过期或无效');
    // The genuine callback still works once …
    expect((await client.get(callback)).location).toBe('/console');
    // … and not twice: the state is spent.
    const replayed = new ConsoleClient(baseUrl);
    const again = await replayed.get(callback);
    expect(again.status).toBe(400);
    expect(replayed.sessionCookie).toBeUndefined();
  });

  it('refuses a state older than 10 minutes', async () => {
    const client = new ConsoleClient(baseUrl);
    const { url } = await startSignIn(client, 'qr');
    const callback = await wecomRedirect('qr', url, 'hushi.zhou');
    clock.advance(10 * 60_000 + 1);
    try {
      expect((await client.get(callback)).status).toBe(400);
      expect(client.sessionCookie).toBeUndefined();
    } finally {
      clock.set(START);
    }
  });

  it('refuses a code WeCom has already spent, even with a fresh state', async () => {
    const first = new ConsoleClient(baseUrl);
    const { url, state } = await startSignIn(first, 'qr');
    const callback = await wecomRedirect('qr', url, 'hushi.zhou');
    expect((await first.get(callback)).location).toBe('/console');
    const second = new ConsoleClient(baseUrl);
    const fresh = await startSignIn(second, 'qr');
    const res = await second.get(callback.replace(state, fresh.state));
    expect(res.status).toBe(403);
    expect(pageText(res.body)).toContain('企业微信未确认您的身份');
    expect(second.sessionCookie).toBeUndefined();
    expect((await signInAudit()).filter((a) => a.details.reason === 'WeCom refused the code')).toEqual([{ action: 'console.sign_in_refused', details: expect.objectContaining({ method: 'qr' }) }]);
  });

  it('refuses a WeCom member who is not an active staff member of Huifang', async () => {
    const client = new ConsoleClient(baseUrl);
    const { url } = await startSignIn(client, 'qr');
    const res = await client.get(await wecomRedirect('qr', url, 'wecom.only'));
    expect(res.status).toBe(403);
    expect(pageText(res.body)).toContain('未登记为在职员工');
    expect(client.sessionCookie).toBeUndefined();
    expect(await db().prisma.consoleUser.count({ where: { name: 'wecom.only' } })).toBe(0);
  });

  it('refuses a visitor who is not a member of the organisation (an external WeChat user)', async () => {
    const client = new ConsoleClient(baseUrl, { 'user-agent': WECOM_BROWSER });
    const { url } = await startSignIn(client, 'oauth');
    const outcome = await sim.openInWecom(url, { openid: 'oEXTERNAL-visitor-0001' });
    expect(outcome.status).toBe(302);
    const back = new URL(outcome.location!);
    const res = await client.get(`${back.pathname}${back.search}`);
    expect(res.status).toBe(403);
    expect(client.sessionCookie).toBeUndefined();
  });

  it('never writes a sign-in code or a state into the audit log', async () => {
    const codes = sim.signInCodes.map((c) => c.code);
    expect(codes.length).toBeGreaterThan(3);
    const rows = await db().prisma.auditLog.findMany({ where: { action: { startsWith: 'console.' } } });
    for (const row of rows) for (const code of codes) expect(row.details).not.toContain(code);
  });
});
