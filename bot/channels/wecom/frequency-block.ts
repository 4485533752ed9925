import type { SharedWindows } from '../../core/ports/shared-windows.js';
import { addLocalDays, atLocalTime } from '../../core/time.js';
import { FREQUENCY_BLOCK_MS } from './errcodes.js';

const HOUR_MS = 3_600_000;

/** Which limit a block stands for, by its strikes. */
export type FrequencyWindow = 'minute' | 'hour' | 'day';

/** The application's block as read before a send. */
export interface FrequencyBlockState {
  /** Milliseconds left of the current block (0: not blocked). */
  remainingMs: number;
  /** Strikes recorded since the last successful call (0: none; a success must clear them). */
  strikes: number;
  window: FrequencyWindow;
}

/**
 * How long WeCom blocks the application after errcode 45009 (接口调用超过限制). WeCom blocks a caller
 * until the window of the limit it hit has passed — a minute, an hour, or the rest of the natural day
 * (docs/protocols/wecom.md §3) — but 45009 does not say which limit. So the block escalates: a first
 * 45009 waits a minute; a 45009 again once that block is over means the hourly limit, an hour; again
 * after that, the daily limit, until the next local midnight. A successful call ends the escalation.
 * While blocked, the channel does not call WeCom at all (more calls would not be answered anyway).
 *
 * The block is the application's, not the process's: it is kept in the shared windows (one row per
 * application), so every replica honours a block another one ran into, and a restarted process too. A
 * 45009 that comes back while the block is already open (another replica's call in flight) does not
 * count as a new strike.
 */
export class FrequencyBlock {
  constructor(
    private readonly windows: SharedWindows,
    /** The application's key in the shared windows. */
    readonly key: string,
    private readonly timeZone: string,
  ) {}

  /** The block at `now`: one read by primary key. */
  async check(now: Date): Promise<FrequencyBlockState> {
    const row = await this.windows.read(this.key);
    if (!row) return { remainingMs: 0, strikes: 0, window: 'minute' };
    return { remainingMs: Math.max(0, row.until.getTime() - now.getTime()), strikes: row.count, window: windowOf(row.count) };
  }

  /** Records a 45009 at `now`; returns how long to wait and which window that is. */
  async hit(now: Date): Promise<{ waitMs: number; window: FrequencyWindow }> {
    const tomorrow = addLocalDays(atLocalTime(now, '00:00', this.timeZone), 1, this.timeZone).getTime();
    const ends = [now.getTime() + FREQUENCY_BLOCK_MS, now.getTime() + HOUR_MS, Math.max(now.getTime() + FREQUENCY_BLOCK_MS, tomorrow)].map((t) => new Date(t));
    const row = await this.windows.strike(this.key, now, ends);
    return { waitMs: Math.max(0, row.until.getTime() - now.getTime()), window: windowOf(row.count) };
  }

  /** A call went through: the limits are not hit. */
  async clear(): Promise<void> {
    await this.windows.release(this.key);
  }
}

function windowOf(strikes: number): FrequencyWindow {
  return strikes <= 1 ? 'minute' : strikes === 2 ? 'hour' : 'day';
}
