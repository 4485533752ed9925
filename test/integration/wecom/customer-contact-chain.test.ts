// The survey channel chain through WeCom customer contact (客户联系) on a real database, with the WeCom and
// WeChat simulators: in `[wechat, wecom_contact, sms]` a WeChat invitation that fails or stays unopened
// goes to the member's group send (not straight to SMS), and the SMS follows once when the member never
// sends it, or sends it and the customer leaves it unopened for fallbackAfter; in `[wecom_contact, wechat,
// sms]` a refused group send goes to WeChat, then SMS. A send whose answer was lost or that a crash
// interrupted is looked up (also while WeCom lists it late) rather than created twice. Also a greeting,
// worded as the member's own message, that the member never sent goes by SMS once, with the SMS wording.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createHuifang, type Huifang } from '../../../bot/huifang.js';
import { loadConfig } from '../../../bot/config.js';
import { createLogger } from '../../../bot/logger.js';
import { FakeClock, UlidGenerator } from '../../../bot/clocks.js';
import { EXAMPLE_STAFF, seedExampleOrganisation } from '../../../bot/example/example-organisation.js';
import { runWecomContactsCommand } from '../../../bot/commands/wecom-contacts.js';
import { jobs } from '../../../jobs/index.js';
import { describeEachDatabase, type TestDb } from '../../support/db.js';
import { sharedDbClient } from '../../support/service.js';
import { dischargeBody, submit, uniquePhone } from '../../support/builders.js';
import { CountingChannel } from '../../support/test-channels.js';
import { collectOutput } from '../../support/command-output.js';
import { WecomSimulator } from '../../simulators/wecom/wecom-simulator.js';
import { WechatSimulator } from '../../simulators/wechat/wechat-simulator.js';
import { policiesWith, START } from '../wechat/wechat-service.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const MEMBER = 'hushi.li';

interface ChainService {
  app: Huifang;
  clock: FakeClock;
  sms: CountingChannel;
  wecom: WecomSimulator;
  wechat: WechatSimulator;
  close(): Promise<void>;
}

/** The service with WeChat, WeCom customer contact (both against their simulators) and SMS (recorded). */
async function startChainService(db: TestDb, options: { channels?: string; campaignsDir?: string; start?: string } = {}): Promise<ChainService> {
  const clock = new FakeClock(options.start ?? START);
  // WeCom stamps group sends with the same time the service reads (get_groupmsg_list_v2 searches by it).
  const wecom = await WecomSimulator.start({ users: EXAMPLE_STAFF.map((s) => s.wecomUserId), clock });
  const wechat = await WechatSimulator.start();
  const policies = policiesWith({ channels: options.channels ?? '[wechat, wecom_contact, sms]', fallbackAfter: '24 hours' });
  const config = loadConfig({
    DATABASE_URL: db.url,
    WECOM_CORP_ID: wecom.corpId,
    WECOM_AGENT_ID: String(wecom.agentId),
    WECOM_SECRET: wecom.secret,
    WECOM_CALLBACK_TOKEN: wecom.callbackToken,
    WECOM_ENCODING_AES_KEY: wecom.encodingAesKey,
    WECOM_API_BASE: wecom.baseUrl,
    WECOM_CUSTOMER_CONTACT: '1',
    WECOM_GROUP_MESSAGE_RULE: 'one_a_day',
    WECOM_CONTACT_CONFIRM_DAYS: '2',
    WECHAT_MP_APP_ID: wechat.appId,
    WECHAT_MP_APP_SECRET: wechat.appSecret,
    WECHAT_MP_SURVEY_TEMPLATE_ID: [...wechat.templateIds][0]!,
    WECHAT_API_BASE: wechat.baseUrl,
    HUIFANG_SURVEY_MIN_GAP_HOURS: '0',
  });
  const sms = new CountingChannel();
  const app = createHuifang({
    config,
    logger: createLogger({ level: 'silent' }),
    db: sharedDbClient(db),
    clock,
    jitter: () => 0.5,
    channels: { sms },
    policiesDir: policies.dir,
    ...(options.campaignsDir ? { campaignsDir: options.campaignsDir } : {}),
  });
  await seedExampleOrganisation(app.directory, () => app.deps.ids.next());
  return {
    app,
    clock,
    sms,
    wecom,
    wechat,
    close: async () => {
      policies.remove();
      await wecom.close();
      await wechat.close();
    },
  };
}

/** Outbox rows in the order of the chain: the first invitation, then each one replacing the one before. */
function inChainOrder<T extends { id: string; fallbackOfId: string | null }>(rows: T[]): T[] {
  const ordered: T[] = [];
  let next = rows.find((r) => r.fallbackOfId === null);
  while (next) {
    ordered.push(next);
    const previous: string = next.id;
    next = rows.find((r) => r.fallbackOfId === previous);
  }
  return ordered.length === rows.length ? ordered : rows;
}

