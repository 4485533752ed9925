// The WeCom staff channel end to end on a real database: a due follow-up becomes a task card at the
// simulator, the simulator's signed and encrypted tap comes back through /wecom/callback, and the
// card is updated — with the provider failures the outbox has to survive on the way.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDatabase } from '../../support/db.js';
import { RATE_LIMIT_SPREAD_MS } from '../../../bot/core/outbox/dispatch-outbox.js';
import { createDueFollowUp, dispatch, processedInboundEvent, startWecomService, type WecomTestService } from './wecom-service.js';

describeEachDatabase('WeCom staff channel', (db) => {
  let service: WecomTestService;

  beforeAll(async () => {
    service = await startWecomService(db());
  });

  afterAll(async () => {
    await service?.close();
  });

  const outboxOf = (taskFollowUpId: string, kind = 'task_card') =>
    db().prisma.outboxMessage.findFirstOrThrow({ where: { followUpId: taskFollowUpId, kind }, include: { attemptLog: { orderBy: { attempt: 'asc' } } } });

  it('turns a due follow-up into a button_interaction card for the assignee, with a masked phone and no health details', async () => {
    const { sim } = service;
    const due = await createDueFollowUp(service, 'hushi.li');
    await dispatch(service);

    const [message, ...others] = sim.messagesForTask(due.taskId);
    expect(others).toEqual([]);
    expect(message).toMatchObject({ userid: 'hushi.li', msgtype: 'template_card' });
    const body = message!.body as Record<string, unknown> & { template_card: Record<string, unknown> };
    expect(body).toMatchObject({ touser: 'hushi.li', agentid: sim.agentId, enable_duplicate_check: 1, duplicate_check_interval: 1800 });
    expect(body.template_card).toMatchObject({ card_type: 'button_interaction', task_id: due.taskId, source: { desc: '回访提醒' } });
    const buttons = body.template_card.button_list as { type: number; key?: string; text: string; url?: string }[];
    // P4 is a medical policy: 病情异常 sends a worrying condition to 科主任 (six buttons, WeCom's maximum).
    expect(buttons.slice(0, 5).map((b) => b.key)).toEqual(['satisfied', 'dissatisfied', 'unreachable', 'reschedule', 'concern'].map(due.key));
    expect(buttons.slice(0, 5).every((b) => b.type === 0)).toBe(true);
    // Last, a link button to the signed 详情 form of this card.
    expect(buttons.slice(5)).toEqual([{ type: 1, text: '详情', style: 1, url: expect.stringMatching(/\/f\/[0-9A-Z]+_1\.[\w-]{16}$/) }]);

    const national = due.phone.slice(3);
    const masked = `${national.slice(0, 3)}****${national.slice(-4)}`;
    const text = JSON.stringify(body);
    expect(text).toContain(masked);
    expect(text).not.toContain(national);
    expect(text).not.toContain('急性心肌梗死');
    expect(text).not.toContain('severity');

    const outbox = await outboxOf(due.followUpId);
    expect(outbox).toMatchObject({ status: 'SENT', attempts: 1, providerMessageId: message!.msgid });
  });

  it('refreshes an expired token once and retries once: the card is delivered once', async () => {
    const { sim } = service;
    await createDueFollowUp(service);
    await dispatch(service); // leaves a cached token
    sim.expireTokens();
    const tokensBefore = sim.callsTo('gettoken').length;
    const sendsBefore = sim.callsTo('message/send').length;

    const due = await createDueFollowUp(service);
    await dispatch(service);

    const sends = sim.callsTo('message/send').slice(sendsBefore);
    expect(sends.map((r) => ('json' in r.answer ? r.answer.json?.errcode : 'hung'))).toEqual([42001, 0]);
    expect(sim.callsTo('gettoken').length - tokensBefore).toBe(1);
    expect(sim.messagesForTask(due.taskId)).toHaveLength(1);
    expect(await outboxOf(due.followUpId)).toMatchObject({ status: 'SENT', attempts: 1 });
  });

  it('reschedules a rate-limited card (45009) after WeCom’s block and delivers it then', async () => {
    const { sim, clock } = service;
    const due = await createDueFollowUp(service);
    sim.injectFailure({ errcode: 45009, errmsg: 'api freq out of limit' });
    const first = await dispatch(service);
    expect(first.retried).toBe(1);

    const waiting = await outboxOf(due.followUpId);
    expect(waiting).toMatchObject({ status: 'PENDING', attempts: 1, lastErrorCode: '45009' });
    // A rate limit waits what it names: WeCom's 60 s block, spread by the fixed jitter (0.5) of RATE_LIMIT_SPREAD_MS.
    expect(waiting.nextAttemptAt.getTime() - clock.now().getTime()).toBe(60_000 + 0.5 * RATE_LIMIT_SPREAD_MS);
    expect(waiting.attemptLog).toMatchObject([{ attempt: 1, outcome: 'RETRY', errorCode: '45009' }]);
    expect(sim.messagesForTask(due.taskId)).toHaveLength(0);

    clock.advance(30_000);
    expect((await dispatch(service)).sent).toBe(0);
    clock.advance(30_000 + 0.5 * RATE_LIMIT_SPREAD_MS);
    await dispatch(service);
    expect(await outboxOf(due.followUpId)).toMatchObject({ status: 'SENT', attempts: 2 });
    expect(sim.messagesForTask(due.taskId)).toHaveLength(1);
  });

  it('gives up on a member WeCom does not know (81013): DEAD with the errcode and the reason', async () => {
    const { sim } = service;
    sim.removeUser('hushi.zhou');
    try {
      const due = await createDueFollowUp(service, 'hushi.zhou');
      const summary = await dispatch(service);
      expect(summary.dead).toBe(1);
      const outbox = await outboxOf(due.followUpId);
      expect(outbox).toMatchObject({ status: 'DEAD', attempts: 1, lastErrorCode: '81013' });
      expect(outbox.lastError).toContain('INVALID_RECIPIENTS');
      expect(outbox.lastError).toContain('可见范围');
    } finally {
      sim.addUser('hushi.zhou');
    }
  });

  it('tells the operator to add the server to 企业可信IP when WeCom refuses its IP (60020)', async () => {
    const { sim } = service;
    sim.ipAllowed = false;
    try {
      const due = await createDueFollowUp(service);
      await dispatch(service);
      const outbox = await outboxOf(due.followUpId);
      // The card is not thrown away: it waits (15 minutes and more) while the operator fixes the allowlist.
      expect(outbox).toMatchObject({ status: 'PENDING', lastErrorCode: '60020' });
      expect(outbox.nextAttemptAt.getTime() - service.clock.now().getTime()).toBeGreaterThanOrEqual(15 * 60_000);
      expect(outbox.lastError).toContain('企业可信IP');
      const alert = service.logs().find((l) => l.msg === 'outbox message blocked: provider configuration must be fixed' && l.outboxId === outbox.id);
      expect(alert?.level).toBe(50);
      expect((alert?.err as { message: string }).message).toContain('企业可信IP');
    } finally {
      sim.ipAllowed = true;
    }
  });

  it('records a tapped button: signed callback → follow-up DONE → the card is greyed out with the tap’s response_code', async () => {
    const { sim, callbackUrl, app } = service;
    const due = await createDueFollowUp(service, 'hushi.li');
    await dispatch(service);

    const tap = await sim.tap(callbackUrl, { userid: 'hushi.li', taskId: due.taskId, key: due.key('satisfied') });
    expect(tap).toMatchObject({ status: 200, responseBody: '' });
    const createTime = /<CreateTime>(\d+)<\/CreateTime>/.exec(tap.plaintext)![1];
    const event = await processedInboundEvent(service, `hushi.li:${createTime}:template_card_event:${due.taskId}:${due.key('satisfied')}`);
    expect(event).toMatchObject({ status: 'PROCESSED', kind: 'staff_card_action' });
    expect(JSON.parse(event.payload)).toEqual({ wecomUserId: 'hushi.li', taskId: due.taskId, actionKey: due.key('satisfied'), responseCode: tap.responseCode });
    expect(await db().prisma.followUp.findUniqueOrThrow({ where: { id: due.followUpId } })).toMatchObject({ status: 'DONE', outcome: 'SATISFIED' });

    await dispatch(service);
    expect(sim.cardUpdates.filter((u) => u.taskId === due.taskId)).toEqual([
      expect.objectContaining({ userids: ['hushi.li'], responseCode: tap.responseCode, replaceName: '已回访·满意·李护士' }),
    ]);
    expect(await outboxOf(due.followUpId, 'card_update')).toMatchObject({ status: 'SENT' });
  });

  it('changes state once when WeCom delivers the same callback twice', async () => {
    const { sim, callbackUrl, app } = service;
    const due = await createDueFollowUp(service);
    await dispatch(service);
    const tap = await sim.tap(callbackUrl, { userid: 'hushi.li', taskId: due.taskId, key: due.key('unreachable') });
    const createTime = /<CreateTime>(\d+)<\/CreateTime>/.exec(tap.plaintext)![1];
    const dedupeKey = `hushi.li:${createTime}:template_card_event:${due.taskId}:${due.key('unreachable')}`;
    await processedInboundEvent(service, dedupeKey);

    // The identical request is a replay, refused; WeCom's resend with a fresh nonce is answered and
    // absorbed by the inbox.
    expect(await sim.replay(tap)).toMatchObject({ status: 401, responseBody: 'REPLAYED' });
    const resend = await sim.deliver(callbackUrl, tap.plaintext);
    expect(resend).toMatchObject({ status: 200, responseBody: '' });
    expect(await db().prisma.inboundEvent.count({ where: { source: 'wecom', dedupeKey } })).toBe(1);
    expect(await db().prisma.auditLog.count({ where: { entityId: due.followUpId, action: 'follow_up.unreachable' } })).toBe(1);
    expect(await db().prisma.outboxMessage.count({ where: { followUpId: due.followUpId, kind: 'card_update' } })).toBe(1);
    const followUp = await db().prisma.followUp.findUniqueOrThrow({ where: { id: due.followUpId } });
    expect(followUp.attempts).toBe(1);
    expect(service.logs().some((l) => l.msg === 'wecom callback accepted' && l.duplicate === true)).toBe(true);
  });

  it('refuses a forged signature with 401 and records nothing', async () => {
    const { sim, callbackUrl, app } = service;
    const due = await createDueFollowUp(service);
    await dispatch(service);
    const before = await db().prisma.inboundEvent.count();
    const forged = await sim.sendCardEvent(callbackUrl, { fromUser: 'hushi.li', taskId: due.taskId, eventKey: due.key('satisfied') }, { forgeSignature: true });
    expect(forged.status).toBe(401);
    const otherToken = await sim.sendCardEvent(callbackUrl, { fromUser: 'hushi.li', taskId: due.taskId, eventKey: due.key('satisfied') }, { token: 'not-our-token' });
    expect(otherToken.status).toBe(401);
    expect(await db().prisma.inboundEvent.count()).toBe(before);
    expect(await db().prisma.followUp.findUniqueOrThrow({ where: { id: due.followUpId } })).toMatchObject({ status: 'ACTIVE' });
    const warning = service.logs().find((l) => l.msg === 'wecom callback refused' && l.code === 'BAD_SIGNATURE');
    expect(warning?.level).toBe(40);
    expect(JSON.stringify(warning)).not.toContain(forged.body);
  });

  it('records a tap on an unknown task and rejects it (UNKNOWN_TASK)', async () => {
    const { sim, callbackUrl } = service;
    const delivery = await sim.sendCardEvent(callbackUrl, { fromUser: 'hushi.li', taskId: 'fu_01NOSUCHFOLLOWUP_1', eventKey: 'satisfied:01NOSUCHFOLLOWUP:1' });
    expect(delivery.status).toBe(200);
    const createTime = /<CreateTime>(\d+)<\/CreateTime>/.exec(delivery.plaintext)![1];
    const event = await processedInboundEvent(service, `hushi.li:${createTime}:template_card_event:fu_01NOSUCHFOLLOWUP_1:satisfied:01NOSUCHFOLLOWUP:1`);
    expect(event.status).toBe('REJECTED');
    expect(JSON.parse(event.result ?? '{}')).toMatchObject({ code: 'UNKNOWN_TASK' });
  });

  it('rejects a tap on a card whose follow-up was reassigned since (NOT_ASSIGNEE)', async () => {
    const { sim, callbackUrl, app } = service;
    const due = await createDueFollowUp(service, 'hushi.li');
    await dispatch(service);
    // Reassigned to another nurse after the card went out (there is no reassignment use case yet).
    const zhou = await db().prisma.staff.findUniqueOrThrow({ where: { wecomUserId: 'hushi.zhou' } });
    await db().prisma.followUp.update({ where: { id: due.followUpId }, data: { assigneeId: zhou.id } });

    const tap = await sim.tap(callbackUrl, { userid: 'hushi.li', taskId: due.taskId, key: due.key('satisfied') });
    expect(tap.status).toBe(200);
    const createTime = /<CreateTime>(\d+)<\/CreateTime>/.exec(tap.plaintext)![1];
    const event = await processedInboundEvent(service, `hushi.li:${createTime}:template_card_event:${due.taskId}:${due.key('satisfied')}`);
    expect(event.status).toBe('REJECTED');
    expect(JSON.parse(event.result ?? '{}')).toMatchObject({ code: 'NOT_ASSIGNEE' });
    expect(await db().prisma.followUp.findUniqueOrThrow({ where: { id: due.followUpId } })).toMatchObject({ status: 'ACTIVE' });
  });
});
