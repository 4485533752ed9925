import { mkdtempSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { FakeClock } from '../../../../bot/clocks.js';
import { loadConfig } from '../../../../bot/config.js';
import { createLogger } from '../../../../bot/logger.js';
import { createHuifang, ROOT_DIR, type Huifang } from '../../../../bot/huifang.js';
import { activateDueFollowUps } from '../../../../bot/core/follow-ups/activate-due-follow-ups.js';
import { describeEachDatabase } from '../../../support/db.js';
import { seedOrganisation, sharedDbClient, TIME_ZONE } from '../../../support/service.js';
import { submit, uniquePhone, uniqueExternalId } from '../../../support/builders.js';

// P1 (000 第一篇): "one project must not be called repeatedly by different people" → at most one open
// follow-up per case; and no customer contacted more often than the policy allows.
const PACK = `
id: PX
name: 测试策略
source: test
caseTypes: [px_case]
oneOpenPerCase: true
customerContactCap: { max: 1, per: 7 days }
steps:
  - key: first
    title: 第一次回访
    action: STAFF_TASK
    channel: wecom
    anchor: event
    earliest: 1 days
    earliestAtLocalTime: "09:00"
    deadline: 10 days
    assignee: [responsible]
    maxAttempts: 3
    instructions: 回访
  - key: second
    title: 第二次回访
    action: STAFF_TASK
    channel: wecom
    anchor: event
    earliest: 1 days
    earliestAtLocalTime: "09:00"
    deadline: 20 days
    assignee: [responsible]
    maxAttempts: 3
    instructions: 回访
escalation: { dissatisfiedTo: [supervisor], deadline: 3 days }
`;

describeEachDatabase('activation rules of a policy', (db) => {
  let app: Huifang;
  const clock = new FakeClock('2026-11-02T10:00:00+08:00');

  beforeAll(async () => {
    await seedOrganisation(db());
    const dir = mkdtempSync(join(tmpdir(), 'huifang-px-'));
    writeFileSync(join(dir, 'PX.yaml'), PACK);
    copyFileSync(join(ROOT_DIR, 'templates/policies/roles.yaml'), join(dir, 'roles.yaml'));
    app = createHuifang({
      config: loadConfig({ DATABASE_URL: db().url, HUIFANG_TIMEZONE: TIME_ZONE }),
      logger: createLogger({ level: 'silent' }),
      db: sharedDbClient(db()),
      clock,
      policiesDir: dir,
    });
  });

  const body = (phone: string) => ({
    type: 'px_case',
    externalId: uniqueExternalId('PX'),
    occurredAt: '2026-11-02T10:00:00+08:00',
    department: 'cardiology',
    responsibleStaff: 'hushi.li',
    customer: { name: '测试客户', phone },
  });

  it('keeps one open follow-up per case and per customer within the cap, deferring the others by a day', async () => {
    const phone = uniquePhone();
    const a = await submit(app, body(phone));
    const b = await submit(app, body(phone)); // same customer, another case
    clock.set('2026-11-03T09:00:00+08:00');

    const summary = await activateDueFollowUps(app.deps);

    expect(summary).toMatchObject({ claimed: 4, activated: 1, deferred: 3 });
    const rows = await db().prisma.followUp.findMany({ where: { caseId: { in: [a.caseId, b.caseId] } } });
    expect(rows.filter((f) => f.status === 'ACTIVE')).toHaveLength(1);
    for (const f of rows.filter((r) => r.status === 'SCHEDULED')) expect(f.dueAt).toEqual(new Date('2026-11-04T09:00:00+08:00'));
    const reasons = (await db().prisma.auditLog.findMany({ where: { action: 'follow_up.deferred', entityId: { in: rows.map((r) => r.id) } } })).map(
      (e) => JSON.parse(e.details).reason as string,
    );
    expect(reasons.sort()).toEqual(['CUSTOMER_CONTACT_CAP', 'CUSTOMER_CONTACT_CAP', 'ONE_OPEN_PER_CASE']);
  });

  it('counts what the previous batch committed when the next batch was claimed while it committed', async () => {
    const phone = uniquePhone();
    const a = await submit(app, body(phone));
    const b = await submit(app, body(phone));

    // One follow-up per batch: each next one is claimed while the previous commits, and decided after that commit.
    const summary = await activateDueFollowUps(app.deps, { batchSize: 1 });

    expect(summary).toMatchObject({ claimed: 4, activated: 1, deferred: 3 });
    const rows = await db().prisma.followUp.findMany({ where: { caseId: { in: [a.caseId, b.caseId] } } });
    expect(rows.filter((f) => f.status === 'ACTIVE')).toHaveLength(1);
    expect(await db().prisma.outboxMessage.count({ where: { followUpId: { in: rows.map((r) => r.id) } } })).toBe(1);
  });
});
