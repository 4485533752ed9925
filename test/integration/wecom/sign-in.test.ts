// Signing a member in with WeCom (docs/protocols/wecom.md §11) through the simulator and the real
// client: the link Huifang builds → WeCom's page → the redirect back with code and state → the code
// exchanged with auth/getuserinfo. Codes work once and for 5 minutes of the simulator's clock; untrusted
// redirect domains are refused by WeCom's pages; codes never reach a log line or an error.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../bot/clocks.js';
import { ChannelError } from '../../../bot/core/errors.js';
import { createLogger } from '../../../bot/logger.js';
import { readWecomSignInRedirect } from '../../../bot/channels/wecom/read-wecom-sign-in-redirect.js';
import { WecomClient, type WecomClientOptions } from '../../../bot/channels/wecom/wecom-client.js';
import { SIGN_IN_CODE_TTL_MS, WecomSimulator, type SimSignInOutcome } from '../../simulators/wecom/wecom-simulator.js';

const CONSOLE_HOST = 'console.huifang.test';
const REDIRECT_URI = `https://${CONSOLE_HOST}/sign-in/wecom?next=%2Fcases`;
const STATE = 'Q7rZ2mK9xV4p';

let sim: WecomSimulator;
let logLines: string[];

beforeEach(async () => {
  sim = await WecomSimulator.start({ users: ['hushi.li', 'hushi.zhou'], trustedDomains: [CONSOLE_HOST] });
  logLines = [];
});

afterEach(async () => {
  await sim.close();
});

function client(overrides: Partial<WecomClientOptions> = {}): WecomClient {
  const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void logLines.push(line) } });
  return new WecomClient({
    corpId: sim.corpId,
    agentId: sim.agentId,
    secret: sim.secret,
    apiBase: sim.baseUrl,
    oauthBase: sim.baseUrl,
    ssoBase: sim.baseUrl,
    clock: new FakeClock('2026-11-02T01:30:00.000Z'),
    logger,
    timeoutMs: 2_000,
    ...overrides,
  });
}

async function failure(promise: Promise<unknown>): Promise<ChannelError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ChannelError);
  return error as ChannelError;
}

/** The code from WeCom's redirect back, read as the console reads it. */
function codeFrom(outcome: SimSignInOutcome, state = STATE): string {
  expect(outcome.status).toBe(302);
  const redirect = readWecomSignInRedirect(new URL(outcome.location!).searchParams, state);
  if (!redirect.ok) throw new Error(`expected a code, got ${redirect.reason}`);
  return redirect.code;
}

/** Neither the secret, nor a token, nor a sign-in code may reach a log line or an error (STYLE C5). */
function expectNoCredentials(...texts: string[]) {
  for (const t of texts) {
    expect(t).not.toContain(sim.secret);
    for (const token of sim.issuedTokens) expect(t).not.toContain(token);
    for (const { code } of sim.signInCodes) expect(t).not.toContain(code);
  }
}