function chainSteps(db: () => TestDb, s: () => ChainService) {
  let sequence = 0;
  /** A customer with a discharge case whose survey is due; a follower of the 服务号 and/or `MEMBER`'s external contact. */
  async function customer(options: { follower?: boolean; contact?: boolean } = {}) {
    const { app, clock, wecom, wechat } = s();
    sequence += 1;
    const phone = uniquePhone();
    const externalUserId = `wmChain${sequence}${db().provider}`;
    if (options.contact !== false) {
      wecom.setExternalContacts([{ external_userid: externalUserId, name: `微信客户${sequence}`, follow_users: [{ userid: MEMBER, remark: '李先生', remark_mobiles: [phone.replace('+86', '')] }] }]);
    }
    const openId = options.follower !== false ? wechat.follower() : undefined;
    const body = dischargeBody({ phone, occurredAt: new Date(clock.now().getTime() - 3 * DAY - HOUR).toISOString() });
    body.customer = { ...body.customer, ...(openId ? { wechatOpenId: openId } : {}) };
    const submitted = await submit(app, body);
    expect(await runWecomContactsCommand(['match'], (fn) => fn(app), collectOutput())).toBe(0);
    await jobs['activate-due-follow-ups']!.run(app);
    const followUp = await db().prisma.followUp.findFirstOrThrow({ where: { caseId: submitted.caseId, step: 'survey' } });
    return { phone, externalUserId, openId, followUp, key: `fu:${followUp.id}:1` };
  }
  /** A customer who is only `MEMBER`'s external contact, whose invitation the member sent (recorded delivered). */
  async function sentByMember() {
    const c = await customer({ follower: false });
    await dispatch();
    const [send] = groupSendsTo(c.externalUserId);
    s().wecom.confirmGroupSend(send!.msgid);
    expect(await collect()).toMatchObject({ delivered: 1 });
    return c;
  }
  const dispatch = () => jobs['dispatch-outbox']!.run(s().app) as Promise<{ sent: number; dead: number }>;
  const collect = () => jobs['collect-wecom-contact-results']!.run(s().app) as Promise<{ delivered: number; failed: number; withdrawn: number; waiting: number; fallbacks: number }>;
  const groupSendsTo = (externalUserId: string) => s().wecom.groupSends.filter((g) => g.externalUserids.includes(externalUserId));
  return {
    customer,
    sentByMember,
    dispatch,
    collect,
    groupSendsTo,
    fallbackJob: () => jobs['survey-fallback']!.run(s().app) as Promise<{ enqueued: number }>,
    invites: async (followUpId: string) => inChainOrder(await db().prisma.outboxMessage.findMany({ where: { followUpId, kind: 'survey_invite' } })),
    survey: (followUpId: string) => db().prisma.surveyInstance.findUniqueOrThrow({ where: { followUpId } }),
    smsTo: (customerId: string) => s().sms.sends.filter((m) => m.message.kind === 'survey_invite' && m.message.to.customerId === customerId),
  };
}

