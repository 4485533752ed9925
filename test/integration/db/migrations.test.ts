import { describe, expect, it } from 'vitest';
import { isPrismaErrorCode, sqlFragments, type PrismaClient } from '../../../bot/db/client.js';
import { maskDatabaseUrls, migrateDatabase } from '../../../bot/db/migrate.js';
import { describeEachDatabase } from '../../support/db.js';

const now = new Date('2026-11-23T02:00:00.000Z');

async function insertCustomer(prisma: PrismaClient, id: string): Promise<void> {
  await prisma.customer.create({ data: { id, name: `Customer ${id}` } });
}

function caseData(id: string, customerId: string) {
  return { id, type: 'discharge', externalId: 'HIS-1001', policyId: 'p1', customerId, occurredAt: now };
}

function outboxData(id: string, nextAttemptAt: Date) {
  return {
    id,
    idempotencyKey: `key-${id}`,
    channel: 'wecom',
    kind: 'task-card',
    recipientType: 'staff',
    recipientId: 'staff-1',
    payload: '{}',
    nextAttemptAt,
  };
}

describeEachDatabase('database migrations', (db) => {
  it('creates every model table', async () => {
    const { prisma } = db();
    const counts = await Promise.all([
      prisma.department.count(),
      prisma.staff.count(),
      prisma.customer.count(),
      prisma.case.count(),
      prisma.followUp.count(),
      prisma.surveyInstance.count(),
      prisma.surveyResponse.count(),
      prisma.outboxMessage.count(),
      prisma.outboxAttempt.count(),
      prisma.inboundEvent.count(),
      prisma.escalation.count(),
      prisma.auditLog.count(),
      prisma.sandboxDelivery.count(),
    ]);
    expect(counts).toEqual(counts.map(() => 0));
  });

  it('reports a duplicate (type, externalId) case as unique violation P2002', async () => {
    const { prisma } = db();
    await insertCustomer(prisma, 'cust-dup');
    await prisma.case.create({ data: caseData('case-1', 'cust-dup') });

    const duplicate = await prisma.case.create({ data: caseData('case-2', 'cust-dup') }).catch((error: unknown) => error);

    expect(isPrismaErrorCode(duplicate, 'P2002')).toBe(true);
  });

  it('enforces foreign keys, reported as P2003', async () => {
    const { prisma } = db();

    const orphan = await prisma.case
      .create({ data: { ...caseData('case-orphan', 'no-such-customer'), externalId: 'HIS-orphan' } })
      .catch((error: unknown) => error);

    expect(isPrismaErrorCode(orphan, 'P2003')).toBe(true);
  });

  it('claims exactly the due outbox rows with a raw UPDATE … RETURNING, boundary included', async () => {
    const { prisma, capabilities } = db();
    const { sql, empty } = sqlFragments(capabilities.provider);
    await prisma.outboxMessage.createMany({
      data: [
        outboxData('due-earlier', new Date(now.getTime() - 60_000)),
        outboxData('due-now', now),
        outboxData('future', new Date(now.getTime() + 1)),
      ],
    });
    const claim = () => prisma.$queryRaw<{ id: string }[]>`
      UPDATE "OutboxMessage"
      SET status = 'SENDING', "claimToken" = ${'token-1'}, "updatedAt" = ${now}
      WHERE status = 'PENDING' AND id IN (
        SELECT id FROM "OutboxMessage"
        WHERE status = 'PENDING' AND "nextAttemptAt" <= ${now}
        ORDER BY "nextAttemptAt"
        LIMIT ${2}
        ${capabilities.skipLocked ? sql`FOR UPDATE SKIP LOCKED` : empty}
      )
      RETURNING id`;

    const first = await claim();
    const second = await claim();

    expect(first.map((row) => row.id).sort()).toEqual(['due-earlier', 'due-now']);
    expect(second).toEqual([]);
    const future = await prisma.outboxMessage.findUniqueOrThrow({ where: { id: 'future' } });
    expect(future.status).toBe('PENDING');
    const claimed = await prisma.outboxMessage.findUniqueOrThrow({ where: { id: 'due-now' } });
    expect(claimed).toMatchObject({ status: 'SENDING', claimToken: 'token-1', updatedAt: now });
  });

  it('applies nothing when migrated a second time, even while a client has the database open', async () => {
    // An up-to-date database is recognised from _prisma_migrations without the CLI, so a command run
    // beside a live service (SQLite in WAL mode, the file open) does not need the exclusive lock.
    await db().prisma.followUp.count();
    const logged: string[] = [];
    const result = await migrateDatabase(db().url, { logger: { info: (_obj, msg) => logged.push(msg) } });

    expect(result.applied).toEqual([]);
    expect(logged).toEqual(['database up to date']);
  });
});

describe('maskDatabaseUrls', () => {
  it('hides passwords in URLs and leaves password-less URLs alone', () => {
    expect(maskDatabaseUrls('at postgresql://app:s3cr%21t@db:5432/huifang and postgres://postgres@localhost/x')).toBe(
      'at postgresql://app:***@db:5432/huifang and postgres://postgres@localhost/x',
    );
  });
});
