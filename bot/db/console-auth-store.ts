import type { ConsoleAccount } from '../core/console/access.js';
import type { ConsoleAuthStore, ConsoleSessionRecord, RateCounters } from '../core/ports/console-auth.js';
import type { StoreContext } from './store-context.js';
import { fixedSql, type FixedSql } from './fixed-sql.js';
import { TX_OPTIONS } from './store-context.js';
import { isUniqueViolation } from './rows.js';
import { CallBatcher } from './call-batcher.js';
import { typedValues } from './typed-values.js';

type UserRow = { id: string; name: string; staffId: string | null; role: string | null; active: boolean };

function toAccount(row: UserRow): ConsoleAccount {
  return { id: row.id, name: row.name, staffId: row.staffId, role: row.role === 'admin' || row.role === 'auditor' ? row.role : null, active: row.active };
}

/** `ConsoleAuthStore` over Prisma. */
export class PrismaConsoleAuthStore implements ConsoleAuthStore {
  constructor(private readonly db: StoreContext) {}

  async findConsoleUser(id: string): Promise<ConsoleAccount | null> {
    const row = await this.db.prisma.consoleUser.findUnique({ where: { id } });
    return row ? toAccount(row) : null;
  }

  async findConsoleUserByStaff(staffId: string): Promise<ConsoleAccount | null> {
    const row = await this.db.prisma.consoleUser.findUnique({ where: { staffId } });
    return row ? toAccount(row) : null;
  }

  async ensureStaffConsoleUser(input: { id: string; staffId: string; name: string; at: Date }): Promise<ConsoleAccount> {
    const existing = await this.findConsoleUserByStaff(input.staffId);
    if (existing) return existing;
    try {
      return toAccount(await this.db.prisma.consoleUser.create({ data: { id: input.id, staffId: input.staffId, name: input.name, createdAt: input.at, updatedAt: input.at } }));
    } catch (err) {
      // Signed in twice at once: the other request created it.
      if (!isUniqueViolation(err)) throw err;
      return (await this.findConsoleUserByStaff(input.staffId))!;
    }
  }

  async createFirstAdmin(input: { id: string; name: string; at: Date }): Promise<ConsoleAccount | null> {
    return this.db.prisma.$transaction(async (tx) => {
      if ((await tx.consoleUser.count({ where: { role: 'admin', active: true } })) > 0) return null;
      return toAccount(await tx.consoleUser.create({ data: { id: input.id, name: input.name, role: 'admin', createdAt: input.at, updatedAt: input.at } }));
    }, TX_OPTIONS);
  }

  async setConsoleRole(userId: string, role: 'admin' | 'auditor' | null): Promise<void> {
    await this.db.prisma.consoleUser.update({ where: { id: userId }, data: { role } });
  }

  async listConsoleUsers(): Promise<ConsoleAccount[]> {
    return (await this.db.prisma.consoleUser.findMany({ orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] })).map(toAccount);
  }

  async createSignInLink(input: { tokenHash: string; userId: string; expiresAt: Date; at: Date }): Promise<void> {
    await this.db.prisma.consoleSignInLink.create({ data: { tokenHash: input.tokenHash, userId: input.userId, expiresAt: input.expiresAt, createdAt: input.at } });
  }

  async consumeSignInLink(tokenHash: string, now: Date): Promise<string | null> {
    const { count } = await this.db.prisma.consoleSignInLink.updateMany({ where: { tokenHash, usedAt: null, expiresAt: { gt: now } }, data: { usedAt: now } });
    if (count !== 1) return null;
    return (await this.db.prisma.consoleSignInLink.findUniqueOrThrow({ where: { tokenHash }, select: { userId: true } })).userId;
  }

  async createSession(session: Omit<ConsoleSessionRecord, 'endedAt'>): Promise<void> {
    await this.db.prisma.consoleSession.create({ data: session });
  }

  async findSession(tokenHash: string): Promise<ConsoleSessionRecord | null> {
    return this.db.prisma.consoleSession.findUnique({ where: { tokenHash } });
  }

  async touchSession(tokenHash: string, at: Date): Promise<void> {
    await this.db.prisma.consoleSession.updateMany({ where: { tokenHash, endedAt: null }, data: { lastSeenAt: at } });
  }

  async endSession(tokenHash: string, at: Date): Promise<void> {
    await this.db.prisma.consoleSession.updateMany({ where: { tokenHash, endedAt: null }, data: { endedAt: at } });
  }

  async createSignInState(input: { state: string; method: string; expiresAt: Date; at: Date }): Promise<void> {
    await this.db.prisma.consoleSignInState.create({ data: { state: input.state, method: input.method, expiresAt: input.expiresAt, createdAt: input.at } });
  }

  async consumeSignInState(state: string, now: Date): Promise<string | null> {
    const { count } = await this.db.prisma.consoleSignInState.updateMany({ where: { state, usedAt: null, expiresAt: { gt: now } }, data: { usedAt: now } });
    if (count !== 1) return null;
    return (await this.db.prisma.consoleSignInState.findUniqueOrThrow({ where: { state }, select: { method: true } })).method;
  }
}

