import { WITHDRAWN_AT, type Admission, type SharedWindow, type SharedWindows, type SlidingCap } from '../core/ports/shared-windows.js';
import type { StoreContext } from './store-context.js';
import { fixedSql, type FixedSql, type FixedSqlQueries } from './fixed-sql.js';
import { CallBatcher } from './call-batcher.js';
import { pgArrayLiteral } from './typed-values.js';

interface WindowRow extends Record<string, unknown> {
  holder: string;
  count: number | bigint;
  until: Date | string | number | bigint;
}

/**
 * Rounds of `admit` lost to replicas counting the same key at the same moment before it gives up for now.
 * Each lost round means another event of the key went in, so a window of WeCom's 30 a minute fills, and
 * refuses by its count, within 30 lost rounds.
 */
const ADMIT_ROUNDS = 40;
/** How long a caller waits after those rounds. */
const ADMIT_BUSY_WAIT_MS = 1_000;

/** A reservation of {@link PrismaSharedWindows.reserve}. */
interface Reservation {
  key: string;
  holder: string;
  until: Date;
  now: Date;
  force: boolean;
}

const RETURNING = 'RETURNING "holder", "count", "until"';
/** The stored row, inside an `ON CONFLICT … DO UPDATE` (its values before the update). */
const OLD = '"SharedWindow"';

/**
 * `SharedWindows` over the `SharedWindow` table. Every method is one fixed statement on the driver adapter
 * (bot/db/fixed-sql.ts), served by the primary key: the dispatcher runs one before each send these
 * windows apply to, and the reservations of its concurrent sends share one multi-row upsert (each ends as
 * if made alone, bot/db/call-batcher.ts). Reserving and striking are single upserts whose `DO UPDATE` decides
 * from the stored row (both PostgreSQL and SQLite evaluate the SET expressions against the row before the
 * update), so two replicas at the same moment cannot both take a window: on PostgreSQL the second waits
 * for the first's row lock and then sees its row; SQLite has one writer at a time.
 *
 * Sliding windows (`admit`) keep one `SharedWindowEvent` row per counted event, numbered per key. Admitting
 * is one `INSERT … SELECT` of the next number that inserts only while every cap's count (from the
 * `("key", "at")` index) is under its `max`; a refusal reads, in one more statement, when the events in the
 * way leave their windows; `settle` and `withdraw` update one row by primary key. Two replicas admitting at
 * once compute the same next number: on PostgreSQL the second's insert waits for the first's and then
 * conflicts (DO NOTHING), so it inserts nothing and counts again with the first's event in view; SQLite has
 * one writer at a time. Numbers are freed only by
 * `forgetEnded`, which deletes events long past every window (a withdrawn event keeps its row until then),
 * so an insert that counted from an older state meets a conflict: each admitted event was counted with
 * every event admitted before it that can still be in a window in view.
 */
export class PrismaSharedWindows implements SharedWindows {
  private readonly sql: FixedSql;
  private readonly reservations: CallBatcher<Reservation, SharedWindow & { taken: boolean }>;
  private readonly postgres: boolean;

  constructor(db: StoreContext) {
    this.sql = fixedSql(db);
    this.postgres = db.capabilities.provider === 'postgresql';
    this.reservations = new CallBatcher(
      (items) => this.reserveBatch(items),
      async (item) => (await reserveRows(this.sql, [item], this.postgres))[0]!,
    );
  }

  async reserve(key: string, holder: string, until: Date, now: Date, options: { force?: boolean } = {}): ReturnType<SharedWindows['reserve']> {
    // The reservations of concurrent sends (the dispatcher's workers) share one statement (bot/db/call-batcher.ts).
    return this.reservations.run({ key, holder, until, now, force: options.force === true });
  }

