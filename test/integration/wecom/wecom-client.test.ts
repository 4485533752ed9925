import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../bot/clocks.js';
import { ChannelError } from '../../../bot/core/errors.js';
import { createLogger } from '../../../bot/logger.js';
import { WecomClient, WecomTokenCache, type WecomClientOptions, type WecomSendBody } from '../../../bot/channels/wecom/wecom-client.js';
import { WecomSimulator } from '../../simulators/wecom/wecom-simulator.js';

let sim: WecomSimulator;
let clock: FakeClock;
let logLines: string[];

beforeEach(async () => {
  sim = await WecomSimulator.start({ users: ['hushi.li', 'hushi.zhou'] });
  clock = new FakeClock('2026-11-02T01:30:00.000Z');
  logLines = [];
});

afterEach(async () => {
  await sim.close();
});

function client(overrides: Partial<WecomClientOptions> = {}): WecomClient {
  const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void logLines.push(line) } });
  return new WecomClient({ corpId: sim.corpId, agentId: sim.agentId, secret: sim.secret, apiBase: sim.baseUrl, clock, logger, timeoutMs: 2_000, ...overrides });
}

const text = (content = '请回访', touser = 'hushi.li'): WecomSendBody => ({ touser, msgtype: 'text', agentid: sim.agentId, text: { content } });

async function failure(promise: Promise<unknown>): Promise<ChannelError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ChannelError);
  return error as ChannelError;
}

/** No secret or token may reach a log line or an error (STYLE C5). */
function expectNoSecrets(...texts: string[]) {
  for (const t of texts) {
    expect(t).not.toContain(sim.secret);
    for (const token of sim.issuedTokens) expect(t).not.toContain(token);
  }
}

