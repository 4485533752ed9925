// An escalation acted on away from its WeCom card — acknowledged or resolved on its page — greys the
// card out with the response_code WeCom returned when the card was sent, so no live 确认受理 button is
// left behind (docs/protocols/wecom.md §5.1).
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { TaskCard } from '../../../bot/core/messages.js';
import { describeEachDatabase } from '../../support/db.js';
import { createDueFollowUp, dispatch, processedInboundEvent, startWecomService, type WecomTestService } from './wecom-service.js';

describeEachDatabase('escalation card after the page', (db) => {
  let service: WecomTestService;

  beforeAll(async () => {
    service = await startWecomService(db());
  });

  afterAll(async () => {
    await service?.close();
  });

  /** A 不满意 tap on a due call: the head nurse's escalation card is sent. */
  async function escalated() {
    const { sim, callbackUrl } = service;
    const due = await createDueFollowUp(service, 'hushi.li');
    await dispatch(service);
    const tap = await sim.tap(callbackUrl, { userid: 'hushi.li', taskId: due.taskId, key: due.key('dissatisfied') });
    const createTime = /<CreateTime>(\d+)<\/CreateTime>/.exec(tap.plaintext)![1];
    expect(await processedInboundEvent(service, `hushi.li:${createTime}:template_card_event:${due.taskId}:${due.key('dissatisfied')}`)).toMatchObject({ status: 'PROCESSED' });
    await dispatch(service);
    const escalation = await db().prisma.escalation.findFirstOrThrow({ where: { followUpId: due.followUpId } });
    const cardRow = await db().prisma.outboxMessage.findUniqueOrThrow({ where: { idempotencyKey: `esc:${escalation.id}:card:1` } });
    expect(cardRow.status).toBe('SENT');
    const card = (JSON.parse(cardRow.payload) as { card: TaskCard }).card;
    const [sent] = sim.messagesForTask(card.taskId);
    expect(sent).toMatchObject({ userid: 'hushizhang.chen' });
    const page = `${new URL(callbackUrl).origin}${new URL(card.detailUrl!).pathname}`;
    return { escalation, card, page, sendCode: cardRow.responseCode };
  }

  const post = (page: string, fields: Record<string, string>) =>
    fetch(page, { method: 'POST', body: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' }, redirect: 'manual' });

  it('resolved on its page: the card is greyed out with the code of its send, and says who handled it', async () => {
    const { sim } = service;
    const { escalation, card, page, sendCode } = await escalated();
    expect(sendCode).toEqual(expect.any(String));
    expect((await post(page, { action: 'resolve', note: '已电话致歉，护理组已整改。' })).status).toBe(303);
    await dispatch(service);
    expect(sim.cardUpdates.filter((u) => u.taskId === card.taskId)).toEqual([
      expect.objectContaining({ userids: ['hushizhang.chen'], responseCode: sendCode, replaceName: '已处理·陈护士长' }),
    ]);
    // The code is spent: the card's row no longer keeps it.
    expect(await db().prisma.outboxMessage.findUniqueOrThrow({ where: { idempotencyKey: `esc:${escalation.id}:1:resolved-update` } })).toMatchObject({ status: 'SENT' });
    expect((await db().prisma.outboxMessage.findUniqueOrThrow({ where: { idempotencyKey: `esc:${escalation.id}:card:1` } })).responseCode).toBeNull();
  });

  it('acknowledged on its page, then resolved: the first update takes the code, the second tells the owner by text', async () => {
    const { sim } = service;
    const { escalation, card, page, sendCode } = await escalated();
    expect((await post(page, { action: 'acknowledge' })).status).toBe(303);
    await dispatch(service);
    expect(sim.cardUpdates.filter((u) => u.taskId === card.taskId)).toEqual([
      expect.objectContaining({ userids: ['hushizhang.chen'], responseCode: sendCode, replaceName: '已受理·陈护士长' }),
    ]);
    expect((await post(page, { action: 'resolve', note: '已上门回访并致歉。' })).status).toBe(303);
    await dispatch(service);
    expect(sim.cardUpdates.filter((u) => u.taskId === card.taskId)).toHaveLength(1);
    expect(await db().prisma.outboxMessage.findUniqueOrThrow({ where: { idempotencyKey: `esc:${escalation.id}:1:resolved-update` } })).toMatchObject({ status: 'SENT' });
  });

  it('handed over, then resolved by the new owner: the card is greyed out for the member it was sent to', async () => {
    const { sim } = service;
    const { escalation, card, page, sendCode } = await escalated();
    // Handed over in the console to the department head (who gets a text with the link, not a card).
    const head = await db().prisma.staff.findUniqueOrThrow({ where: { wecomUserId: 'kezhuren.wang' } });
    await db().prisma.escalation.update({ where: { id: escalation.id }, data: { ownerId: head.id, version: { increment: 1 } } });
    expect((await post(page, { action: 'resolve', note: '科主任已与家属面谈。' })).status).toBe(303);
    await dispatch(service);
    expect(sim.cardUpdates.filter((u) => u.taskId === card.taskId)).toEqual([
      expect.objectContaining({ userids: ['hushizhang.chen'], responseCode: sendCode, replaceName: '已处理·王主任' }),
    ]);
  });
});
