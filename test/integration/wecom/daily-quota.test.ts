// The application's daily quota counted from the outbox, as the service wires it: messages past
// WECOM_DAILY_MESSAGE_LIMIT wait in the outbox for the next day instead of being refused by WeCom.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDatabase } from '../../support/db.js';
import { createDueFollowUp, dispatch, startWecomService, type WecomTestService } from './wecom-service.js';

describeEachDatabase('WeCom daily quota', (db) => {
  let service: WecomTestService;

  beforeAll(async () => {
    service = await startWecomService(db(), { env: { WECOM_DAILY_MESSAGE_LIMIT: '2' } });
  });

  afterAll(async () => {
    await service?.close();
  });

  it('sends two cards today and keeps the third for tomorrow', async () => {
    const due = [await createDueFollowUp(service), await createDueFollowUp(service, 'hushi.zhou'), await createDueFollowUp(service)];
    await dispatch(service);
    const rows = await db().prisma.outboxMessage.findMany({ where: { followUpId: { in: due.map((d) => d.followUpId) }, channel: 'wecom' } });
    expect(rows).toHaveLength(3);
    expect(rows.filter((r) => r.status === 'SENT')).toHaveLength(2);
    expect(service.sim.messages.filter((m) => m.msgtype === 'template_card')).toHaveLength(2);
    const waiting = rows.filter((r) => r.status === 'PENDING');
    expect(waiting).toHaveLength(1);
    expect(waiting[0]).toMatchObject({ lastErrorCode: 'APP_DAILY_QUOTA' });
    // It waits for the next local midnight, without using up an attempt.
    expect(waiting[0]!.nextAttemptAt.getTime()).toBeGreaterThan(service.clock.now().getTime());
    expect(waiting[0]!.maxAttempts).toBe(rows.find((r) => r.status === 'SENT')!.maxAttempts + 1);

    service.clock.set(waiting[0]!.nextAttemptAt);
    await dispatch(service);
    expect((await db().prisma.outboxMessage.findUniqueOrThrow({ where: { id: waiting[0]!.id } })).status).toBe('SENT');
    expect(service.sim.messages.filter((m) => m.msgtype === 'template_card')).toHaveLength(3);
  });
});