  /**
   * {@link reserve} for several reservations at once, all or nothing, answers in order. Each ends as if made
   * alone, in the order given: one multi-row upsert per run of distinct keys and one `now` (a key reserved
   * twice, another `now` or a forced reservation starts the next statement, which sees the earlier ones'
   * rows), in one transaction when there are several.
   */
  private async reserveBatch(items: readonly Reservation[]): Promise<(SharedWindow & { taken: boolean })[]> {
    const groups: Reservation[][] = [];
    let keys = new Set<string>();
    for (const item of items) {
      const group = groups.at(-1);
      if (!group || item.force || group[0]!.force || keys.has(item.key) || group[0]!.now.getTime() !== item.now.getTime()) {
        groups.push([item]);
        keys = new Set([item.key]);
      } else {
        group.push(item);
        keys.add(item.key);
      }
    }
    if (groups.length === 1) return reserveRows(this.sql, items, this.postgres);
    return this.sql.transaction(async (tx) => {
      const results: (SharedWindow & { taken: boolean })[] = [];
      for (const group of groups) results.push(...(await reserveRows(tx, group, this.postgres)));
      return results;
    });
  }

  async strike(key: string, now: Date, untilByStrike: readonly Date[]): Promise<SharedWindow> {
    if (untilByStrike.length === 0) throw new Error('strike needs the end of the window for at least one strike');
    const steps = untilByStrike.length;
    // The strike number after this one, then the window's end for it, highest first.
    const ends = untilByStrike.map((_, i) => i).reverse().filter((i) => i > 0);
    const [row] = await this.sql.query<WindowRow>(
      `INSERT INTO "SharedWindow" ("key", "holder", "count", "until") VALUES (?, '', 1, ?) ` +
        `ON CONFLICT ("key") DO UPDATE SET ` +
        `"count" = CASE WHEN ${OLD}."until" > ? THEN ${OLD}."count" WHEN ${OLD}."count" >= ? THEN ? ELSE ${OLD}."count" + 1 END, ` +
        `"until" = CASE WHEN ${OLD}."until" > ? THEN ${OLD}."until" ${ends.map(() => `WHEN ${OLD}."count" + 1 >= ? THEN ?`).join(' ')} ELSE ? END ${RETURNING}`,
      [key, untilByStrike[0], now, steps, steps, now, ...ends.flatMap((i) => [i + 1, untilByStrike[i]]), untilByStrike[0]],
    );
    return windowOf(row!);
  }

  async admit(key: string, now: Date, caps: readonly SlidingCap[], latest: Date = now): Promise<Admission> {
    if (caps.length === 0) throw new Error('admit needs at least one cap');
    const at = new Date(Math.max(now.getTime(), latest.getTime()));
    const until = new Date(at.getTime() + Math.max(...caps.map((c) => c.windowMs)));
    const inWindow = '(SELECT COUNT(*) FROM "SharedWindowEvent" WHERE "key" = ? AND "at" > ?)';
    for (let attempt = 1; ; attempt++) {
      // The key's next number, inserted only while every cap has room. A replica that counted one at the
      // same moment took the same number first: nothing goes in (DO NOTHING), and the next round sees it.
      const rows = await this.sql.query<{ seq: number | bigint }>(
        `INSERT INTO "SharedWindowEvent" ("key", "seq", "at", "until") ` +
          `SELECT ?, COALESCE((SELECT MAX("seq") FROM "SharedWindowEvent" WHERE "key" = ?), 0) + 1, ?, ? ` +
          `WHERE ${caps.map(() => `${inWindow} < ?`).join(' AND ')} ` +
          `ON CONFLICT ("key", "seq") DO NOTHING RETURNING "seq"`,
        [key, key, at, until, ...caps.flatMap((c) => [key, new Date(now.getTime() - c.windowMs), c.max])],
      );
      if (rows[0]) return { admitted: true, seq: Number(rows[0].seq) };
      // Refused: for each cap, its `max`-th newest event in the window, which has to leave it first.
      const [row] = await this.sql.query<Record<string, Date | string | number | bigint | null>>(
        `SELECT ${caps.map((_, i) => `(SELECT "at" FROM "SharedWindowEvent" WHERE "key" = ? AND "at" > ? ORDER BY "at" DESC LIMIT 1 OFFSET ?) AS "c${i}"`).join(', ')}`,
        caps.flatMap((c) => [key, new Date(now.getTime() - c.windowMs), c.max - 1]),
      );
      const retryAt = caps.reduce((latest, c, i) => {
        const blocking = row?.[`c${i}`];
        return blocking === null || blocking === undefined ? latest : Math.max(latest, dateOf(blocking).getTime() + c.windowMs);
      }, Number.NEGATIVE_INFINITY);
      if (retryAt > now.getTime()) return { admitted: false, retryAt: new Date(retryAt) };
      // Every cap had room: the number was taken by a replica at the same moment. Try again with the next one
      // (a few rounds at most; past them the caller waits a moment, as for a full window).
      if (attempt >= ADMIT_ROUNDS) return { admitted: false, retryAt: new Date(now.getTime() + ADMIT_BUSY_WAIT_MS) };
    }
  }