describeEachDatabase('survey chain [wechat, wecom_contact, sms]', (db) => {
  let service: ChainService;
  beforeAll(async () => {
    service = await startChainService(db());
  });
  afterAll(async () => {
    await service?.close();
  });
  const t = chainSteps(db, () => service);

  it('hands a failed WeChat invitation to the member’s group send, then to SMS once when the member never sends it', async () => {
    const c = await t.customer();
    expect(await t.survey(c.followUp.id)).toMatchObject({ channel: 'wechat' });
    service.wechat.unfollow(c.openId!);
    await t.dispatch();

    const [wechat, contact, ...none] = await t.invites(c.followUp.id);
    expect(none).toEqual([]);
    expect(wechat).toMatchObject({ channel: 'wechat', status: 'DEAD', lastErrorCode: '43004' });
    expect(contact).toMatchObject({ channel: 'wecom_contact', idempotencyKey: `${c.key}:wecom_contact`, fallbackOfId: wechat!.id });
    await t.dispatch();
    const [send, ...again] = t.groupSendsTo(c.externalUserId);
    expect(again).toEqual([]);
    const link = (JSON.parse(wechat!.payload) as { link: string }).link;
    expect(send).toMatchObject({ sender: MEMBER });
    expect(send!.text).toContain(link);
    expect(await t.survey(c.followUp.id)).toMatchObject({ channel: 'wecom_contact', replyCode: null });
    expect(t.smsTo(c.followUp.customerId)).toEqual([]);

    // The member never sends it: withdrawn after WECOM_CONTACT_CONFIRM_DAYS, and the SMS goes out once.
    service.clock.advance(DAY);
    expect(await t.collect()).toMatchObject({ waiting: 1 });
    service.clock.advance(DAY + 60_000);
    expect(await t.collect()).toMatchObject({ withdrawn: 1, fallbacks: 1 });
    expect(service.wecom.groupSend(send!.msgid)).toMatchObject({ cancelled: true });
    for (let i = 0; i < 2; i++) {
      await t.dispatch();
      await t.collect();
      await t.fallbackJob();
    }
    await t.dispatch();
    const rows = await t.invites(c.followUp.id);
    expect(rows.map((r) => [r.channel, r.status, r.idempotencyKey])).toEqual([
      ['wechat', 'DEAD', c.key],
      ['wecom_contact', 'SENT', `${c.key}:wecom_contact`],
      ['sms', 'SENT', `${c.key}:sms`],
    ]);
    expect(rows[2]!.fallbackOfId).toBe(rows[1]!.id);
    const sent = t.smsTo(c.followUp.customerId);
    expect(sent).toHaveLength(1);
    const survey = await t.survey(c.followUp.id);
    expect(survey).toMatchObject({ channel: 'sms', replyCode: expect.stringMatching(/^[1-9]\d{5}$/) });
    expect(sent[0]!.message).toMatchObject({ replyCode: survey.replyCode, link, to: { phoneE164: c.phone } });
    const audit = await db().prisma.auditLog.findMany({ where: { action: 'survey.fallback', entityId: survey.id }, orderBy: { at: 'asc' } });
    expect(audit.map((a) => JSON.parse(a.details) as { from: string; to: string }).map((d) => `${d.from}→${d.to}`)).toEqual(['wechat→wecom_contact', 'wecom_contact→sms']);
  });

  it('hands an unopened WeChat invitation to the member after the wait, and the task the member sent but the customer leaves unopened to SMS once after the same wait', async () => {
    const c = await t.customer();
    await t.dispatch();
    expect(service.wechat.messagesTo(c.openId!)).toHaveLength(1);
    service.clock.advance(23 * HOUR);
    expect(await t.fallbackJob()).toMatchObject({ enqueued: 0 });
    service.clock.advance(HOUR + 60_000);
    expect(await t.fallbackJob()).toMatchObject({ enqueued: 1 });
    expect(await t.fallbackJob()).toMatchObject({ enqueued: 0 });
    await t.dispatch();
    const [send, ...again] = t.groupSendsTo(c.externalUserId);
    expect(again).toEqual([]);
    // The member sends it a day later: the wait counts from their send, not from the task's creation.
    service.clock.advance(DAY);
    await t.fallbackJob();
    service.wecom.confirmGroupSend(send!.msgid);
    const memberSentAt = service.clock.now();
    expect(await t.collect()).toMatchObject({ delivered: 1, fallbacks: 0 });
    service.clock.advance(23 * HOUR);
    expect(await t.fallbackJob()).toMatchObject({ enqueued: 0 });
    await t.dispatch();
    expect(t.smsTo(c.followUp.customerId)).toEqual([]);

    service.clock.set(new Date(memberSentAt.getTime() + DAY + 60_000));
    expect(await t.fallbackJob()).toMatchObject({ enqueued: 1 });
    // Repeated runs, the results job and late dispatches add nothing.
    for (let i = 0; i < 2; i++) {
      expect(await t.fallbackJob()).toMatchObject({ enqueued: 0 });
      await t.collect();
      await t.dispatch();
    }
    const rows = await t.invites(c.followUp.id);
    expect(rows.map((r) => [r.channel, r.status, r.deliveryStatus, r.idempotencyKey])).toEqual([
      ['wechat', 'SENT', null, c.key],
      ['wecom_contact', 'SENT', 'DELIVERED', `${c.key}:wecom_contact`],
      ['sms', 'SENT', null, `${c.key}:sms`],
    ]);
    expect(rows[2]!.fallbackOfId).toBe(rows[1]!.id);
    const sent = t.smsTo(c.followUp.customerId);
    expect(sent).toHaveLength(1);
    const survey = await t.survey(c.followUp.id);
    expect(survey).toMatchObject({ channel: 'sms', replyCode: expect.stringMatching(/^[1-9]\d{5}$/) });
    expect(sent[0]!.message).toMatchObject({ replyCode: survey.replyCode, to: { phoneE164: c.phone } });
    expect(t.groupSendsTo(c.externalUserId)).toHaveLength(1);
    expect(service.wechat.messagesTo(c.openId!)).toHaveLength(1);
    const audit = await db().prisma.auditLog.findMany({ where: { action: 'survey.fallback', entityId: survey.id }, orderBy: { at: 'asc' } });
    expect(audit.map((a) => JSON.parse(a.details) as { from: string; to: string; reason: string }).map((d) => `${d.from}→${d.to} ${d.reason}`)).toEqual([
      'wechat→wecom_contact NOT_OPENED',
      'wecom_contact→sms NOT_OPENED',
    ]);
  });

  it('sends nothing more once the customer opens the survey the member sent', async () => {
    const c = await t.sentByMember();
    service.clock.advance(2 * HOUR);
    const survey = await t.survey(c.followUp.id);
    expect(await service.app.deps.surveys.markSurveyOpened(survey.id, service.clock.now())).toBe(true);
    service.clock.advance(3 * DAY);
    expect(await t.fallbackJob()).toMatchObject({ enqueued: 0 });
    await t.collect();
    await t.dispatch();
    expect(t.smsTo(c.followUp.customerId)).toEqual([]);
    expect((await t.invites(c.followUp.id)).map((r) => r.channel)).toEqual(['wecom_contact']);
  });

  it('never hands the task the member sent to SMS for a customer who opted out since', async () => {
    const c = await t.sentByMember();
    const now = service.clock.now();
    await service.app.deps.customers.optOutCustomer(c.followUp.customerId, now, 'test', { at: now, actorType: 'SYSTEM', actorId: null, action: 'customer.opted_out', entityType: 'Customer', entityId: c.followUp.customerId, details: {} });
    service.clock.advance(25 * HOUR);
    await t.fallbackJob();
    await t.dispatch();
    expect(t.smsTo(c.followUp.customerId)).toEqual([]);
    expect((await t.invites(c.followUp.id)).map((r) => r.channel)).toEqual(['wecom_contact']);
  });

  it('skips 客户联系 for a customer who is nobody’s external contact: the failed WeChat invitation goes by SMS', async () => {
    const c = await t.customer({ contact: false });
    service.wechat.unfollow(c.openId!);
    await t.dispatch();
    await t.dispatch();
    expect((await t.invites(c.followUp.id)).map((r) => [r.channel, r.status])).toEqual([
      ['wechat', 'DEAD'],
      ['sms', 'SENT'],
    ]);
    expect(t.groupSendsTo(c.externalUserId)).toEqual([]);
    expect(t.smsTo(c.followUp.customerId)).toHaveLength(1);
  });

  it('goes on to SMS when the group-message rule does not allow another message to the customer today', async () => {
    const c = await t.customer();
    // A greeting or an earlier survey already used today's one group message (WECOM_GROUP_MESSAGE_RULE=one_a_day).
    const customerId = c.followUp.customerId;
    const earlier = await db().prisma.outboxMessage.create({
      data: {
        id: new UlidGenerator().next(),
        idempotencyKey: `earlier:${customerId}`,
        channel: 'wecom_contact',
        kind: 'customer_notice',
        recipientType: 'customer',
        recipientId: customerId,
        payload: '{}',
        status: 'SENT',
        sentAt: service.clock.now(),
        nextAttemptAt: service.clock.now(),
      },
    });
    expect(earlier.status).toBe('SENT');
    service.wechat.unfollow(c.openId!);
    await t.dispatch();
    await t.dispatch();
    await t.dispatch();
    expect((await t.invites(c.followUp.id)).map((r) => [r.channel, r.status, r.lastErrorCode])).toEqual([
      ['wechat', 'DEAD', '43004'],
      ['wecom_contact', 'DEAD', 'GROUP_MESSAGE_LIMIT'],
      ['sms', 'SENT', null],
    ]);
    expect(t.groupSendsTo(c.externalUserId)).toEqual([]);
    expect(t.smsTo(customerId)).toHaveLength(1);
  });

  it('adopts the group send of an attempt whose answer was lost instead of giving the member a second task', async () => {
    const c = await t.customer({ follower: false });
    expect(await t.survey(c.followUp.id)).toMatchObject({ channel: 'wecom_contact' });
    // WeCom creates the send, but its answer never arrives.
    service.wecom.injectFailure({ dropAnswer: true }, { api: 'externalcontact/add_msg_template' });
    expect(await t.dispatch()).toMatchObject({ sent: 0 });
    const [created, ...more] = t.groupSendsTo(c.externalUserId);
    expect(more).toEqual([]);
    const [pending] = await t.invites(c.followUp.id);
    expect(pending).toMatchObject({ status: 'PENDING', providerMessageId: null });

    service.clock.advance(10 * 60_000);
    expect(await t.dispatch()).toMatchObject({ sent: 0, reconciled: 1 });
    expect(t.groupSendsTo(c.externalUserId)).toHaveLength(1);
    expect(service.wecom.callsTo('externalcontact/add_msg_template').filter((r) => JSON.stringify(r.body).includes(c.externalUserId))).toHaveLength(1);
    const [invite] = await t.invites(c.followUp.id);
    expect(invite).toMatchObject({ status: 'SENT', providerMessageId: created!.msgid });

    // The adopted send is followed up like any other.
    service.wecom.confirmGroupSend(created!.msgid);
    expect(await t.collect()).toMatchObject({ delivered: 1 });
    expect(t.smsTo(c.followUp.customerId)).toEqual([]);
  });

  it('settles a send interrupted mid-call (the dispatcher died) with the group send WeCom created, without a second one', async () => {
    const c = await t.customer({ follower: false });
    service.wecom.injectFailure({ dropAnswer: true }, { api: 'externalcontact/add_msg_template' });
    await t.dispatch();
    const [created] = t.groupSendsTo(c.externalUserId);
    // As a dispatcher that died after handing the send to WeCom leaves it: SENDING, marked, lease run out.
    const [row] = await t.invites(c.followUp.id);
    const now = service.clock.now();
    await db().prisma.outboxMessage.update({ where: { id: row!.id }, data: { status: 'SENDING', sendStartedAt: now, leaseExpiresAt: now, claimToken: 'died' } });
    service.clock.advance(60_000);
    expect(await t.dispatch()).toMatchObject({ reconciled: 1, uncertain: 0 });
    expect(t.groupSendsTo(c.externalUserId)).toHaveLength(1);
    expect((await t.invites(c.followUp.id))[0]).toMatchObject({ status: 'SENT', providerMessageId: created!.msgid });
  });

  it('keeps looking for the group send of a lost answer while WeCom does not list it yet, and adopts it once listed', async () => {
    const c = await t.customer({ follower: false });
    // WeCom creates the send and loses the answer; its list shows the send only 5 minutes later.
    service.wecom.groupSendListingDelayMs = 5 * 60_000;
    try {
      service.wecom.injectFailure({ dropAnswer: true }, { api: 'externalcontact/add_msg_template' });
      expect(await t.dispatch()).toMatchObject({ sent: 0 });
      const [created, ...more] = t.groupSendsTo(c.externalUserId);
      expect(more).toEqual([]);
      const creates = () => service.wecom.callsTo('externalcontact/add_msg_template').filter((r) => JSON.stringify(r.body).includes(c.externalUserId));

      // Claimed again while WeCom does not list it: looked up, not created again.
      for (let i = 0; i < 2; i++) {
        service.clock.advance(2 * 60_000);
        expect(await t.dispatch()).toMatchObject({ sent: 0, reconciled: 0, uncertain: 0 });
        // Nothing was created again.
        expect(creates()).toHaveLength(1);
        expect((await t.invites(c.followUp.id))[0]).toMatchObject({ status: 'PENDING', providerMessageId: null, lastErrorCode: 'SEND_UNCONFIRMED' });
      }
      service.clock.advance(2 * 60_000);
      expect(await t.dispatch()).toMatchObject({ sent: 0, reconciled: 1 });
      expect(t.groupSendsTo(c.externalUserId)).toHaveLength(1);
      expect(creates()).toHaveLength(1);
      expect((await t.invites(c.followUp.id))[0]).toMatchObject({ status: 'SENT', providerMessageId: created!.msgid });
    } finally {
      service.wecom.groupSendListingDelayMs = 0;
    }
  });

  it('creates an interrupted send again only after WECOM_CONTACT_RECONCILE_WAIT_SECONDS when WeCom never lists it', async () => {
    const c = await t.customer({ follower: false });
    // A dispatcher that died as it handed the send over, before WeCom created anything.
    const now = service.clock.now();
    await db().prisma.outboxMessage.updateMany({ where: { idempotencyKey: c.key }, data: { status: 'SENDING', attempts: 1, sendStartedAt: now, leaseExpiresAt: now, claimToken: 'died' } });
    for (const minutes of [1, 4, 8]) {
      service.clock.set(new Date(now.getTime() + minutes * 60_000));
      expect(await t.dispatch()).toMatchObject({ sent: 0, reconciled: 0, uncertain: 0 });
      expect(t.groupSendsTo(c.externalUserId)).toEqual([]);
    }
    // The default wait (600 s) is over: created once.
    service.clock.set(new Date(now.getTime() + 11 * 60_000));
    expect(await t.dispatch()).toMatchObject({ sent: 1 });
    const [send, ...more] = t.groupSendsTo(c.externalUserId);
    expect(more).toEqual([]);
    expect((await t.invites(c.followUp.id))[0]).toMatchObject({ status: 'SENT', providerMessageId: send!.msgid });
  });

  it('creates the send on a retry when the earlier attempt was refused (nothing to adopt)', async () => {
    const c = await t.customer({ follower: false });
    service.wecom.injectFailure({ errcode: -1, errmsg: 'system busy' }, { api: 'externalcontact/add_msg_template' });
    await t.dispatch();
    expect(t.groupSendsTo(c.externalUserId)).toEqual([]);
    service.clock.advance(10 * 60_000);
    expect(await t.dispatch()).toMatchObject({ sent: 1 });
    const [send, ...more] = t.groupSendsTo(c.externalUserId);
    expect(more).toEqual([]);
    expect((await t.invites(c.followUp.id))[0]).toMatchObject({ status: 'SENT', providerMessageId: send!.msgid });
  });

  it('never hands an opted-out customer to the next channel', async () => {
    const c = await t.customer();
    await t.dispatch();
    const now = service.clock.now();
    await service.app.deps.customers.optOutCustomer(c.followUp.customerId, now, 'test', { at: now, actorType: 'SYSTEM', actorId: null, action: 'customer.opted_out', entityType: 'Customer', entityId: c.followUp.customerId, details: {} });
    service.clock.advance(25 * HOUR);
    // Other customers' surveys may move on in this run: what counts is this customer's rows.
    await t.fallbackJob();
    await t.dispatch();
    expect(t.groupSendsTo(c.externalUserId)).toEqual([]);
    expect(t.smsTo(c.followUp.customerId)).toEqual([]);
    expect((await t.invites(c.followUp.id)).map((r) => r.channel)).toEqual(['wechat']);
  });
});

