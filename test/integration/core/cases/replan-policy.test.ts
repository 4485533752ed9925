import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { FakeClock } from '../../../../bot/clocks.js';
import { loadConfig } from '../../../../bot/config.js';
import { createLogger } from '../../../../bot/logger.js';
import { createHuifang, ROOT_DIR, type Huifang } from '../../../../bot/huifang.js';
import { replanPolicy } from '../../../../bot/core/cases/replan-policy.js';
import { describeEachDatabase } from '../../../support/db.js';
import { createTestService, seedOrganisation, sharedDbClient, TIME_ZONE } from '../../../support/service.js';
import { dischargeBody, submit } from '../../../support/builders.js';

// "Change a policy and see (dry run) what happens to follow-ups already scheduled, then apply."
describeEachDatabase('policy change: dry run, then apply', (db) => {
  let before: Huifang;
  let after: Huifang;
  const clock = new FakeClock('2026-11-03T16:00:00+08:00');

  beforeAll(async () => {
    await seedOrganisation(db());
    before = createTestService(db().url, sharedDbClient(db()), clock);
    // The organisation shortens the ordinary phone window from 7–15 to 5–10 days after discharge.
    const dir = mkdtempSync(join(tmpdir(), 'huifang-policies-'));
    cpSync(join(ROOT_DIR, 'templates/policies'), dir, { recursive: true });
    const p4 = readFileSync(join(dir, 'P4.yaml'), 'utf8');
    const changed = p4.replace('    earliest: 7 days\n', '    earliest: 5 days\n').replace('    deadline: 15 days\n', '    deadline: 10 days\n');
    expect(changed).not.toBe(p4);
    writeFileSync(join(dir, 'P4.yaml'), changed);
    after = createHuifang({
      config: loadConfig({ DATABASE_URL: db().url, HUIFANG_TIMEZONE: TIME_ZONE }),
      logger: createLogger({ level: 'silent' }),
      db: sharedDbClient(db()),
      clock,
      policiesDir: dir,
    });
  });

  it('reports the moves without changing anything, then applies them once', async () => {
    const body = dischargeBody({ occurredAt: '2026-11-03T15:30:00+08:00' });
    const { caseId } = await submit(before, body);
    const phoneBefore = await db().prisma.followUp.findFirstOrThrow({ where: { caseId, step: 'phone' } });

    const dry = await replanPolicy(after.deps, { policyId: 'P4', apply: false });

    const mine = dry.cases.find((c) => c.caseId === caseId)!;
    expect(mine.move).toHaveLength(1);
    expect(mine.move[0]).toMatchObject({
      step: 'phone',
      from: { dueAt: new Date('2026-11-10T09:00:00+08:00'), deadlineAt: new Date('2026-11-18T23:59:00+08:00') },
      to: { dueAt: new Date('2026-11-08T09:00:00+08:00'), deadlineAt: new Date('2026-11-13T23:59:00+08:00') },
    });
    expect(mine.add).toEqual([]);
    expect(mine.cancel).toEqual([]);
    expect(await db().prisma.followUp.findUniqueOrThrow({ where: { id: phoneBefore.id } })).toMatchObject({ dueAt: phoneBefore.dueAt, version: phoneBefore.version });

    const applied = await replanPolicy(after.deps, { policyId: 'P4', apply: true });
    expect(applied.applied).toBe(true);
    expect(applied.moved).toBeGreaterThanOrEqual(1);
    expect(await db().prisma.followUp.findUniqueOrThrow({ where: { id: phoneBefore.id } })).toMatchObject({
      status: 'SCHEDULED',
      dueAt: new Date('2026-11-08T09:00:00+08:00'),
      deadlineAt: new Date('2026-11-13T23:59:00+08:00'),
      version: phoneBefore.version + 1,
    });
    const again = await replanPolicy(after.deps, { policyId: 'P4', apply: true });
    expect(again.cases.find((c) => c.caseId === caseId)).toBeUndefined();
    expect(await db().prisma.auditLog.count({ where: { entityId: caseId, action: 'case.replanned' } })).toBe(1);
  });
});