describe('WeCom sign-in inside the WeCom client (OAuth2, §11.1)', () => {
  it('sends the member back to the redirect URI with a code and the same state; the code gives their UserID', async () => {
    const c = client();
    const outcome = await sim.openInWecom(c.signInUrls(REDIRECT_URI, STATE).inApp, { userid: 'hushi.li' });
    const back = new URL(outcome.location!);
    expect(`${back.origin}${back.pathname}`).toBe(`https://${CONSOLE_HOST}/sign-in/wecom`);
    // WeCom appends to the redirect URI's own query.
    expect(back.searchParams.get('next')).toBe('/cases');
    expect(back.searchParams.get('state')).toBe(STATE);

    expect(await c.getUserInfo(codeFrom(outcome))).toEqual({ ok: true, userid: 'hushi.li' });
    expect(sim.callsTo('oauth2/authorize')[0]!.query).toMatchObject({ appid: sim.corpId, agentid: String(sim.agentId), scope: 'snsapi_base', response_type: 'code' });
  });

  it('gives a member their UserID even outside the visible range (§11.4)', async () => {
    const c = client();
    const outcome = await sim.openInWecom(c.signInUrls(REDIRECT_URI, STATE).inApp, { userid: 'kefu.wang' });
    expect(await c.getUserInfo(codeFrom(outcome))).toEqual({ ok: true, userid: 'kefu.wang' });
  });

  it('refuses a WeChat user who is not a member, with the ids WeCom gives', async () => {
    const c = client();
    const outcome = await sim.openInWecom(c.signInUrls(REDIRECT_URI, STATE).inApp, { openid: 'oSimOpenId0001', externalUserid: 'wmSimCustomer01' });
    expect(await c.getUserInfo(codeFrom(outcome))).toEqual({ ok: false, reason: 'NOT_A_MEMBER', openid: 'oSimOpenId0001', externalUserid: 'wmSimCustomer01' });
  });

  it('uses the member set on the simulator when the request does not say (the standalone page)', async () => {
    sim.currentVisitor = { userid: 'hushi.zhou' };
    const c = client();
    const outcome = await sim.openInWecom(c.signInUrls(REDIRECT_URI, STATE).inApp);
    expect(await c.getUserInfo(codeFrom(outcome))).toEqual({ ok: true, userid: 'hushi.zhou' });
  });

  it('attaches no identity to a link without #wechat_redirect: WeCom asks to open it in the client', async () => {
    const link = client().signInUrls(REDIRECT_URI, STATE).inApp.replace('#wechat_redirect', '');
    const outcome = await sim.openInWecom(link, { userid: 'hushi.li' });
    expect(outcome).toMatchObject({ status: 200, location: null });
    expect(outcome.page).toContain('请在企业微信客户端打开链接');
    expect(sim.signInCodes).toEqual([]);
  });

  it('refuses to redirect to a host that is not the application’s 可信域名, port included (§11.3)', async () => {
    const c = client();
    for (const redirect of ['https://evil.example.com/sign-in', `https://${CONSOLE_HOST}:8443/sign-in`, `https://sub.${CONSOLE_HOST}/sign-in`]) {
      const outcome = await sim.openInWecom(c.signInUrls(redirect, STATE).inApp, { userid: 'hushi.li' });
      expect(outcome, redirect).toMatchObject({ status: 403, location: null });
      expect(outcome.page).toContain('redirect_uri需使用应用可信域名');
    }
    // Scheme and path do not matter.
    expect((await sim.openInWecom(c.signInUrls(`http://${CONSOLE_HOST}/other`, STATE).inApp, { userid: 'hushi.li' })).status).toBe(302);
    expect(sim.signInCodes).toHaveLength(1);
  });

  it.each([
    ['another corp id', (u: URL) => u.searchParams.set('appid', 'wwsomeoneelse')],
    ['another agent id', (u: URL) => u.searchParams.set('agentid', '1000099')],
    ['a scope WeCom does not know', (u: URL) => u.searchParams.set('scope', 'snsapi_userinfo_x')],
    ['response_type other than code', (u: URL) => u.searchParams.set('response_type', 'token')],
    ['a state with other characters than letters and digits', (u: URL) => u.searchParams.set('state', 'a-b')],
  ])('refuses a link with %s', async (_what, tamper) => {
    const link = new URL(client().signInUrls(REDIRECT_URI, STATE).inApp);
    tamper(link);
    const outcome = await sim.openInWecom(link.toString(), { userid: 'hushi.li' });
    expect(outcome).toMatchObject({ status: 403, location: null });
    expect(sim.signInCodes).toEqual([]);
  });
});

describe('WeCom sign-in from a desktop browser (Web login, §11.2)', () => {
  it('sends the member who scanned and confirmed back with a code for their UserID', async () => {
    const c = client();
    const { webLogin } = c.signInUrls(REDIRECT_URI, STATE);
    const page = await fetch(webLogin);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('hushi.zhou');

    const outcome = await sim.signInWithWebLogin(webLogin, { userid: 'hushi.zhou' });
    expect(await c.getUserInfo(codeFrom(outcome))).toEqual({ ok: true, userid: 'hushi.zhou' });
    expect(sim.signInCodes.map((s) => s.via)).toEqual(['web_login']);
  });

  it('sends a member who refuses back without a code', async () => {
    const outcome = await sim.signInWithWebLogin(client().signInUrls(REDIRECT_URI, STATE).webLogin, 'cancel');
    expect(readWecomSignInRedirect(new URL(outcome.location!).searchParams, STATE)).toEqual({ ok: false, reason: 'CANCELLED' });
  });

  it('issues no code to a member outside the visible range', async () => {
    const outcome = await sim.signInWithWebLogin(client().signInUrls(REDIRECT_URI, STATE).webLogin, { userid: 'kefu.wang' });
    expect(outcome).toMatchObject({ status: 403, location: null });
    expect(outcome.page).toContain('无权限');
  });

  it('accepts the 授权回调域 for the Web login only; anything else gets 该链接无法访问', async () => {
    sim.trustedDomains.clear();
    sim.loginCallbackDomains.add(CONSOLE_HOST);
    const c = client();
    expect((await sim.signInWithWebLogin(c.signInUrls(REDIRECT_URI, STATE).webLogin, { userid: 'hushi.li' })).status).toBe(302);
    expect((await sim.openInWecom(c.signInUrls(REDIRECT_URI, STATE).inApp, { userid: 'hushi.li' })).status).toBe(403);
    const untrusted = await sim.signInWithWebLogin(c.signInUrls('https://evil.example.com/cb', STATE).webLogin, { userid: 'hushi.li' });
    expect(untrusted).toMatchObject({ status: 403, location: null });
    expect(untrusted.page).toContain('该链接无法访问');
  });
});

