import { WITHDRAWN_AT, type Admission, type SharedWindow, type SharedWindows, type SlidingCap } from '../core/ports/shared-windows.js';
import type { StoreContext } from './store-context.js';
import { fixedSql, type FixedSql } from './fixed-sql.js';

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

const RETURNING = 'RETURNING "holder", "count", "until"';
/** The stored row, inside an `ON CONFLICT … DO UPDATE` (its values before the update). */
const OLD = '"SharedWindow"';

/**
 * `SharedWindows` over the `SharedWindow` table. Every method is one fixed statement on the driver adapter
 * (bot/db/fixed-sql.ts), served by the primary key: the dispatcher runs one before each send these
 * windows apply to. Reserving and striking are single upserts whose `DO UPDATE` decides from the stored
 * row (both PostgreSQL and SQLite evaluate the SET expressions against the row before the update), so two
 * replicas at the same moment cannot both take a window: on PostgreSQL the second waits for the first's
 * row lock and then sees its row; SQLite has one writer at a time.
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

  constructor(db: StoreContext) {
    this.sql = fixedSql(db);
  }

  async reserve(key: string, holder: string, until: Date, now: Date, options: { force?: boolean } = {}): ReturnType<SharedWindows['reserve']> {
    const free = options.force ? 'TRUE' : `${OLD}."until" <= ? OR ${OLD}."holder" = excluded."holder"`;
    const params: unknown[] = options.force ? [key, holder, until] : [key, holder, until, now, now];
    const [row] = await this.sql.query<WindowRow>(
      `INSERT INTO "SharedWindow" ("key", "holder", "count", "until") VALUES (?, ?, 0, ?) ` +
        `ON CONFLICT ("key") DO UPDATE SET ` +
        `"holder" = CASE WHEN ${free} THEN excluded."holder" ELSE ${OLD}."holder" END, ` +
        `"until" = CASE WHEN ${free} THEN excluded."until" ELSE ${OLD}."until" END ${RETURNING}`,
      params,
    );
    const window = windowOf(row!);
    return { ...window, taken: window.holder === holder };
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

function windowOf(row: WindowRow): SharedWindow {
  return { holder: row.holder, count: Number(row.count), until: dateOf(row.until) };
}

/** A DateTime column read by a fixed statement: PostgreSQL gives a Date (or text), SQLite its stored text or number. */
function dateOf(value: Date | string | number | bigint): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'string' && !/^\d+$/.test(value)) return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`);
  return new Date(Number(value));
}
