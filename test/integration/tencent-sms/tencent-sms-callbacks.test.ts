// The Tencent SMS callback routes on a real database: the key guard, malformed bodies, replays, delivery
// reports updating the outbox, and replies that are no answer or come from nobody we know — each kept
// in the inbox with its outcome, never lost.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDatabase } from '../../support/db.js';
import { uniquePhone } from '../../support/builders.js';
import {
  CALLBACK_KEY,
  createOpenSurvey,
  processedEvents,
  processedInboundEvent,
  runJob,
  startTencentSmsService,
  type TencentSmsTestService,
} from './tencent-sms-service.js';

describeEachDatabase('Tencent SMS callbacks', (db) => {
  let service: TencentSmsTestService;

  beforeAll(async () => {
    service = await startTencentSmsService(db());
  });

  afterAll(async () => {
    await service?.close();
  });

  const inboxCount = () => db().prisma.inboundEvent.count({ where: { source: 'tencent-sms' } });
  const replyEvent = async (phone: string, time: number) => {
    const rows = await db().prisma.inboundEvent.findMany({ where: { source: 'tencent-sms', dedupeKey: { startsWith: `reply:${phone}:${time}:` } } });
    expect(rows).toHaveLength(1);
    return processedInboundEvent(service, rows[0]!.dedupeKey);
  };
  const now = () => Math.floor(service.clock.now().getTime() / 1000);

  /** A survey whose invitation went out through the simulator; returns its SerialNo too. */
  async function sentSurvey(phone = uniquePhone()) {
    const survey = await createOpenSurvey(service, phone);
    await runJob(service, 'dispatch-outbox');
    const [sms] = service.sim.sentTo(phone);
    return { ...survey, serialNo: sms!.serialNo };
  }

  it.each([
    ['a wrong key', '?key=wrong-key-0123456789abcdef'],
    ['no key', ''],
    ['an empty key', '?key='],
  ])('refuses a callback with %s (401), records nothing and never logs the key', async (_what, query) => {
    const { sim, baseUrl } = service;
    const before = await inboxCount();
    for (const path of ['/sms/tencent/reply', '/sms/tencent/status']) {
      const body = path.endsWith('reply') ? sim.replyBody(uniquePhone(), '5') : [];
      const delivery = await sim.postRaw(`${baseUrl}${path}${query}`, JSON.stringify(body));
      expect(delivery.status).toBe(401);
    }
    expect(await inboxCount()).toBe(before);
    const refusals = service.logs().filter((l) => l.msg === 'tencent sms callback refused' && l.status === 401);
    expect(refusals.length).toBeGreaterThanOrEqual(2);
    const logged = JSON.stringify(service.logs());
    expect(logged).not.toContain('wrong-key-0123456789abcdef');
    expect(logged).not.toContain(CALLBACK_KEY);
  });

  it('answers malformed JSON and bodies without Tencent’s shape with 400, recording nothing', async () => {
    const { sim, replyUrl, statusUrl } = service;
    const before = await inboxCount();
    expect((await sim.postRaw(replyUrl, '{"mobile": "1380013')).status).toBe(400);
    expect((await sim.postRaw(statusUrl, '')).status).toBe(400);
    expect((await sim.postRaw(replyUrl, JSON.stringify({ hello: 'world' }))).status).toBe(400);
    expect((await sim.postRaw(statusUrl, JSON.stringify([{ sid: 'x' }]))).status).toBe(400);
    expect(await inboxCount()).toBe(before);
  });

  it('refuses an oversize body with 413', async () => {
    const delivery = await service.sim.postRaw(service.statusUrl, JSON.stringify([{ pad: 'x'.repeat(200 * 1024) }]));
    expect(delivery.status).toBe(413);
  });

  it('records a replayed reply once and answers every delivery with result 0', async () => {
    const { sim, app, replyUrl, clock } = service;
    const survey = await sentSurvey();
    clock.advanceMinutes(5);
    const first = await sim.postReply(replyUrl, survey.phone, '满意', { time: now() });
    await replyEvent(survey.phone, now());
    const again = await sim.replay(first);
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(JSON.parse(again.responseBody)).toEqual({ result: 0, errmsg: 'OK' });
    expect(await db().prisma.inboundEvent.count({ where: { source: 'tencent-sms', dedupeKey: { startsWith: `reply:${survey.phone}:` } } })).toBe(1);
    expect(await db().prisma.surveyResponse.count({ where: { surveyId: survey.surveyId } })).toBe(1);
    expect(service.logs().some((l) => l.msg === 'tencent sms callback accepted' && l.duplicates === 1)).toBe(true);
  });

  it('keeps a reply from an unknown number, rejected with the reason', async () => {
    const { sim, replyUrl, clock } = service;
    clock.advanceMinutes(1);
    const stranger = uniquePhone();
    const delivery = await sim.postReply(replyUrl, stranger, '5', { time: now() });
    expect(delivery.status).toBe(200);
    const event = await replyEvent(stranger, now());
    expect(event.status).toBe('REJECTED');
    expect(JSON.parse(event.result!)).toMatchObject({ code: 'UNKNOWN_NUMBER' });
    expect(JSON.parse(event.payload)).toMatchObject({ phoneE164: stranger, text: '5' });
  });

  it('does not match a reply sent under another signature of the account to our survey', async () => {
    const { sim, replyUrl, clock } = service;
    const survey = await sentSurvey();
    clock.advanceMinutes(1);
    await sim.postReply(replyUrl, survey.phone, '1', { time: now(), sign: '别家商城' });
    const foreign = await replyEvent(survey.phone, now());
    expect(foreign.status).toBe('REJECTED');
    expect(JSON.parse(foreign.result!)).toMatchObject({ code: 'FOREIGN_SIGNATURE' });
    expect(await db().prisma.surveyResponse.count({ where: { surveyId: survey.surveyId } })).toBe(0);
    // An opt-out word to another sender of the account does not opt the customer out of ours either.
    clock.advanceMinutes(1);
    await sim.postReply(replyUrl, survey.phone, 'R', { time: now(), sign: '别家商城' });
    expect((await replyEvent(survey.phone, now())).status).toBe('REJECTED');
    expect(await db().prisma.customer.findUniqueOrThrow({ where: { phoneE164: survey.phone } })).toMatchObject({ optedOutAt: null });
  });

  it('keeps a reply from a customer with no open survey, rejected with the reason', async () => {
    const { sim, replyUrl, clock } = service;
    const survey = await sentSurvey();
    clock.advanceMinutes(2);
    await sim.postReply(replyUrl, survey.phone, '4', { time: now() });
    await replyEvent(survey.phone, now());
    clock.advanceMinutes(2);
    await sim.postReply(replyUrl, survey.phone, '5', { time: now() });
    const late = await replyEvent(survey.phone, now());
    expect(late.status).toBe('REJECTED');
    expect(JSON.parse(late.result!)).toMatchObject({ code: 'NO_OPEN_SURVEY' });
  });

  it('routes a reply that is no answer to the responsible nurse, with the masked phone only', async () => {
    const { sim, app, replyUrl, clock } = service;
    const survey = await sentSurvey();
    clock.advanceMinutes(3);
    await sim.postReply(replyUrl, survey.phone, '你们是谁？我没住过院', { time: now() });
    const event = await replyEvent(survey.phone, now());
    const result = JSON.parse(event.result!) as { status: string; routedTo: string };
    expect(result).toMatchObject({ status: 'kept_unparsed', surveyId: survey.surveyId });
    const nurse = await db().prisma.staff.findUniqueOrThrow({ where: { wecomUserId: 'hushi.li' } });
    expect(result.routedTo).toBe(nurse.id);
    expect(await db().prisma.surveyInstance.findUniqueOrThrow({ where: { id: survey.surveyId } })).toMatchObject({ status: 'OPEN' });
    expect(await db().prisma.surveyResponse.findMany({ where: { surveyId: survey.surveyId } })).toEqual([expect.objectContaining({ rawText: '你们是谁？我没住过院', score: null })]);

    const [text, ...more] = await db().prisma.outboxMessage.findMany({ where: { followUpId: survey.followUpId, kind: 'staff_text' } });
    expect(more).toEqual([]);
    expect(text).toMatchObject({ channel: 'wecom', recipientId: nurse.id });
    const national = survey.phone.slice(3);
    expect(text!.payload).toContain(`${national.slice(0, 3)}****${national.slice(-4)}`);
    expect(text!.payload).not.toContain(national);
    expect(text!.payload).toContain('你们是谁？我没住过院');
  });

  it('opts the customer out on a full-width ＴＤ', async () => {
    const { sim, app, replyUrl, clock } = service;
    const survey = await sentSurvey();
    clock.advanceMinutes(4);
    await sim.postReply(replyUrl, survey.phone, 'ＴＤ', { time: now() });
    const event = await replyEvent(survey.phone, now());
    expect(JSON.parse(event.result!)).toMatchObject({ status: 'opted_out' });
    expect(await db().prisma.customer.findUniqueOrThrow({ where: { phoneE164: survey.phone } })).toMatchObject({ optOutSource: 'sms_reply' });
  });

  it('records delivery reports on the outbox message, once however often Tencent pushes them', async () => {
    const { sim, app, statusUrl } = service;
    const delivered = await sentSurvey();
    const failed = await sentSurvey();
    const push = await sim.postStatusReports(statusUrl, [
      sim.statusReport(delivered.serialNo, { user_receive_time: '2026-11-06 10:00:07' }),
      sim.statusReport(failed.serialNo, { report_status: 'FAIL', errmsg: 'MI:0024', description: '用户手机关机' }),
    ]);
    expect(push.status).toBe(200);
    expect(JSON.parse(push.responseBody)).toEqual({ result: 0, errmsg: 'OK' });
    const events = await processedEvents(service, 'status:', 2);
    expect(events.filter((e) => [delivered.serialNo, failed.serialNo].some((s) => e.dedupeKey.includes(s))).every((e) => e.status === 'PROCESSED')).toBe(true);

    expect(await db().prisma.outboxMessage.findUniqueOrThrow({ where: { id: delivered.outboxId } })).toMatchObject({
      deliveryStatus: 'DELIVERED',
      deliveryError: null,
      deliveredAt: new Date('2026-11-06T10:00:07+08:00'),
    });
    expect(await db().prisma.outboxMessage.findUniqueOrThrow({ where: { id: failed.outboxId } })).toMatchObject({
      deliveryStatus: 'FAILED',
      deliveryError: 'MI:0024 用户手机关机',
      deliveredAt: null,
    });
    // A phone that is switched off is not an invalid number.
    expect(await db().prisma.customer.findUniqueOrThrow({ where: { phoneE164: failed.phone } })).toMatchObject({ phoneInvalidAt: null });

    const before = await inboxCount();
    await sim.replay(push);
    expect(await inboxCount()).toBe(before);
  });

  it('marks the phone invalid when the carrier reports an unallocated number', async () => {
    const { sim, app, statusUrl } = service;
    const survey = await sentSurvey();
    await sim.postStatusReports(statusUrl, [sim.statusReport(survey.serialNo, { report_status: 'FAIL', errmsg: 'MI:0073', description: '空号' })]);
    const [event] = await processedEvents(service, `status:${survey.serialNo}:`, 1);
    expect(JSON.parse(event!.result!)).toMatchObject({ status: 'recorded', deliveryStatus: 'FAILED', phoneMarkedInvalid: true });
    expect((await db().prisma.customer.findUniqueOrThrow({ where: { phoneE164: survey.phone } })).phoneInvalidAt).not.toBeNull();
  });

  it('keeps a report for a message it did not send, and skips malformed items of the same push', async () => {
    const { sim, statusUrl } = service;
    const push = await sim.postStatusReports(statusUrl, [
      { user_receive_time: '2026-11-06 10:00:00', nationcode: '86', mobile: '13500000000', report_status: 'SUCCESS', errmsg: 'DELIVRD', description: 'ok', sid: 'unknown-sid-1' },
      { sid: 42 },
    ]);
    expect(push.status).toBe(200);
    const [event] = await processedEvents(service, 'status:unknown-sid-1:', 1);
    expect(event!.status).toBe('REJECTED');
    expect(JSON.parse(event!.result!)).toMatchObject({ code: 'UNKNOWN_MESSAGE' });
    expect(service.logs().some((l) => l.msg === 'tencent sms callback items without the documented shape were skipped')).toBe(true);
  });

  it('finds the message by the echoed SessionContext when the sid is not known', async () => {
    const { sim, app, statusUrl } = service;
    const survey = await sentSurvey();
    const report = { ...sim.statusReport(survey.serialNo, { withExt: true }), sid: 'sid-from-another-record' };
    await sim.postStatusReports(statusUrl, [report]);
    await processedEvents(service, 'status:sid-from-another-record:', 1);
    expect(await db().prisma.outboxMessage.findUniqueOrThrow({ where: { id: survey.outboxId } })).toMatchObject({ deliveryStatus: 'DELIVERED' });
  });
});
