import type { CounterHit, DeadInboundEvent, InboundEventRecord, InboundEventToRecord, InboxStore } from '../core/ports/inbox.js';
import type { StoreContext } from './store-context.js';
import { parseJson, toJson } from './rows.js';
import { fixedSql, type FixedSql } from './fixed-sql.js';
import { CallBatcher } from './call-batcher.js';
import { typedValues } from './typed-values.js';

/** An event's outcome as `finishInbound` records it: the row's new columns. */
interface InboundFinish {
  id: string;
  status: 'PROCESSED' | 'REJECTED' | 'FAILED' | 'DEAD';
  at: Date;
  result: string;
  error: string | null;
  nextAttemptAt: Date | null;
}

/** The columns a claim returns, as {@link ClaimedRow} holds them. */
const CLAIMED_COLUMNS = ['id', 'source', 'dedupeKey', 'kind', 'payload', 'receivedAt', 'attempts'] as const;

/** The RETURNING clause of a claim, its columns qualified by `table` (`'e.'`) or not (`''`). */
function returning(table: string): string {
  return `RETURNING ${CLAIMED_COLUMNS.map((c) => `${table}"${c}"`).join(', ')}`;
}

type ClaimedRow = { id: string; source: string; dedupeKey: string; kind: string; payload: string; receivedAt: Date | string; attempts: number };

function toRecord(row: ClaimedRow): InboundEventRecord {
  return {
    id: row.id,
    source: row.source,
    dedupeKey: row.dedupeKey,
    kind: row.kind,
    payload: parseJson<Record<string, unknown>>(row.payload, {}),
    receivedAt: new Date(row.receivedAt),
    attempts: Number(row.attempts),
  };
}

type CountedHit = CounterHit & { count: number };

/** The counter hits of `events`, one per key and window, with how many events carry it. */
function counterHitsOf(events: readonly InboundEventToRecord[]): CountedHit[] {
  const hits = new Map<string, CountedHit>();
  for (const { counterHit: hit } of events) {
    if (!hit) continue;
    const id = `${hit.key}\u0000${hit.windowStart.getTime()}`;
    const counted = hits.get(id);
    if (counted) counted.count += 1;
    else hits.set(id, { key: hit.key, windowStart: hit.windowStart, count: 1 });
  }
  return [...hits.values()];
}

/** `InboxStore` over Prisma: unique on (source, dedupeKey), so a provider's retry records nothing new. */
export class PrismaInboxStore implements InboxStore {
  private readonly sql: FixedSql;
  private readonly finishes: CallBatcher<InboundFinish, boolean>;

  constructor(private readonly db: StoreContext) {
    this.sql = fixedSql(db);
    this.finishes = new CallBatcher(
      (rows) => this.finishInboundBatch(rows),
      (row) => this.finishInboundOne(row),
    );
  }

  /**
   * The batch statement with one event ({@link recordInboundBatch}): fixed SQL on the driver adapter
   * (bot/db/fixed-sql.ts), on every webhook's request path. `ON CONFLICT DO NOTHING` answers a retry with no
   * row, whichever unique key it repeats, as the query API's P2002 did; the existing event's id is then read
   * by (source, dedupeKey).
   */
  async recordInbound(event: Parameters<InboxStore['recordInbound']>[0]): Promise<{ id: string; duplicate: boolean }> {
    const [result] = await this.recordInboundBatch([event]);
    if ('error' in result!) throw result.error;
    return result!;
  }

