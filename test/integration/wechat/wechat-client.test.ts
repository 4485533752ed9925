// The WeChat Official Account client against the simulator: token reuse and refresh, one retry on a
// stale token, the hold-off after a wrong AppSecret, and transport failures, without leaking secrets.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../bot/clocks.js';
import { ChannelError } from '../../../bot/core/errors.js';
import { createLogger } from '../../../bot/logger.js';
import { WechatClient, type WechatClientOptions, type WechatTemplateSendBody } from '../../../bot/channels/wechat/wechat-client.js';
import { WechatSimulator } from '../../simulators/wechat/wechat-simulator.js';

let sim: WechatSimulator;
let clock: FakeClock;
let logLines: string[];

beforeEach(async () => {
  sim = await WechatSimulator.start();
  clock = new FakeClock('2026-11-10T02:30:00Z');
  logLines = [];
});

afterEach(async () => {
  await sim.close();
});

function client(overrides: Partial<WechatClientOptions> = {}): WechatClient {
  const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void logLines.push(line) } });
  return new WechatClient({ appId: sim.appId, appSecret: sim.appSecret, apiBase: sim.baseUrl, clock, logger, timeoutMs: 2_000, ...overrides });
}

const invite = (touser = sim.follower()): WechatTemplateSendBody => ({ touser, template_id: [...sim.templateIds][0]!, data: { thing1: { value: '回访中心' } } });

/** What `promise` rejected with; the assertion fails if it resolved or threw anything but a ChannelError. */
async function channelError(promise: Promise<unknown>): Promise<ChannelError> {
  const error: unknown = await promise.then(() => 'resolved', (e: unknown) => e);
  expect(error).toBeInstanceOf(ChannelError);
  return error as ChannelError;
}

/** No secret or token may reach a log line or an error (STYLE C5). */
function expectNoSecrets(...texts: string[]) {
  const tokens = sim.callsTo('stable_token').map((r) => r.answer.json?.access_token).filter((t): t is string => typeof t === 'string');
  for (const t of texts) {
    expect(t).not.toContain(sim.appSecret);
    for (const token of tokens) expect(t).not.toContain(token);
  }
}

describe('WechatClient against the simulator', () => {
  it('sends with a cached token and reads the 64-bit msgid from the text', async () => {
    const c = client();
    const first = await c.sendTemplateMessage(invite());
    await c.sendTemplateMessage(invite());
    expect(first.msgid).toMatch(/^\d{19}$/);
    expect(sim.callsTo('stable_token')).toHaveLength(1);
    expect(sim.messages).toHaveLength(2);
  });

  it('refreshes the token when less than 3 minutes remain', async () => {
    const c = client();
    await c.sendTemplateMessage(invite());
    clock.advance((7200 - 181) * 1000);
    await c.sendTemplateMessage(invite());
    expect(sim.callsTo('stable_token')).toHaveLength(1);
    clock.advance(2_000);
    await c.sendTemplateMessage(invite());
    expect(sim.callsTo('stable_token')).toHaveLength(2);
  });

  it('on an expired token (42001) refreshes once and retries once', async () => {
    const c = client();
    await c.sendTemplateMessage(invite());
    sim.expireTokens();
    await c.sendTemplateMessage(invite());
    expect(sim.callsTo('message/template/send').map((r) => r.answer.json?.errcode ?? 0)).toEqual([0, 42001, 0]);
    expect(sim.callsTo('stable_token').map((r) => (r.body as { force_refresh: boolean }).force_refresh)).toEqual([false, false]);
    expect(logLines.some((l) => l.includes('refreshing it and retrying once'))).toBe(true);
    expectNoSecrets(...logLines);
  });

  it('retries a token error only once', async () => {
    const c = client();
    await c.sendTemplateMessage(invite());
    sim.injectFailure({ errcode: 42001, errmsg: 'access_token expired' });
    sim.injectFailure({ errcode: 42001, errmsg: 'access_token expired' });
    expect(await channelError(c.sendTemplateMessage(invite()))).toMatchObject({ provider: 'wechat', kind: 'retryable', providerCode: '42001' });
    expect(sim.callsTo('message/template/send')).toHaveLength(3);
  });

  it('stops asking for tokens for a while after a wrong AppSecret, without echoing it', async () => {
    const secret = 'wrong-secret-0123456789';
    const c = client({ appSecret: secret });
    const error = await channelError(c.sendTemplateMessage(invite()));
    expect(error).toMatchObject({ kind: 'auth', providerCode: '40125', retryable: false });
    expect(error.message).toContain('WECHAT_MP_APP_SECRET');
    expect((await channelError(c.sendTemplateMessage(invite()))).providerCode).toBe('40125');
    expect(sim.callsTo('stable_token')).toHaveLength(1);
    clock.advance(61_000);
    await channelError(c.sendTemplateMessage(invite()));
    expect(sim.callsTo('stable_token')).toHaveLength(2);
    expect([error.message, ...logLines].join('\n')).not.toContain(secret);
  });

  it('turns HTTP 5xx into retryable HTTP_5xx', async () => {
    sim.injectFailure({ httpStatus: 502 });
    expect(await channelError(client().sendTemplateMessage(invite()))).toMatchObject({ kind: 'retryable', providerCode: 'HTTP_502' });
  });

  it('turns an unreachable API into retryable NETWORK without leaking the secret', async () => {
    const closed = await WechatSimulator.start();
    const base = closed.baseUrl;
    await closed.close();
    const error = await channelError(client({ apiBase: base }).sendTemplateMessage(invite()));
    expect(error).toMatchObject({ kind: 'retryable', providerCode: 'NETWORK' });
    expect(error.message).toContain('ECONNREFUSED');
    expectNoSecrets(error.message, String((error.cause as Error | undefined)?.message), ...logLines);
  });

  it('logs calls with the token masked', async () => {
    await client().sendTemplateMessage(invite());
    const calls = logLines.map((l) => JSON.parse(l) as { msg: string; url?: string }).filter((l) => l.msg === 'wechat api call');
    expect(calls.map((l) => l.url)).toEqual([`${sim.baseUrl}/cgi-bin/stable_token`, `${sim.baseUrl}/cgi-bin/message/template/send?access_token=***`]);
    expectNoSecrets(...logLines);
  });
});
