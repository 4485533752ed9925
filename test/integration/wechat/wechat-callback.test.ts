// The Official Account's server URL: WeChat's signed push of a template message's delivery result
// lands on the outbox row that sent it — once, however often WeChat resends it — and unsigned,
// stale, encrypted or malformed pushes are refused.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDatabase } from '../../support/db.js';
import { listen } from '../../support/service.js';
import { jobs } from '../../../jobs/index.js';
import { WechatSimulator } from '../../simulators/wechat/wechat-simulator.js';
import { createDueSurvey, dispatch, startWechatService, type WechatTestService } from './wechat-service.js';

const TOKEN = 'huifangPushToken2026';

/** Signed independently of the service: SHA-1 over the sorted token, timestamp and nonce. */
function signedQuery(timestamp: number, nonce: string, token = TOKEN): string {
  const signature = createHash('sha1').update([token, String(timestamp), nonce].sort().join('')).digest('hex');
  return `signature=${signature}&timestamp=${timestamp}&nonce=${nonce}`;
}

function templateFinished(msgId: string, status: string, createTime: number): string {
  return (
    `<xml><ToUserName><![CDATA[gh_7f083739789a]]></ToUserName><FromUserName><![CDATA[oia2TjuEGTNoeX76QEjQNrcURxG8]]></FromUserName>` +
    `<CreateTime>${createTime}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event>` +
    `<MsgID>${msgId}</MsgID><Status><![CDATA[${status}]]></Status></xml>`
  );
}

describeEachDatabase('WeChat server push', (db) => {
  let sim: WechatSimulator;
  let service: WechatTestService;
  let http: Awaited<ReturnType<typeof listen>>;

  beforeAll(async () => {
    sim = await WechatSimulator.start();
    service = await startWechatService(db(), sim, { env: { WECHAT_MP_CALLBACK_TOKEN: TOKEN } });
    http = await listen(service.app);
  });

  afterAll(async () => {
    await http?.close();
    await service?.close();
    await sim?.close();
  });

  const now = () => Math.floor(service.clock.now().getTime() / 1000);
  const push = (body: string, query = signedQuery(now(), 'n0nce1')) =>
    fetch(`${http.baseUrl}/wechat/callback?${query}`, { method: 'POST', body, headers: { 'content-type': 'text/xml' } });

  async function sentInvite() {
    const due = await createDueSurvey(service, { openId: sim.follower() });
    await dispatch(service);
    const row = await db().prisma.outboxMessage.findUniqueOrThrow({ where: { idempotencyKey: due.key } });
    expect(row).toMatchObject({ channel: 'wechat', status: 'SENT' });
    return row;
  }

  it('answers the URL verification with echostr, and refuses a forged one', async () => {
    const ok = await fetch(`${http.baseUrl}/wechat/callback?${signedQuery(now(), 'abc')}&echostr=4711`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('4711');
    const forged = await fetch(`${http.baseUrl}/wechat/callback?${signedQuery(now(), 'abc', 'notTheToken')}&echostr=4711`);
    expect(forged.status).toBe(401);
  });

  it('puts the delivery result on the outbox row, once for a resent push', async () => {
    const invite = await sentInvite();
    const body = templateFinished(invite.providerMessageId!, 'success', now());
    const first = await push(body);
    expect(first.status).toBe(200);
    expect(await first.text()).toBe('success');
    expect((await push(body)).status).toBe(200);
    await expect.poll(async () => (await db().prisma.outboxMessage.findUniqueOrThrow({ where: { id: invite.id } })).deliveryStatus).toBe('DELIVERED');
    expect(await db().prisma.inboundEvent.count({ where: { source: 'wechat', dedupeKey: `template:${invite.providerMessageId}` } })).toBe(1);
  });

  it('records a failed delivery with WeChat’s status and sends the survey by SMS at once, once', async () => {
    const invite = await sentInvite();
    const body = templateFinished(invite.providerMessageId!, 'failed:user block', now());
    expect((await push(body)).status).toBe(200);
    await expect.poll(async () => (await db().prisma.outboxMessage.findUniqueOrThrow({ where: { id: invite.id } })).deliveryStatus).toBe('FAILED');
    expect((await db().prisma.outboxMessage.findUniqueOrThrow({ where: { id: invite.id } })).deliveryError).toBe('failed:user block');
    // The SMS replacement, queued without waiting for the step's 24 hours, with a reply code.
    const smsKey = `${invite.idempotencyKey}:sms`;
    await expect.poll(async () => (await db().prisma.outboxMessage.findUnique({ where: { idempotencyKey: smsKey } }))?.fallbackOfId).toBe(invite.id);
    const survey = await db().prisma.surveyInstance.findFirstOrThrow({ where: { followUpId: invite.followUpId! } });
    expect(survey.replyCode).toMatch(/^[1-9]\d{5}$/);
    // A resent push, and the scheduled fallback job a day later, add nothing.
    expect((await push(body, signedQuery(now(), 'again'))).status).toBe(200);
    service.clock.advanceHours(25);
    await jobs['survey-fallback']!.run(service.app); // may fall back other tests' unopened surveys, not this one

    await dispatch(service);
    expect(await db().prisma.outboxMessage.count({ where: { followUpId: invite.followUpId!, kind: 'survey_invite' } })).toBe(2);
    expect(service.sms.sends.filter((m) => m.message.kind === 'survey_invite' && m.message.surveyId === survey.id)).toHaveLength(1);
  });

  it('refuses unsigned, stale, encrypted and malformed pushes, recording nothing', async () => {
    const invite = await sentInvite();
    const body = templateFinished(invite.providerMessageId!, 'success', now());
    expect((await push(body, signedQuery(now(), 'x', 'forgedToken'))).status).toBe(401);
    expect((await push(body, 'timestamp=1&nonce=x')).status).toBe(401);
    expect((await push(body, signedQuery(now() - 3600, 'old'))).status).toBe(401);
    expect((await push(body, `${signedQuery(now(), 'enc')}&encrypt_type=aes&msg_signature=x`)).status).toBe(400);
    expect((await push('<xml><MsgType>event</MsgType', signedQuery(now(), 'bad'))).status).toBe(400);
    expect(await db().prisma.inboundEvent.count({ where: { source: 'wechat', dedupeKey: `template:${invite.providerMessageId}` } })).toBe(0);
    expect((await db().prisma.outboxMessage.findUniqueOrThrow({ where: { id: invite.id } })).deliveryStatus).toBeNull();
  });

  it('keeps a result for a message it never sent as a rejection, not an error', async () => {
    expect((await push(templateFinished('9999999999999999999', 'success', now()))).status).toBe(200);
    await expect.poll(async () => (await db().prisma.inboundEvent.findFirst({ where: { source: 'wechat', dedupeKey: 'template:9999999999999999999' } }))?.status).toBe('REJECTED');
  });
});
