import type { SharedWindow, SharedWindows } from '../core/ports/shared-windows.js';
import type { StoreContext } from './store-context.js';
import { fixedSql, type FixedSql } from './fixed-sql.js';

interface WindowRow extends Record<string, unknown> {
  holder: string;
  count: number | bigint;
  until: Date | string | number | bigint;
}

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

  async tally(key: string, now: Date, until: Date): Promise<SharedWindow> {
    const [row] = await this.sql.query<WindowRow>(
      `INSERT INTO "SharedWindow" ("key", "holder", "count", "until") VALUES (?, '', 1, ?) ` +
        `ON CONFLICT ("key") DO UPDATE SET ` +
        `"count" = CASE WHEN ${OLD}."until" <= ? THEN 1 ELSE ${OLD}."count" + 1 END, ` +
        `"until" = CASE WHEN ${OLD}."until" <= ? THEN excluded."until" ELSE ${OLD}."until" END ${RETURNING}`,
      [key, until, now, now],
    );
    return windowOf(row!);
  }

  async untally(key: string, now: Date): Promise<void> {
    await this.sql.execute('UPDATE "SharedWindow" SET "count" = "count" - 1 WHERE "key" = ? AND "until" > ? AND "count" > 0', [key, now]);
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
    return this.sql.execute('DELETE FROM "SharedWindow" WHERE "until" < ?', [before]);
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
