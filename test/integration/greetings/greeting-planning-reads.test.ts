import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { FakeClock, UlidGenerator } from '../../../bot/clocks.js';
import { loadConfig } from '../../../bot/config.js';
import { createLogger } from '../../../bot/logger.js';
import { createHuifang, type Huifang } from '../../../bot/huifang.js';
import type { GreetingRunSummary } from '../../../bot/core/greetings/run-greetings.js';
import { jobs } from '../../../jobs/index.js';
import { describeEachDatabase } from '../../support/db.js';
import { sharedDbClient } from '../../support/service.js';
import { CountingChannel } from '../../support/test-channels.js';

const at = (local: string) => new Date(`${local}:00+08:00`);

const CAMPAIGN = `
key: owners
title: 业主中秋与生日问候
occasions: [中秋, birthday]
channels: [sms]
send: { window: "09:00-11:00" }
segments:
  - key: all
    text: "{salutation}您好！{occasion}快乐！"
    birthdayText: "{salutation}您好！祝您生日快乐！"
`;

// What planning reads, counted from what the real store returned (`customersRead` of the run): a day
// planned completely is not read again, only customers added or changed since; a birthday-only day
// reads those born on it. 中秋 2027 is 15 September.
describeEachDatabase('greeting planning reads only what is due', (db) => {
  let clock: FakeClock;
  let app: Huifang;
  let sms: CountingChannel;
  const newId = new UlidGenerator();

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'huifang-campaigns-'));
    writeFileSync(join(dir, 'owners.yaml'), CAMPAIGN);
    clock = new FakeClock(at('2027-09-14T12:00'));
    sms = new CountingChannel();
    app = createHuifang({
      config: loadConfig({ DATABASE_URL: db().url, HUIFANG_TIMEZONE: 'Asia/Shanghai' }),
      logger: createLogger({ level: 'silent' }),
      db: sharedDbClient(db()),
      clock,
      jitter: () => 0.5,
      campaignsDir: dir,
      channels: { sms },
    });
    await addCustomers(at('2027-09-14T12:00'), [
      { name: '王一', phone: '+8613700000011', birthday: '1970-09-16' },
      { name: '李二', phone: '+8613700000012', birthday: '09-20' },
      { name: '张三', phone: '+8613700000013', birthday: null },
    ]);
  });

  // The service writes Customer.updatedAt with the wall clock, which is the app's clock in production;
  // here the app runs on a fake clock, so the rows carry the fake time of their writing.
  async function addCustomers(when: Date, list: { name: string; phone: string; birthday: string | null }[]): Promise<string[]> {
    const ids = list.map(() => newId.next());
    await db().prisma.customer.createMany({
      data: list.map((c, i) => ({ id: ids[i]!, name: c.name, phoneE164: c.phone, phoneMasked: `${c.phone.slice(3, 6)}****${c.phone.slice(-4)}`, birthday: c.birthday, consentMarketing: true, createdAt: when, updatedAt: when })),
    });
    return ids;
  }

  const plan = async (local: string): Promise<GreetingRunSummary> => {
    clock.set(at(local));
    return (await jobs['plan-greetings']!.run(app)) as GreetingRunSummary;
  };
  const greetings = (occasionKey: string) => db().prisma.greetingDelivery.findMany({ where: { occasionKey }, orderBy: { customerId: 'asc' } });

  it('reads the customers once on a planned day, then only one added later, who is still greeted', async () => {
    expect(await plan('2027-09-15T08:00')).toMatchObject({ planned: 3, customersRead: 3 });
    // Within the interval nothing is read; after it, a covered day with no changes reads no customer.
    expect(await plan('2027-09-15T08:01')).toMatchObject({ planned: 0, customersRead: 0 });
    expect(await plan('2027-09-15T08:30')).toMatchObject({ planned: 0, customersRead: 0 });
    expect(await plan('2027-09-15T09:00')).toMatchObject({ customersRead: 0, enqueued: 1 });

    const [late] = await addCustomers(at('2027-09-15T09:20'), [{ name: '赵四', phone: '+8613700000014', birthday: null }]);
    expect(await plan('2027-09-15T09:30')).toMatchObject({ planned: 1, customersRead: 1 });
    expect(await greetings('mid_autumn:2027')).toHaveLength(4);

    // Send the whole day and record it: everyone, the late customer too, is greeted once.
    for (let minute = 9 * 60 + 31; minute <= 11 * 60 + 1; minute += 10) {
      await plan(`2027-09-15T${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`);
      await jobs['dispatch-outbox']!.run(app);
    }
    await plan('2027-09-15T11:05');
    const rows = await greetings('mid_autumn:2027');
    expect(rows.map((r) => r.status)).toEqual(['SENT', 'SENT', 'SENT', 'SENT']);
    expect(rows.find((r) => r.customerId === late)).toMatchObject({ status: 'SENT', channel: 'sms' });
    expect(sms.sends.filter((s) => s.message.kind === 'customer_notice' && s.message.to.customerId === late)).toHaveLength(1);
  });

  it('reads only the customers born on a birthday-only day', async () => {
    expect(await plan('2027-09-16T08:00')).toMatchObject({ planned: 1, customersRead: 1 });
    const rows = await greetings('birthday:2027');
    expect(rows).toHaveLength(1);
    expect(await db().prisma.customer.findUniqueOrThrow({ where: { id: rows[0]!.customerId } })).toMatchObject({ name: '王一' });
    // An opt-out during the day changes the customer: they are read again, and not greeted.
    await db().prisma.customer.update({ where: { id: rows[0]!.customerId }, data: { optedOutAt: at('2027-09-16T08:10'), updatedAt: at('2027-09-16T08:10') } });
    expect(await plan('2027-09-16T08:20')).toMatchObject({ planned: 0, customersRead: 1 });
    for (const local of ['2027-09-16T09:00', '2027-09-16T09:01']) {
      await plan(local);
      await jobs['dispatch-outbox']!.run(app);
    }
    expect(await greetings('birthday:2027')).toMatchObject([{ status: 'SKIPPED' }]);
  });

  it('reads a customer whose case opened after the day was planned, for an audience of open cases', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'huifang-campaigns-'));
    writeFileSync(
      join(dir, 'patients.yaml'),
      `
key: patients
title: 在院患者国庆问候
occasions: [国庆]
audience: { activeCases: true }
channels: [sms]
send: { window: "09:00-11:00" }
segments:
  - key: all
    text: "{salutation}您好！{occasion}快乐！"
`,
    );
    const patients = createHuifang({
      config: loadConfig({ DATABASE_URL: db().url, HUIFANG_TIMEZONE: 'Asia/Shanghai' }),
      logger: createLogger({ level: 'silent' }),
      db: sharedDbClient(db()),
      clock,
      jitter: () => 0.5,
      campaignsDir: dir,
      channels: { sms },
    });
    const run = async (local: string) => {
      clock.set(at(local));
      return (await jobs['plan-greetings']!.run(patients)) as GreetingRunSummary;
    };
    const everyone = await db().prisma.customer.count();
    expect(await run('2027-10-01T08:00')).toMatchObject({ planned: 0, customersRead: everyone });
    const customer = await db().prisma.customer.findFirstOrThrow({ where: { name: '张三' } });
    const opened = at('2027-10-01T08:10');
    await db().prisma.case.create({
      data: { id: newId.next(), type: 'discharge', externalId: 'GREET-READS-1', policyId: 'P1', customerId: customer.id, occurredAt: opened, createdAt: opened, updatedAt: opened },
    });
    expect(await run('2027-10-01T08:20')).toMatchObject({ planned: 1, customersRead: 1 });
    expect(await greetings('national_day:2027')).toMatchObject([{ customerId: customer.id, status: 'PLANNED' }]);
  });
});
