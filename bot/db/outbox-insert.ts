import type { IdGenerator } from '../core/clock.js';
import type { NewOutboxMessage } from '../core/records.js';
import type { FixedSql } from './fixed-sql.js';

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
  // Keys recorded before take no id (as in `insertOutbox`); one recorded meanwhile by another process is
  // still skipped by ON CONFLICT, which is what makes the insert idempotent.
  const keys = [...new Set(messages.map((m) => m.idempotencyKey))];
  const existing = new Set(
    (await sql.query<{ idempotencyKey: string }>(`SELECT "idempotencyKey" FROM "OutboxMessage" WHERE "idempotencyKey" IN (${keys.map(() => '?').join(', ')})`, keys)).map((r) => r.idempotencyKey),
  );
  const fresh = new Map<string, NewOutboxMessage>();
  for (const m of messages) if (!existing.has(m.idempotencyKey) && !fresh.has(m.idempotencyKey)) fresh.set(m.idempotencyKey, m);
  if (fresh.size === 0) return 0;
  // Prisma's @updatedAt is a wall-clock instant too (bot/db/writes.ts sets it alike for its fixed inserts).
  const updatedAt = new Date();
  // One statement per shape: `maxAttempts` and `fallbackOfId` are left to the column defaults when unset.
  const shapes = new Map<string, NewOutboxMessage[]>();
  for (const m of fresh.values()) {
    const shape = `${m.maxAttempts ? 'm' : ''}${m.fallbackOfId ? 'f' : ''}`;
    shapes.set(shape, [...(shapes.get(shape) ?? []), m]);
  }
  let inserted = 0;
  for (const [shape, group] of shapes) {
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
    inserted += await sql.execute(
      `INSERT INTO "OutboxMessage" (${columns.map((c) => `"${c}"`).join(', ')}) VALUES ${group.map(() => tuple).join(', ')} ON CONFLICT ("idempotencyKey") DO NOTHING`,
      params,
    );
  }
  return inserted;
}