  /**
   * Group commit: one multi-row `INSERT … ON CONFLICT DO NOTHING RETURNING` (atomic, one commit, with the
   * events' counter hits: {@link insertEvents}) for the events of concurrent callbacks. Repeats within the
   * call are folded onto their first event before the insert; an event the insert did not return was recorded
   * before, and its id is read back by (source, dedupeKey) in one more statement (none found: its id clashed
   * with another event's, an error for it alone).
   */
  async recordInboundBatch(events: Parameters<InboxStore['recordInboundBatch']>[0]): ReturnType<InboxStore['recordInboundBatch']> {
    if (events.length === 0) return [];
    const keyOf = (e: { source: string; dedupeKey: string }) => `${e.source}\u0000${e.dedupeKey}`;
    const first = new Map<string, (typeof events)[number]>();
    for (const event of events) if (!first.has(keyOf(event))) first.set(keyOf(event), event);
    const unique = [...first.values()];
    const inserted = await this.insertEvents(unique, counterHitsOf(events));
    const insertedIds = new Set(inserted.map((r) => r.id));
    const recorded = new Map<string, string>();
    const earlier = unique.filter((e) => !insertedIds.has(e.id));
    if (earlier.length > 0) {
      const rows = await this.sql.query<{ id: string; source: string; dedupeKey: string }>(
        `SELECT "id", "source", "dedupeKey" FROM "InboundEvent" WHERE ${earlier.map(() => '("source" = ? AND "dedupeKey" = ?)').join(' OR ')}`,
        earlier.flatMap((e) => [e.source, e.dedupeKey]),
      );
      for (const row of rows) recorded.set(keyOf(row), row.id);
    }
    return events.map((event) => {
      const key = keyOf(event);
      if (insertedIds.has(event.id)) return { id: event.id, duplicate: false };
      const id = insertedIds.has(first.get(key)!.id) ? first.get(key)!.id : recorded.get(key);
      return id ? { id, duplicate: true } : { error: this.sql.knownError('No record was found for a query.', 'P2025') };
    });
  }

  /**
   * The multi-row insert of `events` (those it returns are new), with the counter hits in the same commit:
   * on PostgreSQL one statement, the hits' upsert in a data-modifying `WITH`; SQLite has no such `WITH`, so
   * there the two statements share one short transaction (one sync of the journal, as for the insert alone).
   */
  private insertEvents(events: readonly InboundEventToRecord[], hits: readonly CountedHit[]): Promise<{ id: string }[]> {
    const insertEvents =
      'INSERT INTO "InboundEvent" ("id", "source", "dedupeKey", "kind", "payload", "status", "attempts", "receivedAt") VALUES ' +
      events.map(() => "(?, ?, ?, ?, ?, 'RECEIVED', 0, ?)").join(', ') +
      ' ON CONFLICT DO NOTHING RETURNING "id"';
    const eventParams = events.flatMap((e) => [e.id, e.source, e.dedupeKey, e.kind, JSON.stringify(e.payload), e.receivedAt]);
    if (hits.length === 0) return this.sql.query<{ id: string }>(insertEvents, eventParams);
    // As `RateCounters.hit`, with each key's hits of the batch added at once (PostgreSQL refuses a second update of one row in a statement).
    const upsertHits =
      'INSERT INTO "RateCounter" ("key", "windowStart", "count") VALUES ' +
      hits.map(() => '(?, ?, ?)').join(', ') +
      ' ON CONFLICT ("key", "windowStart") DO UPDATE SET "count" = "RateCounter"."count" + excluded."count"';
    const hitParams = hits.flatMap((h) => [h.key, h.windowStart, h.count]);
    if (this.db.capabilities.provider === 'postgresql') return this.sql.query<{ id: string }>(`WITH "hits" AS (${upsertHits}) ${insertEvents}`, [...hitParams, ...eventParams]);
    return this.sql.transaction(async (tx) => {
      const inserted = await tx.query<{ id: string }>(insertEvents, eventParams);
      await tx.execute(upsertHits, hitParams);
      return inserted;
    });
  }