describeEachDatabase('survey chain [wecom_contact, wechat, sms]', (db) => {
  let service: ChainService;
  beforeAll(async () => {
    service = await startChainService(db(), { channels: '[wecom_contact, wechat, sms]' });
  });
  afterAll(async () => {
    await service?.close();
  });
  const t = chainSteps(db, () => service);

  it('hands a refused group send to WeChat, and the unopened WeChat invitation to SMS once', async () => {
    const c = await t.customer();
    expect(await t.survey(c.followUp.id)).toMatchObject({ channel: 'wecom_contact' });
    // The customer deleted the member since the match: WeCom's fail_list refuses the send.
    service.wecom.removeExternalContact(c.externalUserId, MEMBER);
    await t.dispatch();
    await t.dispatch();
    const [contact, wechat] = await t.invites(c.followUp.id);
    expect(contact).toMatchObject({ channel: 'wecom_contact', status: 'DEAD', lastErrorCode: 'NOT_A_CONTACT' });
    expect(wechat).toMatchObject({ channel: 'wechat', status: 'SENT', idempotencyKey: `${c.key}:wechat`, fallbackOfId: contact!.id });
    const [message, ...more] = service.wechat.messagesTo(c.openId!);
    expect(more).toEqual([]);
    expect(message!.url).toBe((JSON.parse(contact!.payload) as { link: string }).link);
    expect(message!.data).toMatchObject({ thing2: { value: '住院服务' } });
    expect(await t.survey(c.followUp.id)).toMatchObject({ channel: 'wechat' });

    // The WeChat wait counts from the WeChat invitation.
    service.clock.advance(23 * HOUR);
    expect(await t.fallbackJob()).toMatchObject({ enqueued: 0 });
    service.clock.advance(HOUR + 60_000);
    expect(await t.fallbackJob()).toMatchObject({ enqueued: 1 });
    await t.fallbackJob();
    await t.collect();
    await t.dispatch();
    await t.dispatch();
    expect((await t.invites(c.followUp.id)).map((r) => [r.channel, r.status, r.idempotencyKey])).toEqual([
      ['wecom_contact', 'DEAD', c.key],
      ['wechat', 'SENT', `${c.key}:wechat`],
      ['sms', 'SENT', `${c.key}:sms`],
    ]);
    expect(t.smsTo(c.followUp.customerId)).toHaveLength(1);
    expect(t.groupSendsTo(c.externalUserId)).toHaveLength(1);
  });

  it('goes from a withdrawn group send to SMS when the customer does not follow the 服务号', async () => {
    const c = await t.customer({ follower: false });
    await t.dispatch();
    service.clock.advance(2 * DAY + 60_000);
    expect(await t.collect()).toMatchObject({ withdrawn: 1, fallbacks: 1 });
    await t.dispatch();
    await t.collect();
    expect((await t.invites(c.followUp.id)).map((r) => r.channel)).toEqual(['wecom_contact', 'sms']);
    expect(t.smsTo(c.followUp.customerId)).toHaveLength(1);
  });
});