  async settle(key: string, seq: number, at: Date): Promise<void> {
    await this.sql.execute('UPDATE "SharedWindowEvent" SET "at" = ? WHERE "key" = ? AND "seq" = ? AND "at" > ?', [at, key, seq, at]);
  }

  async withdraw(key: string, seq: number): Promise<void> {
    await this.sql.execute('UPDATE "SharedWindowEvent" SET "at" = ? WHERE "key" = ? AND "seq" = ?', [WITHDRAWN_AT, key, seq]);
  }

  async read(key: string): Promise<SharedWindow | null> {
    const [row] = await this.sql.query<WindowRow>('SELECT "holder", "count", "until" FROM "SharedWindow" WHERE "key" = ?', [key]);
    return row ? windowOf(row) : null;
  }

  async release(key: string, holder?: string): Promise<void> {
    if (holder === undefined) await this.sql.execute('DELETE FROM "SharedWindow" WHERE "key" = ?', [key]);
    else await this.sql.execute('DELETE FROM "SharedWindow" WHERE "key" = ? AND "holder" = ?', [key, holder]);
  }

  async forgetEnded(before: Date): Promise<number> {
    const windows = await this.sql.execute('DELETE FROM "SharedWindow" WHERE "until" < ?', [before]);
    return windows + (await this.sql.execute('DELETE FROM "SharedWindowEvent" WHERE "until" < ?', [before]));
  }
}

/**
 * One upsert reserving windows of distinct keys at one `now` (the first item's): the `DO UPDATE` decides each
 * from its stored row (free at `now`, or already the same holder's; any, for a forced one, which comes
 * alone). Answers in the order of `items`. On PostgreSQL the rows go as one array per column (`unnest`), so
 * the text is the same for any number of them and the connection prepares it once (bot/db/typed-values.ts);
 * SQLite takes a `VALUES` list.
 */
async function reserveRows(sql: FixedSqlQueries, items: readonly Reservation[], postgres: boolean): Promise<(SharedWindow & { taken: boolean })[]> {
  const { now, force } = items[0]!;
  const free = force ? 'TRUE' : `${OLD}."until" <= ? OR ${OLD}."holder" = excluded."holder"`;
  const rows = await sql.query<WindowRow & { key: string }>(
    `INSERT INTO "SharedWindow" ("key", "holder", "count", "until") ` +
      (postgres
        ? `SELECT v.key, v.holder, 0, v.until FROM unnest(?::text[], ?::text[], ?::timestamp(3)[]) AS v (key, holder, until) `
        : `VALUES ${items.map(() => '(?, ?, 0, ?)').join(', ')} `) +
      `ON CONFLICT ("key") DO UPDATE SET ` +
      `"holder" = CASE WHEN ${free} THEN excluded."holder" ELSE ${OLD}."holder" END, ` +
      `"until" = CASE WHEN ${free} THEN excluded."until" ELSE ${OLD}."until" END RETURNING "key", "holder", "count", "until"`,
    [
      ...(postgres ? [pgArrayLiteral(items.map((i) => i.key)), pgArrayLiteral(items.map((i) => i.holder)), pgArrayLiteral(items.map((i) => i.until))] : items.flatMap((i) => [i.key, i.holder, i.until])),
      ...(force ? [] : [now, now]),
    ],
  );
  const byKey = new Map(rows.map((r) => [r.key, windowOf(r)]));
  return items.map((item) => {
    const window = byKey.get(item.key);
    if (!window) throw new Error(`the reservation of ${item.key} returned no row`);
    return { ...window, taken: window.holder === item.holder };
  });
}

function windowOf(row: WindowRow): SharedWindow {
  return { holder: row.holder, count: Number(row.count), until: dateOf(row.until) };
}

/** A DateTime column read by a fixed statement: PostgreSQL gives a Date (or text), SQLite its stored text or number. */
function dateOf(value: Date | string | number | bigint): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'string' && !/^\d+$/.test(value)) return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`);
  return new Date(Number(value));
}