describe('WecomClient against the simulator', () => {
  it('sends with a cached token and keeps ids as strings', async () => {
    const c = client();
    const first = await c.sendMessage(text());
    const second = await c.sendMessage(text('第二条'));
    expect(first).toMatchObject({ errcode: 0, invaliduser: '' });
    expect(typeof first.msgid).toBe('string');
    expect(second.msgid).not.toBe(first.msgid);
    expect(sim.callsTo('gettoken')).toHaveLength(1);
    expect(sim.messages.map((m) => m.userid)).toEqual(['hushi.li', 'hushi.li']);
  });

  it('fetches one token for many concurrent callers (single flight)', async () => {
    const c = client();
    await Promise.all(Array.from({ length: 8 }, (_, i) => c.sendMessage(text(`消息${i}`))));
    expect(sim.callsTo('gettoken')).toHaveLength(1);
    expect(sim.messages).toHaveLength(8);
  });

  it('shares tokens between clients of the same application through one cache', async () => {
    const tokenCache = new WecomTokenCache();
    await client({ tokenCache }).sendMessage(text());
    await client({ tokenCache }).sendMessage(text('二'));
    expect(sim.callsTo('gettoken')).toHaveLength(1);
  });

  it('refreshes the token when less than 5 minutes remain', async () => {
    const c = client();
    await c.sendMessage(text());
    clock.advance((7200 - 301) * 1000);
    await c.sendMessage(text('二'));
    expect(sim.callsTo('gettoken')).toHaveLength(1);
    clock.advance(2_000);
    await c.sendMessage(text('三'));
    expect(sim.callsTo('gettoken')).toHaveLength(2);
  });

  it.each([
    ['expired (42001)', () => sim.expireTokens()],
    ['invalidated early (40014)', () => sim.revokeTokens()],
  ])('on a token %s drops it, refreshes once and retries once', async (_what, invalidate) => {
    const c = client();
    await c.sendMessage(text());
    invalidate();
    await c.sendMessage(text('二'));
    const sends = sim.callsTo('message/send');
    expect(sends.map((r) => ('json' in r.answer ? r.answer.json?.errcode : 'hung'))).toEqual([0, expect.any(Number), 0]);
    expect(sim.callsTo('gettoken')).toHaveLength(2);
    expect(sim.messages).toHaveLength(2);
    expect(logLines.some((l) => l.includes('refreshing it and retrying once'))).toBe(true);
    expectNoSecrets(...logLines);
  });

  it('retries a token error only once', async () => {
    const c = client();
    sim.injectFailure({ errcode: 40014, errmsg: 'invalid access_token' }, { times: 2 });
    const error = await failure(c.sendMessage(text()));
    expect(error).toMatchObject({ provider: 'wecom', kind: 'retryable', providerCode: '40014' });
    expect(sim.callsTo('message/send')).toHaveLength(2);
    expect(sim.callsTo('gettoken')).toHaveLength(2);
  });

  it('treats 40001 on a call as a stale token once, then as a configuration error', async () => {
    const c = client();
    sim.injectFailure({ errcode: 40001, errmsg: 'invalid credential' }, { times: 2 });
    const error = await failure(c.sendMessage(text()));
    expect(error).toMatchObject({ kind: 'auth', providerCode: '40001' });
    expect(error.message).toContain('WECOM_SECRET');
    expect(sim.callsTo('message/send')).toHaveLength(2);
  });

  it('reports a wrong secret as auth without the secret, and stops asking for tokens for a while', async () => {
    const c = client({ secret: 'wrong-secret-value-123' });
    const error = await failure(c.sendMessage(text()));
    expect(error).toMatchObject({ kind: 'auth', providerCode: '40001', retryable: false });
    expect(error.message).toContain('WECOM_SECRET');
    expect(error.message).not.toContain('wrong-secret-value-123');
    const again = await failure(c.sendMessage(text()));
    expect(again.providerCode).toBe('40001');
    expect(sim.callsTo('gettoken')).toHaveLength(1);
    clock.advance(61_000);
    await failure(c.sendMessage(text()));
    expect(sim.callsTo('gettoken')).toHaveLength(2);
    expect(logLines.join('\n')).not.toContain('wrong-secret-value-123');
  });

  it('reports a wrong corp id as auth (40013)', async () => {
    const error = await failure(client({ corpId: 'ww-not-ours' }).sendMessage(text()));
    expect(error).toMatchObject({ kind: 'auth', providerCode: '40013' });
    expect(error.message).toContain('WECOM_CORP_ID');
  });

  it('classifies 45009 as rate limited for a minute and -1 / 45033 as retryable', async () => {
    const c = client();
    sim.injectFailure({ errcode: 45009, errmsg: 'api freq out of limit' });
    expect(await failure(c.sendMessage(text()))).toMatchObject({ kind: 'rate_limited', providerCode: '45009', retryAfterMs: 60_000, retryable: true });
    sim.injectFailure({ errcode: -1, errmsg: 'system busy' });
    expect(await failure(c.sendMessage(text()))).toMatchObject({ kind: 'retryable', providerCode: '-1' });
    sim.injectFailure({ errcode: 45033, errmsg: 'api concurrent out of limit' });
    expect(await failure(c.sendMessage(text()))).toMatchObject({ kind: 'retryable', providerCode: '45033' });
  });

  it("names 企业可信IP when the server's IP is not trusted (60020)", async () => {
    sim.ipAllowed = false;
    const error = await failure(client().sendMessage(text()));
    expect(error).toMatchObject({ kind: 'auth', providerCode: '60020' });
    expect(error.message).toContain('企业可信IP');
    expect(error.message).toContain('from ip: 127.0.0.1');
  });

  it('classifies unknown recipients (81013) and a reused task_id (42014) as permanent', async () => {
    const c = client();
    expect(await failure(c.sendMessage(text('x', 'nobody')))).toMatchObject({ kind: 'permanent', providerCode: '81013' });
    const card: WecomSendBody = {
      touser: 'hushi.li',
      msgtype: 'template_card',
      agentid: sim.agentId,
      template_card: { card_type: 'button_interaction', main_title: { title: 't' }, task_id: 'fu_X_1', button_list: [{ type: 0, text: '好', style: 1, key: 'k' }] },
    };
    const sent = await c.sendMessage(card);
    expect(typeof sent.response_code).toBe('string');
    expect(await failure(c.sendMessage(card))).toMatchObject({ kind: 'permanent', providerCode: '42014' });
  });

  it('lists partly invalid recipients in invaliduser', async () => {
    const result = await client().sendMessage(text('x', 'hushi.li|Ghost'));
    expect(result.invaliduser).toBe('ghost');
  });

  it('turns HTTP 5xx into retryable HTTP_5xx', async () => {
    sim.injectFailure({ httpStatus: 502 });
    expect(await failure(client().sendMessage(text()))).toMatchObject({ kind: 'retryable', providerCode: 'HTTP_502' });
  });

  it('turns a hang past the timeout into retryable NETWORK', async () => {
    sim.injectFailure({ hang: true });
    const error = await failure(client({ timeoutMs: 300 }).sendMessage(text()));
    expect(error).toMatchObject({ kind: 'retryable', providerCode: 'NETWORK' });
    expect(error.message).toContain('did not answer within 300 ms');
  });

  it('turns an unreachable API into retryable NETWORK without leaking the secret', async () => {
    const closed = await WecomSimulator.start();
    const base = closed.baseUrl;
    await closed.close();
    const error = await failure(client({ apiBase: base }).sendMessage(text()));
    expect(error).toMatchObject({ kind: 'retryable', providerCode: 'NETWORK' });
    expect(error.message).toContain('ECONNREFUSED');
    expectNoSecrets(error.message, String((error.cause as Error | undefined)?.message), ...logLines);
  });

  it('uses a token close to its expiry when the refresh cannot reach WeCom', async () => {
    const c = client();
    await c.sendMessage(text());
    clock.advance((7200 - 200) * 1000);
    sim.injectFailure({ httpStatus: 500 }, { api: 'gettoken' });
    await c.sendMessage(text('二'));
    expect(sim.messages).toHaveLength(2);
  });

  it('updates a card with a response_code once; a spent code is refused', async () => {
    const c = client();
    const sent = await c.sendMessage({
      touser: 'hushi.li',
      msgtype: 'template_card',
      agentid: sim.agentId,
      template_card: { card_type: 'button_interaction', main_title: { title: 't' }, task_id: 'fu_U_1', button_list: [{ type: 0, text: '好', style: 1, key: 'k' }] },
    });
    const update = { userids: ['hushi.li'], agentid: sim.agentId, response_code: sent.response_code!, button: { replace_name: '已处理' } };
    expect(await c.updateTemplateCard(update)).toMatchObject({ errcode: 0 });
    expect(sim.cardUpdates).toEqual([expect.objectContaining({ taskId: 'fu_U_1', replaceName: '已处理', userids: ['hushi.li'] })]);
    expect(await failure(c.updateTemplateCard(update))).toMatchObject({ kind: 'permanent', providerCode: '40058' });
  });

  it('a response_code expires after 72 h on the simulator clock', async () => {
    const c = client();
    const sent = await c.sendMessage({
      touser: 'hushi.li',
      msgtype: 'template_card',
      agentid: sim.agentId,
      template_card: { card_type: 'button_interaction', main_title: { title: 't' }, task_id: 'fu_E_1', button_list: [{ type: 0, text: '好', style: 1, key: 'k' }] },
    });
    sim.advanceClock(72 * 3_600_000 + 1_000);
    const update = { userids: ['hushi.li'], agentid: sim.agentId, response_code: sent.response_code!, button: { replace_name: '已处理' } };
    expect(await failure(c.updateTemplateCard(update))).toMatchObject({ kind: 'permanent', providerCode: '40058' });
    expect(sim.cardUpdates).toEqual([]);
  });

  it('shows why pacing is needed: WeCom accepts the 31st message a minute to one member and drops it', async () => {
    const c = client();
    for (let i = 0; i < 31; i++) expect(await c.sendMessage(text(`第${i}条`))).toMatchObject({ errcode: 0 });
    expect(sim.messages).toHaveLength(30);
    expect(sim.dropped).toHaveLength(1);
  });

  it('logs calls with the token masked', async () => {
    await client().sendMessage(text());
    const calls = logLines.map((l) => JSON.parse(l) as { msg: string; url?: string }).filter((l) => l.msg === 'wecom api call');
    expect(calls.map((l) => l.url)).toEqual([
      `${sim.baseUrl}/cgi-bin/gettoken?corpid=${sim.corpId}&corpsecret=***`,
      `${sim.baseUrl}/cgi-bin/message/send?access_token=***`,
    ]);
    expectNoSecrets(...logLines);
  });
});
