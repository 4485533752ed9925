import type { IdGenerator } from '../core/clock.js';
import type { NewOutboxMessage } from '../core/records.js';
import type { FixedSql, FixedSqlQueries } from './fixed-sql.js';

/**
 * The outbox's idempotent insert as fixed SQL on the driver adapter (bot/db/fixed-sql.ts), for messages that
 * need no other row read first: the keys already recorded are read, then one `INSERT … ON CONFLICT
 * ("idempotencyKey") DO NOTHING` statement inserts the rest, with no interactive transaction and no query
 * compilation. It is on the inbox drain's path (every staff
 * message answered, every reply forwarded). Answers as `insertOutbox` (bot/db/writes.ts) does: the number of
 * messages whose key was new; a key repeated within the call counts once (its first message is kept).
 *
 * Not for SMS to customers: those need the customer's invalid-phone mark read first (`insertOutbox`).
 */
export async function insertOutboxFixed(sql: FixedSql, ids: IdGenerator, messages: readonly NewOutboxMessage[]): Promise<number> {
  return (await insertOutboxFixedCalls(sql, ids, [messages]))[0]!;
}

/**
 * {@link insertOutboxFixed} for the messages of several calls at once (the outbox's group commit of
 * concurrent enqueues, bot/db/outbox-store.ts), all or nothing: one read of the keys recorded before, then
 * one insert per shape of message, in one transaction when there is more than one. Answers each call's count
 * as it would get alone, the calls made in this order: a key that several calls name counts for the first.
 */
export async function insertOutboxFixedCalls(sql: FixedSql, ids: IdGenerator, calls: readonly (readonly NewOutboxMessage[])[]): Promise<number[]> {
  // Keys recorded before take no id (as in `insertOutbox`); one recorded meanwhile by another process is
  // still skipped by ON CONFLICT, which is what makes the insert idempotent.
  const keys = [...new Set(calls.flatMap((messages) => messages.map((m) => m.idempotencyKey)))];
  if (keys.length === 0) return calls.map(() => 0);
  const existing = new Set(
    (await sql.query<{ idempotencyKey: string }>(`SELECT "idempotencyKey" FROM "OutboxMessage" WHERE "idempotencyKey" IN (${keys.map(() => '?').join(', ')})`, keys)).map((r) => r.idempotencyKey),
  );
  const fresh = new Map<string, NewOutboxMessage>();
  for (const messages of calls) for (const m of messages) if (!existing.has(m.idempotencyKey) && !fresh.has(m.idempotencyKey)) fresh.set(m.idempotencyKey, m);
  const inserted = new Set<string>();
  if (fresh.size > 0) {
    // One statement per shape: `maxAttempts` and `fallbackOfId` are left to the column defaults when unset.
    const shapes = new Map<string, NewOutboxMessage[]>();
    for (const m of fresh.values()) {
      const shape = `${m.maxAttempts ? 'm' : ''}${m.fallbackOfId ? 'f' : ''}`;
      const group = shapes.get(shape);
      if (group) group.push(m);
      else shapes.set(shape, [m]);
    }
    const insertAll = async (runner: FixedSqlQueries) => {
      for (const [shape, group] of shapes) for (const key of await insertShape(runner, ids, shape, group)) inserted.add(key);
    };
    if (shapes.size > 1) await sql.transaction(insertAll);
    else await insertAll(sql);
  }
  const counted = new Set<string>();
  return calls.map((messages) => {
    let count = 0;
    for (const m of messages) {
      if (!inserted.has(m.idempotencyKey) || counted.has(m.idempotencyKey)) continue;
      counted.add(m.idempotencyKey);
      count += 1;
    }
    return count;
  });
}

/** Inserts messages of one shape (`m`: with `maxAttempts`, `f`: with `fallbackOfId`); the keys it inserted. */
async function insertShape(sql: FixedSqlQueries, ids: IdGenerator, shape: string, group: readonly NewOutboxMessage[]): Promise<string[]> {
  // Prisma's @updatedAt is a wall-clock instant too (bot/db/writes.ts sets it alike for its fixed inserts).
  const updatedAt = new Date();
  const columns = ['id', 'idempotencyKey', 'createdAt', 'updatedAt', 'channel', 'kind', 'recipientType', 'recipientId', 'payload', 'nextAttemptAt', 'followUpId'];
  if (shape.includes('m')) columns.push('maxAttempts');
  if (shape.includes('f')) columns.push('fallbackOfId');
  const params: unknown[] = [];
  for (const m of group) {
    params.push(ids.next(), m.idempotencyKey, m.nextAttemptAt, updatedAt, m.channel, m.message.kind, m.recipientType, m.recipientId, JSON.stringify(m.message), m.nextAttemptAt, m.followUpId);
    if (shape.includes('m')) params.push(m.maxAttempts);
    if (shape.includes('f')) params.push(m.fallbackOfId);
  }
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  const rows = await sql.query<{ idempotencyKey: string }>(
    `INSERT INTO "OutboxMessage" (${columns.map((c) => `"${c}"`).join(', ')}) VALUES ${group.map(() => tuple).join(', ')} ON CONFLICT ("idempotencyKey") DO NOTHING RETURNING "idempotencyKey"`,
    params,
  );
  return rows.map((r) => r.idempotencyKey);
}
