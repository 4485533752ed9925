// Signing in by hand through the standalone WeCom simulator (`npm run sim:wecom`): 「用企业微信登录」 on a
// member's column makes them the person using WeCom and opens the service's sign-in page; a browser
// then goes through the simulator's OAuth2 page and back with a code that names that member. The
// service here is a stand-in for the console's two sign-in routes, built on the real client (the real
// console goes through the same pages in test/integration/console/wecom-sign-in.test.ts).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { ChannelError } from '../../../bot/core/errors.js';
import { readWecomSignInRedirect } from '../../../bot/channels/wecom/read-wecom-sign-in-redirect.js';
import { WecomClient } from '../../../bot/channels/wecom/wecom-client.js';
import { startStandaloneWecom, type StandaloneWecom, type UiState } from '../../simulators/wecom/standalone.js';

const STATE = 'HandSignIn2026';

let standalone: StandaloneWecom;
let service: Server;
let serviceUrl: string;

beforeAll(async () => {
  // The service first, so that its host is the simulator's trusted domain, as an operator would set it.
  let client: WecomClient | null = null;
  service = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://service');
    const reply = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (url.pathname === '/console/login/wecom') {
      // Inside WeCom's browser the console starts with the OAuth2 link.
      res.writeHead(302, { location: client!.signInUrls(`${serviceUrl}/sign-in/wecom`, STATE).inApp }).end();
      return;
    }
    const redirect = readWecomSignInRedirect(url.searchParams, STATE);
    if (!redirect.ok) return reply(400, redirect);
    client!.getUserInfo(redirect.code).then(
      (info) => reply(200, info),
      (err: unknown) => reply(502, { error: err instanceof ChannelError ? err.providerCode : 'unknown' }),
    );
  });
  await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
  serviceUrl = `http://127.0.0.1:${(service.address() as AddressInfo).port}`;
  standalone = await startStandaloneWecom({ port: 0, serviceUrl });
  const { sim } = standalone;
  client = new WecomClient({ corpId: sim.corpId, agentId: sim.agentId, secret: sim.secret, apiBase: sim.baseUrl, oauthBase: sim.baseUrl, ssoBase: sim.baseUrl, timeoutMs: 2_000 });
});

afterAll(async () => {
  await standalone?.close();
  await new Promise<void>((resolve) => (service ? service.close(() => resolve()) : resolve()));
});

beforeEach(() => {
  standalone.sim.currentVisitor = null;
});

const signInAs = (userid: string, redirect: RequestRedirect) =>
  fetch(`${standalone.sim.baseUrl}/ui/sign-in`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ userid }), redirect });

it("trusts the service's host and shows 「用企业微信登录」 on every member's column", async () => {
  expect([...standalone.sim.trustedDomains]).toEqual([new URL(serviceUrl).host]);
  expect(standalone.signInUrl).toBe(`${serviceUrl}/console/login/wecom?method=oauth`);
  const page = await (await fetch(standalone.pageUrl)).text();
  for (const userid of standalone.sim.users) {
    expect(page).toContain(`<input type="hidden" name="userid" value="${userid}"><button>用企业微信登录</button>`);
  }
});

it('makes the chosen member the person using WeCom and opens the service’s sign-in page', async () => {
  const chosen = await signInAs('hushi.li', 'manual');
  expect(chosen.status).toBe(303);
  expect(chosen.headers.get('location')).toBe(`${serviceUrl}/console/login/wecom?method=oauth`);
  const state = (await (await fetch(`${standalone.sim.baseUrl}/ui/state`)).json()) as UiState;
  expect(state.wecomUser).toBe('hushi.li');
  expect(await (await fetch(standalone.pageUrl)).text()).toContain('hushi.li <span class="me">企业微信当前用户</span>');
});

it('signs the chosen member in end to end: service → OAuth2 page → service with a code → their UserID', async () => {
  const signedIn = await signInAs('hushi.zhou', 'follow');
  expect(signedIn.status).toBe(200);
  expect(await signedIn.json()).toEqual({ ok: true, userid: 'hushi.zhou' });
  expect(standalone.sim.signInCodes.at(-1)).toMatchObject({ via: 'oauth2', visitor: { userid: 'hushi.zhou' } });
});

it('asks to open the link in WeCom while nobody was chosen', async () => {
  const page = await fetch(standalone.signInUrl);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('请在企业微信客户端打开链接');
});

it('lists the chosen member first on the Web login page, and signs in the member picked there', async () => {
  await signInAs('hushi.zhou', 'manual');
  const { webLogin } = new WecomClient({ corpId: standalone.sim.corpId, agentId: standalone.sim.agentId, secret: 'unused', apiBase: standalone.sim.baseUrl, ssoBase: standalone.sim.baseUrl }).signInUrls(
    `${serviceUrl}/sign-in/wecom`,
    STATE,
  );
  const page = await (await fetch(webLogin)).text();
  expect(page.indexOf('>hushi.zhou<')).toBeGreaterThan(0);
  expect(page.indexOf('>hushi.zhou<')).toBeLessThan(page.indexOf('>hushi.li<'));

  const outcome = await standalone.sim.signInWithWebLogin(webLogin, { userid: 'hushi.li' });
  const landed = await fetch(outcome.location!);
  expect(await landed.json()).toEqual({ ok: true, userid: 'hushi.li' });
});

it('refuses someone outside the visible range', async () => {
  const refused = await signInAs('nobody.here', 'manual');
  expect(refused.status).toBe(404);
  expect(standalone.sim.currentVisitor).toBeNull();
});
