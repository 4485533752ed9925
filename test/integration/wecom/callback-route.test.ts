// GET/POST /wecom/callback over HTTP: the URL handshake, the official vectors, and every way a
// callback can be refused (STYLE "bad input everywhere").
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDatabase } from '../../support/db.js';
import { WECOM_CALLBACK_MAX_BYTES } from '../../../bot/http/routes/wecom.js';
import { processedInboundEvent, startWecomService, type WecomTestService } from './wecom-service.js';
import { WecomSimulator } from '../../simulators/wecom/wecom-simulator.js';
import { simEncrypt, simSignature } from '../../simulators/wecom/wecom-sim-crypto.js';

const vectors = JSON.parse(readFileSync(join(import.meta.dirname, '../../fixtures/wecom/official-vectors.json'), 'utf8')) as {
  token: string;
  encodingAesKey: string;
  corpId: string;
  verifyUrl: { timestamp: string; nonce: string; echostr: string; msgSignature: string; expectedReply: string };
  event: { timestamp: string; nonce: string; msgSignature: string; encrypt: string };
};

describeEachDatabase('WeCom callback route', (db) => {
  describe('with the simulator', () => {
    let service: WecomTestService;
    beforeAll(async () => {
      service = await startWecomService(db());
    });
    afterAll(async () => {
      await service?.close();
    });

    it('answers the URL verification with the plaintext alone', async () => {
      const answer = await service.sim.verifyUrl(service.callbackUrl);
      expect(answer).toEqual({ status: 200, body: answer.expected, expected: answer.expected });
    });

    it('refuses a forged URL verification with 401', async () => {
      expect((await service.sim.verifyUrl(service.callbackUrl, { forgeSignature: true })).status).toBe(401);
      expect((await service.sim.verifyUrl(service.callbackUrl, { receiveId: 'wwsomeoneelse' })).status).toBe(401);
    });

    it('records a member’s text as staff_message under its MsgId, kept as a string, and replies once', async () => {
      const { app, sim, callbackUrl } = service;
      const delivery = await sim.sendText(callbackUrl, { fromUser: 'hushi.li', content: '王女士已回访，情况良好', msgId: '7291746382910473829' });
      expect(delivery).toMatchObject({ status: 200, responseBody: '' });
      const event = await processedInboundEvent(service, '7291746382910473829');
      expect(event.kind).toBe('staff_message');
      expect(JSON.parse(event.payload)).toEqual({ wecomUserId: 'hushi.li', text: '王女士已回访，情况良好', msgId: '7291746382910473829' });
      // Not a command: the member gets the help text, through the outbox, once.
      expect(JSON.parse(event.result ?? '{}')).toMatchObject({ status: 'replied', listed: 0 });
      // The same request again is a replay (its nonce was answered); WeCom resending the message with a
      // new nonce is answered and recorded once, under its MsgId.
      expect(await sim.replay(delivery)).toMatchObject({ status: 401, responseBody: 'REPLAYED' });
      expect((await sim.deliver(callbackUrl, delivery.plaintext)).status).toBe(200);
      expect(await db().prisma.inboundEvent.count({ where: { source: 'wecom', dedupeKey: '7291746382910473829' } })).toBe(1);
      const replies = await db().prisma.outboxMessage.findMany({ where: { idempotencyKey: 'reply:7291746382910473829' } });
      expect(replies).toHaveLength(1);
      expect(JSON.parse(replies[0]!.payload).text).toContain('我的任务');
    });

    it('answers events Huifang does not use with 200 and records nothing', async () => {
      const { app, sim, callbackUrl } = service;
      const before = await db().prisma.inboundEvent.count();
      const enter = `<xml><ToUserName><![CDATA[${sim.corpId}]]></ToUserName><FromUserName><![CDATA[hushi.li]]></FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[enter_agent]]></Event><EventKey><![CDATA[]]></EventKey><AgentID>${sim.agentId}</AgentID></xml>`;
      expect(await sim.deliver(callbackUrl, enter)).toMatchObject({ status: 200, responseBody: '' });
      expect(await db().prisma.inboundEvent.count()).toBe(before);
    });

    it.each([
      ['another corp’s receiveid', { receiveId: 'wwsomeoneelse' }, 401, 'BAD_RECEIVE_ID'],
      ['another EncodingAESKey', { encodingAesKey: 'ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut' }, 401, 'BAD_RECEIVE_ID'],
      ['a forged signature', { forgeSignature: true }, 401, 'BAD_SIGNATURE'],
    ] as const)('refuses a callback sealed with %s (%i)', async (_what, seal, status, code) => {
      const { app, sim, callbackUrl } = service;
      const before = await db().prisma.inboundEvent.count();
      const delivery = await sim.sendCardEvent(callbackUrl, { fromUser: 'hushi.li', taskId: 'fu_X_1', eventKey: 'satisfied:X:1' }, seal);
      expect(delivery).toMatchObject({ status, responseBody: code });
      expect(await db().prisma.inboundEvent.count()).toBe(before);
    });

    it('refuses well-signed but malformed XML with 400', async () => {
      const { app, sim, callbackUrl } = service;
      const before = await db().prisma.inboundEvent.count();
      expect((await sim.deliver(callbackUrl, '<xml><ToUserName>unclosed')).status).toBe(400);
      const noTask = `<xml><ToUserName>${sim.corpId}</ToUserName><FromUserName>hushi.li</FromUserName><CreateTime>1</CreateTime><MsgType>event</MsgType><Event>template_card_event</Event><EventKey>k</EventKey></xml>`;
      expect((await sim.deliver(callbackUrl, noTask)).status).toBe(400);
      expect(await db().prisma.inboundEvent.count()).toBe(before);
    });

    it.each([
      ['a year old', -365 * 86_400],
      ['six minutes old', -360],
      ['six minutes ahead', 360],
      ['not a number', Number.NaN],
    ])('refuses a correctly signed callback whose timestamp is %s with 401 STALE_TIMESTAMP', async (_what, offsetSeconds) => {
      const { sim, callbackUrl, clock } = service;
      const before = await db().prisma.inboundEvent.count();
      const timestamp = Number.isNaN(offsetSeconds) ? 'yesterday' : String(Math.floor(clock.now().getTime() / 1000) + offsetSeconds);
      const delivery = await sim.sendText(callbackUrl, { fromUser: 'hushi.li', content: '旧消息' }, { timestamp });
      expect(delivery).toMatchObject({ status: 401, responseBody: 'STALE_TIMESTAMP' });
      expect((await sim.verifyUrl(callbackUrl, { timestamp })).status).toBe(401);
      expect(await db().prisma.inboundEvent.count()).toBe(before);
    });

    it('takes a timestamp within five minutes either way', async () => {
      const { sim, callbackUrl, clock } = service;
      for (const offset of [-290, 290]) {
        const timestamp = String(Math.floor(clock.now().getTime() / 1000) + offset);
        expect((await sim.sendText(callbackUrl, { fromUser: 'hushi.li', content: '在窗口内' }, { timestamp })).status).toBe(200);
      }
    });

    it('refuses a replayed nonce with 401 REPLAYED, also on another replica, and forgets it once its timestamp is stale', async () => {
      const { sim, callbackUrl, clock } = service;
      const nonce = '918273645';
      const first = await sim.sendText(callbackUrl, { fromUser: 'hushi.li', content: '第一次', msgId: '7291746382910470777' }, { nonce });
      expect(first.status).toBe(200);
      // Another replica over the same database knows the nonce too.
      const replica = await startWecomService(db(), { sim, start: clock.now().toISOString() });
      try {
        expect(await sim.replay({ ...first, url: first.url.replace(callbackUrl, replica.callbackUrl) })).toMatchObject({ status: 401, responseBody: 'REPLAYED' });
      } finally {
        await replica.close();
        sim.callbackClock = clock;
      }
      // The URL check is protected alike.
      const timestamp = String(Math.floor(clock.now().getTime() / 1000));
      expect((await sim.verifyUrl(callbackUrl, { timestamp, nonce: '55555' })).status).toBe(200);
      expect((await sim.verifyUrl(callbackUrl, { timestamp, nonce: '55555' })).status).toBe(401);
      const remembered = await db().prisma.rateCounter.count({ where: { key: `wecom-nonce:${nonce}` } });
      expect(remembered).toBe(1);
      // Once the timestamp is out of the window the nonce is stale anyway: the next callback forgets it.
      clock.advance(301_000);
      expect((await sim.replay(first)).status).toBe(401);
      expect((await sim.sendText(callbackUrl, { fromUser: 'hushi.li', content: '之后' })).status).toBe(200);
      expect(await db().prisma.rateCounter.count({ where: { key: `wecom-nonce:${nonce}` } })).toBe(0);
    });

    it('refuses a malformed envelope, missing query parameters and an oversize body', async () => {
      const { sim, callbackUrl, clock } = service;
      const query = (encrypt: string) => {
        const timestamp = String(Math.floor(clock.now().getTime() / 1000));
        const nonce = '42';
        return new URLSearchParams({ msg_signature: simSignature(sim.callbackToken, timestamp, nonce, encrypt), timestamp, nonce }).toString();
      };
      const post = (search: string, body: string) => fetch(`${callbackUrl}?${search}`, { method: 'POST', body });
      expect((await post(query('x'), 'not xml')).status).toBe(400);
      expect((await post(query('x'), '<xml><ToUserName>c</ToUserName></xml>')).status).toBe(400);
      expect((await post('timestamp=1&nonce=2', '<xml/>')).status).toBe(400);
      const huge = simEncrypt(sim.encodingAesKey, 'x'.repeat(WECOM_CALLBACK_MAX_BYTES), sim.corpId);
      const oversize = await post(query(huge), `<xml><Encrypt><![CDATA[${huge}]]></Encrypt></xml>`);
      expect(oversize.status).toBe(413);
      const refusals = service.logs().filter((l) => l.msg === 'wecom callback refused');
      expect(refusals.map((l) => l.status)).toEqual(expect.arrayContaining([400, 413]));
      expect(refusals.every((l) => l.level === 40)).toBe(true);
      expect(JSON.stringify(refusals)).not.toContain(huge.slice(0, 64));
    });
  });

  describe('with the official vectors (docs/protocols/wecom.md §8)', () => {
    let service: WecomTestService;
    let sim: WecomSimulator;
    beforeAll(async () => {
      // Only the callback side is exercised; the simulator merely stands in for the API base URL.
      sim = await WecomSimulator.start();
      service = await startWecomService(db(), {
        sim,
        // Between the two vectors' timestamps (1409659589, 1409659813): both are fresh.
        start: new Date(1409659700 * 1000).toISOString(),
        env: { WECOM_CORP_ID: vectors.corpId, WECOM_AGENT_ID: '218', WECOM_CALLBACK_TOKEN: vectors.token, WECOM_ENCODING_AES_KEY: vectors.encodingAesKey },
      });
    });
    afterAll(async () => {
      await service?.close();
      await sim?.close();
    });

    it('answers the official echostr with 1616140317555161061', async () => {
      const v = vectors.verifyUrl;
      const search = new URLSearchParams({ msg_signature: v.msgSignature, timestamp: v.timestamp, nonce: v.nonce, echostr: v.echostr }).toString();
      const response = await fetch(`${service.callbackUrl}?${search}`);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('1616140317555161061');
      // A '+' sent raw (not percent-encoded) reaches the route as a space; it is restored.
      const raw = `msg_signature=${v.msgSignature}&timestamp=${v.timestamp}&nonce=${v.nonce}&echostr=${v.echostr.replace(/\//g, '%2F').replace(/=/g, '%3D')}`;
      expect(raw).toContain('+');
      // Sent again, the same signed request is a replay: forget its nonce to check the '+' alone.
      await db().prisma.rateCounter.deleteMany({ where: { key: { startsWith: 'wecom-nonce:' } } });
      const rawResponse = await fetch(`${service.callbackUrl}?${raw}`);
      expect(await rawResponse.text()).toBe('1616140317555161061');
    });

    it('records the official text message from mycreate with MsgId 4561255354251345929 as a string', async () => {
      const v = vectors.event;
      const search = new URLSearchParams({ msg_signature: v.msgSignature, timestamp: v.timestamp, nonce: v.nonce }).toString();
      const body = `<xml><ToUserName><![CDATA[${vectors.corpId}]]></ToUserName><Encrypt><![CDATA[${v.encrypt}]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>`;
      const response = await fetch(`${service.callbackUrl}?${search}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body });
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('');
      const event = await processedInboundEvent(service, '4561255354251345929');
      expect(event.kind).toBe('staff_message');
      expect(JSON.parse(event.payload)).toEqual({ wecomUserId: 'mycreate', text: 'hello', msgId: '4561255354251345929' });
    });
  });
});