describe('exchanging the code (auth/getuserinfo, §11.4)', () => {
  it('refuses a used code as permanent 40029, without retrying it', async () => {
    const c = client();
    const code = codeFrom(await sim.openInWecom(c.signInUrls(REDIRECT_URI, STATE).inApp, { userid: 'hushi.li' }));
    await c.getUserInfo(code);
    const error = await failure(c.getUserInfo(code));
    expect(error).toMatchObject({ provider: 'wecom', kind: 'permanent', providerCode: '40029', retryable: false });
    expect(error.message).toContain('INVALID_CODE');
    expect(sim.callsTo('auth/getuserinfo')).toHaveLength(2);
    expectNoCredentials(error.message, ...logLines);
  });

  it('accepts a code for 5 minutes of the simulator clock and refuses it after', async () => {
    const c = client();
    const link = c.signInUrls(REDIRECT_URI, STATE).inApp;
    const early = codeFrom(await sim.openInWecom(link, { userid: 'hushi.li' }));
    const late = codeFrom(await sim.openInWecom(link, { userid: 'hushi.li' }));
    sim.advanceClock(SIGN_IN_CODE_TTL_MS - 1_000);
    expect(await c.getUserInfo(early)).toEqual({ ok: true, userid: 'hushi.li' });
    sim.advanceClock(2_000);
    expect(await failure(c.getUserInfo(late))).toMatchObject({ kind: 'permanent', providerCode: '40029' });
  });

  it('never exchanges a code whose state was forged, and the code stays unspent', async () => {
    const c = client();
    const outcome = await sim.openInWecom(c.signInUrls(REDIRECT_URI, STATE).inApp, { userid: 'hushi.li' });
    const forged = new URL(outcome.location!);
    forged.searchParams.set('state', 'AttackerState1');
    expect(readWecomSignInRedirect(forged.searchParams, STATE)).toEqual({ ok: false, reason: 'STATE_MISMATCH' });
    // A redirect meant for another browser session (another state issued there) is refused as well.
    expect(readWecomSignInRedirect(new URL(outcome.location!).searchParams, 'OtherSession9')).toEqual({ ok: false, reason: 'STATE_MISMATCH' });
    expect(sim.callsTo('auth/getuserinfo')).toEqual([]);
    expect(sim.signInCodes[0]!.usedAt).toBeNull();
  });

  it('refuses a code whose redirect domain is no longer trusted with 50001 (auth), naming the settings', async () => {
    const c = client();
    const code = codeFrom(await sim.openInWecom(c.signInUrls(REDIRECT_URI, STATE).inApp, { userid: 'hushi.li' }));
    sim.trustedDomains.delete(CONSOLE_HOST);
    const error = await failure(c.getUserInfo(code));
    expect(error).toMatchObject({ kind: 'auth', providerCode: '50001' });
    expect(error.message).toContain('可信域名');
  });

  it('refreshes a stale token once and retries with the same code, which is spent once', async () => {
    const c = client();
    const first = codeFrom(await sim.openInWecom(c.signInUrls(REDIRECT_URI, STATE).inApp, { userid: 'hushi.li' }));
    await c.getUserInfo(first);
    const second = codeFrom(await sim.openInWecom(c.signInUrls(REDIRECT_URI, STATE).inApp, { userid: 'hushi.zhou' }));
    sim.expireTokens();
    expect(await c.getUserInfo(second)).toEqual({ ok: true, userid: 'hushi.zhou' });
    const answers = sim.callsTo('auth/getuserinfo').map((r) => ('json' in r.answer ? r.answer.json?.errcode : 'hung'));
    expect(answers).toEqual([0, 42001, 0]);
    expect(sim.callsTo('gettoken')).toHaveLength(2);
  });

  it('logs the exchange with the code masked like the token', async () => {
    const c = client();
    const code = codeFrom(await sim.openInWecom(c.signInUrls(REDIRECT_URI, STATE).inApp, { userid: 'hushi.li' }));
    await c.getUserInfo(code);
    const calls = logLines.map((l) => JSON.parse(l) as { msg: string; url?: string }).filter((l) => l.msg === 'wecom api call');
    expect(calls.map((l) => l.url)).toEqual([
      `${sim.baseUrl}/cgi-bin/gettoken?corpid=${sim.corpId}&corpsecret=***`,
      `${sim.baseUrl}/cgi-bin/auth/getuserinfo?code=***&access_token=***`,
    ]);
    expectNoCredentials(...logLines);
  });

  it('does not send an empty or oversized code to WeCom', async () => {
    const c = client();
    expect(await failure(c.getUserInfo(''))).toMatchObject({ kind: 'permanent', providerCode: '40029' });
    expect(await failure(c.getUserInfo('x'.repeat(513)))).toMatchObject({ kind: 'permanent', providerCode: '40029' });
    expect(sim.requests).toEqual([]);
  });

  it('classifies injected failures as for every call: -1 retryable, 5xx retryable, a hang a NETWORK timeout', async () => {
    const c = client({ timeoutMs: 300 });
    const link = c.signInUrls(REDIRECT_URI, STATE).inApp;
    sim.injectFailure({ errcode: -1, errmsg: 'system busy' }, { api: 'auth/getuserinfo' });
    const busy = codeFrom(await sim.openInWecom(link, { userid: 'hushi.li' }));
    expect(await failure(c.getUserInfo(busy))).toMatchObject({ kind: 'retryable', providerCode: '-1' });
    // The injected answer did not spend the code.
    expect(await c.getUserInfo(busy)).toEqual({ ok: true, userid: 'hushi.li' });

    sim.injectFailure({ httpStatus: 502 }, { api: 'auth/getuserinfo' });
    const bad = codeFrom(await sim.openInWecom(link, { userid: 'hushi.li' }));
    expect(await failure(c.getUserInfo(bad))).toMatchObject({ kind: 'retryable', providerCode: 'HTTP_502' });

    sim.injectFailure({ hang: true }, { api: 'auth/getuserinfo' });
    const slow = codeFrom(await sim.openInWecom(link, { userid: 'hushi.li' }));
    const timeout = await failure(c.getUserInfo(slow));
    expect(timeout).toMatchObject({ kind: 'retryable', providerCode: 'NETWORK' });
    expectNoCredentials(timeout.message, String((timeout.cause as Error | undefined)?.message), ...logLines);
  });

  it("fails WeCom's pages on request, without touching the API", async () => {
    const link = client().signInUrls(REDIRECT_URI, STATE).inApp;
    sim.injectFailure({ httpStatus: 502 }, { api: 'oauth2/authorize' });
    expect(await sim.openInWecom(link, { userid: 'hushi.li' })).toMatchObject({ status: 502, location: null });
    sim.injectFailure({ errcode: -1 }, { api: '*' });
    // `*` covers API calls only: the page answers normally, the next API call takes the failure.
    expect((await sim.openInWecom(link, { userid: 'hushi.li' })).status).toBe(302);
  });
});