const GREETING = `
key: owners
title: 业主节日问候
occasions: [中秋]
channels: [wecom_contact, sms]
send: { window: "09:00-11:00" }
signature: "——锦绣花园客服中心"
segments:
  - key: all
    text: "{salutation}您好！{occasion}快乐！"
`;

describeEachDatabase('greeting by 客户联系 the member never sends: SMS after the results job', (db) => {
  let service: ChainService;
  let customerId = '';
  const at = (local: string) => new Date(`${local}:00+08:00`);
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'huifang-campaigns-'));
    writeFileSync(join(dir, 'owners.yaml'), GREETING);
    service = await startChainService(db(), { campaignsDir: dir, start: at('2026-09-24T07:00').toISOString() });
    customerId = new UlidGenerator().next();
    await db().prisma.customer.create({
      data: { id: customerId, name: '王一', salutation: '王先生', phoneE164: '+8613700000011', phoneMasked: '137****0011', consentMarketing: true },
    });
    service.wecom.setExternalContacts([{ external_userid: `wmGreet${db().provider}`, name: '王一', follow_users: [{ userid: MEMBER, remark: '王先生', remark_mobiles: ['13700000011'] }] }]);
    expect(await runWecomContactsCommand(['match'], (fn) => fn(service.app), collectOutput())).toBe(0);
  });
  afterAll(async () => {
    await service?.close();
  });

  it('queues the greeting for the member, withdraws it when unsent, and sends the SMS once', async () => {
    const plan = () => jobs['plan-greetings']!.run(service.app);
    const dispatch = () => jobs['dispatch-outbox']!.run(service.app);
    const collect = () => jobs['collect-wecom-contact-results']!.run(service.app) as Promise<{ withdrawn: number; fallbacks: number; waiting: number }>;
    for (const time of ['2026-09-25T08:00', '2026-09-25T09:00', '2026-09-25T10:00', '2026-09-25T10:30']) {
      service.clock.set(at(time));
      await plan();
      await dispatch();
    }
    const sends = service.wecom.groupSends.filter((g) => g.externalUserids.includes(`wmGreet${db().provider}`));
    expect(sends).toHaveLength(1);
    // Worded as the member's own WeChat message: the signature line, no SMS signature 【…】, no SMS opt-out.
    expect(sends[0]!.text).toBe('王先生您好！中秋节快乐！——锦绣花园客服中心');
    expect(await collect()).toMatchObject({ waiting: 1, fallbacks: 0 });
    const greetingSms = () => service.sms.sends.filter((m) => m.message.kind === 'customer_notice' && m.message.to.customerId === customerId);
    expect(greetingSms()).toEqual([]);

    service.clock.set(new Date(at('2026-09-25T10:30').getTime() + 2 * DAY + 60_000));
    expect(await collect()).toMatchObject({ withdrawn: 1, fallbacks: 1 });
    expect(service.wecom.groupSend(sends[0]!.msgid)).toMatchObject({ cancelled: true });
    await dispatch();
    await collect();
    await plan();
    await dispatch();
    const rows = inChainOrder(await db().prisma.outboxMessage.findMany({ where: { recipientId: customerId, kind: 'customer_notice' } }));
    expect(rows.map((r) => [r.channel, r.status, r.deliveryStatus])).toEqual([
      ['wecom_contact', 'SENT', 'FAILED'],
      ['sms', 'SENT', null],
    ]);
    expect(rows[1]).toMatchObject({ idempotencyKey: `${rows[0]!.idempotencyKey}:sms`, fallbackOfId: rows[0]!.id });
    const sent = greetingSms();
    expect(sent).toHaveLength(1);
    // The SMS that follows has the SMS wording.
    expect(sent[0]!.message).toMatchObject({ to: { phoneE164: '+8613700000011' }, text: '【回访中心】王先生您好！中秋节快乐！——锦绣花园客服中心。拒收请回复R' });
    expect(sent[0]!.message).not.toHaveProperty('smsText');
  });
});

