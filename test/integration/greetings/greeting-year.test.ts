import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { FakeClock, UlidGenerator } from '../../../bot/clocks.js';
import { loadConfig } from '../../../bot/config.js';
import { createLogger } from '../../../bot/logger.js';
import { createHuifang, type Huifang } from '../../../bot/huifang.js';
import { createPrismaClient, type DbClient } from '../../../bot/db/client.js';
import { addDays, type LocalDate } from '../../../bot/core/calendar/local-date.js';
import { formatLocalDate, formatLocalDateTime } from '../../../bot/core/time.js';
import { previewCampaign } from '../../../bot/core/greetings/run-greetings.js';
import { runCampaignCommand } from '../../../bot/commands/campaign.js';
import { jobs } from '../../../jobs/index.js';
import { describeEachDatabase, type TestDb } from '../../support/db.js';
import { sharedDbClient } from '../../support/service.js';

const TZ = 'Asia/Shanghai';
const at = (local: string) => new Date(`${local}:00+08:00`);

// Two enabled campaigns: the year's festivals and birthdays on the morning of (09:00–11:00), and a
// day-before 春节 greeting to grade-A customers (15:00–16:00) that takes the occasion first.
const YEAR = `
key: year_greetings
title: 全年节日与生日问候
occasions: [元旦, 春节, 元宵, 妇女节, 端午, 教师节, 中秋, 国庆, 重阳, birthday]
customOccasions:
  - { key: shop_day, name: 店庆, date: "06-18" }
audience:
  tags: [grade:A, grade:B, grade:C, grade:D]
channels: [sms]
send: { day: same_day, window: "09:00-11:00" }
quietHours: "21:00-08:00"
signature: "置业顾问：李明"
pricePerSegment: 0.05
segments:
  - key: vip
    tags: [grade:A, grade:B]
    text: "{salutation}您好！值此{occasion}，锦绣华府祝您节日快乐、阖家幸福。{signature}"
    birthdayText: "{salutation}您好！今天是您的生日，锦绣华府祝您生日快乐。{signature}"
  - key: others
    text: "{salutation}您好！锦绣华府祝您{occasion}快乐！{signature}"
    birthdayText: "{salutation}您好！锦绣华府祝您生日快乐！{signature}"
`;
const EVE = `
key: eve_greetings
title: 除夕问候（A 类客户）
occasions: [春节]
audience: { tags: [grade:A] }
channels: [sms]
send: { day: day_before, window: "15:00-16:00" }
segments:
  - key: a
    text: "{salutation}您好！{occasion}将至，锦绣华府给您拜年了。"
`;

interface Customers {
  [name: string]: string;
}

function makeService(db: TestDb, client: DbClient, clock: FakeClock, campaignsDir: string): Huifang {
  return createHuifang({
    config: loadConfig({ DATABASE_URL: db.url, HUIFANG_TIMEZONE: TZ, HUIFANG_ORG_NAME: '锦绣华府' }),
    logger: createLogger({ level: 'silent' }),
    db: client,
    clock,
    jitter: () => 0.5,
    campaignsDir,
  });
}

async function insertCustomers(db: TestDb, at2025: Date): Promise<Customers> {
  const ids = new UlidGenerator();
  const ok = { consentMarketing: true };
  const rows: [string, Record<string, unknown>][] = [
    ['wechatA', { salutation: '王先生', wechatOpenId: 'o-wechat-a', tags: ['grade:A'], ...ok }],
    ['smsB', { salutation: '李女士', tags: ['grade:B'], birthday: '1970-03-21', ...ok }],
    ['plainC', { salutation: null, tags: ['grade:C'], birthday: '02-29', ...ok }],
    ['optedOutD', { salutation: '赵先生', tags: ['grade:D'], optedOutAt: at2025, ...ok }],
    ['noConsentA', { salutation: '钱女士', tags: ['grade:A'], consentMarketing: false }],
    ['deceasedB', { salutation: '孙先生', tags: ['grade:B'], deceasedAt: at2025, ...ok }],
    ['invalidC', { salutation: '周女士', tags: ['grade:C'], phoneInvalidAt: at2025, ...ok }],
    ['noAddressD', { salutation: '吴先生', tags: ['grade:D'], phone: null, ...ok }],
    ['outsider', { salutation: '郑女士', tags: ['owner'], ...ok }],
    ['laterOptOutD', { salutation: '冯先生', tags: ['grade:D'], ...ok }],
    ['birthdayA', { salutation: '陈女士', tags: ['grade:A', 'buyer'], birthday: '10-01', ...ok }],
  ];
  const out: Customers = {};
  let n = 0;
  for (const [name, r] of rows) {
    n++;
    const id = ids.next();
    const phone = r.phone === null ? null : `+8613912${String(n).padStart(6, '0')}`;
    const { tags, phone: _p, ...rest } = r as { tags: string[]; phone?: unknown };
    await db.prisma.customer.create({
      data: { id, name: `客户${n}`, phoneE164: phone, phoneMasked: phone ? `139****${phone.slice(-4)}` : null, tags: JSON.stringify(tags), ...(rest as object) },
    });
    out[name] = id;
  }
  return out;
}