describe('the whole round trip with a browser following the redirects', () => {
  let consoleServer: Server;

  afterEach(async () => {
    await new Promise<void>((resolve) => consoleServer?.close(() => resolve()) ?? resolve());
  });

  it("reaches the console's redirect route, which checks the state and exchanges the code", async () => {
    const c = client();
    // A stand-in for the console's sign-in route: the state it issued to this browser, then the exchange.
    consoleServer = createServer((req, res) => {
      const redirect = readWecomSignInRedirect(new URL(req.url ?? '/', 'http://console').searchParams, STATE);
      const reply = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (!redirect.ok) return reply(400, redirect);
      c.getUserInfo(redirect.code).then(
        (info) => reply(200, info),
        (err: unknown) => reply(502, { error: err instanceof ChannelError ? err.providerCode : 'unknown' }),
      );
    });
    await new Promise<void>((resolve) => consoleServer.listen(0, '127.0.0.1', resolve));
    const consoleHost = `127.0.0.1:${(consoleServer.address() as AddressInfo).port}`;
    sim.trustedDomains.add(consoleHost);
    sim.currentVisitor = { userid: 'hushi.li' };

    // A browser inside WeCom, with the identity chosen on the simulator: it follows both redirects.
    const signedIn = await fetch(c.signInUrls(`http://${consoleHost}/sign-in/wecom`, STATE).inApp);
    expect(signedIn.status).toBe(200);
    expect(await signedIn.json()).toEqual({ ok: true, userid: 'hushi.li' });

    // Reloading the page WeCom sent the browser to replays a spent code.
    const replay = await fetch(signedIn.url);
    expect(replay.status).toBe(502);
    expect(await replay.json()).toEqual({ error: '40029' });
  });
});