describeEachDatabase('greeting by 客户联系 whose send was interrupted as its window closed', (db) => {
  let service: ChainService;
  const at = (local: string) => new Date(`${local}:00+08:00`);
  const customers: { id: string; externalUserId: string }[] = [];
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'huifang-campaigns-'));
    writeFileSync(join(dir, 'owners.yaml'), GREETING);
    service = await startChainService(db(), { campaignsDir: dir, start: at('2026-09-24T07:00').toISOString() });
    const contacts = [];
    for (const n of [21, 22]) {
      const id = new UlidGenerator().next();
      const externalUserId = `wmLate${n}${db().provider}`;
      customers.push({ id, externalUserId });
      await db().prisma.customer.create({
        data: { id, name: `王${n}`, salutation: '王先生', phoneE164: `+86137000000${n}`, phoneMasked: `137****00${n}`, consentMarketing: true },
      });
      contacts.push({ external_userid: externalUserId, name: `王${n}`, follow_users: [{ userid: MEMBER, remark: '王先生', remark_mobiles: [`137000000${n}`] }] });
    }
    service.wecom.setExternalContacts(contacts);
    expect(await runWecomContactsCommand(['match'], (fn) => fn(service.app), collectOutput())).toBe(0);
  });
  afterAll(async () => {
    await service?.close();
  });

  it('adopts the task WeCom created though it is listed only after the window, and expires the one WeCom never created instead of creating it late', async () => {
    const plan = () => jobs['plan-greetings']!.run(service.app);
    const dispatch = () => jobs['dispatch-outbox']!.run(service.app) as Promise<{ sent: number; reconciled: number; expired: number }>;
    const [adopted, never] = customers as [(typeof customers)[number], (typeof customers)[number]];
    const greeting = async (customerId: string) => (await db().prisma.greetingDelivery.findMany({ where: { customerId } }))[0]!;
    const outboxOf = async (customerId: string) => db().prisma.outboxMessage.findMany({ where: { recipientId: customerId, kind: 'customer_notice' } });
    // The day's greetings are spread over the window (09:00 and 10:00); nothing is dispatched until 10:55.
    for (const time of ['2026-09-25T08:00', '2026-09-25T09:00', '2026-09-25T10:00']) {
      service.clock.set(at(time));
      await plan();
    }
    const [neverRow] = await outboxOf(never.id);
    // A dispatcher died as it handed this one over, before WeCom created anything; a later claim found nothing listed yet.
    await db().prisma.outboxMessage.update({
      where: { id: neverRow!.id },
      data: { attempts: 1, sendStartedAt: at('2026-09-25T10:58'), lastErrorCode: 'SEND_UNCONFIRMED', nextAttemptAt: at('2026-09-25T11:01') },
    });

    // The other one leaves at 10:55; WeCom creates the task, the answer is lost, and WeCom lists the send only 10 minutes later.
    service.wecom.groupSendListingDelayMs = 10 * 60_000;
    try {
      service.clock.set(at('2026-09-25T10:55'));
      service.wecom.injectFailure({ dropAnswer: true }, { api: 'externalcontact/add_msg_template' });
      expect(await dispatch()).toMatchObject({ sent: 0 });
      const [created, ...more] = service.wecom.groupSends.filter((g) => g.externalUserids.includes(adopted.externalUserId));
      expect(more).toEqual([]);

      // The window closes while both are still being looked for: the greeting job leaves them to the dispatcher.
      service.clock.set(at('2026-09-25T11:00'));
      await plan();
      for (const c of customers) {
        expect((await outboxOf(c.id))[0]).toMatchObject({ status: 'PENDING', lastErrorCode: 'SEND_UNCONFIRMED' });
        expect(await greeting(c.id)).toMatchObject({ status: 'PLANNED' });
      }
      service.clock.set(at('2026-09-25T11:02'));
      expect(await dispatch()).toMatchObject({ sent: 0, reconciled: 0, expired: 0 });

      // Listed at 11:05: adopted, and followed up like any greeting the member has been given.
      service.clock.set(at('2026-09-25T11:06'));
      expect(await dispatch()).toMatchObject({ sent: 0, reconciled: 1, expired: 0 });
      expect((await outboxOf(adopted.id))[0]).toMatchObject({ status: 'SENT', providerMessageId: created!.msgid });
      // The one never created: once the reconcile wait (600 s from 10:58) is over, it is not begun again after the window.
      service.clock.set(at('2026-09-25T11:09'));
      expect(await dispatch()).toMatchObject({ sent: 0, expired: 1 });
      expect(service.wecom.groupSends.filter((g) => g.externalUserids.includes(never.externalUserId))).toEqual([]);
      expect((await outboxOf(never.id))[0]).toMatchObject({ status: 'CANCELLED', lastErrorCode: 'SEND_WINDOW_CLOSED' });

      await plan();
      expect(await greeting(adopted.id)).toMatchObject({ status: 'SENT' });
      expect(await greeting(never.id)).toMatchObject({ status: 'SKIPPED', skipReason: 'WINDOW_MISSED' });
      const collect = () => jobs['collect-wecom-contact-results']!.run(service.app) as Promise<{ waiting: number; withdrawn: number; fallbacks: number }>;
      expect(await collect()).toMatchObject({ waiting: 1 });
      // Left unsent by the member, the adopted task is withdrawn after WECOM_CONTACT_CONFIRM_DAYS (from its adoption) like any other.
      service.clock.set(new Date(at('2026-09-25T11:06').getTime() + 2 * DAY - 60_000));
      expect(await collect()).toMatchObject({ waiting: 1, withdrawn: 0 });
      service.clock.set(new Date(at('2026-09-25T11:06').getTime() + 2 * DAY + 60_000));
      expect(await collect()).toMatchObject({ withdrawn: 1, fallbacks: 1 });
      expect(service.wecom.groupSend(created!.msgid)).toMatchObject({ cancelled: true });
      // Its SMS is not held to the greeting's window (the member had the greeting until now).
      await dispatch();
      const sms = service.sms.sends.filter((m) => m.message.kind === 'customer_notice' && m.message.to.customerId === adopted.id);
      expect(sms).toHaveLength(1);
      expect(service.sms.sends.filter((m) => 'customerId' in m.message.to && m.message.to.customerId === never.id)).toEqual([]);
    } finally {
      service.wecom.groupSendListingDelayMs = 0;
    }
  });
});
