import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { FakeClock, UlidGenerator } from '../../../bot/clocks.js';
import { loadConfig } from '../../../bot/config.js';
import { createLogger } from '../../../bot/logger.js';
import { createHuifang, type Huifang } from '../../../bot/huifang.js';
import { jobs } from '../../../jobs/index.js';
import { describeEachDatabase } from '../../support/db.js';
import { sharedDbClient } from '../../support/service.js';
import { CountingChannel, FailingChannel } from '../../support/test-channels.js';

const at = (local: string) => new Date(`${local}:00+08:00`);

const CAMPAIGN = `
key: owners
title: 业主节日问候
occasions: [教师节, 中秋, 国庆, 重阳]
channels: [sms]
send: { window: "09:00-11:00" }
segments:
  - key: all
    text: "{salutation}您好！{occasion}快乐！"
`;

// Live-like channels: WeChat refuses marketing for good (as the WeChat Official Account channel does);
// SMS accepts and records.
describeEachDatabase('greeting delivery: fallback, windows and late opt-outs', (db) => {
  let clock: FakeClock;
  let app: Huifang;
  let sms: CountingChannel;
  const ids = { follower: '', texter: '' };

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'huifang-campaigns-'));
    writeFileSync(join(dir, 'owners.yaml'), CAMPAIGN);
    clock = new FakeClock(at('2026-09-10T07:00'));
    sms = new CountingChannel();
    app = createHuifang({
      config: loadConfig({ DATABASE_URL: db().url, HUIFANG_TIMEZONE: 'Asia/Shanghai' }),
      logger: createLogger({ level: 'silent' }),
      db: sharedDbClient(db()),
      clock,
      jitter: () => 0.5,
      campaignsDir: dir,
      channels: { wechat: new FailingChannel(1000, 'permanent', 'UNSUPPORTED_MESSAGE'), sms },
    });
    const newId = new UlidGenerator();
    ids.follower = newId.next();
    ids.texter = newId.next();
    await db().prisma.customer.createMany({
      data: [
        { id: ids.follower, name: '王一', salutation: '王先生', phoneE164: '+8613700000001', phoneMasked: '137****0001', wechatOpenId: 'o-follower', consentMarketing: true },
        { id: ids.texter, name: '李二', salutation: '李女士', phoneE164: '+8613700000002', phoneMasked: '137****0002', consentMarketing: true },
      ],
    });
  });

  const plan = () => jobs['plan-greetings']!.run(app);
  const dispatch = () => jobs['dispatch-outbox']!.run(app);
  const row = (occasionKey: string, customerId: string) => db().prisma.greetingDelivery.findUniqueOrThrow({ where: { occasionKey_customerId: { occasionKey, customerId } } });

  it('greets a follower of the 服务号 by SMS: WeChat, which refuses marketing, is never tried', async () => {
    clock.set(at('2026-09-25T08:00'));
    await plan();
    expect((await row('mid_autumn:2026', ids.follower)).channel).toBe('sms');
    clock.set(at('2026-09-25T09:00'));
    await plan();
    await dispatch();
    await plan();
    await dispatch();
    clock.set(at('2026-09-25T10:00'));
    await plan();
    await dispatch();
    await plan();
    expect(await row('mid_autumn:2026', ids.follower)).toMatchObject({ status: 'SENT', channel: 'sms' });
    expect(await row('mid_autumn:2026', ids.texter)).toMatchObject({ status: 'SENT', channel: 'sms' });
    const follower = sms.sends.filter((s) => s.message.kind === 'customer_notice' && s.message.to.customerId === ids.follower);
    expect(follower).toHaveLength(1);
    expect(follower[0]!.idempotencyKey).toBe(`greeting:mid_autumn:2026:${ids.follower}`);
    expect(await db().prisma.outboxMessage.count({ where: { channel: 'wechat' } })).toBe(0);
  });

  it('sends nothing late: a service down over the window skips the day’s greetings', async () => {
    clock.set(at('2026-10-01T08:00'));
    await plan();
    clock.set(at('2026-10-01T11:30'));
    const before = sms.sends.length;
    await plan();
    await dispatch();
    expect(sms.sends.length).toBe(before);
    expect(await row('national_day:2026', ids.texter)).toMatchObject({ status: 'SKIPPED', skipReason: 'WINDOW_MISSED' });
  });

  it('cancels a greeting still waiting in the outbox when the window closes', async () => {
    clock.set(at('2026-10-18T08:00'));
    await plan();
    clock.set(at('2026-10-18T09:00'));
    await plan(); // queued, but no dispatcher ran in the window
    const queued = await row('double_ninth:2026', ids.follower);
    expect(queued.outboxMessageId).not.toBeNull();
    clock.set(at('2026-10-18T11:00'));
    const before = sms.sends.length;
    await plan();
    await dispatch();
    expect(sms.sends.length).toBe(before);
    expect(await row('double_ninth:2026', ids.follower)).toMatchObject({ status: 'SKIPPED', skipReason: 'WINDOW_MISSED' });
    expect(await db().prisma.outboxMessage.findUniqueOrThrow({ where: { id: queued.outboxMessageId! } })).toMatchObject({ status: 'CANCELLED', lastErrorCode: 'SEND_WINDOW_CLOSED' });
  });

  it('honours an opt-out that arrives after the greeting was queued (the dispatcher cancels it)', async () => {
    clock.set(at('2026-09-10T08:00'));
    await plan();
    const planned = await row('teachers_day:2026', ids.texter);
    clock.set(planned.scheduledAt);
    await plan();
    expect((await row('teachers_day:2026', ids.texter)).outboxMessageId).not.toBeNull();
    await db().prisma.customer.update({ where: { id: ids.texter }, data: { optedOutAt: clock.now() } });
    const before = sms.sends.filter((s) => s.message.kind === 'customer_notice' && s.message.to.customerId === ids.texter).length;
    await dispatch();
    await plan();
    expect(sms.sends.filter((s) => s.message.kind === 'customer_notice' && s.message.to.customerId === ids.texter)).toHaveLength(before);
    expect(await row('teachers_day:2026', ids.texter)).toMatchObject({ status: 'SKIPPED', skipReason: 'OPTED_OUT' });
  });
});