  /**
   * One `UPDATE … WHERE "id" IN (SELECT … LIMIT n) RETURNING` (with `FOR UPDATE SKIP LOCKED` on PostgreSQL):
   * the conditions are repeated outside the sub-select, so a concurrent claimer's rows are never taken twice.
   */
  async claimInboundBatch(now: Date, leaseMs: number, limit: number, maxAttempts: number): Promise<InboundEventRecord[]> {
    const leaseFree = '("leaseExpiresAt" IS NULL OR "leaseExpiresAt" <= ?)';
    const failedDue = '"attempts" < ? AND ("nextAttemptAt" IS NULL OR "nextAttemptAt" <= ?)';
    const waiting = `${leaseFree} AND ("status" = 'RECEIVED' OR ("status" = 'FAILED' AND ${failedDue}))`;
    // The oldest waiting events of each status, each picked by a walk of the (status, receivedAt) index in
    // order that stops after `limit`, then the oldest of both. One OR-ed sub-select read every RECEIVED event
    // and sorted them all on every claim: a backlog of n events made each claim cost n log n.
    const locked = this.db.capabilities.skipLocked ? ' FOR UPDATE SKIP LOCKED' : '';
    const oldest = (condition: string) => `SELECT * FROM (SELECT "id", "receivedAt" FROM "InboundEvent" WHERE ${condition} ORDER BY "receivedAt", "id" LIMIT ?${locked}) AS w`;
    const picked = `SELECT "id" FROM (${oldest(`"status" = 'RECEIVED' AND ${leaseFree}`)} UNION ALL ${oldest(`"status" = 'FAILED' AND ${failedDue} AND ${leaseFree}`)}) AS u ORDER BY "receivedAt", "id" LIMIT ?`;
    const pickedParams = [now, limit, maxAttempts, now, now, limit, limit];
    const set = 'SET "leaseExpiresAt" = ?, "attempts" = "attempts" + 1';
    const leaseUntil = new Date(now.getTime() + leaseMs);
    // PostgreSQL: the ids are picked once, in a materialised CTE (a sub-select in `IN` may run again and take
    // more than `limit`), and the outer WHERE repeats the condition for a row whose lock it waited on.
    // SQLite has one writer at a time: the plain sub-select is atomic there.
    const rows = this.db.capabilities.skipLocked
      ? await this.sql.query<ClaimedRow>(
          `WITH "picked" AS MATERIALIZED (${picked}) UPDATE "InboundEvent" AS e ${set} FROM "picked" WHERE e."id" = "picked"."id" AND ${waiting} ${returning('e.')}`,
          [...pickedParams, leaseUntil, now, maxAttempts, now],
        )
      : await this.sql.query<ClaimedRow>(`UPDATE "InboundEvent" ${set} WHERE "id" IN (${picked}) ${returning('')}`, [leaseUntil, ...pickedParams]);
    // RETURNING gives no order: oldest first, as the sub-select chose them.
    return rows.map(toRecord).sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** One `UPDATE … RETURNING` on the driver adapter: every callback is claimed once, right after its answer. */
  async claimInbound(id: string, now: Date, leaseMs: number): Promise<InboundEventRecord | null> {
    const [row] = await this.sql.query<ClaimedRow>(
      'UPDATE "InboundEvent" SET "leaseExpiresAt" = ?, "attempts" = "attempts" + 1 ' +
        'WHERE "id" = ? AND ("status" = \'RECEIVED\' OR ("status" = \'FAILED\' AND ("nextAttemptAt" IS NULL OR "nextAttemptAt" <= ?))) ' +
        'AND ("leaseExpiresAt" IS NULL OR "leaseExpiresAt" <= ?) ' +
        returning(''),
      [new Date(now.getTime() + leaseMs), id, now, now],
    );
    return row ? toRecord(row) : null;
  }

  /** One fixed statement: only rows still under this claim's lease (not finished, not claimed again since). */
  async releaseInboundClaim(ids: readonly string[], leaseUntil: Date, _now: Date): Promise<number> {
    if (ids.length === 0) return 0;
    return this.sql.execute(
      'UPDATE "InboundEvent" SET "leaseExpiresAt" = NULL, "attempts" = "attempts" - 1 ' +
        `WHERE "id" IN (${ids.map(() => '?').join(', ')}) AND "leaseExpiresAt" = ? AND "status" IN ('RECEIVED', 'FAILED') AND "attempts" > 0`,
      [...ids, leaseUntil],
    );
  }

  async listPendingInbound(now: Date, limit: number, maxAttempts: number): Promise<string[]> {
    const leaseFree = [{ leaseExpiresAt: null }, { leaseExpiresAt: { lte: now } }];
    const rows = await this.db.prisma.inboundEvent.findMany({
      where: {
        OR: [
          { status: 'RECEIVED', OR: leaseFree },
          { status: 'FAILED', attempts: { lt: maxAttempts }, AND: [{ OR: leaseFree }, { OR: [{ nextAttemptAt: null }, { nextAttemptAt: { lte: now } }] }] },
        ],
      },
      orderBy: { receivedAt: 'asc' },
      take: limit,
      select: { id: true },
    });
    return rows.map((r) => r.id);
  }

  /**
   * Fixed SQL on the driver adapter, like the claim; a missing event is the query API's P2025. The outcomes
   * of events a drain handles at once are recorded by one statement ({@link finishInboundBatch}, a group
   * commit: bot/db/call-batcher.ts): on SQLite each commit syncs the WAL on the process's thread, and the drain
   * shares that thread with the webhooks. Each call still resolves only once its own outcome is committed.
   */
  async finishInbound(id: string, status: 'PROCESSED' | 'REJECTED' | 'FAILED' | 'DEAD', at: Date, result: Record<string, unknown>, error?: string, nextAttemptAt?: Date): Promise<void> {
    const found = await this.finishes.run({ id, status, at, result: toJson(result), error: error ?? null, nextAttemptAt: status === 'FAILED' ? (nextAttemptAt ?? null) : null });
    if (!found) throw this.sql.knownError('An operation failed because it depends on one or more records that were required but not found. No record was found for an update.', 'P2025');
  }

  private async finishInboundOne(row: InboundFinish): Promise<boolean> {
    const count = await this.sql.execute(
      'UPDATE "InboundEvent" SET "status" = ?, "processedAt" = ?, "result" = ?, "error" = ?, "leaseExpiresAt" = NULL, "nextAttemptAt" = ? WHERE "id" = ?',
      [row.status, row.at, row.result, row.error, row.nextAttemptAt, row.id],
    );
    return count === 1;
  }

  /**
   * Several outcomes in one `UPDATE … FROM` (all or nothing); for each, whether its event was found. An
   * event named twice makes the batch fail, so that each call runs alone, in turn, as it would unbatched.
   */
  async finishInboundBatch(rows: readonly InboundFinish[]): Promise<boolean[]> {
    if (new Set(rows.map((r) => r.id)).size !== rows.length) throw new Error('an inbound event is finished twice in one batch');
    const values = typedValues(
      this.db.capabilities,
      ['text', 'text', 'timestamp', 'text', 'text', 'timestamp'],
      rows.map((r) => [r.id, r.status, r.at, r.result, r.error, r.nextAttemptAt]),
    );
    const found = await this.sql.query<{ id: string }>(
      `WITH v (id, status, at, result, error, next) AS (${values.text}) ` +
        'UPDATE "InboundEvent" AS e SET "status" = v.status, "processedAt" = v.at, "result" = v.result, "error" = v.error, "leaseExpiresAt" = NULL, "nextAttemptAt" = v.next ' +
        `FROM v WHERE e."id" = v.id RETURNING ${this.db.capabilities.provider === 'postgresql' ? 'e.' : ''}"id"`,
      values.params,
    );
    const ids = new Set(found.map((r) => r.id));
    return rows.map((r) => ids.has(r.id));
  }

  async listDeadInbound(limit: number, maxAttempts: number): Promise<DeadInboundEvent[]> {
    const rows = await this.db.prisma.inboundEvent.findMany({
      where: { OR: [{ status: 'DEAD' }, { status: 'FAILED', attempts: { gte: maxAttempts } }] },
      orderBy: { receivedAt: 'asc' },
      take: limit,
      select: { id: true, source: true, kind: true, attempts: true, error: true, receivedAt: true, processedAt: true },
    });
    return rows.map(({ processedAt, ...r }) => ({ ...r, failedAt: processedAt }));
  }

  async replayInbound(id: string, maxAttempts: number): Promise<boolean> {
    const { count } = await this.db.prisma.inboundEvent.updateMany({
      where: { id, OR: [{ status: 'DEAD' }, { status: 'FAILED', attempts: { gte: maxAttempts } }] },
      data: { status: 'RECEIVED', attempts: 0, nextAttemptAt: null, leaseExpiresAt: null },
    });
    return count === 1;
  }
}