describeEachDatabase('greetings through a simulated 2026', (db) => {
  let clock: FakeClock;
  let app: Huifang;
  let replica: Huifang;
  let replicaClient: DbClient;
  let dir: string;
  let c: Customers;
  /** occasionKey → greetings the preview announced (by campaign). */
  const announced = new Map<string, number>();
  const optOutDay: LocalDate = '2026-10-01';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'huifang-campaigns-'));
    writeFileSync(join(dir, 'year.yaml'), YEAR);
    writeFileSync(join(dir, 'eve.yaml'), EVE);
    clock = new FakeClock(at('2026-01-01T00:00'));
    app = makeService(db(), sharedDbClient(db()), clock, dir);
    replicaClient = createPrismaClient(db().url);
    replica = makeService(db(), replicaClient, clock, dir);
    c = await insertCustomers(db(), at('2025-12-01T00:00'));
    return async () => replicaClient.close();
  });

  const tick = async (service: Huifang = app) => {
    await jobs['plan-greetings']!.run(service);
    await jobs['dispatch-outbox']!.run(service);
  };

  it('greets every eligible customer once per occasion, inside the windows, as previewed', { timeout: 300_000 }, async () => {
    for (let day: LocalDate = '2026-01-01'; day <= '2026-12-31'; day = addDays(day, 1)) {
      clock.set(at(`${day}T07:00`));
      for (const campaign of app.greetings.campaigns) {
        const { occasions } = await previewCampaign(app.greetings, campaign, day, clock.now());
        for (const o of occasions) {
          const n = o.byChannel.sms + o.byChannel.wechat;
          if (n > 0) announced.set(`${campaign.key} ${o.occasionKey}`, (announced.get(`${campaign.key} ${o.occasionKey}`) ?? 0) + n);
        }
      }
      // Planning, by two replicas at the same tick, twice.
      clock.set(at(`${day}T08:00`));
      await Promise.all([jobs['plan-greetings']!.run(app), jobs['plan-greetings']!.run(replica)]);
      await jobs['plan-greetings']!.run(app);
      if (day === optOutDay) {
        // Opts out after planning, before anything is sent: gets nothing.
        await db().prisma.customer.update({ where: { id: c.laterOptOutD! }, data: { optedOutAt: at(`${day}T08:30`), optOutSource: 'sms' } });
      }
      const planned = await db().prisma.greetingDelivery.findMany({
        where: { status: 'PLANNED', scheduledAt: { gte: at(`${day}T00:00`), lt: at(`${addDays(day, 1)}T00:00`) } },
        select: { scheduledAt: true },
      });
      const times = [...new Set(planned.map((p) => p.scheduledAt.getTime()))].sort((a, b) => a - b);
      for (const t of times) {
        clock.set(new Date(t));
        await tick();
        await tick(replica);
      }
      clock.set(at(`${day}T23:00`));
      await tick();
    }

    const rows = await db().prisma.greetingDelivery.findMany({ orderBy: [{ occasionKey: 'asc' }, { customerId: 'asc' }] });
    const sent = rows.filter((r) => r.status === 'SENT');
    const deliveries = await db().prisma.sandboxDelivery.findMany({ where: { kind: 'customer_notice' } });
    const outbox = await db().prisma.outboxMessage.findMany({ where: { idempotencyKey: { startsWith: 'greeting:' } } });

    // Exactly one message per SENT row, none for anything else.
    expect(deliveries).toHaveLength(sent.length);
    expect(new Set(deliveries.map((d) => d.outboxMessageId))).toEqual(new Set(sent.map((r) => r.outboxMessageId)));
    expect(outbox.filter((o) => o.status === 'SENT')).toHaveLength(sent.length);

    // What the preview announced is what was sent (the opted-out customer less on 国庆).
    const sentBy = new Map<string, number>();
    for (const r of sent) sentBy.set(`${r.campaign} ${r.occasionKey}`, (sentBy.get(`${r.campaign} ${r.occasionKey}`) ?? 0) + 1);
    const expected = new Map(announced);
    expected.set('year_greetings national_day:2026', announced.get('year_greetings national_day:2026')! - 1);
    expect(Object.fromEntries(sentBy)).toEqual(Object.fromEntries(expected));

    // Inside the windows: 09:00–11:00 on the day, 15:00–16:00 the day before 春节.
    for (const d of deliveries) {
      const row = sent.find((r) => r.outboxMessageId === d.outboxMessageId)!;
      const time = formatLocalDateTime(d.deliveredAt, TZ).slice(11);
      if (row.campaign === 'year_greetings') expect(time >= '09:00' && time < '11:00', `${row.occasionKey} at ${time}`).toBe(true);
      else expect(time >= '15:00' && time < '16:00').toBe(true);
    }

    const byCustomer = (id: string) => rows.filter((r) => r.customerId === id);
    const festivalKeys = [
      'new_year:2026',
      'spring_festival:2026',
      'lantern:2026',
      'womens_day:2026',
      'shop_day:2026',
      'dragon_boat:2026',
      'teachers_day:2026',
      'mid_autumn:2026',
      'national_day:2026',
      'double_ninth:2026',
    ];
    // The WeChat follower: every festival by SMS (WeChat cannot carry greetings); 春节 from the eve campaign on 02-16 only.
    expect(byCustomer(c.wechatA!).map((r) => [r.occasionKey, r.status, r.channel, r.campaign]).sort()).toEqual(
      festivalKeys.map((k) => [k, 'SENT', 'sms', k === 'spring_festival:2026' ? 'eve_greetings' : 'year_greetings']).sort(),
    );
    expect(outbox.filter((o) => o.channel === 'wechat')).toEqual([]);
    const eveRow = byCustomer(c.wechatA!).find((r) => r.occasionKey === 'spring_festival:2026')!;
    const eve = deliveries.find((d) => d.outboxMessageId === eveRow.outboxMessageId && formatLocalDate(d.deliveredAt, TZ) === '2026-02-16');
    expect(JSON.parse(eve!.content).text).toBe('【锦绣华府】王先生您好！春节将至，锦绣华府给您拜年了。拒收请回复R');
    // SMS customers: festivals and the birthday (29 February on the 28th), addressed personally or as 尊敬的贵宾.
    expect(byCustomer(c.smsB!).filter((r) => r.status === 'SENT')).toHaveLength(festivalKeys.length + 1);
    const plainBirthday = byCustomer(c.plainC!).find((r) => r.occasionKey === 'birthday:2026')!;
    expect(formatLocalDate(plainBirthday.scheduledAt, TZ)).toBe('2026-02-28');
    const plainText = JSON.parse(deliveries.find((d) => d.outboxMessageId === plainBirthday.outboxMessageId)!.content).text;
    expect(plainText).toBe('【锦绣华府】尊敬的贵宾您好！锦绣华府祝您生日快乐！置业顾问：李明。拒收请回复R');
    // 国庆 and a birthday on the same day: two occasions, two greetings.
    expect(byCustomer(c.birthdayA!).filter((r) => r.occasionKey === 'national_day:2026' || r.occasionKey === 'birthday:2026').map((r) => r.status)).toEqual(['SENT', 'SENT']);

    // Nobody who may not be greeted got anything, and each has the reason on every occasion.
    const reasons = (id: string) => [...new Set(byCustomer(id).map((r) => `${r.status}:${r.skipReason}`))];
    expect(reasons(c.optedOutD!)).toEqual(['SKIPPED:OPTED_OUT']);
    expect(reasons(c.noConsentA!)).toEqual(['SKIPPED:NO_CONSENT']);
    expect(reasons(c.deceasedB!)).toEqual(['SKIPPED:DECEASED']);
    expect(reasons(c.invalidC!)).toEqual(['SKIPPED:INVALID_NUMBER']);
    expect(reasons(c.noAddressD!)).toEqual(['SKIPPED:NO_ADDRESS']);
    expect(byCustomer(c.outsider!)).toEqual([]);
    const refused = new Set([c.optedOutD, c.noConsentA, c.deceasedB, c.invalidC, c.noAddressD, c.outsider]);
    for (const o of outbox) expect(refused.has(o.recipientId)).toBe(false);
    // Opted out between planning and sending: greeted before, nothing from 国庆 on.
    const later = byCustomer(c.laterOptOutD!);
    expect(later.find((r) => r.occasionKey === 'national_day:2026')).toMatchObject({ status: 'SKIPPED', skipReason: 'OPTED_OUT' });
    expect(later.find((r) => r.occasionKey === 'double_ninth:2026')).toMatchObject({ status: 'SKIPPED', skipReason: 'OPTED_OUT' });
    expect(later.find((r) => r.occasionKey === 'mid_autumn:2026')).toMatchObject({ status: 'SENT' });
  });

  it('reports who received the greeting, who was skipped and why', async () => {
    const lines: string[] = [];
    const io = { out: (t: string) => lines.push(t), err: (t: string) => lines.push(`ERR ${t}`) };
    const code = await runCampaignCommand(['report', 'year_greetings', '--occasion', 'spring_festival:2026'], async (fn) => fn(app), io);
    expect(code).toBe(0);
    const text = lines.join('\n');
    expect(text).toContain('year_greetings — 春节 (spring_festival:2026)');
    expect(text).toMatch(/received 已发送: 3 \(微信 0, 短信 3\)/);
    expect(text).toMatch(/ALREADY_GREETED 已由其他活动问候: 2/);
    expect(text).toMatch(/钱女士\s+139\*\*\*\*0005\s+—\s+SKIPPED NO_CONSENT 未同意接收营销信息 \(eve_greetings\)/);
    expect(text).toMatch(/王先生\s+139\*\*\*\*0001\s+sms\s+SKIPPED ALREADY_GREETED 已由其他活动问候 \(eve_greetings\)/);
    for (const reason of ['OPTED_OUT 已退订: 1', 'NO_CONSENT 未同意接收营销信息: 1', 'DECEASED 客户已故: 1', 'INVALID_NUMBER 号码无效: 1', 'NO_ADDRESS 无可用联系方式: 1']) expect(text).toContain(reason);
    expect(text).not.toMatch(/\+86/);
  });

  it('previews a day with counts per channel, SMS segments, cost and masked samples', async () => {
    const lines: string[] = [];
    const io = { out: (t: string) => lines.push(t), err: (t: string) => lines.push(`ERR ${t}`) };
    clock.set(at('2026-12-01T10:00'));
    expect(await runCampaignCommand(['preview', 'year_greetings', '--date', '2027-01-01'], async (fn) => fn(app), io)).toBe(0);
    const text = lines.join('\n');
    expect(text).toContain('year_greetings — 元旦 2027-01-01 (new_year:2027), sent 2027-01-01 09:00–11:00');
    expect(text).toContain('greetings: 4  (微信 WeChat 0, 短信 SMS 4)');
    expect(text).toMatch(/SMS billed segments: 4; estimated cost: ¥0\.20 at ¥0\.05 per segment/);
    expect(text).toMatch(/sample → 李女士 139\*\*\*\*0002 \[sms, vip, 1 segment\(s\)\]/);
    expect(text).not.toMatch(/\+86|13912/);

    lines.length = 0;
    expect(await runCampaignCommand(['preview', 'year_greetings', '--date', '2100-01-01'], async (fn) => fn(app), io).catch((e: Error) => e.message)).toMatch(
      /Greeting dates for 2100 cannot be computed: the lunar calendar tables \(chinese-days\) cover 1901–2099/,
    );
  });
});