/**
 * `RateCounters` over the `RateCounter` table (one row per key and window). Fixed statements on the driver
 * adapter (bot/db/fixed-sql.ts): the WeCom callback checks and remembers its nonce here on every request.
 */
export class PrismaRateCounters implements RateCounters {
  private readonly sql: FixedSql;
  private readonly counts: CallBatcher<{ key: string; windowStart: Date }, number>;

  constructor(private readonly db: StoreContext) {
    this.sql = fixedSql(db);
    this.counts = new CallBatcher(
      (questions) => this.countBatch(questions),
      (question) => this.countOne(question.key, question.windowStart),
    );
  }

  /** One upsert: two first hits at once cannot both create the row, the second increments it. */
  async hit(key: string, windowStart: Date): Promise<number> {
    const [row] = await this.sql.query<{ count: number }>(
      'INSERT INTO "RateCounter" ("key", "windowStart", "count") VALUES (?, ?, 1) ' +
        'ON CONFLICT ("key", "windowStart") DO UPDATE SET "count" = "RateCounter"."count" + 1 RETURNING "count"',
      [key, windowStart],
    );
    return Number(row!.count);
  }

  /**
   * Counts asked for at the same moment (every WeCom callback asks whether its nonce is known) are read by one
   * statement ({@link countBatch}); each call gets its own answer.
   */
  count(key: string, windowStart: Date): Promise<number> {
    return this.counts.run({ key, windowStart });
  }

  private async countOne(key: string, windowStart: Date): Promise<number> {
    const [row] = await this.sql.query<{ count: number }>('SELECT "count" FROM "RateCounter" WHERE "key" = ? AND "windowStart" = ?', [key, windowStart]);
    return row ? Number(row.count) : 0;
  }

  /** Several counters' values by one statement, in the order asked (0 for a counter with no row). */
  async countBatch(questions: readonly { key: string; windowStart: Date }[]): Promise<number[]> {
    const values = typedValues(
      this.db.capabilities,
      ['int', 'text', 'timestamp'],
      questions.map((q, i) => [i, q.key, q.windowStart]),
    );
    const rows = await this.sql.query<{ i: number | bigint; count: number | bigint }>(
      `WITH q (i, "key", "windowStart") AS (${values.text}) SELECT q.i, c."count" FROM q JOIN "RateCounter" AS c ON c."key" = q."key" AND c."windowStart" = q."windowStart"`,
      values.params,
    );
    const counts = questions.map(() => 0);
    for (const row of rows) counts[Number(row.i)] = Number(row.count);
    return counts;
  }

  async forget(keyPrefix: string, before: Date): Promise<void> {
    // A prefix match like the query API's `startsWith`: LIKE with its wildcards escaped.
    const pattern = `${keyPrefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    await this.sql.execute(`DELETE FROM "RateCounter" WHERE "key" LIKE ? ESCAPE '\\' AND "windowStart" < ?`, [pattern, before]);
  }
}
