// WeCom customer contact (客户联系) on a real database against the WeCom simulator: customers matched to
// the members' external contacts, survey invitations queued as group sends (企业群发) for the member to
// confirm, their outcome collected, and the SMS fallback of the chain [wecom_contact, sms] when the member
// does not send in time (or before the survey's deadline), when the customer leaves the message the member
// sent unopened, when the customer is over the group-message quota, or never for an opted-out one.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createHuifang, type Huifang } from '../../../bot/huifang.js';
import { loadConfig } from '../../../bot/config.js';
import { createLogger } from '../../../bot/logger.js';
import { FakeClock } from '../../../bot/clocks.js';
import type { DbClient } from '../../../bot/db/client.js';
import { EXAMPLE_STAFF, seedExampleOrganisation } from '../../../bot/example/example-organisation.js';
import { runWecomContactsCommand } from '../../../bot/commands/wecom-contacts.js';
import { WecomClient } from '../../../bot/channels/wecom/wecom-client.js';
import { jobs } from '../../../jobs/index.js';
import { describeEachDatabase } from '../../support/db.js';
import { dischargeBody, submit, uniquePhone } from '../../support/builders.js';
import { CountingChannel } from '../../support/test-channels.js';
import { collectOutput } from '../../support/command-output.js';
import { WecomSimulator } from '../../simulators/wecom/wecom-simulator.js';
import { policiesWith, START } from '../wechat/wechat-service.js';

const DAY = 86_400_000;
const MEMBER = 'hushi.li';

