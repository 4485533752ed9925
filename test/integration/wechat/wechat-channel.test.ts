// The WeChat Official Account adapter against the simulator: token handling and the errcode table
// (protocol-shaped answers become classified ChannelErrors).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelError } from '../../../bot/core/errors.js';
import { FakeClock } from '../../../bot/clocks.js';
import { fitKeywordValue } from '../../../bot/core/templates/wechat-keywords.js';
import { WechatChannel } from '../../../bot/channels/wechat/wechat-channel.js';
import { WechatClient } from '../../../bot/channels/wechat/wechat-client.js';
import type { SendRequest } from '../../../bot/core/messages.js';
import { WechatSimulator } from '../../simulators/wechat/wechat-simulator.js';

describe('WeChat Official Account channel', () => {
  let sim: WechatSimulator;
  const clock = new FakeClock('2026-11-10T02:30:00Z');
  let sequence = 0;

  beforeAll(async () => {
    sim = await WechatSimulator.start();
  });
  afterAll(async () => {
    await sim?.close();
  });

  const channel = (options: { appSecret?: string; templateId?: string } = {}) =>
    new WechatChannel({
      client: new WechatClient({ appId: sim.appId, appSecret: options.appSecret ?? sim.appSecret, apiBase: sim.baseUrl, clock }),
      surveyTemplateId: options.templateId ?? [...sim.templateIds][0]!,
    });
  const invite = (openId: string | undefined): SendRequest => {
    sequence += 1;
    return {
      messageId: `m${sequence}`,
      idempotencyKey: `fu:test${sequence}:1`,
      attempt: 1,
      message: {
        kind: 'survey_invite',
        to: { customerId: 'c1', ...(openId ? { openId } : {}) },
        templateKey: 'survey_invite',
        params: [],
        text: '请为本次服务评分',
        link: 'https://huifang.example.cn/s/abc.def',
        surveyId: `s${sequence}`,
        templateData: { thing1: '回访中心', thing2: '反映的问题已处理完毕，请您评价本次服务的整体满意程度' },
      },
    };
  };
  const failure = async (promise: Promise<unknown>): Promise<ChannelError> => {
    const error = await promise.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ChannelError);
    return error as ChannelError;
  };

  it('fits keyword values to their type so WeChat does not refuse them (47003)', async () => {
    const openId = sim.follower();
    await channel().send(invite(openId));
    const [message] = sim.messagesTo(openId);
    expect(Array.from(message!.data.thing2!.value)).toHaveLength(20);
    expect(message!.data.thing2!.value.endsWith('…')).toBe(true);
    expect(fitKeywordValue('character_string4', 'A'.repeat(40))).toBe('A'.repeat(32));
    expect(fitKeywordValue('time3', '2026年11月7日 09:30')).toBe('2026年11月7日 09:30');
  });

  it('fits name and phrase values without an ellipsis, strips line breaks, and refuses what cannot fit before WeChat does', async () => {
    // The old cut made "王小明同学家长亲属代表人" into "王小明同学家长亲属…": a name with a symbol, which WeChat refuses.
    expect(fitKeywordValue('name1', '欧阳王小明同学家长亲属代表')).toBe('欧阳王小明同学家长亲');
    expect(fitKeywordValue('thing2', '报修\n已处理')).toBe('报修 已处理');
    expect(fitKeywordValue('phrase3', '已办结')).toBe('已办结');
    expect(fitKeywordValue('phrase3', '已办结待回访')).toBeNull();
    expect(fitKeywordValue('phrase3', 'OK')).toBeNull();
    expect(fitKeywordValue('time4', '11月3日')).toBeNull();
    expect(fitKeywordValue('character_string5', '单号123')).toBeNull();
    const openId = sim.follower();
    const send = (data: Record<string, string>) => channel().send({ ...invite(openId), message: { ...invite(openId).message, templateData: data } as SendRequest['message'] });
    await send({ name1: '欧阳王小明同学家长亲属代表', phrase3: '已办结', thing2: '第一行\n第二行' });
    expect(sim.messagesTo(openId).at(-1)!.data).toEqual({ name1: { value: '欧阳王小明同学家长亲' }, phrase3: { value: '已办结' }, thing2: { value: '第一行 第二行' } });
    // A phrase of six characters is refused here, permanently (the SMS fallback takes over), not sent to fail with 47003.
    expect(await failure(send({ phrase3: '已办结待回访' }))).toMatchObject({ kind: 'permanent', providerCode: 'KEYWORD_VALUE_INVALID' });
  });

  it('simulates WeChat refusing every keyword type’s wrong values with 47003', async () => {
    const openId = sim.follower();
    const raw = async (data: Record<string, string>) => {
      const token = (await (await fetch(`${sim.baseUrl}/cgi-bin/stable_token`, { method: 'POST', body: JSON.stringify({ grant_type: 'client_credential', appid: sim.appId, secret: sim.appSecret }) })).json()) as { access_token: string };
      const body = { touser: openId, template_id: [...sim.templateIds][0], data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, { value: v }])) };
      return ((await (await fetch(`${sim.baseUrl}/cgi-bin/message/template/send?access_token=${token.access_token}`, { method: 'POST', body: JSON.stringify(body) })).json()) as { errcode: number }).errcode;
    };
    expect(await raw({ thing1: '投诉处理', name2: '王小明', phrase3: '已办结', time4: '2026年11月3日 09:30', character_string5: 'ZY-2026-001', const6: '已完成' })).toBe(0);
    for (const bad of <Record<string, string>[]>[{ phrase3: '已办结待回访' }, { phrase3: 'OK' }, { name2: '王小明…' }, { time4: '11月3日' }, { character_string5: '单号1' }, { thing1: '一\n二' }, { number7: '12a' }]) {
      expect(await raw(bad), JSON.stringify(bad)).toBe(47003);
    }
  });

  it.each([
    ['an invalid openid (40003)', 'invalid', 'permanent', '40003'],
    ['a customer without an openid', 'none', 'permanent', 'NO_OPENID'],
  ])('fails permanently for %s', async (_, which, kind, code) => {
    const error = await failure(channel().send(invite(which === 'none' ? undefined : 'o-not-an-openid-of-this-account')));
    expect(error).toMatchObject({ kind, providerCode: code });
  });

  it('defers on rate limits (45009, 45047) and waits for the operator on IP and permission errors (40164, 48001)', async () => {
    const openId = sim.follower();
    sim.injectFailure({ errcode: 45009, errmsg: 'reach max api daily quota limit' });
    expect(await failure(channel().send(invite(openId)))).toMatchObject({ kind: 'rate_limited', providerCode: '45009', retryAfterMs: 3_600_000 });
    sim.injectFailure({ errcode: 45047, errmsg: 'out of response count limit' });
    expect(await failure(channel().send(invite(openId)))).toMatchObject({ kind: 'rate_limited', providerCode: '45047' });
    sim.injectFailure({ errcode: 48001, errmsg: 'api unauthorized' });
    expect(await failure(channel().send(invite(openId)))).toMatchObject({ kind: 'auth', providerCode: '48001' });
    sim.ipAllowed = false;
    try {
      const error = await failure(channel().send(invite(openId)));
      expect(error).toMatchObject({ kind: 'auth', providerCode: '40164' });
      expect(error.message).toContain('IP白名单');
    } finally {
      sim.ipAllowed = true;
    }
    expect(sim.messagesTo(openId)).toEqual([]);
  });

  it('gives up at once on a banned template (43116) or a body WeChat cannot parse (47001), and after a few attempts on an unknown errcode', async () => {
    const openId = sim.follower();
    const templateId = [...sim.templateIds][0]!;
    sim.bannedTemplateIds.add(templateId);
    try {
      const banned = await failure(channel().send(invite(openId)));
      expect(banned).toMatchObject({ kind: 'permanent', providerCode: '43116' });
      expect(banned.message).toContain('WECHAT_MP_SURVEY_TEMPLATE_ID');
    } finally {
      sim.bannedTemplateIds.delete(templateId);
    }
    sim.injectFailure({ errcode: 47001, errmsg: 'data format error' });
    expect(await failure(channel().send(invite(openId)))).toMatchObject({ kind: 'permanent', providerCode: '47001' });
    sim.injectFailure({ errcode: 98765, errmsg: 'something new' });
    const unknown = await failure(channel().send(invite(openId)));
    expect(unknown).toMatchObject({ kind: 'retryable', providerCode: '98765', maxAttempts: 3 });
    expect(sim.messagesTo(openId)).toEqual([]);
  });

  it('names the setting to fix for a wrong AppSecret or template id, without echoing the secret', async () => {
    const secret = 'wrong-secret-0123456789';
    const error = await failure(channel({ appSecret: secret }).send(invite(sim.follower())));
    expect(error).toMatchObject({ kind: 'auth', providerCode: '40125' });
    expect(error.message).toContain('WECHAT_MP_APP_SECRET');
    expect(error.message).not.toContain(secret);
    expect(await failure(channel({ templateId: 'NotSelectedTpl' }).send(invite(sim.follower())))).toMatchObject({ kind: 'auth', providerCode: '40037' });
  });

  it('shares one token between concurrent sends and clients, and force-refreshes a token WeChat still hands out after rejecting it', async () => {
    const a = channel();
    const b = channel();
    const before = sim.callsTo('stable_token').length;
    await Promise.all([a.send(invite(sim.follower())), a.send(invite(sim.follower())), b.send(invite(sim.follower()))]);
    // One request per client (single flight); both got the same token in normal mode.
    const tokenCalls = sim.callsTo('stable_token').slice(before);
    expect(tokenCalls).toHaveLength(2);
    expect(new Set(tokenCalls.map((c) => c.answer.json?.access_token)).size).toBe(1);

    // WeChat rejects the token (40001) while normal mode still returns it: one force refresh.
    sim.injectFailure({ errcode: 40001, errmsg: 'invalid credential' });
    const openId = sim.follower();
    await a.send(invite(openId));
    const refreshes = sim.callsTo('stable_token').slice(before + 2);
    expect(refreshes.map((c) => (c.body as { force_refresh: boolean }).force_refresh)).toEqual([false, true]);
    expect(sim.messagesTo(openId)).toHaveLength(1);
  });

  it('refuses customer notices: template messages carry no marketing and notices go by SMS', async () => {
    const error = await failure(
      channel().send({
        messageId: 'n1',
        idempotencyKey: 'notice:1',
        attempt: 1,
        message: { kind: 'customer_notice', to: { customerId: 'c1', openId: sim.follower() }, templateKey: 'greeting', params: [], text: '节日快乐', purpose: 'marketing' },
      }),
    );
    expect(error).toMatchObject({ kind: 'permanent', providerCode: 'UNSUPPORTED_MESSAGE' });
  });
});