describeEachDatabase('WeCom customer contact: matching, group sends and the SMS fallback', (db) => {
  let sim: WecomSimulator;
  let app: Huifang;
  let clock: FakeClock;
  let sms: CountingChannel;
  let removePolicies: () => void;
  let contactSequence = 0;

  beforeAll(async () => {
    clock = new FakeClock(START);
    // WeCom stamps sends and the member's send time with the service's clock.
    sim = await WecomSimulator.start({ users: EXAMPLE_STAFF.map((s) => s.wecomUserId), clock });
    const policies = policiesWith({ channels: '[wecom_contact, sms]' });
    removePolicies = policies.remove;
    const config = loadConfig({
      DATABASE_URL: db().url,
      WECOM_CORP_ID: sim.corpId,
      WECOM_AGENT_ID: String(sim.agentId),
      WECOM_SECRET: sim.secret,
      WECOM_CALLBACK_TOKEN: sim.callbackToken,
      WECOM_ENCODING_AES_KEY: sim.encodingAesKey,
      WECOM_API_BASE: sim.baseUrl,
      WECOM_CUSTOMER_CONTACT: '1',
      // One group message a day per customer, and no gap between surveys: two in a day reach the quota.
      WECOM_GROUP_MESSAGE_RULE: 'one_a_day',
      WECOM_CONTACT_CONFIRM_DAYS: '2',
      HUIFANG_SURVEY_MIN_GAP_HOURS: '0',
    });
    const dbClient: DbClient = { prisma: db().prisma, provider: db().provider, capabilities: db().capabilities, close: async () => {} };
    sms = new CountingChannel();
    app = createHuifang({ config, logger: createLogger({ level: 'silent' }), db: dbClient, clock, jitter: () => 0.5, channels: { sms }, policiesDir: policies.dir });
    await seedExampleOrganisation(app.directory, () => app.deps.ids.next());
  });

  afterAll(async () => {
    removePolicies?.();
    await sim?.close();
  });

  /** A customer (with a discharge case whose survey is due) who is `MEMBER`'s external contact, noted with their phone. */
  async function contactCustomer(options: { phone?: string; externalId?: string; occurredDaysAgo?: number } = {}) {
    const phone = options.phone ?? uniquePhone();
    contactSequence += 1;
    const externalUserId = `wmSimContact${contactSequence}${db().provider}`;
    // The member noted the number in the national form, as people type it.
    sim.setExternalContacts([{ external_userid: externalUserId, name: `微信客户${contactSequence}`, follow_users: [{ userid: MEMBER, remark: '李先生', remark_mobiles: [phone.replace('+86', '')] }] }]);
    const body = dischargeBody({ phone, occurredAt: new Date(clock.now().getTime() - (options.occurredDaysAgo ?? 3) * DAY - 3_600_000).toISOString() });
    if (options.externalId) body.customer = { ...body.customer, externalId: options.externalId };
    const submitted = await submit(app, body);
    return { phone, externalUserId, caseId: submitted.caseId };
  }

  async function activate(caseId: string) {
    await jobs['activate-due-follow-ups']!.run(app);
    const followUp = await db().prisma.followUp.findFirstOrThrow({ where: { caseId, step: 'survey' } });
    return { followUp, key: `fu:${followUp.id}:1` };
  }

  /** The next moment after now at `hhmm` in China time (UTC+8, no daylight saving). */
  const nextLocal = (hhmm: string) => {
    const now = clock.now().getTime();
    const china = new Date(now + 8 * 3_600_000).toISOString().slice(0, 10);
    let at = new Date(`${china}T${hhmm}:00+08:00`).getTime();
    while (at <= now) at += DAY;
    return new Date(at);
  };
  const dispatch = () => jobs['dispatch-outbox']!.run(app) as Promise<{ sent: number; dead: number; cancelled: number }>;
  const collect = () => jobs['collect-wecom-contact-results']!.run(app) as Promise<{ delivered: number; failed: number; withdrawn: number; waiting: number; fallbacks: number }>;
  const invitesOf = (followUpId: string) => db().prisma.outboxMessage.findMany({ where: { followUpId, kind: 'survey_invite' }, orderBy: { idempotencyKey: 'asc' } });
  const smsTo = (customerId: string) => sms.sends.filter((s) => s.message.kind === 'survey_invite' && s.message.to.customerId === customerId);
  const sendsTo = (externalUserId: string) => sim.groupSends.filter((g) => g.externalUserids.includes(externalUserId));

  it('matches customers to external contacts by the phone the member noted, and reports what matched and what did not', async () => {
    const matched = await contactCustomer();
    const stranger = await submit(app, dischargeBody({ occurredAt: new Date(clock.now().getTime() - 10 * DAY).toISOString() }));
    sim.setExternalContacts([{ external_userid: `wmNobody${db().provider}`, name: '路人', follow_users: [{ userid: MEMBER, remark_mobiles: ['13000000000'] }] }]);

    const dry = collectOutput();
    expect(await runWecomContactsCommand(['match', '--dry-run'], (fn) => fn(app), dry)).toBe(0);
    expect(dry.stdout).toMatch(/Dry run — would match \d+ customers against \d+ external contacts: [1-9]\d* by phone/);
    const customer = await db().prisma.customer.findFirstOrThrow({ where: { phoneE164: matched.phone } });
    expect(dry.stdout).toContain(`${customer.id}  ${customer.phoneMasked}  MATCHED_BY_MOBILE → ${MEMBER}  (would change)`);
    // A dry run writes nothing.
    expect(customer.wecomExternalId).toBeNull();

    const out = collectOutput();
    expect(await runWecomContactsCommand(['match', '--json'], (fn) => fn(app), out)).toBe(0);
    const report = JSON.parse(out.stdout) as { lines: { customerId: string; outcome: string; changed: boolean }[]; contactsWithoutCustomer: number };
    expect(report.lines.find((l) => l.customerId === customer.id)).toMatchObject({ outcome: 'MATCHED_BY_MOBILE', changed: true });
    const strangerCase = await db().prisma.case.findUniqueOrThrow({ where: { id: stranger.caseId } });
    expect(report.lines.find((l) => l.customerId === strangerCase.customerId)).toMatchObject({ outcome: 'UNMATCHED', changed: false });
    expect(report.contactsWithoutCustomer).toBeGreaterThanOrEqual(1);
    expect(await db().prisma.customer.findUniqueOrThrow({ where: { id: customer.id } })).toMatchObject({ wecomExternalId: matched.externalUserId, wecomFollowUserId: MEMBER });

    // The customer deletes the member: the next match clears the contact.
    sim.removeExternalContact(matched.externalUserId, MEMBER);
    const again = collectOutput();
    expect(await runWecomContactsCommand(['match'], (fn) => fn(app), again)).toBe(0);
    expect(again.stdout).toContain(`${customer.id}  ${customer.phoneMasked}  CLEARED`);
    expect(await db().prisma.customer.findUniqueOrThrow({ where: { id: customer.id } })).toMatchObject({ wecomExternalId: null, wecomFollowUserId: null });
  });

  it('queues the invitation for the member; once they send it, it is delivered, and left unopened it goes by SMS once after fallbackAfter, outside the quiet hours', async () => {
    const c = await contactCustomer();
    expect(await runWecomContactsCommand(['match'], (fn) => fn(app), collectOutput())).toBe(0);
    const { followUp, key } = await activate(c.caseId);
    expect(await db().prisma.surveyInstance.findUniqueOrThrow({ where: { followUpId: followUp.id } })).toMatchObject({ channel: 'wecom_contact' });
    await dispatch();

    const [send, ...others] = sendsTo(c.externalUserId);
    expect(others).toEqual([]);
    expect(send).toMatchObject({ sender: MEMBER, sentAt: null });
    const [invite] = await invitesOf(followUp.id);
    const payload = JSON.parse(invite!.payload) as { link: string };
    expect(invite).toMatchObject({ channel: 'wecom_contact', idempotencyKey: key, status: 'SENT', providerMessageId: send!.msgid, deliveryStatus: null });
    expect(send!.text).toContain(payload.link);

    // Not sent by the member yet: waiting, however long the survey stays unopened meanwhile.
    expect(await collect()).toMatchObject({ waiting: 1, delivered: 0 });
    clock.set(nextLocal('20:50'));
    expect(await jobs['survey-fallback']!.run(app)).toMatchObject({ enqueued: 0 });
    // The member sends it at 20:50; the customer does not open it.
    sim.confirmGroupSend(send!.msgid);
    expect(await collect()).toMatchObject({ delivered: 1, fallbacks: 0 });
    expect((await invitesOf(followUp.id))[0]).toMatchObject({ deliveryStatus: 'DELIVERED' });
    const memberSentAt = clock.now();

    // fallbackAfter (24 hours) after the member's send the SMS is queued, and held through the quiet hours (21:00–08:00).
    clock.set(new Date(memberSentAt.getTime() + 24 * 3_600_000 - 60_000));
    expect(await jobs['survey-fallback']!.run(app)).toMatchObject({ enqueued: 0 });
    clock.set(new Date(memberSentAt.getTime() + 24 * 3_600_000 + 11 * 60_000));
    expect(await jobs['survey-fallback']!.run(app)).toMatchObject({ enqueued: 1 });
    expect(await jobs['survey-fallback']!.run(app)).toMatchObject({ enqueued: 0 });
    await dispatch();
    expect(smsTo(followUp.customerId)).toEqual([]);
    const [, held] = await invitesOf(followUp.id);
    expect(held).toMatchObject({ channel: 'sms', idempotencyKey: `${key}:sms`, status: 'PENDING', lastErrorCode: 'CONTACT_HOURS' });
    expect(held!.nextAttemptAt.toISOString()).toBe(nextLocal('08:00').toISOString());
    clock.set(nextLocal('08:01'));
    await collect();
    await jobs['survey-fallback']!.run(app);
    await dispatch();
    await dispatch();
    expect(smsTo(followUp.customerId)).toHaveLength(1);
    expect((await invitesOf(followUp.id)).map((r) => [r.channel, r.status])).toEqual([
      ['wecom_contact', 'SENT'],
      ['sms', 'SENT'],
    ]);
    // The next tests start at the suite's time of day (10:30, after the surveys' 10:00).
    clock.set(nextLocal('10:30'));
  });

  it('withdraws an invitation the member did not send within WECOM_CONTACT_CONFIRM_DAYS and sends the survey by SMS once', async () => {
    const c = await contactCustomer();
    await runWecomContactsCommand(['match'], (fn) => fn(app), collectOutput());
    const { followUp, key } = await activate(c.caseId);
    await dispatch();
    const [send] = sendsTo(c.externalUserId);

    clock.advance(DAY);
    expect(await collect()).toMatchObject({ waiting: 1 });
    clock.advance(DAY + 60_000);
    expect(await collect()).toMatchObject({ withdrawn: 1, failed: 1, fallbacks: 1 });
    expect(sim.groupSend(send!.msgid)).toMatchObject({ cancelled: true });
    // The member can no longer send it.
    expect(() => sim.confirmGroupSend(send!.msgid)).toThrow(/cancelled/);

    await dispatch();
    await collect();
    await dispatch();
    const [contact, fallback, ...more] = await invitesOf(followUp.id);
    expect(more).toEqual([]);
    expect(contact).toMatchObject({ channel: 'wecom_contact', deliveryStatus: 'FAILED', deliveryError: 'WITHDRAWN' });
    expect(fallback).toMatchObject({ channel: 'sms', idempotencyKey: `${key}:sms`, fallbackOfId: contact!.id, status: 'SENT' });
    const sent = smsTo(followUp.customerId);
    expect(sent).toHaveLength(1);
    const survey = await db().prisma.surveyInstance.findUniqueOrThrow({ where: { followUpId: followUp.id } });
    expect(sent[0]!.message).toMatchObject({ replyCode: survey.replyCode, to: { phoneE164: c.phone } });
    expect((sent[0]!.message as { to: { wecomContact?: unknown } }).to.wecomContact).toBeUndefined();
  });

  /** A customer discharged 12 days ago, matched to their member, with the survey invitation queued for the member. */
  async function queuedTwelveDaysAfterDischarge() {
    const c = await contactCustomer({ occurredDaysAgo: 12 });
    await runWecomContactsCommand(['match'], (fn) => fn(app), collectOutput());
    const { followUp, key } = await activate(c.caseId);
    await dispatch();
    const [send] = sendsTo(c.externalUserId);
    const survey = await db().prisma.surveyInstance.findUniqueOrThrow({ where: { followUpId: followUp.id } });
    return { followUp, key, send, survey };
  }

  it('withdraws an unsent invitation before the survey’s deadline when that comes before WECOM_CONTACT_CONFIRM_DAYS, and sends the SMS in time', async () => {
    // Discharged 12 days ago: the survey expires tomorrow at 20:00, before the member's 2 days are over.
    const { followUp, key, send, survey } = await queuedTwelveDaysAfterDischarge();
    const queuedAt = (await invitesOf(followUp.id))[0]!.sentAt!;
    expect(survey.expiresAt.getTime()).toBeLessThan(queuedAt.getTime() + 2 * DAY);
    expect(survey.expiresAt.getTime() - queuedAt.getTime()).toBeGreaterThan(DAY);
    // The member's time ends 12 hours before the deadline (08:00, as the quiet hours end).
    const handover = new Date(survey.expiresAt.getTime() - 12 * 3_600_000);
    expect(handover.toISOString().slice(11, 16)).toBe('00:00');
    clock.set(new Date(handover.getTime() - 5 * 60_000));
    expect(await collect()).toMatchObject({ waiting: 1, withdrawn: 0 });
    clock.set(new Date(handover.getTime() + 60_000));
    expect(await collect()).toMatchObject({ withdrawn: 1, fallbacks: 1 });
    expect(await collect()).toMatchObject({ withdrawn: 0, fallbacks: 0 });
    expect(sim.groupSend(send!.msgid)).toMatchObject({ cancelled: true });
    await dispatch();
    await dispatch();
    expect((await invitesOf(followUp.id)).map((r) => [r.channel, r.status, r.deliveryError])).toEqual([
      ['wecom_contact', 'SENT', 'WITHDRAWN'],
      ['sms', 'SENT', null],
    ]);
    const [sms] = smsTo(followUp.customerId);
    expect(sms).toMatchObject({ idempotencyKey: `${key}:sms` });
    expect(smsTo(followUp.customerId)).toHaveLength(1);
    clock.set(nextLocal('10:30'));
  });

  it('withdraws an unsent invitation found after the survey’s deadline, and marks the next channel’s message expired instead of sending it late', async () => {
    const { followUp, key, send, survey } = await queuedTwelveDaysAfterDischarge();
    // The results job did not run until just after the deadline (the service was down).
    clock.set(new Date(survey.expiresAt.getTime() + 5 * 60_000));
    expect(await collect()).toMatchObject({ withdrawn: 1 });
    expect(sim.groupSend(send!.msgid)).toMatchObject({ cancelled: true });
    await dispatch();
    await collect();
    await dispatch();
    expect(smsTo(followUp.customerId)).toEqual([]);
    const [contact, sms, ...more] = await invitesOf(followUp.id);
    expect(more).toEqual([]);
    expect(contact).toMatchObject({ channel: 'wecom_contact', deliveryStatus: 'FAILED', deliveryError: 'WITHDRAWN' });
    expect(sms).toMatchObject({ channel: 'sms', idempotencyKey: `${key}:sms`, status: 'CANCELLED', lastErrorCode: 'PAST_DEADLINE' });
    expect(await db().prisma.auditLog.count({ where: { action: 'outbox.expired', entityId: sms!.id } })).toBe(1);
    clock.set(nextLocal('10:30'));
  });

  it('sends by SMS when the customer already had their group messages for the period (Huifang’s count, and WeCom’s)', async () => {
    // Two surveys the same day to one customer: the quota (one a day) lets the first through only.
    const c = await contactCustomer({ externalId: `PAT-QUOTA-${db().provider}` });
    await runWecomContactsCommand(['match'], (fn) => fn(app), collectOutput());
    await activate(c.caseId);
    await dispatch();
    expect(sendsTo(c.externalUserId)).toHaveLength(1);
    const body = dischargeBody({ phone: c.phone, occurredAt: new Date(clock.now().getTime() - 3 * DAY - 7_200_000).toISOString() });
    body.customer = { ...body.customer, externalId: `PAT-QUOTA-${db().provider}` };
    const second = await submit(app, body);
    const { followUp, key } = await activate(second.caseId);
    const summary = await dispatch();
    expect(summary.dead).toBeGreaterThanOrEqual(1);
    const [refused, fallback] = await invitesOf(followUp.id);
    expect(refused).toMatchObject({ channel: 'wecom_contact', status: 'DEAD', lastErrorCode: 'GROUP_MESSAGE_LIMIT' });
    expect(fallback).toMatchObject({ channel: 'sms', idempotencyKey: `${key}:sms` });
    await dispatch();
    expect(sendsTo(c.externalUserId)).toHaveLength(1);
    expect(smsTo(followUp.customerId).filter((s) => s.idempotencyKey === `${key}:sms`)).toHaveLength(1);

    // WeCom's own count: the member sent the customer a group message of their own today (Huifang
    // cannot see it), so the invitation Huifang queues is refused when the member sends it (status 3).
    sim.groupMessageRule = 'one_a_day';
    clock.advance(DAY);
    const d = await contactCustomer();
    await runWecomContactsCommand(['match'], (fn) => fn(app), collectOutput());
    const own = new WecomClient({ corpId: sim.corpId, agentId: sim.agentId, secret: sim.secret, apiBase: sim.baseUrl });
    const { msgid } = await own.addMsgTemplate({ sender: MEMBER, externalUserids: [d.externalUserId], text: '李先生您好，周末社区活动通知' });
    sim.confirmGroupSend(msgid);
    const third = await activate(d.caseId);
    await dispatch();
    const queued = sendsTo(d.externalUserId).find((g) => g.msgid !== msgid)!;
    sim.confirmGroupSend(queued.msgid);
    expect(sim.groupSend(queued.msgid)!.results.get(d.externalUserId)).toMatchObject({ status: 3 });
    expect(await collect()).toMatchObject({ failed: 1, fallbacks: 1 });
    await dispatch();
    const [quota, sms3] = await invitesOf(third.followUp.id);
    expect(quota).toMatchObject({ deliveryStatus: 'FAILED', deliveryError: 'GROUP_MESSAGE_LIMIT' });
    expect(sms3).toMatchObject({ channel: 'sms', status: 'SENT' });
  });

  it('lets one of two invitations to the same customer through when both are sent at once and the quota allows one', async () => {
    const c = await contactCustomer({ externalId: `PAT-PAIR-${db().provider}` });
    const body = dischargeBody({ phone: c.phone, occurredAt: new Date(clock.now().getTime() - 3 * DAY - 7_200_000).toISOString() });
    body.customer = { ...body.customer, externalId: `PAT-PAIR-${db().provider}` };
    const other = await submit(app, body);
    await runWecomContactsCommand(['match'], (fn) => fn(app), collectOutput());
    const first = await activate(c.caseId);
    const second = await activate(other.caseId);
    // Both invitations are claimed in one batch and sent concurrently.
    await dispatch();
    await dispatch();
    expect(sendsTo(c.externalUserId)).toHaveLength(1);
    const rows = [...(await invitesOf(first.followUp.id)), ...(await invitesOf(second.followUp.id))];
    expect(rows.filter((r) => r.channel === 'wecom_contact').map((r) => r.status).sort()).toEqual(['DEAD', 'SENT']);
    expect(rows.filter((r) => r.channel === 'sms').map((r) => r.status)).toEqual(['SENT']);
  });

  it('sends by SMS at once when WeCom refuses the send: the customer deleted the member since the match', async () => {
    const c = await contactCustomer();
    await runWecomContactsCommand(['match'], (fn) => fn(app), collectOutput());
    const { followUp, key } = await activate(c.caseId);
    sim.removeExternalContact(c.externalUserId, MEMBER);
    await dispatch();
    await dispatch();
    const [refused, fallback] = await invitesOf(followUp.id);
    expect(refused).toMatchObject({ channel: 'wecom_contact', status: 'DEAD', lastErrorCode: 'NOT_A_CONTACT' });
    expect(fallback).toMatchObject({ channel: 'sms', idempotencyKey: `${key}:sms`, status: 'SENT' });
    expect(smsTo(followUp.customerId)).toHaveLength(1);
    // WeCom created the task with no one to send to; nothing reaches the customer that way.
    expect(sendsTo(c.externalUserId).flatMap((g) => [...g.results.keys()])).toEqual([]);
  });

  it('never contacts an opted-out customer, on either channel', async () => {
    const c = await contactCustomer();
    await runWecomContactsCommand(['match'], (fn) => fn(app), collectOutput());
    const { followUp } = await activate(c.caseId);
    const now = clock.now();
    await app.deps.customers.optOutCustomer(followUp.customerId, now, 'test', { at: now, actorType: 'SYSTEM', actorId: null, action: 'customer.opted_out', entityType: 'Customer', entityId: followUp.customerId, details: {} });
    await dispatch();
    clock.advance(3 * DAY);
    await collect();
    await dispatch();
    expect(sendsTo(c.externalUserId)).toEqual([]);
    expect(smsTo(followUp.customerId)).toEqual([]);
    expect((await invitesOf(followUp.id)).map((m) => m.status)).toEqual(['CANCELLED']);
  });
});
